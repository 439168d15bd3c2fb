//! The documents a collection replaces, read back for the history they carry.
//!
//! The check is stateless, so how long a status has lasted and where the event log was
//! last read are carried forward in the status document itself: before writing, the
//! collector reads the document it is about to replace. That document is trusted only
//! as far as it can be: one that is missing, unreadable, for another pool, without a
//! readable `CollectedAt`, collected later than now (the clock was set back) or longer
//! ago than `--history-max-age` gives no history, only the reason, which the new
//! document records as `HistoryRestart`. Wrong history is worse than none.
//!
//! The file is read only after `folder` has accepted its place, so it is a file of the
//! collector's own (or none); it is still read as a regular file only, and only up to a
//! size far below what the check reads, so that its JSON tree stays small.

use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::input::parse_timestamp;
use crate::model::duration;
use crate::model::{clip, same_fqdn};

/// The previous document of one pool, as far as it can be trusted: its pool object and
/// when it was collected, or why it gives no history.
pub type Previous = Result<PreviousPool, String>;

/// A previous pool object that is recent, and not from the future.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousPool {
    pub object: Map<String, Value>,
    pub collected_at: Timestamp,
}

/// How far back a previous document is trusted, and when this collection happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Horizon {
    pub now: Timestamp,
    /// `--history-max-age`, in seconds.
    pub max_age: i64,
}

/// The previous document at `path`, for each of `pools`: one document for all of them
/// (`--out`) or a document of the pool's own (`--out-dir`, `pools` then holds the one).
pub fn read(path: &Path, pools: &[String], horizon: Horizon, max_bytes: u64) -> Vec<Previous> {
    match load(path, max_bytes) {
        Ok(document) => pools
            .iter()
            .map(|pool| entry(&document, pool).and_then(|object| recent(object, horizon)))
            .collect(),
        Err(reason) => vec![Err(reason); pools.len()],
    }
}

