//! Which pool hosts the active Central Management Store, from what
//! `Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus` said and what
//! `Get-CsPool` and `Get-CsComputer` said about the name it gave.
//!
//! The document says it with three properties, the same on every pool object:
//! - `ActiveMasterFqdn`: the pool; `""` only when the CMS status names no master, which
//!   means the CMS is unavailable;
//! - `ActiveMasterServerFqdn`: the server the CMS status named, when it named a server
//!   rather than its pool;
//! - `ActiveMasterFqdnError`, instead of both: why the collector cannot tell (the cmdlet
//!   failed, returned nothing or nothing with an `ActiveMasterFqdn`, or named something
//!   neither a known pool nor a known server). The check then treats the role as
//!   unknown, which is safe; a wrong pool would let `NotInitialized` pass on the master.

use serde_json::{Map, Value};

use super::{get, items as list, plain::as_text};
use crate::model::same_fqdn;

const CMDLET: &str = "Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus";

/// What the document can say about the active master.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Master {
    /// The CMS status names no master: the CMS is unavailable.
    Unavailable,
    Pool(String),
    Server {
        server: String,
        pool: String,
    },
}

/// The properties that say which pool hosts the active CMS (see the module's text).
pub(super) fn decide(cms: Option<&Value>, lookup: Option<&Value>) -> Map<String, Value> {
    let mut fields = Map::new();
    let master = named_master(cms).and_then(|name| match name {
        None => Ok(Master::Unavailable),
        Some(name) => resolve(&name, lookup),
    });
    match master {
        Ok(Master::Unavailable) => {
            fields.insert("ActiveMasterFqdn".into(), "".into());
        }
        Ok(Master::Pool(pool)) => {
            fields.insert("ActiveMasterFqdn".into(), pool.into());
        }
        Ok(Master::Server { server, pool }) => {
            fields.insert("ActiveMasterFqdn".into(), pool.into());
            fields.insert("ActiveMasterServerFqdn".into(), server.into());
        }
        Err(why) => {
            fields.insert("ActiveMasterFqdnError".into(), why.into());
        }
    }
    fields
}

/// The name the CMS status gives as `ActiveMasterFqdn`; `None` when it is empty.
fn named_master(cms: Option<&Value>) -> Result<Option<String>, String> {
    let Some(Value::Object(cms)) = cms else {
        return Err(format!(
            "the collector script did not report what {CMDLET} said"
        ));
    };
    if let Some(error) = get(cms, "Error").filter(|e| !e.is_null()) {
        return Err(format!("{CMDLET}: {}", as_text(error)));
    }
    let objects = list(get(cms, "Objects"));
    if objects.is_empty() {
        return Err(format!("{CMDLET} returned nothing"));
    }
    let named: Vec<String> = objects
        .iter()
        .filter_map(|o| o.as_object())
        .filter_map(|o| get(o, "ActiveMasterFqdn"))
        .map(|v| match v {
            Value::Null => String::new(),
            other => as_text(other).trim().to_owned(),
        })
        .collect();
    if named.is_empty() {
        return Err(format!(
            "{CMDLET} returned {} object(s) without an ActiveMasterFqdn property",
            objects.len()
        ));
    }
    let mut distinct: Vec<String> = Vec::new();
    for name in named.into_iter().filter(|n| !n.is_empty()) {
        if !distinct.iter().any(|d| same_fqdn(d, &name)) {
            distinct.push(name);
        }
    }
    match distinct.len() {
        0 => Ok(None),
        1 => Ok(distinct.pop()),
        _ => Err(format!(
            "{CMDLET} names several active masters: {}",
            distinct.join(", ")
        )),
    }
}

