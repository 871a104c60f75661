//! Text decoding: takes an input's bytes as read; gives UTF-8 text without
//! a byte-order mark and with every line break an LF or CRLF, or why the
//! bytes are not text eksguard reads. Everything after this step, positions
//! included, works on the decoded text: lines and columns count characters
//! of what the file says, whatever its encoding or line breaks.
//!
//! Read: UTF-8 with or without a BOM, UTF-16LE and UTF-16BE with a BOM
//! (what Windows PowerShell 5.1's `>` and `Out-File` write). A lone CR (old
//! Mac line breaks) becomes an LF: JSON and YAML both take CR, LF and CRLF
//! as one line break, and neither lets a raw CR mean anything else (JSON
//! strings cannot hold one; YAML folds it like any line break), so this
//! changes no value and keeps every column. Anything else that is not
//! UTF-8 stays the caller's to reject.

use std::borrow::Cow;

/// What decoding made of the bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decoded {
    /// UTF-8 bytes (not yet validated when no decoding was needed), BOM
    /// removed and lone CRs made LFs.
    Text(Vec<u8>),
    /// UTF-16 that does not decode: the reason.
    Invalid(String),
}

/// Decodes `bytes` (see the module documentation). Bytes that need nothing
/// done are handed back as they are, without a copy.
pub(super) fn decode(bytes: Vec<u8>) -> Decoded {
    let utf16 = if bytes.starts_with(b"\xFF\xFE") {
        Some(true)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(false)
    } else {
        None
    };
    let text = match utf16 {
        Some(little) => match decode_utf16(&bytes[2..], little) {
            Ok(text) => text.into_bytes(),
            Err(reason) => return Decoded::Invalid(reason),
        },
        None if bytes.starts_with(b"\xEF\xBB\xBF") => {
            let mut bytes = bytes;
            bytes.drain(..3);
            bytes
        }
        None => bytes,
    };
    Decoded::Text(match lone_crs_to_lf(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(fixed) => fixed,
    })
}

fn decode_utf16(body: &[u8], little: bool) -> Result<String, String> {
    let name = if little { "UTF-16LE" } else { "UTF-16BE" };
    if body.len() % 2 != 0 {
        return Err(format!("not valid {name} text (an odd number of bytes after the byte-order mark)"));
    }
    let units = body
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(format!("not valid {name} text (an unpaired surrogate at byte {})", 2 + 2 * i));
            }
        }
    }
    Ok(text)
}

/// `text` with every CR that is not followed by an LF replaced by an LF.
pub(super) fn lone_crs_to_lf(text: &[u8]) -> Cow<'_, [u8]> {
    let lone = memchr::memchr_iter(b'\r', text).any(|i| text.get(i + 1) != Some(&b'\n'));
    if !lone {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_vec();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Vec<u8> {
        match decode(bytes.to_vec()) {
            Decoded::Text(t) => t,
            Decoded::Invalid(r) => panic!("{r}"),
        }
    }

    fn utf16(s: &str, little: bool) -> Vec<u8> {
        let mut out = if little { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for u in s.encode_utf16() {
            out.extend(if little { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn boms_and_utf16_decode() {
        assert_eq!(text(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(
            text(&utf16("{\"a\": \"\u{e9}\u{1F600}\"}\r\n", true)),
            "{\"a\": \"\u{e9}\u{1F600}\"}\r\n".as_bytes()
        );
        assert_eq!(text(&utf16("a: b\n", false)), b"a: b\n");
        assert_eq!(text(b"plain"), b"plain");
    }

    #[test]
    fn lone_crs_become_lfs_and_crlf_stays() {
        assert_eq!(text(b"a\rb\r\nc\r\r\nd\r"), b"a\nb\r\nc\n\r\nd\n");
        assert_eq!(text(&utf16("a\rb", true)), b"a\nb");
    }

    #[test]
    fn broken_utf16_is_a_reason() {
        let mut odd = utf16("ab", true);
        odd.push(0);
        assert!(matches!(decode(odd), Decoded::Invalid(r) if r.contains("odd number")));
        let lone = vec![0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00];
        assert!(matches!(decode(lone), Decoded::Invalid(r) if r.contains("unpaired surrogate at byte 2")));
    }
}
