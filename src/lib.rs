//! check_csbackup: a monitoring plugin for the Skype for Business Server Backup Service.
//!
//! The flow runs one way: `input` (bytes → [`model::Document`]) → `policy` (document +
//! settings → findings) → `report` (findings → plugin output). `check` runs that flow
//! under a deadline; `guard` makes sure every ending, a panic included, is plugin output.
//! `collect` is the other half of the binary: the Windows collector that writes the
//! status document (or, with `--live`, hands it straight to the check). `heap` is the
//! allocator of the static Linux binary.

pub mod check;
pub mod cli;
pub mod collect;
pub mod guard;
#[cfg(unix)]
pub mod heap;
pub mod input;
pub mod model;
pub mod policy;
pub mod report;
