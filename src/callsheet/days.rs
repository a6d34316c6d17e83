//! Which rows belong to which shooting day.
//!
//! Three shapes are recognised from the dates a sheet prints prominently (a
//! date that leads its cell, after at most a weekday or a day number, or ends
//! it, like a header's "…(MP2) Wednesday, April 29, 2026"):
//!
//! - one day (a call sheet): the whole sheet is the day;
//! - stacked days (a "drabinka"): several dated header lines, each carrying
//!   day evidence (a weekday, a day number, a call); a day runs to the next
//!   header, the last to the contacts or the footer;
//! - a grid: one row holding several dates as column heads; each day is its
//!   column, read with the row labels on the left. A week may be printed as
//!   several grids (a second header row, or the header repeated on the next
//!   page with a single day); a day keeps the rows of every grid it is in.
//!
//! A weekday printed with a date decides whether an ambiguous `3/11` is day
//! or month first; one header row reads all its dates the same way.
//!
//! Issue dates ("Wydano:", "Issued:") and ranges ("29.04–03.05.2024") are never
//! days, but lend a year to dates printed without one.

use super::dates::{self, DateHit};
use super::fields::{is_cancelled, is_day_off};
use super::sheet::{em, Row};
use super::times;
use super::vocab::{Section, TimeLabel, TIME_LABELS};
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub struct DayBlock {
    pub date: NaiveDate,
    pub rows: Vec<Row>,
    /// The sheet says nobody shoots that day.
    pub off: bool,
    /// The sheet says this planned day is called off.
    pub cancelled: bool,
    /// The date heads the day (a header, a grid's column, a stacked day's
    /// title), not only somewhere in the text.
    pub prominent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Single,
    Stacked,
    Grid,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub shape: Shape,
    pub days: Vec<DayBlock>,
    /// Rows outside every day (title, week-wide base, contacts, footer).
    pub shared: Vec<Row>,
}

