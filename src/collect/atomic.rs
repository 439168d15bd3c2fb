//! Replacing the status file so that a reader sees the old whole file or the new whole
//! file, never a part of one: write a temporary file in the same folder (a rename is
//! atomic only within one file system), flush it to disk, then rename it over the old.
//!
//! The temporary file is created new (`create_new`: an existing file or link of that
//! name is never opened, let alone written through) under a name no other account can
//! guess, `.<name>.<16 hex digits>.tmp`; a name already taken is skipped for another.
//! Before anything is written, [`folder::check`](super::folder::check) makes sure the
//! folder is one that only the collector's side may write.
//!
//! A collector killed mid-write leaves only its temporary file behind; the check never
//! reads it, and a later run removes it once it is old enough not to belong to a run
//! still going.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::folder;

/// Temporary files older than this are left over from a killed run.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);
/// How many temporary names are tried before giving up: a clash of 64 random bits
/// happens by chance never, so even a second try means someone is planting files.
const NAME_TRIES: usize = 8;

/// Why a status file was not written.
#[derive(Debug)]
pub enum WriteError {
    /// The folder or the file there is not safe to write: what is wrong, what to do.
    Unsafe(String),
    /// The file system refused.
    Io(io::Error),
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Writes `contents` to `path`, replacing any file there in one step.
pub fn replace(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let Some(name) = path.file_name() else {
        return Err(WriteError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        )));
    };
    let folder = folder::of(path);
    folder::check(folder, path).map_err(WriteError::Unsafe)?;
    let (temporary, file) =
        create_temporary(folder, (0..NAME_TRIES).map(|_| temporary_name(name)))?;
    let written = write_synced(file, contents).and_then(|()| rename_over(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    sync_folder(folder);
    remove_stale(folder, name);
    Ok(())
}

/// `.<name>.<16 hex digits>.tmp`, the digits unpredictable to other accounts: std's
/// `RandomState` keys SipHash with random bits from the operating system, which is what
/// a temporary name needs without a random-number crate.
fn temporary_name(name: &OsStr) -> OsString {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    let mut temporary = OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{:016x}.tmp", hasher.finish()));
    temporary
}

/// Creates the first of `names` that does not exist yet in `folder`.
fn create_temporary(
    folder: &Path,
    names: impl IntoIterator<Item = OsString>,
) -> io::Result<(PathBuf, File)> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Readable by the monitoring agent, writable by the collector alone, whatever
        // the umask says.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    let mut taken = 0;
    for name in names {
        let path = folder.join(name);
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => taken += 1,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{taken} random temporary names in {} were already taken: someone is creating \
             files there; find out who",
            folder.display()
        ),
    ))
}

fn write_synced(mut file: File, contents: &[u8]) -> io::Result<()> {
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
fn remove_stale(folder: &Path, name: &OsStr) {
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
        // Random hex digits, or a process id as earlier versions named them.
        let is_ours = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()));
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
        super::folder::scratch(&format!("atomic-{name}"))
    }

    fn names(dir: &Path) -> Vec<OsString> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_a_file_and_leaves_no_temporary_file() {
        let dir = folder("replace");
        let path = dir.join("pool01.json");
        fs::write(&path, "old").unwrap();
        replace(&path, b"new contents").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new contents");
        assert_eq!(names(&dir), vec![OsString::from("pool01.json")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporary_names_cannot_be_guessed() {
        let a = temporary_name("pool01.json".as_ref());
        let b = temporary_name("pool01.json".as_ref());
        assert_ne!(a, b);
        let a = a.to_str().unwrap();
        let digits = a
            .strip_prefix(".pool01.json.")
            .and_then(|r| r.strip_suffix(".tmp"))
            .unwrap();
        assert_eq!(digits.len(), 16, "{a}");
        assert!(!digits.contains(&std::process::id().to_string()), "{a}");
    }

    /// Earlier versions named the temporary file after the process id alone: another
    /// account could plant a file or a link there and have the collector write through
    /// it, or own the result.
    #[cfg(unix)]
    #[test]
    fn a_file_or_link_planted_at_a_predictable_name_is_not_written_through() {
        let dir = folder("planted");
        let victim = dir.join("victim");
        fs::write(&victim, "untouched").unwrap();
        let pid = std::process::id();
        let linked = dir.join(format!(".pool01.json.{pid}.tmp"));
        std::os::unix::fs::symlink(&victim, &linked).unwrap();
        let planted = dir.join(format!(".pool02.json.{pid}.tmp"));
        fs::write(&planted, "forged").unwrap();
        replace(&dir.join("pool01.json"), b"one").unwrap();
        replace(&dir.join("pool02.json"), b"two").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(fs::read_to_string(&planted).unwrap(), "forged");
        assert_eq!(fs::read_to_string(dir.join("pool01.json")).unwrap(), "one");
        assert_eq!(fs::read_to_string(dir.join("pool02.json")).unwrap(), "two");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_taken_temporary_name_is_skipped_for_the_next() {
        let dir = folder("taken");
        let taken = OsString::from(".pool01.json.00000000000000aa.tmp");
        fs::write(dir.join(&taken), "planted").unwrap();
        let fresh = OsString::from(".pool01.json.00000000000000bb.tmp");
        let (path, _) = create_temporary(&dir, [taken.clone(), fresh.clone()]).unwrap();
        assert_eq!(path, dir.join(&fresh));
        assert_eq!(fs::read_to_string(dir.join(&taken)).unwrap(), "planted");
        let refused = create_temporary(&dir, [taken, fresh]).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert!(
            refused.to_string().contains("2 random temporary names"),
            "{refused:?}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn removes_only_stale_temporary_files_of_the_same_file() {
        let dir = folder("stale");
        let path = dir.join("pool01.json");
        let old = dir.join(".pool01.json.00c0ffee00c0ffee.tmp");
        let old_pid = dir.join(".pool01.json.4242.tmp");
        let fresh = dir.join(".pool01.json.4343.tmp");
        let other = dir.join(".pool02.json.4242.tmp");
        let unrelated = dir.join(".pool01.json.notes.tmp");
        for p in [&old, &old_pid, &fresh, &other, &unrelated] {
            fs::write(p, "{").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for p in [&old, &old_pid, &other, &unrelated] {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        replace(&path, b"{}").unwrap();
        assert!(!old.exists() && !old_pid.exists());
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
        assert!(matches!(replace(&blocked, b"new"), Err(WriteError::Io(_))));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(&dir).len(), 2, "{:?}", names(&dir));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn writes_nothing_into_a_linked_folder() {
        let dir = folder("linked");
        let real = dir.join("real");
        fs::create_dir(&real).unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let refused = replace(&link.join("pool01.json"), b"{}").unwrap_err();
        assert!(
            matches!(&refused, WriteError::Unsafe(r) if r.contains("symbolic link")),
            "{refused:?}"
        );
        assert!(names(&real).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
