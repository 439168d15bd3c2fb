//! Acquisition: a path (or standard input) → bytes → text → [`Document`].
//!
//! Each stage refuses bad input with a message that names the source and says what to
//! do; nothing is read whole before its size is known to be below `--max-input`.

pub mod answer;
mod clixml;
mod encoding;
mod json;
mod scalar;
mod text;

use std::fmt;
use std::io::Read;

use crate::model::{Document, Format, Pool};

pub use scalar::parse_timestamp;

/// Where a document comes from and how it may be read.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// A path, or `-` for standard input.
    pub path: &'a str,
    /// The format to read, or `None` to detect it.
    pub format: Option<Format>,
    /// Larger documents are refused before they are read whole.
    pub max_input: u64,
}

/// Why a document could not be read: the source and the reason, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub source: String,
    pub reason: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status document {}: {}", self.source, self.reason)
    }
}

/// The raw bytes of a document, and the file's modification time when it has one.
pub struct Bytes {
    pub source: String,
    pub bytes: Vec<u8>,
    pub modified: Option<jiff::Timestamp>,
}

/// Reads the bytes a request names, refusing anything over `max_input`.
pub fn acquire(request: &Request) -> Result<Bytes, Error> {
    let stdin = request.path == "-";
    let source = if stdin {
        "standard input".to_owned()
    } else {
        request.path.to_owned()
    };
    let fail = |reason: String| Error {
        source: source.clone(),
        reason,
    };
    let too_large = |what: String| {
        fail(format!(
            "{what}, more than --max-input {} bytes allows, raise --max-input if the document is genuine",
            request.max_input
        ))
    };
    let mut modified = None;
    // A file's size, when it has one: the text is read in one go instead of growing
    // from 32 bytes (six reads and five reallocations for a kilobyte).
    let mut size = 0;
    let reader: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin())
    } else {
        let meta = std::fs::metadata(request.path).map_err(|e| fail(open_error(&e)))?;
        if meta.is_dir() {
            return Err(fail(
                "is a folder, not a file: give the path of the status file".into(),
            ));
        }
        if meta.is_file() {
            if meta.len() > request.max_input {
                return Err(too_large(format!("{} bytes", meta.len())));
            }
            modified = meta
                .modified()
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok());
            size = usize::try_from(meta.len()).unwrap_or(0);
        }
        Box::new(std::fs::File::open(request.path).map_err(|e| fail(open_error(&e)))?)
    };
    let mut bytes = Vec::with_capacity(size);
    reader
        .take(request.max_input.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > request.max_input {
        return Err(too_large("larger".into()));
    }
    Ok(Bytes {
        source,
        bytes,
        modified,
    })
}

fn open_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "no such file: check the path, and that the collector's scheduled task has run".into()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: let the monitoring user read the file".into()
        }
        _ => format!("cannot be opened: {e}"),
    }
}

/// Turns a document's bytes into a [`Document`].
pub fn parse(bytes: Bytes, format: Option<Format>) -> Result<Document, Error> {
    let Bytes {
        source,
        bytes,
        modified,
    } = bytes;
    let fail = |reason: String| Error {
        source: source.clone(),
        reason,
    };
    let size = bytes.len();
    // `decode` takes the bytes: UTF-8 becomes the text without a copy, UTF-16 frees them.
    let decoded = encoding::decode(bytes).map_err(fail)?;
    let format = format.unwrap_or_else(|| detect(&decoded.text));
    let pools = read_pools(&decoded.text, format).map_err(|reason| {
        fail(format!(
            "{reason} (read as {}, {}, {size} bytes starting '{}')",
            format.as_str(),
            decoded.encoding,
            opening(&decoded.text)
        ))
    })?;
    Ok(Document {
        pools,
        format,
        encoding: decoded.encoding.to_owned(),
        source,
        modified,
    })
}

/// Reads a document's text with the reader for `format`: one reader per format.
pub fn read_pools(text: &str, format: Format) -> Result<Vec<Pool>, String> {
    match format {
        Format::Json => json::read(text),
        Format::Clixml => clixml::read(text),
        Format::Text => text::read(text),
    }
}

/// The first characters of a refused document, enough to tell HTML from a PowerShell
/// error or a key file from JSON, and too few to reveal what a file that is no status
/// document holds: a refusal describes, it does not quote.
fn opening(text: &str) -> String {
    const SHOWN: usize = 10;
    let text = text.trim_start();
    let mut shown: String = text
        .chars()
        .take(SHOWN)
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    if text.chars().nth(SHOWN).is_some() {
        shown.push_str("...");
    }
    shown
}

/// The format of a document, from its first characters.
fn detect(text: &str) -> Format {
    match text.trim_start().chars().next() {
        Some('{' | '[' | '"' | '-' | '0'..='9') => Format::Json,
        Some('<') => Format::Clixml,
        _ => Format::Text,
    }
}

/// Reads the document a request names.
pub fn read(request: &Request) -> Result<Document, Error> {
    parse(acquire(request)?, request.format)
}
