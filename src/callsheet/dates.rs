//! Calendar dates as call sheets print them.
//!
//! `15.03.2024`, `15.03.24`, `15/03/2024`, `2024-03-15`, `15 III 2024`,
//! `piątek, 15 marca 2024`, `15 March 2024`, `Friday, March 15, 2024`,
//! `March 15th`, and (in a weekly schedule) `15.03` with the year taken from
//! elsewhere. Input is folded text; offsets are byte offsets into it.

use super::vocab::{MONTHS, WEEKDAYS, WEEKDAY_NUMBERS};
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq)]
pub struct DateHit {
    pub start: usize,
    pub end: usize,
    pub day: u32,
    pub month: u32,
    /// `None` when only day and month are printed.
    pub year: Option<i32>,
    /// Part of a range such as `29.04–03.05.2024`.
    pub in_range: bool,
    /// Printed with a slash and both numbers ≤ 12 (`3/11`): day first is
    /// assumed, but an English sheet may mean month first; a printed weekday
    /// decides (see [`resolve`]).
    pub swappable: bool,
}

impl DateHit {
    pub fn with_year(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }

    pub fn date(&self) -> Option<NaiveDate> {
        self.year.and_then(|y| self.with_year(y))
    }
}

/// A month's name in the patterns below: any whole word, checked against
/// [`MONTHS`] by the caller (`month_of`). An alternation of a hundred names
/// costs more to compile than the rest of the reader's patterns together.
fn month_alt() -> &'static str {
    "[a-z]+"
}

static ROMAN: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"\b(\d{1,2})[.\s]+(xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)[.\s]+(\d{4})\b",
    )
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(&format!(
        r"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?({})\b\.?,?(?:\s+(?:de\s+)?(\d{{4}})\b)?",
        month_alt()
    ))
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(&format!(
        r"\b({})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b|/(\d{{2}})\b)?",
        month_alt()
    ))
});
static RANGE_DASH: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"^\s*(?:[-–—]|do|to|until)\s*"));

