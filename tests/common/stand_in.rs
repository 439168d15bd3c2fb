//! The stand-in for `powershell.exe` (tests/stand_in/powershell.rs), built with rustc
//! once per test binary, and the collector script it checks it is sent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
