//! An HTML body → the text a reader sees, for keyword search.
//!
//! Contract: tags, comments, `<script>`/`<style>`/`<title>` contents are
//! dropped, character references (named, decimal, hex) are decoded, block tags
//! become a space while inline ones (`<b>`, `<span>` …) vanish so that
//! `zdj<b>ęć</b>` stays one word. Malformed markup never fails: whatever cannot
//! be read as a tag is kept as text.

/// Inline elements: removing them must not split the surrounding word.
const INLINE: [&str; 14] = [
    "a", "abbr", "b", "bdi", "code", "em", "font", "i", "s", "small", "span", "strong", "sub", "u",
];

/// Elements whose contents are not shown to the reader.
const HIDDEN: [&str; 3] = ["script", "style", "title"];

pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_decoded(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            out.push(' ');
            continue;
        }
        let Some(gt) = rest.find('>') else {
            // An unclosed '<' is text, not a tag.
            push_decoded(&mut out, rest);
            rest = "";
            break;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let name = tag_name(tag);
        if tag.starts_with('/') || tag.ends_with('/') {
            if !INLINE.contains(&name.as_str()) {
                out.push(' ');
            }
            continue;
        }
        if HIDDEN.contains(&name.as_str()) {
            rest = skip_to_close(rest, &name);
            out.push(' ');
        } else if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    push_decoded(&mut out, rest);
    out
}

/// The lower-cased element name of a tag body (`/td`, `br/`, `p class=x`).
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches(['/', '!', '?'])
        .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The text after `</name>` (case-insensitive), or nothing when it never
/// closes (a `<style>` left open hides the rest, as in a browser).
fn skip_to_close<'a>(rest: &'a str, name: &str) -> &'a str {
    let mut from = 0;
    while let Some(at) = rest[from..].find("</").map(|i| from + i) {
        let candidate = rest.as_bytes().get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return rest[at..].find('>').map_or("", |gt| &rest[at + gt + 1..]);
        }
        from = at + 2;
    }
    ""
}

fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_reference(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Decodes the character reference at the start of `s` (which starts with
/// `&`): the character and how many bytes it took.
fn decode_reference(s: &str) -> Option<(char, usize)> {
    let window = s.as_bytes().get(1..s.len().min(12))?;
    let semi = window.iter().position(|&b| b == b';')? + 1;
    let body = &s[1..semi];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code).unwrap_or('\u{FFFD}')
    } else {
        named(body)?
    };
    Some((c, semi + 1))
}

/// The named references a mail body is likely to carry, Polish letters
/// included (HTML5 names them; editors do use them).
fn named(name: &str) -> Option<char> {
    Some(match name {
        "nbsp" => '\u{a0}',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "bdquo" => '„',
        "rdquo" => '”',
        "ldquo" => '“',
        "rsquo" => '’',
        "lsquo" => '‘',
        "laquo" => '«',
        "raquo" => '»',
        "shy" => '\u{ad}',
        "zwnj" => '\u{200c}',
        "copy" => '©',
        "euro" => '€',
        "middot" => '·',
        "oacute" => 'ó',
        "Oacute" => 'Ó',
        "eacute" => 'é',
        "Eacute" => 'É',
        "aacute" => 'á',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "aogon" => 'ą',
        "Aogon" => 'Ą',
        "eogon" => 'ę',
        "Eogon" => 'Ę',
        "cacute" => 'ć',
        "Cacute" => 'Ć',
        "lstrok" => 'ł',
        "Lstrok" => 'Ł',
        "nacute" => 'ń',
        "Nacute" => 'Ń',
        "sacute" => 'ś',
        "Sacute" => 'Ś',
        "zacute" => 'ź',
        "Zacute" => 'Ź',
        "zdot" => 'ż',
        "Zdot" => 'Ż',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn tags_and_entities() {
        let t = to_text("<p>Call&nbsp;time: <b>07:00</b></p><p>Plan zdj&#281;&#x107;</p>");
        assert!(t.contains("Call\u{a0}time: 07:00"), "{t:?}");
        assert!(t.contains("Plan zdjęć"), "{t:?}");
    }

    #[test]
    fn inline_tags_do_not_split_words() {
        assert!(to_text("zdj<span style='x'>ęć</span>").contains("zdjęć"));
    }

    #[test]
    fn hidden_content_is_dropped() {
        let t =
            to_text("<html><head><style>p{drabinka:1}</style></head><body><!-- MP2 -->x</body>");
        assert!(!t.contains("drabinka") && !t.contains("MP2"), "{t:?}");
        assert!(t.contains('x'));
    }

    #[test]
    fn malformed_markup_is_text() {
        assert_eq!(
            to_text("a < b &unknown; &amp").trim(),
            "a < b &unknown; &amp"
        );
        assert_eq!(to_text("<style>never closed"), " ");
    }
}