/// The length of what may come before a date in a day's header cell, at
/// the start of `p` (0: nothing may). By code, in the order of the pattern it
/// replaces (the first form that matches wins, as in a regex alternation):
/// `^(?:[\s·|,:;()\-–—/]+|(?:WEEKDAY)\b\.?|dz\.?\s*\d{1,3}(?:\s*/\s*\d{1,3})?|`
/// `dzien\s+zdjeciowy:?\s*(?:nr\.?\s*)?\d{1,3}(?:\s*(?:/|z|of)\s*\d{1,3})?|`
/// `(?:shoot(?:ing)?\s+)?day:?\s*\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?|data(?:\s+zdjec)?|date|`
/// `dzien|shoot\s+date|na\s+dzien|for|call\s+sheet|plan\s+zdjeciowy)`.
fn header_prefix_len(p: &str) -> usize {
    fn ws(s: &str) -> usize {
        s.len() - s.trim_start().len()
    }
    // `\d{1,3}`, greedy.
    fn digits(s: &str) -> Option<usize> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count().min(3);
        (n > 0).then_some(n)
    }
    // `\d{1,3}(?:\s*(?:SEP)\s*\d{1,3})?`: a number and its total.
    fn numbered(s: &str, seps: &[&str]) -> Option<usize> {
        let n = digits(s)?;
        let r = &s[n..];
        let a = ws(r);
        for sep in seps {
            if let Some(r2) = r[a..].strip_prefix(sep) {
                let b = ws(r2);
                if let Some(m) = digits(&r2[b..]) {
                    return Some(n + a + sep.len() + b + m);
                }
            }
        }
        Some(n)
    }
    // `WORD\s+` (at least one space): the length, or None.
    fn spaced<'a>(s: &'a str, word: &str) -> Option<&'a str> {
        let r = s.strip_prefix(word)?;
        let n = ws(r);
        (n > 0).then(|| &r[n..])
    }
    let used = |rest: &str| p.len() - rest.len();
    let seps = p.len()
        - p.trim_start_matches(|c: char| c.is_whitespace() || "·|,:;()-–—/".contains(c))
            .len();
    if seps > 0 {
        return seps;
    }
    for w in super::vocab::WEEKDAYS {
        if let Some(rest) = p.strip_prefix(w) {
            if !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                return w.len() + usize::from(rest.starts_with('.'));
            }
        }
    }
    if let Some(r) = p.strip_prefix("dz") {
        let r = r.strip_prefix('.').unwrap_or(r);
        let r = &r[ws(r)..];
        if let Some(n) = numbered(r, &["/"]) {
            return used(r) + n;
        }
    }
    if let Some(r) = spaced(p, "dzien").and_then(|r| r.strip_prefix("zdjeciowy")) {
        let r = r.strip_prefix(':').unwrap_or(r);
        let r = &r[ws(r)..];
        let with_nr = r.strip_prefix("nr").map(|r| {
            let r = r.strip_prefix('.').unwrap_or(r);
            &r[ws(r)..]
        });
        for r in with_nr.into_iter().chain([r]) {
            if let Some(n) = numbered(r, &["/", "z", "of"]) {
                return used(r) + n;
            }
        }
    }
    let after_shoot = spaced(p, "shoot")
        .or_else(|| spaced(p, "shooting"))
        .unwrap_or(p);
    if let Some(r) = after_shoot.strip_prefix("day") {
        let r = r.strip_prefix(':').unwrap_or(r);
        let r = &r[ws(r)..];
        if let Some(n) = numbered(r, &["/", "of"]) {
            return used(r) + n;
        }
    }
    if let Some(r) = p.strip_prefix("data") {
        return used(
            spaced(r, "")
                .and_then(|r| r.strip_prefix("zdjec"))
                .unwrap_or(r),
        );
    }
    for w in ["date", "dzien"] {
        if p.starts_with(w) {
            return w.len();
        }
    }
    for (a, b) in [("shoot", "date"), ("na", "dzien")] {
        if let Some(r) = spaced(p, a).and_then(|r| r.strip_prefix(b)) {
            return used(r);
        }
    }
    if p.starts_with("for") {
        return 3;
    }
    for (a, b) in [("call", "sheet"), ("plan", "zdjeciowy")] {
        if let Some(r) = spaced(p, a).and_then(|r| r.strip_prefix(b)) {
            return used(r);
        }
    }
    0
}

fn prefix_ok(prefix: &str) -> bool {
    let mut p = prefix;
    while !p.is_empty() {
        match header_prefix_len(p) {
            0 => return false,
            n => p = &p[n..],
        }
    }
    true
}

fn suffix_ends(suffix: &str) -> bool {
    suffix
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '.' | ',' | '·' | '|'))
        .is_empty()
}

#[derive(Debug, Clone)]
struct Candidate {
    row: usize,
    date: NaiveDate,
    evidence: bool,
}

fn has_call(f: &str) -> bool {
    // A call label followed by a time anywhere in the row.
    let mut i = 0;
    while i < f.len() {
        // Labels start words: most positions are not asked.
        if i == 0 || !f[..i].ends_with(char::is_alphanumeric) {
            if let Some((TimeLabel::Call(_), len)) =
                super::text::longest_prefix(&f[i..], TIME_LABELS)
            {
                if times::after_label(&f[i + len..]).is_some() {
                    return true;
                }
            }
        }
        i += f[i..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

static DAY_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"\b(?:dz\.?\s*\d|dzien\s+zdjeciowy|shoot(?:ing)?\s+day|day\s*\d{1,3}\s*(?:/|of)|dzien\s*\d{1,3}\s*(?:/|z))",
    )
});

/// A day number ("dz. 12", "shooting day", "day 3 of 40") in folded `t`:
/// every form holds "dz" or "day", so most lines never reach the pattern.
fn day_number(t: &str) -> bool {
    (t.contains("dz") || t.contains("day")) && DAY_NUMBER.is_match(t)
}

