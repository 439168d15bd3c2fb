#![no_main]
//! The PowerShell text (Format-Table, Format-List) reader on arbitrary text.

use check_csbackup::model::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check_csbackup_fuzz::read(Format::Text, data));
