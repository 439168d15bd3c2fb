#![no_main]
//! Bytes → plugin output: encodings, format detection, every reader, policy and report.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check_csbackup_fuzz::whole_path(data));
