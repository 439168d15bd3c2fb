//! Whether a status file may be written where it is asked for.
//!
//! The monitoring agent believes what the file says, so any account that can put a file
//! of its own in its place can forge an OK. Before writing, the collector therefore looks
//! at the folder and at the file already there, and refuses, saying what to do, when:
//! - the folder is a symbolic link, junction or other reparse point: the file would land
//!   wherever it points;
//! - (Unix) the folder or the existing file belongs to another account than the one the
//!   collector runs as (root excepted), or may be written by accounts other than its
//!   owner: such an account could replace the file after each run;
//! - (Windows) the folder belongs to another account than Administrators, SYSTEM or the
//!   collector's own, or belongs to Administrators or SYSTEM but inherits its
//!   permissions (see `owner`): the registration script made the folder safe once, and
//!   this notices when it has since been deleted and made again by someone else;
//! - the existing file is itself a symbolic link or reparse point.

use std::fs::{self, Metadata};
use std::io;
use std::path::Path;

/// The folder a status file is written in: its parent, `.` for a bare name.
pub fn of(file: &Path) -> &Path {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Checks `folder` and the status file `file` in it; `Err` says what is wrong and what
/// to do. A folder that does not exist passes: the collector says so before it asks
/// PowerShell anything, and a write there fails.
pub fn check(folder: &Path, file: &Path) -> Result<(), String> {
    let shown = folder.display();
    match fs::symlink_metadata(folder) {
        Ok(meta) if is_link(&meta) => {
            return Err(format!(
                "the folder {shown} is {}: the status file would land wherever it points; \
                 give the real folder's path, or make {shown} a folder of its own",
                link_kind()
            ))
        }
        Ok(meta) => folder_owned_safely(folder, &meta)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {}
    }
    match fs::symlink_metadata(file) {
        Ok(meta) if is_link(&meta) => Err(format!(
            "{} is {}, not a status file: remove it and run again",
            file.display(),
            link_kind()
        )),
        Ok(meta) if meta.is_file() => owned_safely(&meta, &file.display().to_string(), FILE_ADVICE),
        _ => Ok(()),
    }
}

/// Windows: the folder's owner and DACL protection, read from Windows (`owner`).
#[cfg(windows)]
fn folder_owned_safely(folder: &Path, _: &Metadata) -> Result<(), String> {
    super::owner::check(folder)
}

#[cfg(not(windows))]
fn folder_owned_safely(folder: &Path, meta: &Metadata) -> Result<(), String> {
    owned_safely(
        meta,
        &format!("the folder {}", folder.display()),
        FOLDER_ADVICE,
    )
}

/// What to do about a folder another account controls (Windows: `owner` says).
#[cfg(not(windows))]
const FOLDER_ADVICE: &str = "give the folder to the collector's account and remove the \
    others' write access (chown, chmod go-w), or write elsewhere";
/// What to do about a status file another account controls.
const FILE_ADVICE: &str = "the collector did not leave it so: check what it is, remove it \
    and run again";

#[cfg(windows)]
fn is_link(meta: &Metadata) -> bool {
    use std::os::windows::fs::MetadataExt;
    /// `FILE_ATTRIBUTE_REPARSE_POINT`: symbolic links, junctions, mount points.
    const REPARSE_POINT: u32 = 0x400;
    meta.file_type().is_symlink() || meta.file_attributes() & REPARSE_POINT != 0
}

#[cfg(not(windows))]
fn is_link(meta: &Metadata) -> bool {
    meta.file_type().is_symlink()
}

fn link_kind() -> &'static str {
    if cfg!(windows) {
        "a reparse point (a junction or symbolic link)"
    } else {
        "a symbolic link"
    }
}

/// Unix: owned by the collector's account (or root) and writable by its owner alone.
#[cfg(unix)]
fn owned_safely(meta: &Metadata, what: &str, advice: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    if owner != me && owner != 0 {
        return Err(format!(
            "{what} belongs to another account (user id {owner}; the collector runs as user \
             id {me}), which could replace the status file: {advice}"
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "{what} may be written by accounts other than its owner (mode {mode:04o}), any of \
             which could replace the status file: {advice}"
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_safely(_: &Metadata, _: &str, _: &str) -> Result<(), String> {
    Ok(())
}

/// A fresh folder for one unit test, writable by its owner alone (whatever the umask),
/// as the collector wants its folder.
#[cfg(test)]
pub(super) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("csbackup-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod 755");
    }
    dir
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::path::PathBuf;

    fn folder(name: &str) -> PathBuf {
        scratch(&format!("folder-{name}"))
    }

    #[test]
    fn accepts_a_folder_of_its_own_and_a_missing_one() {
        let dir = folder("own");
        assert_eq!(check(&dir, &dir.join("pool01.json")), Ok(()));
        fs::write(dir.join("pool01.json"), "{}").unwrap();
        fs::set_permissions(dir.join("pool01.json"), fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(check(&dir, &dir.join("pool01.json")), Ok(()));
        let missing = dir.join("missing");
        assert_eq!(check(&missing, &missing.join("pool01.json")), Ok(()));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_linked_folder_and_a_linked_file() {
        let dir = folder("links");
        let real = dir.join("real");
        fs::create_dir(&real).unwrap();
        let link = dir.join("link");
        symlink(&real, &link).unwrap();
        let refused = check(&link, &link.join("pool01.json")).unwrap_err();
        assert!(refused.contains("is a symbolic link"), "{refused}");
        assert!(refused.contains(&link.display().to_string()), "{refused}");
        symlink(dir.join("elsewhere"), real.join("pool01.json")).unwrap();
        let refused = check(&real, &real.join("pool01.json")).unwrap_err();
        assert!(refused.contains("not a status file"), "{refused}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_what_others_may_write() {
        let dir = folder("modes");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let refused = check(&dir, &dir.join("pool01.json")).unwrap_err();
        assert!(refused.contains("mode 0777"), "{refused}");
        assert!(refused.contains("chmod go-w"), "{refused}");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("pool01.json");
        fs::write(&file, "{}").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        let refused = check(&dir, &file).unwrap_err();
        assert!(refused.contains("pool01.json may be written"), "{refused}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_what_another_account_owns() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: giving a file to another account takes root");
            return;
        }
        let nobody = Some(65534);
        let dir = folder("owners");
        let file = dir.join("pool01.json");
        fs::write(&file, "{}").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::chown(&file, nobody, None).unwrap();
        let refused = check(&dir, &file).unwrap_err();
        assert!(
            refused.contains("belongs to another account (user id 65534"),
            "{refused}"
        );
        fs::remove_file(&file).unwrap();
        std::os::unix::fs::chown(&dir, nobody, None).unwrap();
        let refused = check(&dir, &file).unwrap_err();
        assert!(refused.starts_with("the folder "), "{refused}");
        assert!(refused.contains("chown"), "{refused}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
