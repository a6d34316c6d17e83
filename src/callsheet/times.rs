//! Clock times as call sheets print them → 24-hour `HH:MM`.
//!
//! Accepts `07:00`, `7:00`, `7.00`, `19.30`, `7:00 AM`, `7 pm`, `7h`, `7h30`,
//! `godz. 7`, and a scan's `19: 00`. Rejects what only looks like a time: the
//! start of a date (`15.03.2024`), a decimal (`52.2478`), a fraction, an hour
//! past 24 or minutes past 59. Input is folded text (lower case).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hm {
    pub h: u8,
    pub m: u8,
}

impl fmt::Display for Hm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.h, self.m)
    }
}

/// Words that may stand between a label and its time ("CALL godz. 7",
/// "koniec ok. 17:00", "Call at 7 AM").
const LEADS: &[&str] = &[
    "o godz.", "o godz", "godz.", "godz", "godzina", "ok.", "ok", "około", "okolo", "ca.", "ca",
    "approx.", "approx", "est.", "est", "planowo", "ekipa", "ekipy", "crew", "at", "o", "~", "od",
    "from",
];

/// Skips separators and lead words; returns the rest and whether an "hour"
/// word (`godz.`) was seen, which makes a bare hour (`godz. 7`) acceptable.
fn skip_leads(mut s: &str) -> (&str, bool) {
    let mut hour_word = false;
    loop {
        let t = s.trim_start_matches(|c: char| {
            c.is_whitespace()
                || matches!(c, ':' | '-' | '–' | '—' | '=' | '(' | '[' | ')' | ']' | '.')
        });
        let mut advanced = t.len() != s.len();
        s = t;
        for lead in LEADS {
            if let Some(rest) = s.strip_prefix(lead) {
                let boundary =
                    rest.chars().next().is_none_or(|c| !c.is_alphabetic()) || lead.ends_with('.');
                if boundary {
                    hour_word |= lead.starts_with("godz") || lead.starts_with("o godz");
                    s = rest;
                    advanced = true;
                    break;
                }
            }
        }
        if !advanced {
            return (s, hour_word);
        }
    }
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// Parses a time at the very start of `s`; returns it and the bytes used.
/// `bare_hour_ok` allows `7` alone (after `godz.`).
pub fn parse_at(s: &str, bare_hour_ok: bool) -> Option<(Hm, usize)> {
    let nh = digits(s);
    if nh == 0 || nh > 2 {
        return None;
    }
    let h: u32 = s[..nh].parse().ok()?;
    let mut i = nh;
    let mut m: u32 = 0;
    let mut had_minutes = false;
    let b = s.as_bytes();
    // Separator and two minute digits; a scan may put one space after it.
    if i < b.len() && (b[i] == b':' || b[i] == b'.') {
        let mut j = i + 1;
        if j < b.len() && b[j] == b' ' && b[i] == b':' {
            j += 1;
        }
        if digits(&s[j..]) == 2 {
            m = s[j..j + 2].parse().ok()?;
            i = j + 2;
            had_minutes = true;
            // `15.03.2024`, `52.2478`, `1.30.5`: not a time.
            let rest = &s[i..];
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if (rest.starts_with('.') || rest.starts_with('/') || rest.starts_with(':'))
                && rest[1..].starts_with(|c: char| c.is_ascii_digit())
            {
                return None;
            }
        } else if digits(&s[j..]) > 0 {
            return None;
        }
    } else if i < b.len() && b[i] == b'h' {
        // `7h`, `7h30`
        let after = &s[i + 1..];
        let nm = digits(after);
        if nm == 2 {
            m = after[..2].parse().ok()?;
            i += 3;
            had_minutes = true;
        } else if nm == 0 && !after.starts_with(|c: char| c.is_alphabetic()) {
            i += 1;
            had_minutes = true;
        } else {
            return None;
        }
    } else if s[i..].starts_with(|c: char| c.is_ascii_digit() || c == '/' || c == ',') {
        return None;
    }
    // AM / PM
    let after = &s[i..];
    let trimmed = after.trim_start();
    let mut meridiem = None;
    for (word, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
        if let Some(rest) = trimmed.strip_prefix(word) {
            if rest.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
                meridiem = Some(pm);
                i += after.len() - rest.len();
                break;
            }
        }
    }
    // "5:00a", "5:00p": US production apps print the meridiem as one letter
    // glued to the minutes (never after a space: Polish "7:30 a 8:00").
    if meridiem.is_none() && had_minutes {
        for (letter, pm) in [('a', false), ('p', true)] {
            if let Some(rest) = after.strip_prefix(letter) {
                if rest.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
                    meridiem = Some(pm);
                    i += 1;
                    break;
                }
            }
        }
    }
    if !had_minutes && meridiem.is_none() && !bare_hour_ok {
        return None;
    }
    if !had_minutes && meridiem.is_none() {
        // A bare hour must not be followed by more of a number or a unit
        // ("godz. 7 wschód" is fine, "godz. 7%" or "7 km" is not).
        let raw = &s[i..];
        let rest = raw.trim_start();
        let glued = raw.starts_with(|c: char| c.is_alphanumeric());
        let unit = ["%", "°", "min", "km", "m ", "h ", "dni", "x"]
            .iter()
            .any(|u| rest.starts_with(u));
        if glued || unit || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
    }
    let mut h = h;
    if let Some(pm) = meridiem {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    let h = if h == 24 { 0 } else { h };
    Some((
        Hm {
            h: h as u8,
            m: m as u8,
        },
        i,
    ))
}

