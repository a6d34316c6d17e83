//! Just enough RFC 5322 to pick candidates from a header block, and the IMAP
//! syntax the `imap` crate leaves to its caller (UID sets, folder names).
//!
//! Contract: [`from_address`] returns the addr-spec of the first mailbox in
//! the outer `From:` field (never the display name), or `None`; it never
//! panics on any bytes. The full MIME reading happens later, in the pipeline.

use base64::Engine as _;

/// The address in the `From:` field of a header block.
pub(super) fn from_address(header: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(header);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // end of the header block
        }
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((name, rest)) = line.split_once(':') {
            if name.trim_end().eq_ignore_ascii_case("from") {
                value = Some(rest.trim().to_string());
            }
        }
    }
    first_mailbox(&value?)
}

/// The addr-spec of the first mailbox of an address list, with comments and
/// quoted display names taken out first (they may hold `<`, `@` or `,`).
fn first_mailbox(field: &str) -> Option<String> {
    let mut plain = String::with_capacity(field.len());
    let mut depth = 0u32;
    let mut quoted = false;
    let mut escaped = false;
    for c in field.chars() {
        if escaped {
            escaped = false;
            if quoted || depth > 0 {
                continue;
            }
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                if !quoted {
                    plain.push_str("\"\"");
                }
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if quoted || depth > 0 => {}
            _ => plain.push(c),
        }
    }
    // A group (`Team: a@b, c@d;`) lists its members after the colon.
    let mut rest = plain.as_str();
    if let Some((before, after)) = rest.split_once(':') {
        if !before.contains('<') {
            rest = after;
        }
    }
    let first = rest.split([',', ';']).find(|m| m.contains('@'))?;
    let addr = match first.rfind('<') {
        Some(open) => {
            let inside = &first[open + 1..];
            let inside = inside.split('>').next().unwrap_or(inside);
            // An obsolete source route: `<@relay:user@host>`.
            inside.rsplit(':').next().unwrap_or(inside)
        }
        None => first,
    };
    let addr = addr.trim().trim_matches(['<', '>']).trim();
    (addr.contains('@') && !addr.contains(char::is_whitespace)).then(|| addr.to_string())
}

/// `1:3,7,9:10` for any order of UIDs.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// A folder name as IMAP wants it on the wire: modified UTF-7 (RFC 3501
/// §5.1.3), so `Obsługa` works. The `imap` crate quotes it where it takes a
/// name; [`quoted`] is for the commands where it does not.
pub(super) fn folder_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(
            &base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(bytes)
                .replace('/', ","),
        );
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// An IMAP quoted string.
pub(super) fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(h: &str) -> Option<String> {
        from_address(h.as_bytes())
    }

    #[test]
    fn plain_and_named_addresses() {
        assert_eq!(
            from("From: a@b.pl\r\nTo: x@y\r\n\r\n").as_deref(),
            Some("a@b.pl")
        );
        assert_eq!(
            from("Subject: x\r\nFROM:  Ala Kot <ala@mp2film.pl>\r\n").as_deref(),
            Some("ala@mp2film.pl")
        );
        assert_eq!(
            from("From: =?UTF-8?Q?Pawe=C5=82?= <p@x.pl>\n").as_deref(),
            Some("p@x.pl")
        );
    }

    #[test]
    fn display_names_and_comments_do_not_fool_it() {
        assert_eq!(
            from("From: \"boss@mp2film.pl\" <intruder@evil.com>\r\n").as_deref(),
            Some("intruder@evil.com")
        );
        assert_eq!(
            from("From: \"Kowalski, Jan <j@k>\" <jan@x.pl>\r\n").as_deref(),
            Some("jan@x.pl")
        );
        assert_eq!(
            from("From: jan@x.pl (boss@mp2film.pl)\r\n").as_deref(),
            Some("jan@x.pl")
        );
        assert_eq!(
            from("From: \"a \\\" b\" <c@d.pl>\r\n").as_deref(),
            Some("c@d.pl")
        );
    }

    #[test]
    fn folded_groups_lists_and_routes() {
        assert_eq!(
            from("From: Jan\r\n <jan@x.pl>\r\n").as_deref(),
            Some("jan@x.pl")
        );
        assert_eq!(from("From: a@b.pl, c@d.pl\r\n").as_deref(), Some("a@b.pl"));
        assert_eq!(
            from("From: Team: a@b.pl, c@d.pl;\r\n").as_deref(),
            Some("a@b.pl")
        );
        assert_eq!(
            from("From: <@relay.pl:a@b.pl>\r\n").as_deref(),
            Some("a@b.pl")
        );
    }

    #[test]
    fn stops_at_the_body_and_survives_garbage() {
        assert_eq!(from("Subject: x\r\n\r\nFrom: a@b.pl\r\n"), None);
        assert_eq!(from("From: undisclosed\r\n"), None);
        assert_eq!(from("From:\r\n"), None);
        assert_eq!(from_address(&[0xff, 0xfe, b'\n', b':', b'(', b'"']), None);
        assert_eq!(from("From: \"unterminated <a@b.pl>\r\n"), None);
        assert_eq!(
            from("From: ((nested) a@b) x@y.pl\r\n").as_deref(),
            Some("x@y.pl")
        );
    }

    #[test]
    fn folder_names_are_modified_utf7() {
        assert_eq!(folder_name("INBOX"), "INBOX");
        assert_eq!(folder_name("Obsługa/Plany"), "Obs&AUI-uga/Plany");
        assert_eq!(folder_name("A&B"), "A&-B");
        assert_eq!(folder_name("日本語"), "&ZeVnLIqe-");
        assert_eq!(quoted("a\"b\\"), "\"a\\\"b\\\\\"");
    }

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 7, 8]), "1:3,5,7:9");
        assert_eq!(uid_set(&[4]), "4");
        assert_eq!(uid_set(&[]), "");
        assert_eq!(
            uid_set(&[u32::MAX, u32::MAX - 1]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }
}