/// The previous document as JSON; `Err` says why there is none to use.
fn load(path: &Path, max_bytes: u64) -> Result<Value, String> {
    let unreadable = |why: String| format!("the previous document is unreadable: {why}");
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("there is no previous document".into())
        }
        Err(e) => return Err(unreadable(e.to_string())),
    };
    if !meta.is_file() {
        return Err(unreadable("it is not a regular file".into()));
    }
    if meta.len() > max_bytes {
        return Err(unreadable(format!(
            "{} bytes, more than the {max_bytes} its history is read from",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(max_bytes).read_to_end(&mut bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| unreadable(format!("not the JSON the collector writes ({e})")))
}

/// The pool object of `pool` in a previous document.
fn entry(document: &Value, pool: &str) -> Result<Map<String, Value>, String> {
    let named = |object: &Map<String, Value>| {
        object
            .get("PoolFqdn")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match document {
        Value::Object(object) => match named(object) {
            Some(name) if same_fqdn(&name, pool) => Ok(object.clone()),
            Some(name) => Err(format!(
                "the previous document holds another pool ({})",
                clip(&name, 100)
            )),
            None => Err("the previous document names no pool".into()),
        },
        Value::Array(objects) => {
            let found = objects
                .iter()
                .filter_map(Value::as_object)
                .find(|o| named(o).is_some_and(|name| same_fqdn(&name, pool)));
            match found {
                Some(object) => Ok(object.clone()),
                None => Err("the previous document has no entry for this pool".into()),
            }
        }
        _ => Err("the previous document is not a status document".into()),
    }
}

/// The object, if its `CollectedAt` is neither later than now nor too long ago.
fn recent(object: Map<String, Value>, horizon: Horizon) -> Previous {
    let Some(collected_at) = object
        .get("CollectedAt")
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
    else {
        return Err("the previous document has no readable CollectedAt".into());
    };
    let age = horizon.now.as_second() - collected_at.as_second();
    if age < 0 {
        return Err(format!(
            "the previous document's CollectedAt ({collected_at}) is later than now ({}): \
             was the clock set back?",
            horizon.now
        ));
    }
    if age > horizon.max_age {
        return Err(format!(
            "the previous document is {} old, more than --history-max-age {} s",
            duration(age),
            horizon.max_age
        ));
    }
    Ok(PreviousPool {
        object,
        collected_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-11-29T04:00:00Z";

    fn horizon() -> Horizon {
        Horizon {
            now: NOW.parse().unwrap(),
            max_age: 900,
        }
    }

    fn previous(document: &Value, pool: &str) -> Previous {
        entry(document, pool).and_then(|object| recent(object, horizon()))
    }

    fn pool(name: &str, collected_at: &str) -> Value {
        json!({"PoolFqdn": name, "CollectedAt": collected_at, "BackupModules": []})
    }

    #[test]
    fn a_recent_document_of_the_pool_is_used() {
        let one = pool("pool01.contoso.com", "2026-11-29T03:55:00Z");
        let used = previous(&one, "POOL01.contoso.com.").unwrap();
        assert_eq!(used.collected_at, "2026-11-29T03:55:00Z".parse().unwrap());
        let list = json!([pool("a.contoso.com", NOW), pool("pool01.contoso.com", NOW)]);
        assert!(previous(&list, "pool01.contoso.com").is_ok());
    }

    #[test]
    fn anything_doubtful_gives_no_history_and_says_why() {
        let reason = |document: Value, pool: &str| previous(&document, pool).unwrap_err();
        assert_eq!(
            reason(pool("pool02.contoso.com", NOW), "pool01.contoso.com"),
            "the previous document holds another pool (pool02.contoso.com)"
        );
        assert_eq!(
            reason(
                json!([pool("pool02.contoso.com", NOW)]),
                "pool01.contoso.com"
            ),
            "the previous document has no entry for this pool"
        );
        assert_eq!(
            reason(pool("p", "2026-11-29T05:00:00Z"), "p"),
            "the previous document's CollectedAt (2026-11-29T05:00:00Z) is later than now \
             (2026-11-29T04:00:00Z): was the clock set back?"
        );
        assert_eq!(
            reason(pool("p", "2026-11-28T04:00:00Z"), "p"),
            "the previous document is 24 h 0 min old, more than --history-max-age 900 s"
        );
        assert_eq!(
            reason(pool("p", "yesterday"), "p"),
            "the previous document has no readable CollectedAt"
        );
        assert_eq!(
            reason(json!({"BackupModules": []}), "p"),
            "the previous document names no pool"
        );
    }

    #[test]
    fn a_file_that_is_missing_or_no_json_gives_the_reason_for_every_pool() {
        let dir = crate::collect::folder::scratch("previous");
        let pools = vec!["a".to_owned(), "b".to_owned()];
        let missing = read(&dir.join("none.json"), &pools, horizon(), 1000);
        assert_eq!(
            missing,
            vec![Err("there is no previous document".into()); 2]
        );
        std::fs::write(dir.join("torn.json"), "{\"PoolFqdn\":").unwrap();
        let torn = read(&dir.join("torn.json"), &pools, horizon(), 1000);
        assert!(torn[1]
            .as_ref()
            .unwrap_err()
            .starts_with("the previous document is unreadable: not the JSON the collector writes"));
        std::fs::write(dir.join("big.json"), "x".repeat(2000)).unwrap();
        let big = read(&dir.join("big.json"), &pools, horizon(), 1000);
        assert!(big[0]
            .as_ref()
            .unwrap_err()
            .contains("2000 bytes, more than the 1000 its history is read from"));
        std::fs::create_dir(dir.join("folder.json")).unwrap();
        let folder = read(&dir.join("folder.json"), &pools, horizon(), 1000);
        assert!(folder[0]
            .as_ref()
            .unwrap_err()
            .contains("not a regular file"));
    }
}