fn month_of(name: &str) -> Option<u32> {
    MONTHS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

fn roman(s: &str) -> Option<u32> {
    const R: [&str; 12] = [
        "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii",
    ];
    R.iter().position(|r| *r == s).map(|p| p as u32 + 1)
}

/// A numeric date form found by code: its span and up to three groups.
/// `mp2ctl parse` is one short process per file, and these three patterns
/// cost more to compile than the reading they do.
struct Numeric<'a> {
    start: usize,
    end: usize,
    groups: [&'a str; 3],
}

type Spans = [(usize, usize); 3];

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn space_byte(b: Option<&u8>) -> bool {
    matches!(b, Some(b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '))
}

fn digit_run(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count())
}

fn sep_in(b: &[u8], i: usize, set: &[u8]) -> bool {
    b.get(i).is_some_and(|c| set.contains(c))
}

fn ends_word(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|&c| !word_byte(c))
}

/// Leftmost, non-overlapping matches of `at`, like a regex's `captures_iter`.
fn scan(s: &str, at: fn(&[u8], usize) -> Option<(usize, Spans)>) -> Vec<Numeric<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match at(b, i) {
            Some((end, g)) => {
                out.push(Numeric {
                    start: i,
                    end,
                    groups: g.map(|(a, e)| &s[a..e]),
                });
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    out
}

/// `\b(\d{4})[-./](\d{1,2})[-./](\d{1,2})\b` at `i`.
fn iso_at(b: &[u8], i: usize) -> Option<(usize, Spans)> {
    if (i > 0 && word_byte(b[i - 1])) || digit_run(b, i) != 4 || !sep_in(b, i + 4, b"-./") {
        return None;
    }
    let j = i + 5;
    let mn = digit_run(b, j);
    if !(1..=2).contains(&mn) || !sep_in(b, j + mn, b"-./") {
        return None;
    }
    let k = j + mn + 1;
    let dn = digit_run(b, k);
    ((1..=2).contains(&dn) && ends_word(b, k + dn))
        .then_some((k + dn, [(i, i + 4), (j, j + mn), (k, k + dn)]))
}

/// `\b(\d{1,2})\s?([./-])\s?(\d{1,2})\s?[./-]\s?(\d{4}|\d{2})\b` at `i`
/// (groups: day, month, year).
fn dmy_at(b: &[u8], i: usize) -> Option<(usize, Spans)> {
    let skip_space = |p: usize| if space_byte(b.get(p)) { p + 1 } else { p };
    let dn = digit_run(b, i);
    if (i > 0 && word_byte(b[i - 1])) || !(1..=2).contains(&dn) {
        return None;
    }
    let q = skip_space(i + dn);
    if !sep_in(b, q, b"./-") {
        return None;
    }
    let r = skip_space(q + 1);
    let mn = digit_run(b, r);
    if !(1..=2).contains(&mn) {
        return None;
    }
    let q2 = skip_space(r + mn);
    if !sep_in(b, q2, b"./-") {
        return None;
    }
    let y = skip_space(q2 + 1);
    let yn = digit_run(b, y);
    ((yn == 4 || yn == 2) && ends_word(b, y + yn))
        .then_some((y + yn, [(i, i + dn), (r, r + mn), (y, y + yn)]))
}

/// `\b(\d{1,2})[./](\d{1,2})\b\.?` at `i`.
fn dm_at(b: &[u8], i: usize) -> Option<(usize, Spans)> {
    let dn = digit_run(b, i);
    if (i > 0 && word_byte(b[i - 1])) || !(1..=2).contains(&dn) || !sep_in(b, i + dn, b"./") {
        return None;
    }
    let j = i + dn + 1;
    let mn = digit_run(b, j);
    if !(1..=2).contains(&mn) || !ends_word(b, j + mn) {
        return None;
    }
    let end = j + mn + usize::from(b.get(j + mn) == Some(&b'.'));
    Some((end, [(i, i + dn), (j, j + mn), (end, end)]))
}

/// Whether `s` may hold a month's name: each name holds one of the names
/// that hold no shorter one ("sty" in "stycznia").
fn month_word_in(s: &str) -> bool {
    static STEMS: LazyLock<Vec<&str>> = LazyLock::new(|| {
        let names: Vec<&str> = MONTHS.iter().map(|(n, _)| *n).collect();
        names
            .iter()
            .filter(|n| !names.iter().any(|m| m != *n && n.contains(m)))
            .copied()
            .collect()
    });
    s.bytes().any(|c| c.is_ascii_alphabetic()) && STEMS.iter().any(|n| s.contains(n))
}

/// A digit, then dots or spaces, then a Roman numeral's letter (`15.iii.2024`).
fn roman_after_digit(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, c)| {
        c.is_ascii_digit() && {
            let gap = b[i + 1..]
                .iter()
                .take_while(|&&g| g == b'.' || g.is_ascii_whitespace() || g == 0x0b)
                .count();
            gap > 0
                && b.get(i + 1 + gap)
                    .is_some_and(|l| matches!(l, b'i' | b'v' | b'x'))
        }
    })
}

fn year4(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    Some(if s.len() == 2 { 2000 + y } else { y })
}

fn valid(day: u32, month: u32, year: Option<i32>) -> bool {
    let y = year.unwrap_or(2024); // a leap year, so 29.02 survives
    (1900..=2200).contains(&y) && NaiveDate::from_ymd_opt(y, month, day).is_some()
}

