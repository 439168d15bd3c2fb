//! The collector script as it travels to PowerShell.
//!
//! `-EncodedCommand` carries base64 of the script's UTF-16LE text, 2.7 characters of
//! command line per character of script, and Windows cuts a command line at 32,767
//! characters. So the script travels without what PowerShell ignores anyway: its
//! comment-based help, comment lines, blank lines and indentation. That is safe for a
//! script without here-strings, block comments after the help, or lines continued with
//! a backtick, which the collector's tests make sure of. It also travels without its
//! stand-alone part (`-OutDirectory`, for servers where the binary does not run), which
//! the binary never asks for: the lines from `#region Stand-alone` to `#endregion`,
//! whole top-level statements, as the collector's tests make sure too.
//!
//! Plain `std`, no crate: the PowerShell stand-in of the tests includes this file to know
//! what it must be sent.

/// `script` without its help block, its stand-alone region, comment lines, blank lines
/// and indentation.
pub fn compact(script: &str) -> String {
    let mut lines = Vec::new();
    let mut in_help = false;
    let mut in_stand_alone = false;
    for line in script.lines().map(str::trim) {
        if in_help {
            in_help = line != "#>";
        } else if in_stand_alone {
            in_stand_alone = line != "#endregion";
        } else if line == "<#" {
            in_help = true;
        } else if line.starts_with(STAND_ALONE) {
            in_stand_alone = true;
        } else if !line.is_empty() && !line.starts_with('#') {
            lines.push(line);
        }
    }
    let mut compact = lines.join("\n");
    compact.push('\n');
    compact
}

/// The line that opens the region the script needs only when run on its own.
pub const STAND_ALONE: &str = "#region Stand-alone";
