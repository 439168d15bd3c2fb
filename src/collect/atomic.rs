//! Replacing the status file so that a reader sees the old whole file or the new whole
//! file, never a part of one: write a temporary file in the same folder (a rename is
//! atomic only within one file system), flush it to disk, then rename it over the old.
//!
//! A collector killed mid-write leaves only its temporary file behind, named
//! `.<name>.<process id>.tmp`; the check never reads it, and a later run removes it once
//! it is old enough not to belong to a run still going.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Temporary files older than this are left over from a killed run.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// Writes `contents` to `path`, replacing any file there in one step.
pub fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temporary = folder.join(temporary_name(name, std::process::id()));
    let written = write_synced(&temporary, contents).and_then(|()| rename_over(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    sync_folder(&folder);
    remove_stale(&folder, name);
    Ok(())
}

fn temporary_name(name: &std::ffi::OsStr, pid: u32) -> OsString {
    let mut temporary = OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{pid}.tmp"));
    temporary
}

fn write_synced(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(contents)?;
    file.flush()?;
    file.sync_all()
}

/// Renames, retrying briefly: on Windows a reader that opened the old file without
/// sharing delete access (an antivirus scan, an editor) blocks the rename for a moment.
fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    let mut tries = 0;
    loop {
        match fs::rename(from, to) {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Makes the rename itself durable where the file system asks for it (POSIX).
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

/// Removes temporary files a killed run of the collector left for this file.
fn remove_stale(folder: &Path, name: &std::ffi::OsStr) {
    let Some(name) = name.to_str() else { return };
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let is_ours = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if is_ours && stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("csbackup-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_a_file_and_leaves_no_temporary_file() {
        let dir = folder("replace");
        let path = dir.join("pool01.json");
        fs::write(&path, "old").unwrap();
        replace(&path, b"new contents").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new contents");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("pool01.json")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn removes_only_stale_temporary_files_of_the_same_file() {
        let dir = folder("stale");
        let path = dir.join("pool01.json");
        let old = dir.join(temporary_name("pool01.json".as_ref(), 4242));
        let fresh = dir.join(temporary_name("pool01.json".as_ref(), 4343));
        let other = dir.join(temporary_name("pool02.json".as_ref(), 4242));
        let unrelated = dir.join(".pool01.json.notes.tmp");
        for p in [&old, &fresh, &other, &unrelated] {
            fs::write(p, "{").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for p in [&old, &other, &unrelated] {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        replace(&path, b"{}").unwrap();
        assert!(!old.exists());
        assert!(fresh.exists() && other.exists() && unrelated.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_path_without_a_file_name() {
        assert!(replace(Path::new("/"), b"{}").is_err());
    }

    #[test]
    fn a_failed_rename_removes_its_temporary_file() {
        let dir = folder("fail");
        let path = dir.join("pool01.json");
        fs::write(&path, "old").unwrap();
        // A folder where the file should be: the rename fails, the temporary file goes.
        let blocked = dir.join("sub");
        fs::create_dir_all(blocked.join("inner")).unwrap();
        assert!(replace(&blocked, b"new").is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