/// Every date in folded text `s`, left to right, overlaps resolved in favour of
/// the longer (more complete) reading.
pub fn find_all(s: &str) -> Vec<DateHit> {
    let mut hits: Vec<DateHit> = Vec::new();
    // Every form has a digit; each pattern below is compiled only when the
    // text holds what it cannot match without (one short process per
    // file: most sheets print one or two forms of date).
    let b = s.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) {
        return hits;
    }
    // A digit and then one of `.`, `/`, `-` (DMY, DM), four digits and
    // then one (ISO).
    let after_digit = |n: usize| {
        b.windows(n + 1)
            .any(|w| w[..n].iter().all(u8::is_ascii_digit) && matches!(w[n], b'.' | b'/' | b'-'))
    };
    let dotted = after_digit(1)
        || b.windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_whitespace() && b"./-".contains(&w[2]));
    let iso = after_digit(4);
    let named = month_word_in(s);
    let mut push = |start: usize, end: usize, day: u32, month: u32, year: Option<i32>| {
        if valid(day, month, year) {
            let swappable = day <= 12 && month <= 12 && day != month && s[start..end].contains('/');
            hits.push(DateHit {
                start,
                end,
                day,
                month,
                year,
                in_range: false,
                swappable,
            });
        }
    };
    for c in iso.then(|| scan(s, iso_at)).into_iter().flatten() {
        let [y, mo, d] = c.groups;
        if let (Some(y), Ok(mo), Ok(d)) = (year4(y), mo.parse(), d.parse()) {
            push(c.start, c.end, d, mo, Some(y));
        }
    }
    for c in dotted.then(|| scan(s, dmy_at)).into_iter().flatten() {
        let [d, mo, y] = c.groups;
        // Not the tail of a longer dotted number (`1.15.03.2024`, IPs).
        if s[..c.start].ends_with(['.', '/']) {
            continue;
        }
        let (Ok(mut d), Ok(mut mo)) = (d.parse::<u32>(), mo.parse::<u32>()) else {
            continue;
        };
        // Day first is the rule here; only a month > 12 flips it (US style).
        if mo > 12 && d <= 12 {
            std::mem::swap(&mut d, &mut mo);
        }
        push(c.start, c.end, d, mo, year4(y));
    }
    for c in (roman_after_digit(b))
        .then(|| ROMAN.captures_iter(s))
        .into_iter()
        .flatten()
    {
        let (Some(m), Some(d), Some(mo), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        if let (Ok(d), Some(mo)) = (d.as_str().parse(), roman(mo.as_str())) {
            push(m.start(), m.end(), d, mo, year4(y.as_str()));
        }
    }
    for c in named
        .then(|| DAY_MONTH.captures_iter(s))
        .into_iter()
        .flatten()
    {
        let (Some(m), Some(d), Some(mo)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if let (Ok(d), Some(mo)) = (d.as_str().parse(), month_of(mo.as_str())) {
            push(
                m.start(),
                m.end(),
                d,
                mo,
                c.get(3).and_then(|y| year4(y.as_str())),
            );
        }
    }
    for c in named
        .then(|| MONTH_DAY.captures_iter(s))
        .into_iter()
        .flatten()
    {
        let (Some(m), Some(mo), Some(d)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        // "Tuesday November 3/20": a US sheet's month name, day and a
        // two-digit year after the slash.
        let year = c.get(3).or(c.get(4)).and_then(|y| year4(y.as_str()));
        // "sie 15" is as likely Polish "się" followed by a number: only the
        // English order needs a full month name or a year here.
        if year.is_none() && mo.as_str().len() < 3 {
            continue;
        }
        if let (Ok(d), Some(mo)) = (d.as_str().parse(), month_of(mo.as_str())) {
            push(m.start(), m.end(), d, mo, year);
        }
    }
    for c in dotted.then(|| scan(s, dm_at)).into_iter().flatten() {
        let rest = &s[c.end..];
        // `7.30` followed by a time-ish context or a longer number is not a date.
        if rest.starts_with(|c: char| c.is_ascii_digit())
            || s[..c.start].ends_with(['.', '/', ':', ','])
        {
            continue;
        }
        let [d, mo, _] = c.groups;
        if mo.len() != 2 && d.len() != 2 {
            continue;
        }
        if let (Ok(mut d), Ok(mut mo)) = (d.parse::<u32>(), mo.parse::<u32>()) {
            // `3/13`: only month first can be meant (US style).
            if mo > 12 && d <= 12 && s[c.start..c.end].contains('/') {
                std::mem::swap(&mut d, &mut mo);
            }
            push(c.start, c.end, d, mo, None);
        }
    }
    // Resolve overlaps: longer first, then earlier.
    hits.sort_by_key(|h| {
        (
            h.start,
            std::cmp::Reverse(h.end - h.start),
            h.year.is_none(),
        )
    });
    let mut out: Vec<DateHit> = Vec::new();
    for h in hits {
        if out.last().is_some_and(|l| h.start < l.end) {
            continue;
        }
        out.push(h);
    }
    // Ranges: `29.04–03.05.2024`, `14–19 lipca 2025`.
    for i in 0..out.len().saturating_sub(1) {
        let gap = &s[out[i].end..out[i + 1].start];
        if RANGE_DASH.find(gap).is_some_and(|m| m.end() == gap.len()) {
            out[i].in_range = true;
            out[i + 1].in_range = true;
            if out[i].year.is_none() {
                if let Some(y) = out[i + 1].year {
                    out[i].year = Some(if out[i].month > out[i + 1].month {
                        y - 1
                    } else {
                        y
                    });
                }
            }
        }
    }
    out
}

/// The weekday named right before byte `at` of folded `s`, if any
/// (`piątek, 15 marca`, `Friday, March 15`, `pon. 15.03`).
pub fn weekday_before(s: &str, at: usize) -> bool {
    let before = s[..at].trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | '·' | '-' | '–' | '—' | '(' | ':')
    });
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    WEEKDAYS.contains(&&before[word_start..])
}