fn reference_date(rows: &[Row]) -> Option<NaiveDate> {
    let mut issued = None;
    for r in rows {
        for f in &r.folded {
            for h in dates::find_all(f) {
                if let Some(d) = h.date() {
                    if !r.is_issued() {
                        return Some(d);
                    }
                    issued.get_or_insert(d);
                }
            }
        }
    }
    if issued.is_some() {
        return issued;
    }
    // Only day and month anywhere: a printed year ("tydzień 12 · 2025"), else
    // today, since schedules are sent ahead of the days they plan.
    static YEAR: LazyLock<Regex> = LazyLock::new(|| super::text::static_regex(r"\b(20\d\d)\b"));
    let year = rows.iter().take(12).find_map(|r| {
        r.folded.iter().find_map(|f| {
            f.contains("20")
                .then(|| YEAR.captures(f))
                .flatten()
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse::<i32>().ok())
        })
    });
    match year {
        Some(y) => NaiveDate::from_ymd_opt(y, 7, 1),
        None => Some(chrono::Local::now().date_naive()),
    }
}

fn candidates(rows: &[Row], reference: Option<NaiveDate>) -> Vec<Candidate> {
    // A North American sheet (its addresses say so) prints "04/08/2026"
    // month first.
    let month_first = super::country::north_american(rows);
    let mut out = Vec::new();
    for (ri, row) in rows.iter().enumerate() {
        if row.is_issued() {
            continue;
        }
        let row_text = row.folded_text();
        // A day's header names its number or its call, on its own line or
        // on the next two.
        let call_follows = rows
            .iter()
            .skip(ri + 1)
            .take(2)
            .any(|r| has_call(&r.folded_text()));
        // "DAY 8 OF 40" on the line above the date heads a daily sheet too.
        let day_number_above = ri
            .checked_sub(1)
            .is_some_and(|k| rows[k].page == row.page && day_number(&rows[k].folded_text()));
        let row_evidence = day_number(&row_text)
            || day_number_above
            || has_call(&row_text)
            || is_day_off(&row_text)
            || call_follows;
        for f in &row.folded {
            for h in dates::find_all(f) {
                if h.in_range {
                    continue;
                }
                let weekday = dates::weekday_before(f, h.start);
                let led = prefix_ok(&f[..h.start]);
                let ends = suffix_ends(&f[h.end..]);
                if !(led || ends) {
                    continue;
                }
                let day_prefixed = day_number(&f[..h.start]);
                if h.year.is_none() && !(weekday || day_prefixed) {
                    continue;
                }
                let h = if month_first && h.swappable {
                    DateHit {
                        day: h.month,
                        month: h.day,
                        ..h
                    }
                } else {
                    h
                };
                let Some(date) = dates::resolve(&h, reference, dates::weekday_in(&f[..h.start]))
                else {
                    continue;
                };
                out.push(Candidate {
                    row: ri,
                    date,
                    evidence: weekday || row_evidence,
                });
            }
        }
    }
    out
}

/// Cells of a grid header: each cell is a date (with at most a weekday or a
/// day number around it); a year may be missing.
fn grid_dates(
    row: &Row,
    above: Option<&Row>,
    reference: Option<NaiveDate>,
) -> Vec<(usize, NaiveDate)> {
    grid_dates_min(row, above, reference, 2)
}