/// The time printed right after a label (`CALL 6:30 · koniec…`,
/// `Call: godz. 7`, a 24-hour `CALL 0730`): only separators and lead words
/// may come between.
pub fn after_label(rest: &str) -> Option<Hm> {
    let (s, hour_word) = skip_leads(rest);
    parse_at(s, hour_word)
        .or_else(|| compact_at(s))
        .map(|(t, _)| t)
}

/// A four-digit 24-hour time (`0730`, `1900hrs`). Only where a label says a
/// time is meant: elsewhere four digits are a year, a house number or a count.
fn compact_at(s: &str) -> Option<(Hm, usize)> {
    if digits(s) != 4 {
        return None;
    }
    let h: u8 = s[..2].parse().ok()?;
    let m: u8 = s[2..4].parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    let mut used = 4;
    for unit in ["hrs", "hr", "h"] {
        if s[4..].starts_with(unit) {
            used += unit.len();
            break;
        }
    }
    let rest = &s[used..];
    if rest.starts_with(|c: char| c.is_alphanumeric() || matches!(c, '.' | '/' | ',' | '-')) {
        return None;
    }
    // "1200 N Vine St" is a house number: a word right after four bare
    // digits makes them part of an address or a count.
    if used == 4 && rest.trim_start().starts_with(char::is_alphabetic) {
        return None;
    }
    Some((Hm { h, m }, used))
}

/// [`value_only`], or a cell holding only a four-digit 24-hour time: for
/// the cell beside or under a time label.
pub fn labelled_value(cell: &str) -> Option<Hm> {
    value_only(cell).or_else(|| {
        let (s, _) = skip_leads(cell.trim());
        let (t, used) = compact_at(s)?;
        s[used..].trim().is_empty().then_some(t)
    })
}

/// A cell that holds nothing but a time (`09:00`, `godz. 19:00`, `7:30 PM`,
/// `ok. 17.00`).
pub fn value_only(cell: &str) -> Option<Hm> {
    let (s, hour_word) = skip_leads(cell.trim());
    let (t, used) = parse_at(s, hour_word)?;
    let rest = s[used..]
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '*' | '.' | '!'));
    let rest = rest.strip_prefix("ok.").unwrap_or(rest).trim();
    rest.is_empty().then_some(t)
}

