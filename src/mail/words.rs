//! RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?iso-8859-2?Q?…?=`) and raw
//! header parameters, for the places `mail-parser` decodes too eagerly.
//!
//! Contract: [`decode`] joins the bytes of adjacent encoded words in one
//! charset before decoding them, so a letter split between two words (as
//! Outlook and Gmail split `ę` at a 75-column fold) comes out whole; the
//! whitespace between encoded words is dropped, other text is kept; a
//! malformed word stays as written. [`raw_param`] reads one parameter of a
//! raw `Content-Type`/`Content-Disposition` value without decoding it.

use super::transfer;

/// Longest encoded word read (RFC 2047 says 75; some clients write longer).
const MAX_WORD: usize = 1024;

/// Decodes the encoded words in an (unfolded) header value.
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Bytes of consecutive encoded words in `charset`, not yet decoded.
    let mut pending: Vec<u8> = Vec::new();
    let mut charset = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("=?") {
        let Some((cs, bytes, used)) = word(&rest[start..]) else {
            // Not a word: keep the "=?" as text and go on after it.
            flush(&mut out, &mut pending, &charset);
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        };
        let gap = &rest[..start];
        let adjacent = !pending.is_empty() && gap.chars().all(char::is_whitespace);
        if !(adjacent && cs.eq_ignore_ascii_case(&charset)) {
            flush(&mut out, &mut pending, &charset);
            if !adjacent {
                out.push_str(gap);
            }
            charset = cs;
        }
        pending.extend(bytes);
        rest = &rest[start + used..];
    }
    flush(&mut out, &mut pending, &charset);
    out.push_str(rest);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u8>, charset: &str) {
    if !pending.is_empty() {
        out.push_str(&transfer::decode_text(pending, Some(charset)));
        pending.clear();
    }
}

/// Reads `=?charset?enc?payload?=` at the start of `s`: the charset (any
/// RFC 2231 language suffix dropped), the payload's bytes, the length used.
fn word(s: &str) -> Option<(String, Vec<u8>, usize)> {
    // Real words are under 100 bytes; looking no further keeps a hostile
    // field full of "=?" linear.
    let mut cut = s.len().min(MAX_WORD);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let inner = s[..cut].strip_prefix("=?")?;
    let (charset, after) = inner.split_once('?')?;
    let (enc, after) = after.split_once('?')?;
    let end = after.find("?=")?;
    let payload = &after[..end];
    if charset.is_empty()
        || charset.contains(char::is_whitespace)
        || payload.contains(char::is_whitespace)
    {
        return None;
    }
    let bytes = match enc {
        "B" | "b" => transfer::base64_lenient(payload.as_bytes()),
        "Q" | "q" => transfer::quoted_printable(payload.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let used = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
    let charset = charset.split('*').next().unwrap_or(charset).to_string();
    Some((charset, bytes, used))
}

/// The raw value of parameter `key` (case-insensitive) in a raw header
/// value like `attachment; filename="a b.pdf"; size=12`: quotes and
/// backslash escapes removed, nothing decoded. Only the plain parameter, not
/// RFC 2231 `key*` forms (which `mail-parser` reads correctly).
pub fn raw_param(value: &[u8], key: &str) -> Option<Vec<u8>> {
    let mut i = 0;
    while i < value.len() {
        // Parameters start after ';' (the first after the type token).
        let semi = value[i..].iter().position(|&b| b == b';')? + i;
        let mut j = semi + 1;
        while value.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        let name_end = j + value[j..]
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(value.len() - j);
        let name = value[j..name_end].trim_ascii();
        if value.get(name_end) == Some(&b'=') && name.eq_ignore_ascii_case(key.as_bytes()) {
            return Some(param_value(&value[name_end + 1..]));
        }
        i = semi + 1;
        // Skip a quoted value so a ';' inside it does not start a parameter.
        if value.get(name_end) == Some(&b'=') {
            let v = &value[name_end + 1..];
            let lead = v.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if v.get(lead) == Some(&b'"') {
                i = name_end + 1 + lead + 1 + quoted_len(&v[lead + 1..]);
            }
        }
    }
    None
}

fn param_value(v: &[u8]) -> Vec<u8> {
    let v = v.trim_ascii_start();
    if let Some(q) = v.strip_prefix(b"\"") {
        let mut out = Vec::new();
        let mut k = 0;
        while k < q.len() && q[k] != b'"' {
            if q[k] == b'\\' && k + 1 < q.len() {
                k += 1;
            }
            out.push(q[k]);
            k += 1;
        }
        out
    } else {
        v.iter()
            .take_while(|&&b| b != b';')
            .copied()
            .collect::<Vec<_>>()
            .trim_ascii()
            .to_vec()
    }
}

/// Length of a quoted string's body up to and including its closing quote.
fn quoted_len(q: &[u8]) -> usize {
    let mut k = 0;
    while k < q.len() {
        match q[k] {
            b'\\' => k += 2,
            b'"' => return k + 1,
            _ => k += 1,
        }
    }
    q.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_letter_across_words_is_joined() {
        assert_eq!(
            decode("=?UTF-8?B?cGxhbl96ZGrE?= =?UTF-8?B?mWNpb3d5LnBkZg==?="),
            "plan_zdjęciowy.pdf"
        );
    }

    #[test]
    fn q_words_charsets_and_plain_text() {
        assert_eq!(
            decode("Re: =?iso-8859-2?Q?Zdj=EAcia_w_czwartek?= (v2)"),
            "Re: Zdjęcia w czwartek (v2)"
        );
        assert_eq!(decode("=?UTF-8*pl?Q?=C5=81=C3=B3d=C5=BA?="), "Łódź");
        assert_eq!(decode("a =?x?"), "a =?x?");
        assert_eq!(decode("=?utf-8?Q?a?= b =?utf-8?Q?c?="), "a b c");
    }

    #[test]
    fn raw_params() {
        let v = b"attachment; note=\"a;filename=x\"; FileName=\"plan \\\"1\\\".pdf\"; size=3";
        assert_eq!(
            raw_param(v, "filename").as_deref(),
            Some(&b"plan \"1\".pdf"[..])
        );
        assert_eq!(
            raw_param(b"application/pdf; name=plan.pdf", "name").as_deref(),
            Some(&b"plan.pdf"[..])
        );
        assert_eq!(raw_param(b"application/pdf", "name"), None);
        assert_eq!(raw_param(b"x; name", "name"), None);
    }
}
