//! The version number a sheet states: `ZMIANA nr 2`, `ZMIANA — wersja 4`,
//! `wersja 2`, `2. wersja`, `v3`, `REVISED v3`, `Revision 2`, `Rev. 2`.
//! Mentions of a *previous* version (`Wersja 3 jest nieaktualna`,
//! `replaces v2`) are not the sheet's own number; of the rest the highest wins.

use super::text::Gated;
use super::vocab::{REVISION_VOID_AFTER, REVISION_VOID_BEFORE};

/// The forms, in order of precedence, each with the words it cannot match
/// without: a pattern is compiled only for a line that holds one.
static PATTERNS: [Gated; 8] = [
    Gated::new(
        r"\b(?:zmiana|poprawka|aktualizacja|korekta)\s*(?:nr\.?|numer|no\.?|#)\s*(\d{1,2})\b",
        &["zmiana", "poprawka", "aktualizacja", "korekta"],
    ),
    Gated::new(
        r"\b(?:zmiana|poprawka|aktualizacja|korekta)\s+(\d{1,2})\b",
        &["zmiana", "poprawka", "aktualizacja", "korekta"],
    ),
    Gated::new(
        r"\bwersj[aie]\s*(?:nr\.?|numer)?\s*:?\s*(\d{1,2})\b",
        &["wersj"],
    ),
    Gated::new(r"\b(\d{1,2})\s*\.?\s*wersja\b", &["wersja"]),
    Gated::new(
        r"\b(\d{1,2})(?:st|nd|rd|th)\s+(?:revision|version)\b",
        &["revision", "version"],
    ),
    Gated::new(
        r"\brev(?:ision|ised|\.)?\s*(?:nr\.?|no\.?|#|v\.?)?\s*:?\s*(\d{1,2})\b",
        &["rev"],
    ),
    Gated::new(
        r"\bver(?:sion|\.)?\s*(?:nr\.?|no\.?|#)?\s*:?\s*(\d{1,2})\b",
        &["ver"],
    ),
    Gated::new(
        r"\bv\.?(\d{1,2})\b",
        &[
            "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v.",
        ],
    ),
];

/// Revision mentions in one folded line: (number, is-about-a-previous-version).
pub fn mentions(line: &str) -> Vec<(u32, bool)> {
    let mut out = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    if !line.bytes().any(|b| b.is_ascii_digit()) {
        return out;
    }
    for re in PATTERNS.iter().filter_map(|g| g.get(line)) {
        for c in re.captures_iter(line) {
            let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if taken.iter().any(|&(a, b)| m.start() < b && a < m.end()) {
                continue;
            }
            taken.push((m.start(), m.end()));
            let Ok(n) = n.as_str().parse::<u32>() else {
                continue;
            };
            // The clause around the mention decides whether it is void:
            // "zastępuje wersję 1" before it, "… jest nieaktualna" after it.
            const STOPS: [char; 8] = ['.', ';', '!', '·', '(', ')', ',', '—'];
            let clause_start = line[..m.start()]
                .char_indices()
                .rev()
                .find(|(_, c)| STOPS.contains(c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let clause_end = line[m.end()..]
                .find(STOPS)
                .map_or(line.len(), |i| m.end() + i);
            let before = &line[clause_start..m.start()];
            let after = &line[m.end()..clause_end];
            let void = REVISION_VOID_BEFORE.iter().any(|w| before.contains(w))
                || REVISION_VOID_AFTER.iter().any(|w| after.contains(w));
            out.push((n, void));
        }
    }
    out
}

/// The sheet's own revision from all its (folded) lines.
pub fn find<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<u32> {
    lines
        .into_iter()
        .flat_map(mentions)
        .filter(|&(n, void)| !void && n > 0)
        .map(|(n, _)| n)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsheet::text::fold;

    fn r(lines: &[&str]) -> Option<u32> {
        let f: Vec<String> = lines.iter().map(|l| fold(l)).collect();
        find(f.iter().map(String::as_str))
    }

    #[test]
    fn formats() {
        assert_eq!(r(&["ZMIANA nr 2"]), Some(2));
        assert_eq!(r(&["ZMIANA — wersja 4"]), Some(4));
        assert_eq!(r(&["wersja 2"]), Some(2));
        assert_eq!(r(&["2. wersja"]), Some(2));
        assert_eq!(r(&["v3"]), Some(3));
        assert_eq!(r(&["REVISED v3"]), Some(3));
        assert_eq!(r(&["Revision 2"]), Some(2));
        assert_eq!(r(&["Rev. 2"]), Some(2));
        assert_eq!(r(&["2nd revision"]), Some(2));
        assert_eq!(r(&["Version: 5"]), Some(5));
    }

    #[test]
    fn ignores_previous_versions_and_other_numbers() {
        assert_eq!(
            r(&["ZMIANA — wersja 4", "Wersja 3 jest nieaktualna."]),
            Some(4)
        );
        assert_eq!(
            r(&["REVISED v2", "CHANGE: location moved. Version 1 is void."]),
            Some(2)
        );
        assert_eq!(
            r(&["Zmiana lokacji: zamiast X", "Odcinek: 9", "DZ 12"]),
            None
        );
        assert_eq!(
            r(&["MATKI PINGWINÓW 2 (MP2)", "Day 5 of 42", "Episode: 10"]),
            None
        );
        assert_eq!(r(&["wind 3 km/h, rain 30%"]), None);
        assert_eq!(r(&["Wersja 2 (zastępuje wersję 1)"]), Some(2));
        assert_eq!(r(&["REVISED v3 replaces v2"]), Some(3));
        assert_eq!(r(&["ZMIANA nr 2 — wersja 1 nieaktualna"]), Some(2));
    }
}
