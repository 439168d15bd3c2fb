//! A stand-in for `powershell.exe` in the collector's tests (built by the tests with
//! rustc, for Linux and, in scripts/windows-check.sh, for Windows under wine).
//!
//! It insists on being called the way the collector must call PowerShell: exactly
//! `-NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64>`,
//! the base64 decoding to UTF-16LE text that is the collector script (compared with the
//! file `CSBACKUP_STAND_IN_SCRIPT` names, when set), with no pool name anywhere in the
//! script's text and the pools in `CSBACKUP_POOLS`. Otherwise it exits 64.
//!
//! `CSBACKUP_STAND_IN` picks how it answers:
//! - `answer` (default): like the real script, one object per pool (an array for
//!   several); a pool whose name starts with `denied` gets an `Error`;
//! - `fail`: module loading fails, stderr and exit 1;
//! - `hang`: sleeps for an hour;
//! - `garbage`: text that is not JSON, exit 0;
//! - `partial`: a JSON document cut mid-line, exit 0;
//! - `noisy`: a megabyte on stderr first, then the answer;
//! - `big`: the answer padded to `CSBACKUP_STAND_IN_BYTES` bytes, written in 4 KiB
//!   pieces `CSBACKUP_STAND_IN_DELAY_MS` apart.
//!
//! When `CSBACKUP_STAND_IN_LOG` names a file, it appends its process id and pools there
//! before anything else, so a test can tell it ran (or was never started).

use std::io::Write;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pools: Vec<String> = std::env::var("CSBACKUP_POOLS")
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if let Ok(log) = std::env::var("CSBACKUP_STAND_IN_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("the stand-in's log opens");
        writeln!(file, "{} {}", std::process::id(), pools.join(",")).expect("log written");
    }
    if let Err(complaint) = check_call(&args, &pools) {
        eprintln!("stand-in PowerShell: {complaint}");
        std::process::exit(64);
    }
    let mode = std::env::var("CSBACKUP_STAND_IN").unwrap_or_else(|_| "answer".into());
    match mode.as_str() {
        "answer" => print!("{}\n", answer(&pools, 0)),
        "fail" => {
            eprint!("Import-Module : The specified module 'SkypeForBusiness' was not loaded because no valid module file was found in any module directory.\r\nAt line:1 char:1\r\n");
            std::process::exit(1);
        }
        "hang" => std::thread::sleep(Duration::from_secs(3600)),
        "garbage" => print!("WARNING: The names of some imported commands include unapproved verbs.\r\nthis is not JSON\r\n"),
        "partial" => print!(
            r#"{{"PoolFqdn":"{}","BackupModules":[{{"Identity":"UserServices.PresenceFocus","ExportStatus":"Stea"#,
            pools.first().map(String::as_str).unwrap_or("pool01.contoso.com")
        ),
        "noisy" => {
            let line = "VERBOSE: Loading module from path 'C:\\Program Files\\Common Files\\Skype for Business Server 2019\\Modules\\SkypeForBusiness\\SkypeForBusiness.psd1'.\r\n";
            let mut stderr = std::io::stderr().lock();
            for _ in 0..(1 << 20) / line.len() {
                stderr.write_all(line.as_bytes()).expect("stderr written");
            }
            drop(stderr);
            print!("{}\n", answer(&pools, 0));
        }
        "big" => {
            let bytes: usize = std::env::var("CSBACKUP_STAND_IN_BYTES")
                .ok()
                .and_then(|b| b.parse().ok())
                .unwrap_or(1 << 20);
            let delay: u64 = std::env::var("CSBACKUP_STAND_IN_DELAY_MS")
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let text = answer(&pools, bytes);
            let mut stdout = std::io::stdout().lock();
            for piece in text.as_bytes().chunks(4096) {
                if stdout.write_all(piece).and_then(|()| stdout.flush()).is_err() {
                    std::process::exit(0); // the collector went away
                }
                std::thread::sleep(Duration::from_millis(delay));
            }
        }
        other => {
            eprintln!("stand-in PowerShell: unknown CSBACKUP_STAND_IN mode '{other}'");
            std::process::exit(64);
        }
    }
}

/// The real script's answer for `pools`, the first padded to about `padding` bytes.
fn answer(pools: &[String], padding: usize) -> String {
    let objects: Vec<String> = pools
        .iter()
        .enumerate()
        .map(|(index, pool)| {
            if pool.starts_with("denied") {
                return format!(
                    r#"{{"PoolFqdn":"{pool}","Error":"Get-CsBackupServiceStatus -PoolFqdn {pool}: Access is denied.","ActiveMasterFqdn":"{}"}}"#,
                    pools[0]
                );
            }
            let pad = if index == 0 { "x".repeat(padding) } else { String::new() };
            format!(
                r#"{{"PoolFqdn":"{pool}","BackupModules":[{{"Identity":"UserServices.PresenceFocus","ExportStatus":"SteadyState","ImportStatus":"NormalState"}},{{"Identity":"ConfServices.DataConf","ExportStatus":"FinalState","ImportStatus":"NormalState"}},{{"Identity":"CentralMgmt.CMSMaster","ExportStatus":"{}","ImportStatus":"NormalState"}}],"OverallExportStatus":"SteadyState","OverallImportStatus":"NormalState","ActiveMasterFqdn":"{}","Padding":"{pad}"}}"#,
                if index == 0 { "SteadyState" } else { "NotInitialized" },
                pools[0]
            )
        })
        .collect();
    if objects.len() == 1 {
        objects[0].clone()
    } else {
        format!("[{}]", objects.join(","))
    }
}

fn check_call(args: &[String], pools: &[String]) -> Result<(), String> {
    let expected = [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
    ];
    if args.len() != expected.len() + 1 || args[..expected.len()] != expected {
        return Err(format!("unexpected arguments {args:?}"));
    }
    let script = decode_command(&args[expected.len()])?;
    if let Ok(path) = std::env::var("CSBACKUP_STAND_IN_SCRIPT") {
        let wanted = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        if script != wanted {
            return Err(format!("the encoded script is not {path}"));
        }
    } else if !script.contains("Get-CsBackupServiceStatus") {
        return Err("the encoded script does not run Get-CsBackupServiceStatus".into());
    }
    if pools.is_empty() {
        return Err("CSBACKUP_POOLS names no pool".into());
    }
    if let Some(pool) = pools.iter().find(|p| script.contains(p.as_str())) {
        return Err(format!("the pool {pool} is spliced into the script"));
    }
    Ok(())
}

fn decode_command(encoded: &str) -> Result<String, String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in encoded.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                return Err(format!(
                    "-EncodedCommand is not base64 (the character {c:#x})"
                ))
            }
        };
        bits = bits << 6 | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    if bytes.len() % 2 != 0 {
        return Err("-EncodedCommand is not UTF-16 (an odd byte count)".into());
    }
    let units = bytes.chunks(2).map(|p| u16::from_le_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "-EncodedCommand is not UTF-16LE".into())
}
