//! check_csbackup: a monitoring plugin for the Skype for Business Server Backup Service.
//!
//! The flow runs one way: `input` (bytes → [`model::Document`]) → `policy` (document +
//! settings → findings) → `report` (findings → plugin output). `check` runs that flow
//! under a deadline; `guard` makes sure every ending, a panic included, is plugin output.
//! `collect` is the other half of the binary: the Windows collector that writes the
//! status document (or, with `--live`, hands it straight to the check); builds without
//! the `collector` feature (the static Linux binaries) keep its command line and say
//! where it runs instead. `heap` is the allocator of the static Linux binary.

pub mod check;
pub mod cli;
#[cfg(feature = "collector")]
pub mod collect;
#[cfg(not(feature = "collector"))]
#[path = "no_collector.rs"]
pub mod collect;
pub mod guard;
#[cfg(unix)]
pub mod heap;
pub mod input;
pub mod model;
pub mod policy;
pub mod report;