/// [`grid_dates`] with at least `min` distinct dates (1 for the last part
/// of a grid whose header is already known).
fn grid_dates_min(
    row: &Row,
    above: Option<&Row>,
    reference: Option<NaiveDate>,
    min: usize,
) -> Vec<(usize, NaiveDate)> {
    // "11.03" is also a time (11:03): a year-less date heads a column only
    // with a weekday in its cell or a row of weekdays right above.
    let weekdays_above = above.is_some_and(|a| {
        a.folded
            .iter()
            .filter(|f| super::vocab::WEEKDAYS.contains(&f.trim().trim_end_matches(['.', ','])))
            .count()
            >= 2
    });
    let mut heads: Vec<(usize, DateHit, Option<chrono::Weekday>)> = Vec::new();
    for (ci, f) in row.folded.iter().enumerate() {
        let hits: Vec<DateHit> = dates::find_all(f)
            .into_iter()
            .filter(|h| !h.in_range)
            .collect();
        if hits.len() != 1 {
            continue;
        }
        let h = &hits[0];
        if !(prefix_ok(&f[..h.start]) && (suffix_ends(&f[h.end..]) || prefix_ok(&f[h.end..]))) {
            continue;
        }
        let weekday = f
            .split(|c: char| !c.is_alphabetic())
            .any(|w| super::vocab::WEEKDAYS.contains(&w));
        if h.year.is_none() && !(weekday || weekdays_above) {
            continue;
        }
        heads.push((ci, h.clone(), dates::weekday_in(f)));
    }
    // One header prints all its dates one way: when the weekdays say month
    // first ("Wed 6/12"), "Fri 6/14" is June 14 even though December 6 is a
    // Friday too.
    let on_weekday = |h: &DateHit, w: Option<chrono::Weekday>| {
        use chrono::Datelike;
        w.is_some_and(|w| dates::resolve_year(h, reference).is_some_and(|d| d.weekday() == w))
    };
    let swapped = |h: &DateHit| DateHit {
        day: h.month,
        month: h.day,
        ..h.clone()
    };
    let votes = |month_first: bool| {
        heads
            .iter()
            .filter(|(_, h, _)| h.swappable)
            .filter(|(_, h, w)| {
                if month_first {
                    on_weekday(&swapped(h), *w)
                } else {
                    on_weekday(h, *w)
                }
            })
            .count()
    };
    let month_first = votes(true) > votes(false);
    let mut out = Vec::new();
    for (ci, h, w) in &heads {
        let d = if month_first && h.swappable {
            dates::resolve_year(&swapped(h), reference)
        } else {
            dates::resolve(h, reference, *w)
        };
        if let Some(d) = d {
            out.push((*ci, d));
        }
    }
    let mut distinct: Vec<NaiveDate> = out.iter().map(|(_, d)| *d).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() >= min.max(1) {
        out
    } else {
        Vec::new()
    }
}

/// Splits the sheet into its shooting days.
pub fn segment(rows: &[Row]) -> Plan {
    let reference = reference_date(rows);
    for (ri, row) in rows.iter().enumerate() {
        if row.is_issued() {
            continue;
        }
        let cols = grid_dates(row, ri.checked_sub(1).and_then(|i| rows.get(i)), reference);
        if !cols.is_empty() {
            return grid(rows, ri, cols, reference);
        }
    }
    let cands = candidates(rows, reference);
    let mut headers: Vec<&Candidate> = Vec::new();
    for c in cands.iter().filter(|c| c.evidence) {
        if !headers.iter().any(|h| h.date == c.date) {
            headers.push(c);
        }
    }
    if headers.len() >= 2 {
        return stacked(rows, &headers);
    }
    let printed_as_a_date = headers.first().copied().or(cands.first()).cloned();
    let prominent = printed_as_a_date.is_some();
    let chosen = printed_as_a_date.or_else(|| {
        // No date is printed prominently: the first full date outside the
        // footer is still better than no day at all.
        rows.iter()
            .enumerate()
            .filter(|(_, r)| !r.is_issued())
            .find_map(|(ri, r)| {
                r.folded
                    .iter()
                    .flat_map(|f| dates::find_all(f))
                    .find(|h| !h.in_range && h.year.is_some())
                    .and_then(|h| h.date())
                    .map(|date| Candidate {
                        row: ri,
                        date,
                        evidence: false,
                    })
            })
    });
    match chosen {
        Some(c) => Plan {
            shape: Shape::Single,
            days: vec![DayBlock {
                date: c.date,
                rows: rows.to_vec(),
                off: false,
                cancelled: is_cancelled(&rows[..rows.len().min(c.row + 12)]),
                prominent,
            }],
            shared: rows.to_vec(),
        },
        None => Plan {
            shape: Shape::Single,
            days: Vec::new(),
            shared: rows.to_vec(),
        },
    }
}

