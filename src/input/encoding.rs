//! Bytes → text. Windows PowerShell writes UTF-16LE with a BOM (`Out-File`, `>`),
//! PowerShell 7 and the collector write UTF-8; a few tools write UTF-16 without a BOM.
//! The encoding found is named in every message, so an operator knows what was tried.

/// The text of a document and the encoding it was read in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Decodes a status document's bytes, or says why they are not text. Takes the bytes so
/// that UTF-8 becomes the text in place and nothing keeps a second copy alive.
pub fn decode(mut bytes: Vec<u8>) -> Result<Decoded, String> {
    if bytes.is_empty() {
        return Err(
            "the file is empty (was it written while being read? the collector writes atomically)"
                .into(),
        );
    }
    let mut decoded = match bytes.as_slice() {
        [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => {
            return Err(
                "UTF-32 text is not supported: write UTF-8 or UTF-16 (Out-File -Encoding utf8)"
                    .into(),
            )
        }
        [0xEF, 0xBB, 0xBF, ..] => {
            bytes.drain(..3);
            utf8(bytes, "UTF-8 with BOM")?
        }
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16LE with BOM")?,
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16BE with BOM")?,
        // Without a BOM, UTF-16 shows as ASCII with every other byte zero; a text view
        // opens with a line break, so white space counts as ASCII here too.
        [a, 0, b, 0, ..] if ascii_text(*a) && ascii_text(*b) => {
            utf16(&bytes, u16::from_le_bytes, "UTF-16LE without BOM")?
        }
        [0, a, 0, b, ..] if ascii_text(*a) && ascii_text(*b) => {
            utf16(&bytes, u16::from_be_bytes, "UTF-16BE without BOM")?
        }
        _ => utf8(bytes, "UTF-8")?,
    };
    // A second BOM (text appended to a file that had one) is not part of the document.
    if decoded.text.starts_with('\u{FEFF}') {
        let start = decoded.text.len() - decoded.text.trim_start_matches('\u{FEFF}').len();
        decoded.text.drain(..start);
    }
    if let Some(at) = decoded.text.find('\0') {
        return Err(format!(
            "binary data, not a status document (a NUL character at character {at}, read as {})",
            decoded.encoding
        ));
    }
    if decoded.text.trim().is_empty() {
        return Err(format!(
            "the file holds only white space (read as {})",
            decoded.encoding
        ));
    }
    Ok(decoded)
}

/// A byte a text document starts with: printable ASCII or white space, never NUL.
fn ascii_text(byte: u8) -> bool {
    byte.is_ascii_graphic() || byte.is_ascii_whitespace()
}

fn utf8(bytes: Vec<u8>, encoding: &'static str) -> Result<Decoded, String> {
    // `contains` on bytes is a word-at-a-time search, `position` a byte-by-byte loop:
    // the common case, no NUL at all, is found out fast.
    if bytes.contains(&0) {
        let at = bytes.iter().position(|b| *b == 0).unwrap_or_default();
        return Err(format!(
            "binary data, not a status document (a NUL byte at offset {at})"
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Decoded { text, encoding }),
        Err(e) => Err(format!(
            "not valid {encoding} text (invalid byte at offset {}): write the file as UTF-8 or as UTF-16 with a BOM",
            e.utf8_error().valid_up_to()
        )),
    }
}

fn utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
    encoding: &'static str,
) -> Result<Decoded, String> {
    if bytes.len() % 2 != 0 {
        return Err(format!(
            "{encoding} text with an odd byte count ({} bytes): the file is truncated",
            bytes.len()
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(format!(
                    "not valid {encoding} text (an unpaired surrogate at character {index}): the file is damaged"
                ))
            }
        }
    }
    Ok(Decoded { text, encoding })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    #[test]
    fn reads_each_encoding() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"{}".to_vec(), "UTF-8"),
            (b"\xEF\xBB\xBF\xEF\xBB\xBF{}".to_vec(), "UTF-8 with BOM"),
            ([&[0xEF, 0xBB, 0xBF][..], b"{}"].concat(), "UTF-8 with BOM"),
            (utf16le("{}", true), "UTF-16LE with BOM"),
            (utf16le("{}", false), "UTF-16LE without BOM"),
            (utf16le("\r\n{}", false), "UTF-16LE without BOM"),
            (
                [
                    &[0xFE, 0xFF][..],
                    &"{}"
                        .encode_utf16()
                        .flat_map(|u| u.to_be_bytes())
                        .collect::<Vec<_>>(),
                ]
                .concat(),
                "UTF-16BE with BOM",
            ),
        ];
        for (bytes, encoding) in cases {
            let d = decode(bytes).unwrap();
            assert_eq!(d.text.trim_start(), "{}");
            assert_eq!(d.encoding, encoding);
        }
    }

    #[test]
    fn refuses_broken_text() {
        assert!(decode(b"".to_vec()).unwrap_err().contains("empty"));
        assert!(decode(b" \r\n ".to_vec())
            .unwrap_err()
            .contains("white space"));
        let mut odd = utf16le("{}", true);
        odd.push(b'x');
        assert!(decode(odd).unwrap_err().contains("odd byte count"));
        assert!(decode(b"{\xC3(}".to_vec())
            .unwrap_err()
            .contains("not valid UTF-8"));
        assert!(decode(b"{\"a\":\x00}".to_vec())
            .unwrap_err()
            .contains("binary"));
        let lone = [0xFF, 0xFE, 0x00, 0xD8, b'{', 0];
        assert!(decode(lone.to_vec()).unwrap_err().contains("surrogate"));
    }
}
