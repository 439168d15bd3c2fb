//! The stand-in for `powershell.exe` (tests/stand_in/powershell.rs), built with rustc
//! once per test binary, the collector script it checks it is sent, and a folder the
//! collector accepts for its files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The pools the collector tests collect.
pub const POOL1: &str = "pool01.contoso.com";
pub const POOL2: &str = "pool02.contoso.com";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The collector script, as shipped.
pub fn script_file() -> PathBuf {
    root().join("packaging/windows/Collect-CsBackupStatus.ps1")
}

/// The stand-in PowerShell, compiled once per test binary (each under a name of its
/// own, so two test binaries never write the same file).
pub fn stand_in() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("powershell-stand-in-{}", env!("CARGO_CRATE_NAME")));
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let status = Command::new(rustc)
            .args(["--edition", "2021", "-o"])
            .arg(&out)
            .arg(root().join("tests/stand_in/powershell.rs"))
            .status()
            .expect("rustc runs");
        assert!(status.success(), "the stand-in PowerShell builds");
        out
    })
}

/// `check_csbackup collect` for `pools`, run with the stand-in as PowerShell; how it
/// answers (`CSBACKUP_STAND_IN`, `CSBACKUP_STAND_IN_SEQUENCE`) and where to write are
/// the caller's to add.
pub fn collect_command(pools: &[&str]) -> Command {
    let mut command = Command::new(super::BIN);
    command.arg("collect");
    for pool in pools {
        command.args(["--pool", pool]);
    }
    command
        .arg("--powershell")
        .arg(stand_in())
        .env("CSBACKUP_STAND_IN_SCRIPT", script_file());
    command
}

/// A status file the collector wrote, as JSON.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("a status file")).expect("JSON")
}

/// A fresh folder for one test, writable by its owner alone whatever the umask: the
/// collector refuses a folder others may write.
#[cfg(unix)]
pub fn scratch(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}
