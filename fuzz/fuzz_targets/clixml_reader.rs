#![no_main]
//! The CLIXML (Export-Clixml) reader on arbitrary text.

use check_csbackup::model::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check_csbackup_fuzz::read(Format::Clixml, data));