/// The first weekday named in folded `s` (`pon.`, `Friday`), as a word.
pub fn weekday_in(s: &str) -> Option<chrono::Weekday> {
    s.split(|c: char| !c.is_alphabetic()).find_map(|w| {
        WEEKDAY_NUMBERS
            .iter()
            .find(|(n, _)| *n == w)
            .and_then(|(_, d)| chrono::Weekday::try_from(*d).ok())
    })
}

/// [`resolve_year`], and when the sheet prints the weekday, the reading of an
/// ambiguous `3/11` (day/month or month/day) that falls on that weekday.
pub fn resolve(
    hit: &DateHit,
    reference: Option<NaiveDate>,
    weekday: Option<chrono::Weekday>,
) -> Option<NaiveDate> {
    use chrono::Datelike;
    let as_printed = resolve_year(hit, reference);
    let (Some(w), true) = (weekday, hit.swappable) else {
        return as_printed;
    };
    let swapped = DateHit {
        day: hit.month,
        month: hit.day,
        ..hit.clone()
    };
    let other = resolve_year(&swapped, reference).filter(|d| d.weekday() == w);
    match (as_printed.filter(|d| d.weekday() == w), other, reference) {
        // Both readings fall on that weekday: the one nearer the sheet's
        // other dates.
        (Some(a), Some(b), Some(r)) if (b - r).num_days().abs() < (a - r).num_days().abs() => {
            Some(b)
        }
        (Some(a), _, _) => Some(a),
        (None, Some(b), _) => Some(b),
        (None, None, _) => as_printed,
    }
}

