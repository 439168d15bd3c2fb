//! check_csbackup: a monitoring plugin for the Skype for Business Server Backup Service.
//!
//! The flow runs one way: `input` (bytes → [`model::Document`]) → `policy` (document +
//! settings → findings) → `report` (findings → plugin output). `check` runs that flow
//! under a deadline; `guard` makes sure every ending, a panic included, is plugin output.

pub mod check;
pub mod cli;
pub mod guard;
pub mod input;
pub mod model;
pub mod policy;
pub mod report;