/// The row after the last day: where sheet-wide matter (contacts, footer)
/// starts.
fn tail_start(rows: &[Row], from: usize) -> usize {
    rows.iter()
        .enumerate()
        .skip(from + 1)
        .find(|(_, r)| r.is_issued() || (r.section() == Some(Section::Contacts)))
        .map_or(rows.len(), |(i, _)| i)
}

fn stacked(rows: &[Row], headers: &[&Candidate]) -> Plan {
    let mut starts: Vec<(usize, NaiveDate)> = headers.iter().map(|h| (h.row, h.date)).collect();
    let header_rows: std::collections::HashMap<NaiveDate, usize> =
        headers.iter().map(|h| (h.date, h.row)).collect();
    starts.sort_by_key(|(r, _)| *r);
    let last = starts.last().map_or(0, |s| s.0);
    let mut end = tail_start(rows, last);
    let mut days = Vec::new();
    // Daily sheets one per page: a day's block is its page. It starts with
    // the page (the title, "DAY 8 OF 40" above the date), not at the date
    // line, so that the next sheet's head is not read as the end of this
    // one; the last sheet's contacts on its page are its own.
    let one_per_page = starts
        .windows(2)
        .all(|w| rows[w[0].0].page < rows[w[1].0].page);
    if one_per_page && starts.len() >= 2 {
        let last_page = rows[last].page;
        end = rows
            .iter()
            .rposition(|r| r.page == last_page)
            .map_or(end, |i| i + 1);
        for (i, s) in starts.iter_mut().enumerate() {
            let page = rows[s.0].page;
            let page_start = rows.iter().position(|r| r.page == page).unwrap_or(s.0);
            // The first sheet's head stays shared only when it is not on
            // the first day's page.
            if i > 0 || page_start == 0 {
                s.0 = page_start.min(s.0);
            }
        }
    }
    for (i, &(start, date)) in starts.iter().enumerate() {
        let stop = starts
            .get(i + 1)
            .map_or(end, |s| s.0)
            .min(end.max(start + 1));
        let block: Vec<Row> = rows[start..stop].to_vec();
        let off = is_day_off(&rows[header_rows.get(&date).copied().unwrap_or(start)].folded_text());
        let cancelled = is_cancelled(&block[..block.len().min(4)]);
        days.push(DayBlock {
            date,
            rows: block,
            off,
            cancelled,
            prominent: true,
        });
    }
    let first = starts.first().map_or(0, |s| s.0);
    let mut shared: Vec<Row> = rows[..first].to_vec();
    shared.extend_from_slice(&rows[end.min(rows.len())..]);
    Plan {
        shape: Shape::Stacked,
        days,
        shared,
    }
}