/// Gives a year-less date the year that puts it nearest to `reference`.
pub fn resolve_year(hit: &DateHit, reference: Option<NaiveDate>) -> Option<NaiveDate> {
    if let Some(d) = hit.date() {
        return Some(d);
    }
    let r = reference?;
    use chrono::Datelike;
    [r.year() - 1, r.year(), r.year() + 1]
        .into_iter()
        .filter_map(|y| hit.with_year(y))
        .min_by_key(|d| (*d - r).num_days().abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_forms_by_code_match_their_patterns() {
        let samples = [
            "2026.06.15 (mon)",
            "2026-6-5",
            "12026.06.15",
            "2026.06.150",
            "x2026.06.15",
            "15.03.2024",
            "15 . 03 . 2024",
            "1.15.03.2024",
            "15/3/24",
            "15-03-2024x",
            "15.03.20245",
            "3/13",
            "7.30 a 12.05.",
            "15.03",
            "152.03",
            "15.032",
            "03/05/2026 | 04/28/2026",
            "data: 10/14/2025, 1/2",
            "15 /03/ 2024",
            "15.03.2024.",
            "ąę 12.12 2024",
            "",
        ];
        let forms: [(&str, fn(&[u8], usize) -> Option<(usize, Spans)>); 3] = [
            (r"\b(\d{4})[-./](\d{1,2})[-./](\d{1,2})\b", iso_at),
            (
                r"\b(\d{1,2})\s?[./-]\s?(\d{1,2})\s?[./-]\s?(\d{4}|\d{2})\b",
                dmy_at,
            ),
            (r"\b(\d{1,2})[./](\d{1,2})\b\.?", dm_at),
        ];
        for (pattern, at) in forms {
            let re = regex::Regex::new(&format!("(?-u:{pattern})")).unwrap();
            for t in samples {
                let want: Vec<(usize, usize, Vec<&str>)> = re
                    .captures_iter(t)
                    .map(|c| {
                        let m = c.get(0).unwrap();
                        let g = (1..c.len())
                            .map(|k| c.get(k).map_or("", |g| g.as_str()))
                            .collect();
                        (m.start(), m.end(), g)
                    })
                    .collect();
                let got: Vec<(usize, usize, Vec<&str>)> = scan(t, at)
                    .into_iter()
                    .map(|n| {
                        (
                            n.start,
                            n.end,
                            n.groups[..want.first().map_or(0, |w| w.2.len())].to_vec(),
                        )
                    })
                    .collect();
                assert_eq!(got, want, "{pattern} on {t:?}");
            }
        }
    }
    use crate::callsheet::text::fold;

    fn one(s: &str) -> Option<String> {
        let f = fold(s);
        find_all(&f)
            .first()
            .and_then(|h| h.date())
            .map(|d| d.to_string())
    }

    #[test]
    fn formats() {
        assert_eq!(one("15.03.2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15.03.24").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15/03/2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15/03/24").as_deref(), Some("2024-03-15"));
        assert_eq!(one("2024-03-15").as_deref(), Some("2024-03-15"));
        assert_eq!(one("piątek, 15 marca 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15 marzec 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("Friday, March 15, 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15 March 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15th of March 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(one("15 III 2024").as_deref(), Some("2024-03-15"));
        assert_eq!(
            one("środa, 1 października 2025").as_deref(),
            Some("2025-10-01")
        );
        assert_eq!(one("12/25/2024").as_deref(), Some("2024-12-25"));
        assert_eq!(one("Sat 3 Feb 2024").as_deref(), Some("2024-02-03"));
    }

    #[test]
    fn partial_and_ranges() {
        let f = fold("Tydzień 5 · 29.04–03.05.2024");
        let h = find_all(&f);
        assert_eq!(h.len(), 2);
        assert!(h[0].in_range && h[1].in_range);
        assert_eq!(
            h[0].date().map(|d| d.to_string()).as_deref(),
            Some("2024-04-29")
        );
        let f = fold("March 15th");
        let h = find_all(&f);
        assert_eq!((h[0].day, h[0].month, h[0].year), (15, 3, None));
        let r = NaiveDate::from_ymd_opt(2024, 12, 28);
        let h = find_all("pon. 02.01");
        assert_eq!(
            resolve_year(&h[0], r).map(|d| d.to_string()).as_deref(),
            Some("2025-01-02")
        );
    }

    #[test]
    fn rejects_lookalikes() {
        assert!(find_all("7.00").is_empty());
        assert!(find_all("19.30").is_empty());
        assert!(find_all("52.2478, 21.0136").is_empty());
        assert!(find_all("31.02.2024").is_empty());
        assert!(find_all("spozniaja sie.").is_empty());
    }

    #[test]
    fn weekday() {
        let f = fold("sobota, 17 stycznia 2026");
        let h = find_all(&f);
        assert!(weekday_before(&f, h[0].start));
        assert!(!weekday_before("wydano: 16.01.2026", 8));
    }

    #[test]
    fn weekday_decides_month_first() {
        let r = NaiveDate::from_ymd_opt(2024, 3, 18);
        let f = fold("Mon 3/11");
        let h = find_all(&f);
        let w = weekday_in(&f);
        assert_eq!(w, Some(chrono::Weekday::Mon));
        assert_eq!(
            resolve(&h[0], r, w).map(|d| d.to_string()).as_deref(),
            Some("2024-03-11")
        );
        // Day first stays when it agrees with the weekday (or none is printed).
        let f = fold("pon. 11/03");
        let h = find_all(&f);
        assert_eq!(
            resolve(&h[0], r, weekday_in(&f))
                .map(|d| d.to_string())
                .as_deref(),
            Some("2024-03-11")
        );
        let f = fold("Wed 3/13");
        let h = find_all(&f);
        assert_eq!(
            resolve(&h[0], r, weekday_in(&f))
                .map(|d| d.to_string())
                .as_deref(),
            Some("2024-03-13")
        );
        let h = find_all("3/11");
        assert_eq!(
            resolve(&h[0], r, None).map(|d| d.to_string()).as_deref(),
            Some("2023-11-03")
        );
    }
}
