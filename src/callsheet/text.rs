//! Text helpers shared by the recognisers.
//!
//! Recognisers match *folded* text (lower case, diacritics removed) so that
//! `ŚWIATŁO`, `Światło` and a scan's `Swiatlo` look the same, but values such as
//! addresses and names must be returned exactly as printed. Folding maps every
//! char to exactly one char, so [`Folded`] can map a folded position back.

/// Lower case, Polish (and other Latin) diacritics removed, curly quotes made
/// straight. Always exactly one char out per char in.
pub fn fold_char(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'ą' => 'a',
        'ć' => 'c',
        'ę' => 'e',
        'ł' => 'l',
        'ń' => 'n',
        'ó' => 'o',
        'ś' => 's',
        'ź' | 'ż' => 'z',
        '’' | '‘' | '′' | '`' => '\'',
        '”' | '“' | '„' | '″' => '"',
        '\u{a0}' | '\t' => ' ',
        c if c.is_ascii() => c,
        c => {
            let mut first = None;
            unicode_normalization::char::decompose_canonical(c, |d| {
                if first.is_none() {
                    first = Some(d);
                }
            });
            first.unwrap_or(c)
        }
    }
}

pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// A string and its folded form, with a map between their byte offsets.
#[derive(Debug, Clone)]
pub struct Folded {
    pub orig: String,
    pub text: String,
    /// Byte offset in `text` → byte offset in `orig`, one entry per char plus
    /// the end.
    map: Vec<(usize, usize)>,
}

impl Folded {
    pub fn new(orig: &str) -> Folded {
        let mut text = String::with_capacity(orig.len());
        let mut map = Vec::with_capacity(orig.len() + 1);
        for (ob, c) in orig.char_indices() {
            map.push((text.len(), ob));
            text.push(fold_char(c));
        }
        map.push((text.len(), orig.len()));
        Folded {
            orig: orig.to_string(),
            text,
            map,
        }
    }

    /// The byte offset in `orig` of folded byte offset `f` (rounded down to a
    /// char boundary).
    pub fn orig_at(&self, f: usize) -> usize {
        match self.map.binary_search_by_key(&f, |&(a, _)| a) {
            Ok(i) => self.map[i].1,
            Err(i) => self.map[i.saturating_sub(1)].1,
        }
    }

    /// The folded byte offset of printed byte offset `o` (rounded down to a
    /// char boundary).
    pub fn folded_at(&self, o: usize) -> usize {
        match self.map.binary_search_by_key(&o, |&(_, b)| b) {
            Ok(i) => self.map[i].0,
            Err(i) => self.map[i.saturating_sub(1)].0,
        }
    }

    /// The printed text for folded range `a..b`.
    pub fn orig_slice(&self, a: usize, b: usize) -> &str {
        let (oa, ob) = (self.orig_at(a), self.orig_at(b));
        self.orig.get(oa..ob.max(oa)).unwrap_or("")
    }
}

/// Collapses runs of whitespace to one space and trims.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `phrase` occurs in `hay` at a word boundary on both sides.
pub fn has_word(hay: &str, phrase: &str) -> bool {
    find_word(hay, phrase).is_some()
}

