//! Whether a pool hosts the active Central Management Store: `NotInitialized` is
//! expected only where it does not.

use super::Settings;
use crate::model::{same_fqdn, Pool};

/// Whether a pool hosts the active Central Management Store, and how we know.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CmsRole {
    Master(&'static str),
    NotMaster(&'static str),
    Unknown(&'static str),
}

pub(super) fn cms_role(
    name: &str,
    pool: &Pool,
    settings: &Settings,
    document_master: Option<&str>,
) -> CmsRole {
    let (master, source) = match (
        &settings.cms_master_pool,
        pool.active_master_fqdn.as_deref(),
    ) {
        (Some(m), _) => (m.as_str(), "--cms-master-pool"),
        (None, Some(m)) if !m.is_empty() => (m, "the document's ActiveMasterFqdn"),
        _ => match document_master {
            Some(m) => (m, "the document's ActiveMasterFqdn"),
            None => {
                return CmsRole::Unknown(
                    "neither --cms-master-pool nor the document's ActiveMasterFqdn names it",
                )
            }
        },
    };
    if pool.fqdn.is_none() && name.starts_with("unnamed pool") {
        return CmsRole::Unknown("the document names no pool: give --pool");
    }
    if same_fqdn(name, master) {
        CmsRole::Master(source)
    } else {
        CmsRole::NotMaster(source)
    }
}