/// One grid of day columns under header row `hi`: each day's rows (its
/// header cell and the row labels, then its cells of every row) and the row
/// after the grid.
fn grid_section(
    rows: &[Row],
    hi: usize,
    cols: &[(usize, NaiveDate)],
    reference: Option<NaiveDate>,
) -> (Vec<Vec<Row>>, usize) {
    let head = &rows[hi];
    let heads: Vec<&crate::layout::Cell> = cols.iter().map(|(ci, _)| &head.cells[*ci]).collect();
    // Column bounds: midway between neighbouring date heads.
    let centres: Vec<f32> = heads.iter().map(|c| (c.x0 + c.x1) / 2.0).collect();
    let mut bounds: Vec<(f32, f32)> = Vec::new();
    for i in 0..centres.len() {
        let left = if i == 0 {
            heads[0].x0 - em(heads[0]) * 2.0
        } else {
            (centres[i - 1] + centres[i]) / 2.0
        };
        let right = if i + 1 == centres.len() {
            f32::MAX
        } else {
            (centres[i] + centres[i + 1]) / 2.0
        };
        bounds.push((left, right));
    }
    let label_edge = bounds[0].0;
    let end = rows
        .iter()
        .enumerate()
        .skip(hi + 1)
        .find(|&(ri, r)| {
            // A line running from the label column across the day columns
            // ("Baza: …" under the grid) is sheet-wide, past the grid.
            let full_width =
                r.cells.len() == 1 && r.cells[0].x0 < label_edge && r.cells[0].x1 > bounds[0].1;
            r.is_issued()
                || !grid_dates_min(r, rows.get(ri - 1), reference, repeats_header(head, r))
                    .is_empty()
                || r.section() == Some(Section::Contacts)
                || r.page != head.page
                || full_width
                || r.is_heading()
        })
        .map_or(rows.len(), |(i, _)| i);
    let mut per_day: Vec<Vec<Row>> = vec![Vec::new(); cols.len()];
    // Each day's header: its date cell and the row's label cells.
    for (k, (ci, _)) in cols.iter().enumerate() {
        let mut cells: Vec<_> = head
            .cells
            .iter()
            .filter(|c| c.x1 <= label_edge)
            .cloned()
            .collect();
        cells.push(head.cells[*ci].clone());
        per_day[k].push(Row::new(head.page, head.y, cells, head.spacing, head.left));
    }
    for row in &rows[hi + 1..end] {
        let labels: Vec<_> = row
            .cells
            .iter()
            .filter(|c| c.x1 <= label_edge + em(c))
            .cloned()
            .collect();
        let mut assigned: Vec<Vec<crate::layout::Cell>> = vec![Vec::new(); cols.len()];
        for c in row.cells.iter().filter(|c| c.x1 > label_edge + em(c)) {
            let centre = (c.x0 + c.x1) / 2.0;
            let width = c.x1 - c.x0;
            let mut spanned = Vec::new();
            for (k, &(l, r)) in bounds.iter().enumerate() {
                let r = if r == f32::MAX {
                    l + (bounds[0].1 - bounds[0].0).max(width)
                } else {
                    r
                };
                let overlap = (c.x1.min(r) - c.x0.max(l)).max(0.0);
                if overlap >= 0.6 * (r - l) {
                    spanned.push(k);
                }
            }
            if spanned.len() >= 2 {
                for k in spanned {
                    assigned[k].push(c.clone());
                }
            } else if let Some(k) = bounds.iter().position(|&(l, r)| centre >= l && centre < r) {
                assigned[k].push(c.clone());
            }
        }
        for (k, cells) in assigned.into_iter().enumerate() {
            if cells.is_empty() {
                continue;
            }
            let mut all = labels.clone();
            all.extend(cells);
            per_day[k].push(Row::new(row.page, row.y, all, row.spacing, row.left));
        }
    }
    (per_day, end)
}

/// How many dates make `row` a grid header, given the first grid's header
/// `head`: one when it repeats the header's row label ("Dzień | pon 18.03"
/// on the next page), two otherwise.
fn repeats_header(head: &Row, row: &Row) -> usize {
    let label = |r: &Row| {
        r.folded
            .first()
            .filter(|f| dates::find_all(f).is_empty())
            .map(|f| f.trim().to_string())
    };
    match (label(head), label(row)) {
        (Some(a), Some(b)) if a == b && !a.is_empty() => 1,
        _ => 2,
    }
}