/// `name` as a pool, or as a server and its pool, from the script's lookup.
fn resolve(name: &str, lookup: Option<&Value>) -> Result<Master, String> {
    let names_it = |l: &&Map<String, Value>| {
        get(l, "Name")
            .and_then(Value::as_str)
            .is_some_and(|n| same_fqdn(n, name))
    };
    let Some(lookup) = lookup.and_then(Value::as_object).filter(names_it) else {
        return Err(format!(
            "{CMDLET} names {name} as the active master, and the collector script did not \
             look it up to tell whether it is a pool or a server"
        ));
    };
    let is_pool = list(get(lookup, "GetCsPool")).iter().any(|pool| {
        ["Fqdn", "Identity"].iter().any(|key| {
            pool.as_object()
                .and_then(|p| get(p, key))
                .and_then(Value::as_str)
                .is_some_and(|f| same_fqdn(f, name))
        })
    });
    if is_pool {
        return Ok(Master::Pool(name.to_owned()));
    }
    let pool_of_server = list(get(lookup, "GetCsComputer"))
        .iter()
        .find_map(|computer| {
            let pool = computer.as_object().and_then(|c| get(c, "Pool"))?;
            Some(pool.as_str()?.trim().to_owned()).filter(|p| !p.is_empty())
        });
    if let Some(pool) = pool_of_server {
        return Ok(Master::Server {
            server: name.to_owned(),
            pool,
        });
    }
    let said: Vec<String> = [
        ("Get-CsPool", "GetCsPoolError"),
        ("Get-CsComputer", "GetCsComputerError"),
    ]
    .iter()
    .filter_map(|(cmdlet, key)| Some(format!("{cmdlet}: {}", as_text(get(lookup, key)?))))
    .collect();
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(" ({})", said.join("; "))
    };
    Err(format!(
        "{CMDLET} names {name} as the active master, which Get-CsPool and Get-CsComputer know \
         as neither a pool nor a server of a pool{said}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decided(cms: Value, lookup: Value) -> Value {
        Value::Object(decide(Some(&cms), Some(&lookup)))
    }

    fn found(master: Value) -> Value {
        json!({"Objects": [{"ActiveMasterFqdn": master, "ActiveReplicas": ["fe01"]}]})
    }

    #[test]
    fn a_pool_stays_the_pool() {
        let lookup = json!({"Name": "pool01.contoso.com",
            "GetCsPool": [{"Identity": "pool01.contoso.com", "Fqdn": "pool01.contoso.com"}],
            "GetCsComputerError": "Cannot find computer"});
        assert_eq!(
            decided(found(json!("pool01.contoso.com")), lookup),
            json!({"ActiveMasterFqdn": "pool01.contoso.com"})
        );
    }

    #[test]
    fn a_server_is_resolved_to_its_pool() {
        let lookup = json!({"Name": "FE01.contoso.com",
            "GetCsPoolError": "Cannot find pool \"fe01.contoso.com\".",
            "GetCsComputer": [{"Identity": "fe01.contoso.com", "Pool": "pool01.contoso.com"}]});
        assert_eq!(
            decided(found(json!("fe01.contoso.com")), lookup),
            json!({"ActiveMasterFqdn": "pool01.contoso.com", "ActiveMasterServerFqdn": "fe01.contoso.com"})
        );
    }

    #[test]
    fn a_name_nobody_knows_is_an_error_not_a_guess() {
        let lookup = json!({"Name": "fe01.contoso.com", "GetCsPoolError": "no pool",
            "GetCsComputerError": "Access denied"});
        let error = decided(found(json!("fe01.contoso.com")), lookup)["ActiveMasterFqdnError"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            error.contains("names fe01.contoso.com as the active master"),
            "{error}"
        );
        assert!(
            error.ends_with("(Get-CsPool: no pool; Get-CsComputer: Access denied)"),
            "{error}"
        );
        let unlooked = decided(found(json!("fe01.contoso.com")), json!(null));
        assert!(unlooked["ActiveMasterFqdnError"]
            .as_str()
            .unwrap()
            .contains("did not look it up"));
    }

    #[test]
    fn empty_is_unavailable_missing_is_an_error() {
        for empty in [json!(""), json!(null), json!("  ")] {
            assert_eq!(
                decided(found(empty), json!(null)),
                json!({"ActiveMasterFqdn": ""})
            );
        }
        let error = |cms: Value| {
            decided(cms, json!(null))["ActiveMasterFqdnError"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            error(json!({"Objects": []})),
            format!("{CMDLET} returned nothing")
        );
        assert_eq!(
            error(json!({"Objects": [{"ActiveReplicas": []}]})),
            format!("{CMDLET} returned 1 object(s) without an ActiveMasterFqdn property")
        );
        assert_eq!(
            error(json!({"Error": "Access is denied."})),
            format!("{CMDLET}: Access is denied.")
        );
        assert!(
            error(json!({"Objects": [{"ActiveMasterFqdn": "a"}, {"ActiveMasterFqdn": "b"}]}))
                .contains("several active masters: a, b")
        );
        let none = Value::Object(decide(None, None));
        assert!(none["ActiveMasterFqdnError"]
            .as_str()
            .unwrap()
            .contains("did not report"));
    }
}
