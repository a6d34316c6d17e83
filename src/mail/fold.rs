//! Text folded for keyword comparison: lower case, diacritics removed,
//! whitespace collapsed.
//!
//! Contract: `fold(a).contains(&fold(b))` is how the filter decides that a
//! keyword occurs in a text. Both sides go through the same function, so a
//! keyword typed with or without Polish letters (`plan zdjęć`, `plan zdjec`)
//! matches a text written either way, and a line break or `&nbsp;` between two
//! words of a keyword does not hide it.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower-cases, strips diacritics (ł → l too: it has no decomposition),
/// collapses every run of whitespace to one space and trims.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Start "in whitespace" so leading blanks are dropped.
    let mut in_space = true;
    for c in text.nfd() {
        if is_combining_mark(c) || is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
                in_space = true;
            }
            continue;
        }
        in_space = false;
        match c {
            // Letters with a stroke do not decompose under NFD.
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'ø' | 'Ø' => out.push('o'),
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ı' => out.push('i'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Characters that render as nothing and would split a word in two.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn polish_letters_fold_to_ascii() {
        assert_eq!(fold("Plan ZDJĘĆ, Łódź, żółw"), "plan zdjec, lodz, zolw");
    }

    #[test]
    fn whitespace_runs_become_one_space() {
        assert_eq!(fold("  call\u{a0}\r\n\t time  "), "call time");
    }

    #[test]
    fn keyword_without_diacritics_matches_text_with_them() {
        assert!(fold("Przesyłam PLAN  zdjęć na jutro").contains(&fold("plan zdjec")));
        assert!(fold("plan zdjec").contains(&fold("Plan zdjęć")));
    }

    #[test]
    fn soft_hyphen_does_not_split_a_word() {
        assert_eq!(fold("drab\u{ad}inka"), "drabinka");
    }
}