/// Byte offset of the first occurrence of `phrase` at word boundaries.
pub fn find_word(hay: &str, phrase: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(phrase)) {
        let at = from + i;
        let end = at + phrase.len();
        let before_ok = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
            || !phrase.starts_with(|c: char| c.is_alphanumeric());
        let after_ok = hay[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
            || !phrase.ends_with(|c: char| c.is_alphanumeric());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + phrase.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The longest phrase of `table` that `s` starts with, ending at a word
/// boundary. Returns the entry and the byte length matched.
pub fn longest_prefix<'t, T: Copy>(s: &str, table: &'t [(&'t str, T)]) -> Option<(T, usize)> {
    let first = *s.as_bytes().first()?;
    let mut best: Option<(T, usize)> = None;
    for &(p, v) in table {
        // Most phrases differ from the text in their first byte: a byte
        // compare before the string compare keeps this off the profile.
        if p.as_bytes().first() != Some(&first) || p.len() > s.len() {
            continue;
        }
        if let Some(rest) = s.strip_prefix(p) {
            let boundary = rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
                || !p.ends_with(|c: char| c.is_alphanumeric());
            if boundary && best.is_none_or(|(_, l)| p.len() > l) {
                best = Some((v, p.len()));
            }
        }
    }
    best
}

/// A static pattern compiled the first time a text holds one of the words it
/// cannot match without: a sheet that never prints "wersja" never pays for
/// compiling the pattern that reads it.
pub struct Gated {
    pattern: &'static str,
    needles: &'static [&'static str],
    re: std::sync::OnceLock<regex::Regex>,
}

impl Gated {
    pub const fn new(pattern: &'static str, needles: &'static [&'static str]) -> Gated {
        Gated {
            pattern,
            needles,
            re: std::sync::OnceLock::new(),
        }
    }

    /// The pattern, when `text` may hold a match.
    pub fn get(&self, text: &str) -> Option<&regex::Regex> {
        self.needles
            .iter()
            .any(|n| text.contains(n))
            .then(|| self.re.get_or_init(|| static_regex(self.pattern)))
    }
}

/// A static pattern, compiled without Unicode classes when it can be.
///
/// Compiling a pattern whose `\b`, `\d` and `\s` are Unicode-aware builds
/// large UTF-8 automata, and `mp2ctl parse` is one short process per file:
/// compiling the reader's two dozen patterns that way cost more than reading
/// the PDF. The patterns run on folded (ASCII) text or look for digits and
/// punctuation, so ASCII classes mean the same there. A pattern that needs
/// Unicode (a non-ASCII char in a class) is compiled as written.
pub fn static_regex(pattern: &str) -> regex::Regex {
    regex::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .or_else(|_| regex::Regex::new(pattern))
        .expect("static regex")
}

/// Edit distance (insert, delete, substitute), on chars.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `levenshtein(a, b) <= 1`, without allocating: this runs for every word
/// of every cell against every label, so it is the parser's hot path.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let (short, long) = if la <= lb { (a, b) } else { (b, a) };
    let (mut s, mut l) = (short.chars(), long.chars());
    loop {
        match (s.clone().next(), l.clone().next()) {
            (Some(x), Some(y)) if x == y => {
                s.next();
                l.next();
            }
            (Some(_), Some(_)) => {
                l.next();
                if la == lb {
                    s.next(); // a substitution
                }
                return s.eq(l);
            }
            // The shorter ran out: at most one char of the longer is left.
            _ => return true,
        }
    }
}

/// A table of phrases with its words split once, grouped by first word:
/// [`Phrases::fuzzy_prefix`] runs at every word of every cell, so a phrase
/// is looked at only when its first word is near the text's.
pub struct Phrases<T: 'static> {
    table: &'static [(&'static str, T)],
    index: std::sync::OnceLock<PhraseIndex>,
}

struct PhraseIndex {
    /// Each phrase's words with their char counts, in table order.
    words: Vec<Vec<(&'static str, usize)>>,
    /// Distinct first words (with char count) and the phrases they open.
    groups: Vec<(&'static str, usize, Vec<usize>)>,
}

impl<T: Copy> Phrases<T> {
    pub const fn new(table: &'static [(&'static str, T)]) -> Phrases<T> {
        Phrases {
            table,
            index: std::sync::OnceLock::new(),
        }
    }

