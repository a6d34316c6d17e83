//! Text from mail made safe to print on a person's terminal.
//!
//! Subjects, sender names, attention reasons and schedule fields come from
//! whoever sent a mail. Printed raw, an escape sequence in an encoded-word
//! subject can clear the screen or rewrite earlier lines, a CR or LF can
//! forge a history line, and a bidi override can make a name read
//! backwards. Every human output of `mp2ctl` passes each value through
//! [`printable`]; `--json` output is escaped by JSON itself.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1 — so ESC, CR and LF too)
/// and every bidi control written as a visible escape (`\x1b`, `\n`,
/// `\u{202e}`), so one value stays on one line and cannot steer the terminal.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && needs_escape(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // LRM, RLM, ALM; embeddings and overrides; isolates.
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators end a line on some terminals.
            | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_become_visible_escapes() {
        assert_eq!(printable("Plan zdjęć 23"), "Plan zdjęć 23");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(printable("a\r\nb\t"), "a\\r\\nb\\t");
        assert_eq!(printable("x\u{9b}y\u{7f}"), "x\\x9by\\x7f");
        assert_eq!(printable("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
    }
}
