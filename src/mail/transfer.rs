//! Content-Transfer-Encoding and charset repair for parts a mail client
//! labelled wrongly.
//!
//! Contract: every function here takes arbitrary bytes and never fails; when
//! the bytes are not what their label says, the caller gets the best reading
//! (a PDF sent as base64 under a `7bit` label still comes out as `%PDF…`).

/// Decodes base64, skipping line breaks and any character outside the
/// alphabet, stopping at the first `=` pad (what mail clients produce, and
/// what a lenient reader must accept).
pub fn base64_lenient(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in text {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Whether a body is base64 text: only the alphabet, pads and whitespace,
/// and enough of it to hold a `%PDF` header.
pub fn looks_like_base64(text: &[u8]) -> bool {
    let mut significant = 0usize;
    for &b in text {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => significant += 1,
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return false,
        }
    }
    significant >= 8
}

/// Decodes quoted-printable; a malformed escape is kept as it stands.
pub fn quoted_printable(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (text.get(i + 1), text.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                out.push((hex_value(h) << 4) | hex_value(l));
                i += 3;
            }
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Decodes a raw part body per its `Content-Transfer-Encoding` label.
pub fn decode(raw: &[u8], encoding: Option<&str>) -> Vec<u8> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("base64") => base64_lenient(raw),
        Some("quoted-printable") => quoted_printable(raw),
        _ => raw.to_vec(),
    }
}

const PDF_MAGIC: &[u8] = b"%PDF";

/// The bytes of a part typed as a PDF, whatever its transfer-encoding label
/// claims: the parser's decoding when it yields `%PDF`, else the raw body
/// when it already is a PDF (binary sent unlabelled), else the raw body read
/// as base64 or quoted-printable when that yields `%PDF`. When nothing
/// yields a PDF header the parser's decoding is returned as it is: a
/// truncated or damaged PDF is the PDF reader's to report.
pub fn recover_pdf(decoded: &[u8], raw: &[u8]) -> Vec<u8> {
    if decoded.starts_with(PDF_MAGIC) {
        return decoded.to_vec();
    }
    let trimmed = trim_start(raw);
    if trimmed.starts_with(PDF_MAGIC) {
        return trimmed.to_vec();
    }
    if looks_like_base64(trimmed) {
        let b = base64_lenient(trimmed);
        if b.starts_with(PDF_MAGIC) {
            return b;
        }
    }
    if trimmed.starts_with(b"=25PDF") {
        return quoted_printable(trimmed);
    }
    decoded.to_vec()
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Decodes text bytes: with the declared charset when `encoding_rs` knows it
/// and the bytes fit it; else UTF-8 when they are valid UTF-8; else the
/// Central European single-byte code page they most likely are (Windows-1250
/// when they use its 0x80–0x9F letters, else ISO-8859-2), because that is
/// what an unlabelled Polish message from an old client is.
pub fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    if let Some(enc) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes())) {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if !had_errors {
            return text.into_owned();
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let enc = if bytes.iter().any(|b| (0x80..0xA0).contains(b)) {
        encoding_rs::WINDOWS_1250
    } else {
        encoding_rs::ISO_8859_2
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_skips_line_breaks_and_junk() {
        assert_eq!(base64_lenient(b"JVBE\r\nRi0x\n LjQ=\n"), b"%PDF-1.4");
    }

    #[test]
    fn quoted_printable_soft_breaks_and_escapes() {
        assert_eq!(
            quoted_printable(b"zdj=C4=99=\r\ncia =ZZ"),
            "zdjęcia =ZZ".as_bytes()
        );
    }

    #[test]
    fn pdf_sent_as_base64_under_7bit_label() {
        let raw = b"JVBERi0xLjQKJcfs\r\nj6IKMSAwIG9iago=\r\n";
        assert!(recover_pdf(raw, raw).starts_with(b"%PDF-1.4"));
    }

    #[test]
    fn raw_pdf_under_base64_label() {
        let raw = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj";
        let wrongly_decoded = base64_lenient(raw);
        assert_eq!(recover_pdf(&wrongly_decoded, raw), raw.to_vec());
    }

    #[test]
    fn damaged_pdf_is_returned_as_decoded() {
        assert_eq!(recover_pdf(b"garbage", b"Z2FyYmFnZQ=="), b"garbage");
    }

    #[test]
    fn unlabelled_polish_text() {
        // "zdjęć" in ISO-8859-2 (ę = 0xEA, ć = 0xE6) and in Windows-1250 with ś (0x9C).
        assert_eq!(decode_text(b"zdj\xea\xe6", None), "zdjęć");
        assert_eq!(decode_text(b"\x9croda", None), "środa");
        assert_eq!(decode_text(b"zdj\xea\xe6", Some("iso-8859-2")), "zdjęć");
        assert_eq!(decode_text("zdjęć".as_bytes(), Some("bogus")), "zdjęć");
    }
}