    fn index(&self) -> &PhraseIndex {
        self.index.get_or_init(|| {
            let words: Vec<Vec<(&'static str, usize)>> = self
                .table
                .iter()
                .map(|(p, _)| p.split(' ').map(|w| (w, char_len(w))).collect())
                .collect();
            let mut groups: Vec<(&'static str, usize, Vec<usize>)> = Vec::new();
            for (i, ws) in words.iter().enumerate() {
                let (first, n) = ws[0];
                match groups.iter_mut().find(|g| g.0 == first) {
                    Some(g) => g.2.push(i),
                    None => groups.push((first, n, vec![i])),
                }
            }
            PhraseIndex { words, groups }
        })
    }

    /// Like [`longest_prefix`], but each word of a phrase may differ from
    /// the text by one character when it is long (a scan's "zdjeé" for
    /// "zdjęć").
    pub fn fuzzy_prefix(&self, s: &str) -> Option<(T, usize)> {
        let exact = longest_prefix(s, self.table);
        let words = text_words(s);
        let words = words.as_slice();
        let Some(&(t0, _, tc0)) = words.first() else {
            return exact;
        };
        let near = |w: &str, wc: usize, t: &str, tc: usize| {
            w == t || (tc >= 5 && wc >= 5 && wc.abs_diff(tc) <= 1 && within_one_edit(w, t))
        };
        let index = self.index();
        // The longest fuzzy match, the first in table order among equals
        // (as a scan of the table would find it); the exact match wins ties.
        let mut fuzzy: Option<(usize, usize)> = None;
        for (first, fc, phrases) in &index.groups {
            if !near(first, *fc, t0, tc0) {
                continue;
            }
            for &i in phrases {
                let pw = &index.words[i];
                if pw.len() > words.len() {
                    continue;
                }
                let rest_ok = pw[1..]
                    .iter()
                    .zip(&words[1..])
                    .all(|(&(w, wc), &(t, _, tc))| near(w, wc, t, tc));
                let end = words[pw.len() - 1].1;
                if rest_ok && fuzzy.is_none_or(|(j, l)| end > l || (end == l && i < j)) {
                    fuzzy = Some((i, end));
                }
            }
        }
        match (exact, fuzzy) {
            (Some((_, l)), Some((_, end))) if end <= l => exact,
            (_, Some((i, end))) => Some((self.table[i].1, end)),
            (exact, None) => exact,
        }
    }
}

/// The first words of `s` (at most seven), trimmed of the separators that
/// glue a label to its value: (word, its end in `s`, its char count).
fn text_words(s: &str) -> ArrayWords<'_> {
    let mut out = ArrayWords {
        words: [("", 0, 0); 7],
        n: 0,
    };
    let mut start = None;
    let word = |a: usize, b: usize| {
        let t = s[a..b].trim_end_matches([':', ',', ';']);
        (t, a + t.len(), char_len(t))
    };
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(a)) => {
                out.words[out.n] = word(a, i);
                out.n += 1;
                start = None;
                if out.n == out.words.len() {
                    return out;
                }
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(a) = start {
        out.words[out.n] = word(a, s.len());
        out.n += 1;
    }
    out
}

/// Up to seven words without allocating.
struct ArrayWords<'a> {
    words: [(&'a str, usize, usize); 7],
    n: usize,
}

impl<'a> ArrayWords<'a> {
    fn as_slice(&self) -> &[(&'a str, usize, usize)] {
        &self.words[..self.n]
    }
}

/// Chars in `s`, without walking ASCII.
fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Share of upper-case letters among the letters of `s` (0 when none).
pub fn upper_ratio(s: &str) -> f32 {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        return 0.0;
    }
    letters.iter().filter(|c| c.is_uppercase()).count() as f32 / letters.len() as f32
}

pub fn letter_count(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

/// Trims separators that glue a label to its value or a list item to the next.
pub fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ':' | ',' | ';' | '·' | '|' | '-' | '–' | '—' | '•' | '*')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_one_char_per_char() {
        let f = Folded::new("ŚWIATŁO — Żółć");
        assert_eq!(f.text, "swiatlo — zolc");
        let at = f.text.find("zolc").unwrap_or(0);
        assert_eq!(f.orig_slice(at, at + 4), "Żółć");
    }

    #[test]
    fn words_need_boundaries() {
        assert!(has_word("tydzien zdjeciowy 5", "tydzien"));
        assert!(!has_word("tydzien zdjeciowy 5", "dzien"));
        assert_eq!(find_word("a call b", "call"), Some(2));
        assert!(!has_word("recall", "call"));
    }

    #[test]
    fn fuzzy_labels() {
        static T: Phrases<u8> =
            Phrases::new(&[("planowany koniec zdjec", 1), ("planowany koniec", 2)]);
        assert_eq!(T.fuzzy_prefix("planowany koniec zdjee"), Some((1, 22)));
        assert_eq!(T.fuzzy_prefix("planowany koniec: 19:00"), Some((2, 16)));
        assert_eq!(T.fuzzy_prefix("plannowany koniec"), Some((2, 17)));
        assert_eq!(T.fuzzy_prefix("koniec"), None);
        assert_eq!(levenshtein("swiatto", "swiatlo"), 1);
    }

    #[test]
    fn within_one_edit_agrees_with_levenshtein() {
        let words = [
            "zdjęć",
            "zdjeé",
            "zdjec",
            "zbiórka",
            "zbiorka",
            "zbiórk",
            "zbiórkaa",
            "wrap",
            "warp",
            "",
            "a",
            "ab",
            "ba",
            "kamera",
            "kamerą",
            "kmera",
        ];
        for a in words {
            for b in words {
                assert_eq!(within_one_edit(a, b), levenshtein(a, b) <= 1, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let t = &[("call", 1), ("call sheet", 2)];
        assert_eq!(longest_prefix("call sheet x", t), Some((2, 10)));
        assert_eq!(longest_prefix("call: 7", t), Some((1, 4)));
        assert_eq!(longest_prefix("caller", t), None);
    }
}