/// The time a cell of a running order starts at: a time alone (`07:00`) or
/// the start of a range (`06:30 – 07:00`, `7:00-7:30 AM`).
pub fn leading(cell: &str) -> Option<Hm> {
    if let Some(t) = value_only(cell) {
        return Some(t);
    }
    let s = cell.trim();
    let (t, used) = parse_at(s, false)?;
    let rest = s[used..].trim_start();
    let rest = rest
        .strip_prefix(['-', '–', '—'])
        .or_else(|| rest.strip_prefix("to"))?;
    let (_, more) = parse_at(rest.trim_start(), false)?;
    let tail = rest.trim_start()[more..].trim();
    tail.is_empty().then_some(t)
}

/// Every unambiguous time in `s` (minutes or AM/PM printed), with byte ranges.
pub fn find_all(s: &str) -> Vec<(usize, usize, Hm)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_digit() || matches!(b[i - 1], b'.' | b':' | b'/' | b',')));
        if starts {
            if let Some((t, used)) = parse_at(&s[i..], false) {
                out.push((i, i + used, t));
                i += used;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A scan's misread clock time ("1O:3O", "7:l5", "O7.00") with the letters
/// that look like digits put back; `None` when nothing needed fixing. Only
/// tokens shaped exactly like a time are touched, so words are left alone.
pub fn repair_ocr(text: &str) -> Option<String> {
    use regex::Regex;
    use std::sync::LazyLock;
    static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
        super::text::static_regex(r"(?:^|\b)([0-9OolI|]{1,2})([:.])([0-9OolI|]{2})\b")
    });
    // A misread needs a letter beside a `:` or `.` that has a digit before
    // it; most lines have none, and then the pattern is never compiled.
    let b = text.as_bytes();
    let suspect = b.iter().enumerate().any(|(i, &c)| {
        matches!(c, b':' | b'.')
            && b[i.saturating_sub(2)..i].iter().any(u8::is_ascii_digit)
            && b[i.saturating_sub(2)..(i + 3).min(b.len())]
                .iter()
                .any(|c| b"OolI|".contains(c))
    });
    if !suspect {
        return None;
    }
    let mut changed = false;
    let out = TOKEN.replace_all(text, |c: &regex::Captures<'_>| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let (h, sep, m) = (&c[1], &c[2], &c[3]);
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).count();
        // At least one real digit on each side, and a letter somewhere.
        if digits(h) == 0 || digits(m) == 0 || !whole.chars().any(|ch| "OolI|".contains(ch)) {
            return whole.to_string();
        }
        let fix = |s: &str| -> String {
            s.chars()
                .map(|ch| match ch {
                    'O' | 'o' => '0',
                    'l' | 'I' | '|' => '1',
                    d => d,
                })
                .collect()
        };
        let candidate = format!("{}{sep}{}", fix(h), fix(m));
        if value_only(&candidate).is_some() {
            changed = true;
            candidate
        } else {
            whole.to_string()
        }
    });
    changed.then(|| out.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<String> {
        value_only(s).map(|t| t.to_string())
    }

    #[test]
    fn formats() {
        assert_eq!(v("07:00").as_deref(), Some("07:00"));
        assert_eq!(v("7:00").as_deref(), Some("07:00"));
        assert_eq!(v("7.00").as_deref(), Some("07:00"));
        assert_eq!(v("19.30").as_deref(), Some("19:30"));
        assert_eq!(v("7:00 am").as_deref(), Some("07:00"));
        assert_eq!(v("7 am").as_deref(), Some("07:00"));
        assert_eq!(v("7:30 pm").as_deref(), Some("19:30"));
        assert_eq!(v("12:15 am").as_deref(), Some("00:15"));
        assert_eq!(v("12:15 p.m.").as_deref(), Some("12:15"));
        assert_eq!(v("5:00a").as_deref(), Some("05:00"));
        assert_eq!(v("5:00p").as_deref(), Some("17:00"));
        assert_eq!(v("5:00 a"), None);
        assert_eq!(v("godz. 7").as_deref(), Some("07:00"));
        assert_eq!(v("godz. 19:00").as_deref(), Some("19:00"));
        assert_eq!(v("7h").as_deref(), Some("07:00"));
        assert_eq!(v("7h30").as_deref(), Some("07:30"));
        assert_eq!(v("19: 00").as_deref(), Some("19:00"));
        assert_eq!(v("ok. 17:00").as_deref(), Some("17:00"));
        assert_eq!(v("24:00").as_deref(), Some("00:00"));
    }

    #[test]
    fn rejects_lookalikes() {
        assert_eq!(v("15.03.2024"), None);
        assert_eq!(v("52.2478"), None);
        assert_eq!(v("25:00"), None);
        assert_eq!(v("7:75"), None);
        assert_eq!(v("7"), None);
        assert_eq!(
            after_label(": godz. 7 Wschód 5:58")
                .map(|t| t.to_string())
                .as_deref(),
            Some("07:00")
        );
        assert_eq!(after_label(": godz. 7 km"), None);
        assert_eq!(v("1 3/8"), None);
        assert_eq!(v("13 pm"), None);
        assert_eq!(v("07:00 sunrise"), None);
        assert_eq!(after_label(" 24 km/h"), None);
        assert_eq!(after_label(" 2024-03-15"), None);
        assert_eq!(after_label(" 1200 N Vine St"), None);
        assert_eq!(after_label(" sheet"), None);
    }

    #[test]
    fn after_a_label() {
        assert_eq!(
            after_label(" 6:30 · koniec ok. 17:00")
                .map(|t| t.to_string())
                .as_deref(),
            Some("06:30")
        );
        assert_eq!(
            after_label(": godz. 7").map(|t| t.to_string()).as_deref(),
            Some("07:00")
        );
        assert_eq!(
            after_label(" ok. 4:30").map(|t| t.to_string()).as_deref(),
            Some("04:30")
        );
        assert_eq!(
            after_label(" (est.) 7:30 pm")
                .map(|t| t.to_string())
                .as_deref(),
            Some("19:30")
        );
        assert_eq!(
            after_label(" (ekipa): 07:00")
                .map(|t| t.to_string())
                .as_deref(),
            Some("07:00")
        );
    }

    #[test]
    fn four_digit_times_only_after_a_label() {
        let a = |s: &str| after_label(s).map(|t| t.to_string());
        assert_eq!(a(": 0730").as_deref(), Some("07:30"));
        assert_eq!(a(" 1900hrs").as_deref(), Some("19:00"));
        assert_eq!(a(" 2460"), None);
        assert_eq!(
            labelled_value("0645").map(|t| t.to_string()).as_deref(),
            Some("06:45")
        );
        assert_eq!(value_only("0645"), None);
        assert!(find_all("call 0730 at 1200 n vine").is_empty());
    }

    #[test]
    fn ocr_repairs() {
        assert_eq!(repair_ocr("CALL 1O:3O").as_deref(), Some("CALL 10:30"));
        assert_eq!(repair_ocr("godz. 7:l5").as_deref(), Some("godz. 7:15"));
        assert_eq!(repair_ocr("CALL 10:30"), None);
        assert_eq!(repair_ocr("Odcinki: lO"), None);
        assert_eq!(repair_ocr("Solo:ol"), None);
    }

    #[test]
    fn finds_all() {
        let all: Vec<String> =
            find_all("hmu 6:00 am electric 7:45 am props 7.15, 15.03.2024 52.2478")
                .into_iter()
                .map(|(_, _, t)| t.to_string())
                .collect();
        assert_eq!(all, ["06:00", "07:45", "07:15"]);
    }
}
