//! Whether a pool hosts the active Central Management Store: `NotInitialized` is
//! expected only where it does not.
//!
//! The document's `ActiveMasterFqdn` names the pool; `ActiveMasterServerFqdn`, the server
//! the CMS status named when it was a server rather than its pool, is never compared with
//! a pool's name: a server never matches, and the real master would pass as not hosting
//! the CMS.

use std::borrow::Cow;

use super::Settings;
use crate::model::{clip, same_fqdn, Pool};

/// Whether a pool hosts the active Central Management Store, and how we know.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CmsRole {
    Master(&'static str),
    NotMaster(&'static str),
    /// Not known: why, and what the operator can give the plugin so it knows.
    Unknown {
        why: Cow<'static, str>,
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
            why: format!("the document names no pool, and {}", unknown_master(pool)).into(),
            hint: "give --pool and --cms-master-pool",
        },
        (None, false) => CmsRole::Unknown {
            why: unknown_master(pool),
            hint: "give --cms-master-pool",
        },
        (Some(_), true) => CmsRole::Unknown {
            why: "the document names no pool".into(),
            hint: "the document names no pool, give --pool so the plugin knows which pool the \
                   module list belongs to",
        },
        (Some((master, source)), false) if same_fqdn(name, master) => CmsRole::Master(source),
        (Some((_, source)), false) => CmsRole::NotMaster(source),
    }
}

/// Why nothing names the pool hosting the active CMS.
fn unknown_master(pool: &Pool) -> Cow<'static, str> {
    if let Some(error) = &pool.active_master_error {
        return format!(
            "the collector could not tell which pool it is ({})",
            clip(error, 300)
        )
        .into();
    }
    if let Some(server) = &pool.active_master_server_fqdn {
        return format!("the document names only the server hosting it ({server}), not its pool")
            .into();
    }
    "neither --cms-master-pool nor the document's ActiveMasterFqdn names it".into()
}
