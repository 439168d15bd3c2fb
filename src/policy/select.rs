//! Which pools of the document to evaluate, per `--pool`, and the name each is shown by.

use super::Settings;
use super::{name_list, Finding, Level, Subject};
use std::collections::HashMap;

use crate::model::{fqdn_key, same_fqdn, Document};

/// The pools to evaluate, each with the name to show, per `--pool`.
/// Pools are given by their index in the document, each at most once.
pub(super) fn select_pools(
    document: &Document,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) -> Vec<(String, usize)> {
    if document.pools.is_empty() {
        findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            "the document holds no pool",
        ));
        return vec![];
    }
    if settings.pools.is_empty() {
        return every_pool(document);
    }
    if document.pools.iter().all(|p| p.fqdn.is_none()) {
        if document.pools.len() == 1 && settings.pools.len() == 1 {
            return vec![(settings.pools[0].clone(), 0)];
        }
        findings.push(Finding::explained(
            Level::Unknown,
            Subject::Pool,
            "the document names no pool (no PoolFqdn)",
            &format!(
                ", so --pool cannot select among {} pools, \
                 give one --pool per document, or collect with check_csbackup collect",
                document.pools.len().max(settings.pools.len())
            ),
        ));
        return vec![];
    }
    let mut selected: Vec<(String, usize)> = Vec::new();
    for wanted in &settings.pools {
        // Every entry that is this pool: a document may hold one pool twice, and each
        // entry is evaluated (a pool named twice by --pool still once).
        let mut found = false;
        for (at, pool) in document.pools.iter().enumerate() {
            let Some(fqdn) = pool.fqdn.as_deref() else {
                continue;
            };
            if same_fqdn(fqdn, wanted) {
                found = true;
                if !selected.iter().any(|(_, s)| *s == at) {
                    selected.push((fqdn.to_owned(), at));
                }
            }
        }
        if !found {
            findings.push(not_in_document(document, wanted));
        }
    }
    selected
}

/// Every pool of the document, in its order; pools without a name are numbered when
/// there are several.
fn every_pool(document: &Document) -> Vec<(String, usize)> {
    let several = document.pools.iter().filter(|p| p.fqdn.is_none()).count() > 1;
    let mut index = 0;
    document
        .pools
        .iter()
        .enumerate()
        .map(|(at, p)| match &p.fqdn {
            Some(f) => (f.clone(), at),
            None if several => {
                index += 1;
                (format!("unnamed pool {index}"), at)
            }
            None => ("unnamed pool".into(), at),
        })
        .collect()
}

/// A pool `--pool` asks for that the document does not hold is CRITICAL: the collector
/// may not be asked for it.
fn not_in_document(document: &Document, wanted: &str) -> Finding {
    let present: Vec<&str> = document
        .pools
        .iter()
        .filter_map(|p| p.fqdn.as_deref())
        .collect();
    Finding::explained(
        Level::Critical,
        Subject::Pool,
        format!("pool {wanted} is not in the document"),
        &format!(
            " (it holds {}): is the collector asked for it?",
            name_list(present.into_iter())
        ),
    )
}

/// A note for each pool the document holds more than once, naming its entries.
pub(super) fn repeated_pools(document: &Document) -> Vec<String> {
    // Keyed the way DNS compares names; one pass, since a document may hold 100,000 pools.
    let mut entries: HashMap<String, Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (at, pool) in document.pools.iter().enumerate() {
        if let Some(fqdn) = pool.fqdn.as_deref() {
            let key = fqdn_key(fqdn);
            let seen = entries.entry(key.clone()).or_default();
            if seen.is_empty() {
                order.push((key, fqdn));
            }
            seen.push(at + 1);
        }
    }
    order
        .into_iter()
        .filter_map(|(key, fqdn)| match entries[&key].as_slice() {
            [first @ .., last] if !first.is_empty() => {
                let first: Vec<String> = first.iter().map(usize::to_string).collect();
                Some(format!(
                    "{fqdn} appears {} times in the document (entries {} and {last}): \
                     each entry is evaluated on its own",
                    first.len() + 1,
                    first.join(", ")
                ))
            }
            _ => None,
        })
        .collect()
}
