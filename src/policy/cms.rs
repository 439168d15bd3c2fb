//! Whether a pool hosts the active Central Management Store: `NotInitialized` is
//! expected only where it does not.

use super::Settings;
use crate::model::{same_fqdn, Pool};

/// Whether a pool hosts the active Central Management Store, and how we know.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CmsRole {
    Master(&'static str),
    NotMaster(&'static str),
    /// Not known: why, and what the operator can give the plugin so it knows.
    Unknown {
        why: &'static str,
        hint: &'static str,
    },
}

pub(super) fn cms_role(
    name: &str,
    pool: &Pool,
    settings: &Settings,
    document_master: Option<&str>,
) -> CmsRole {
    let master = match (
        &settings.cms_master_pool,
        pool.active_master_fqdn.as_deref(),
    ) {
        (Some(m), _) => Some((m.as_str(), "--cms-master-pool")),
        (None, Some(m)) if !m.is_empty() => Some((m, "the document's ActiveMasterFqdn")),
        _ => document_master.map(|m| (m, "the document's ActiveMasterFqdn")),
    };
    // A module list without a pool name: no master can be compared with it.
    let unnamed = pool.fqdn.is_none() && name.starts_with("unnamed pool");
    match (master, unnamed) {
        (None, true) => CmsRole::Unknown {
            why: "the document names no pool, and neither --cms-master-pool nor the document's \
                  ActiveMasterFqdn names the CMS master",
            hint: "give --pool and --cms-master-pool",
        },
        (None, false) => CmsRole::Unknown {
            why: "neither --cms-master-pool nor the document's ActiveMasterFqdn names it",
            hint: "give --cms-master-pool",
        },
        (Some(_), true) => CmsRole::Unknown {
            why: "the document names no pool",
            hint: "the document names no pool, give --pool so the plugin knows which pool the \
                   module list belongs to",
        },
        (Some((master, source)), false) if same_fqdn(name, master) => CmsRole::Master(source),
        (Some((_, source)), false) => CmsRole::NotMaster(source),
    }
}