/// A grid of day columns, possibly printed as several grids (a week that
/// does not fit the page width, a page break repeating the header): each
/// header row opens a grid that runs to the next one; a day seen in two grids
/// keeps the rows of both.
fn grid(
    rows: &[Row],
    first: usize,
    first_cols: Vec<(usize, NaiveDate)>,
    reference: Option<NaiveDate>,
) -> Plan {
    let mut days: Vec<(NaiveDate, Vec<Row>)> = Vec::new();
    let mut in_grid = vec![false; rows.len()];
    let mut hi = first;
    let mut cols = first_cols;
    loop {
        let (per_day, end) = grid_section(rows, hi, &cols, reference);
        for flag in &mut in_grid[hi..end] {
            *flag = true;
        }
        for ((_, date), block) in cols.iter().zip(per_day) {
            match days.iter_mut().find(|(d, _)| d == date) {
                Some((_, rows)) => rows.extend(block),
                None => days.push((*date, block)),
            }
        }
        let next = rows.iter().enumerate().skip(end).find_map(|(ri, r)| {
            if r.is_issued() {
                return None;
            }
            let c = grid_dates_min(
                r,
                ri.checked_sub(1).and_then(|i| rows.get(i)),
                reference,
                repeats_header(&rows[first], r),
            );
            (!c.is_empty()).then_some((ri, c))
        });
        match next {
            Some((ri, c)) if ri > hi => {
                hi = ri;
                cols = c;
            }
            _ => break,
        }
    }
    let days = days
        .into_iter()
        .map(|(date, rows)| {
            let off = rows.iter().skip(1).any(|r| {
                let t = r.folded_text();
                is_day_off(&t)
            }) && !rows.iter().any(|r| has_call(&r.folded_text()));
            let cancelled = is_cancelled(&rows);
            DayBlock {
                date,
                rows,
                off,
                cancelled,
                prominent: true,
            }
        })
        .collect();
    let shared: Vec<Row> = rows
        .iter()
        .zip(&in_grid)
        .filter(|(_, g)| !**g)
        .map(|(r, _)| r.clone())
        .collect();
    Plan {
        shape: Shape::Grid,
        days,
        shared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_prefix_by_code_matches_the_pattern() {
        let weekdays = super::super::vocab::WEEKDAYS.join("|");
        let re = regex::Regex::new(&format!(
            r"^(?:[\s·|,:;()\-–—/]+|(?:{weekdays})\b\.?|dz\.?\s*\d{{1,3}}(?:\s*/\s*\d{{1,3}})?|dzien\s+zdjeciowy:?\s*(?:nr\.?\s*)?\d{{1,3}}(?:\s*(?:/|z|of)\s*\d{{1,3}})?|(?:shoot(?:ing)?\s+)?day:?\s*\d{{1,3}}(?:\s*(?:/|of)\s*\d{{1,3}})?|data(?:\s+zdjec)?|date|dzien|shoot\s+date|na\s+dzien|for|call\s+sheet|plan\s+zdjeciowy)"
        ))
        .unwrap();
        for p in [
            "poniedzialek, ",
            "pon. ",
            "ponx",
            "dz. 12/40 ",
            "dz 3",
            "dz.",
            "dzien zdjeciowy: nr 5 z 20",
            "dzien zdjeciowy 5 of 9",
            "dzien zdjeciowy nr",
            "dzien 5",
            "shooting day 3/12",
            "shoot day: 4",
            "day 7 of 20",
            "day",
            "data zdjec ",
            "data: ",
            "date ",
            "shoot date",
            "na dzien ",
            "for ",
            "format",
            "call sheet ",
            "plan zdjeciowy",
            " – ",
            "(",
            "monday,",
            "tues.",
            "xyz",
            "",
            "day 1234",
            "dz 12 / 3",
            "dz 12 /",
            "shoot  date",
            "shootingday 3",
        ] {
            let want = re.find(p).map_or(0, |m| m.end());
            assert_eq!(header_prefix_len(p), want, "{p:?}");
        }
    }

    #[test]
    fn header_prefixes() {
        assert!(prefix_ok("sobota, "));
        assert!(prefix_ok("dz 40 · "));
        assert!(prefix_ok("dzien zdjeciowy 34 / 50 · poniedzialek, "));
        assert!(prefix_ok(""));
        assert!(!prefix_ok("wydano: "));
        assert!(!prefix_ok("zdjecia z dnia "));
    }
}
