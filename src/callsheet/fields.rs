//! Per-day fields read from a block of rows: labelled times (crew call,
//! wrap), department calls, shooting-day number, safety notes.
//!
//! A labelled time is looked for where a reader looks: right after the label
//! (`CALL 6:30`, `Koniec zdjęć: 19:00`), in the next cell of the row
//! (`Crew call | 07:00`), or under the label in its column (a header box with
//! the big time below). Every label is classified (crew call, first shot,
//! meal, sunrise, pick-up, wrap…) so the crew call is never taken from the
//! wrong one.

use super::sheet::{column_below, Row};
use super::text::{
    find_word, fold, levenshtein, longest_prefix, trim_punct, Folded, Gated, Phrases,
};
use super::times::{self, Hm};
use super::vocab::{
    Section, TimeLabel, DEPARTMENTS, NOT_DEPARTMENTS, SECTION_HEADINGS, TIME_LABELS,
};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeHit {
    pub label: TimeLabel,
    pub time: Hm,
    pub row: usize,
}

fn word_starts(s: &str) -> impl Iterator<Item = usize> + '_ {
    let mut prev_alnum = false;
    s.char_indices().filter_map(move |(i, c)| {
        let start = c.is_alphanumeric() && !prev_alnum;
        prev_alnum = c.is_alphanumeric();
        start.then_some(i)
    })
}

/// Time labels in one folded cell: (offset, length, label). Inside a cell a
/// label must follow a separator, a number or a date, not a word: "Kamera
/// call 6:30" is the camera's call.
fn labels_in(f: &str) -> Vec<(usize, usize, TimeLabel)> {
    let mut out = Vec::new();
    let mut skip_to = 0;
    for pos in word_starts(f).collect::<Vec<_>>() {
        if pos < skip_to {
            continue;
        }
        static LABELS: Phrases<TimeLabel> = Phrases::new(TIME_LABELS);
        let Some((label, len)) = LABELS.fuzzy_prefix(&f[pos..]) else {
            continue;
        };
        skip_to = pos + len;
        let after_label = out
            .last()
            .is_some_and(|&(p, l, _)| f[p + l..pos].trim().is_empty());
        if f[..pos].trim_end().ends_with(|c: char| c.is_alphabetic()) && !after_label {
            continue;
        }
        out.push((pos, len, label));
    }
    out
}

/// Words before a label that move it to another day ("jutro", "tomorrow's",
/// "next day").
fn about_another_day(before: &str) -> bool {
    super::vocab::OTHER_DAY
        .iter()
        .any(|w| find_word(before, w).is_some())
}

/// The time a change announces as the new one: "było 07:00, jest 06:30",
/// "was 7:00 now 6:30", "07:00 → 06:30".
fn now_time(own: &str) -> Option<Hm> {
    const WAS: &[&str] = &[
        "bylo",
        "byla",
        "was",
        "zamiast",
        "instead of",
        "old",
        "stara",
    ];
    const NOW: &[&str] = &[
        "jest", "now", "is now", "teraz", "nowa", "new", "->", "→", "=>",
    ];
    let was = WAS.iter().filter_map(|w| find_word(own, w)).min()?;
    let now = NOW
        .iter()
        .filter_map(|w| {
            let at = own[was..].find(w).map(|i| was + i)?;
            Some((at, at + w.len()))
        })
        .min()?;
    times::after_label(&own[now.1..])
}

/// The text after a label holds no value of its own: nothing, an hour word,
/// the next label, or the sheet's date printed beside it.
fn value_free(own: &str) -> bool {
    let o = trim_punct(own);
    o.is_empty()
        || o == "godz."
        || o == "godz"
        || o == "(godz.)"
        || longest_prefix(o, TIME_LABELS).is_some()
        || super::dates::find_all(o)
            .first()
            .is_some_and(|h| h.start <= 14 && times::find_all(&o[..h.start]).is_empty())
}

/// Every labelled time of the block.
pub fn labelled_times(rows: &[Row]) -> Vec<TimeHit> {
    let mut out = Vec::new();
    for (ri, row) in rows.iter().enumerate() {
        let mut unresolved: Vec<TimeLabel> = Vec::new();
        let mut label_count = 0;
        for (ci, f) in row.folded.iter().enumerate() {
            let labels = labels_in(f);
            for (k, &(pos, len, label)) in labels.iter().enumerate() {
                label_count += 1;
                let end = labels.get(k + 1).map_or(f.len(), |l| l.0);
                let own = &f[pos + len..end];
                // "Jutro (dzień 19) zbiórka 8:00": tomorrow's call, not today's.
                if about_another_day(&f[..pos]) {
                    continue;
                }
                // "zbiórka: było 07:00, jest 06:30": the new time counts.
                if let Some(t) = now_time(own) {
                    out.push(TimeHit {
                        label,
                        time: t,
                        row: ri,
                    });
                    continue;
                }
                if let Some(t) = times::after_label(own) {
                    out.push(TimeHit {
                        label,
                        time: t,
                        row: ri,
                    });
                    continue;
                }
                // A running order's row: "07:00 – 07:30 | 30m | Zbiórka
                // ekipy / śniadanie" — the row's time is the label's.
                if ci > 0 && trim_punct(&f[..pos]).is_empty() {
                    if let Some(t) = row.folded.first().and_then(|c| times::leading(c)) {
                        out.push(TimeHit {
                            label,
                            time: t,
                            row: ri,
                        });
                        continue;
                    }
                }
                if !value_free(own) {
                    continue;
                }
                // Only a label that is the whole cell owns the cell to its
                // right or the column below.
                let whole_cell = labels.len() == 1
                    && trim_punct(&f[..pos]).is_empty()
                    && trim_punct(own).len() <= 6;
                if whole_cell {
                    if let Some(t) = beside_or_below(rows, ri, ci) {
                        out.push(TimeHit {
                            label,
                            time: t,
                            row: ri,
                        });
                        continue;
                    }
                }
                unresolved.push(label);
            }
        }
        if unresolved.is_empty() {
            continue;
        }
        // A row of labels over a row of times, read in order (a scan that
        // lost the columns: "Śniadanie Obiad Koniec zdjęć" / "7.30 13.00 19.00").
        if unresolved.len() >= 2 && unresolved.len() == label_count {
            if let Some(next) = rows.get(ri + 1) {
                let text = next.folded_text();
                let ts = times::find_all(&text);
                let mut rest = text.clone();
                for (a, b, _) in ts.iter().rev() {
                    rest.replace_range(*a..*b, " ");
                }
                if ts.len() == unresolved.len() && !rest.chars().any(char::is_alphabetic) {
                    for (label, (_, _, t)) in unresolved.iter().zip(ts) {
                        out.push(TimeHit {
                            label: *label,
                            time: t,
                            row: ri,
                        });
                    }
                    continue;
                }
            }
        }
        // The crew call or wrap printed alone a few lines further down.
        for label in unresolved
            .into_iter()
            .filter(|l| matches!(l, TimeLabel::Call(_) | TimeLabel::Wrap))
        {
            for next in rows.iter().skip(ri + 1).take(6) {
                if next.is_heading()
                    || next
                        .folded
                        .first()
                        .is_some_and(|f| !labels_in(f).is_empty() && labels_in(f)[0].0 == 0)
                {
                    break;
                }
                if next.cells.len() == 1 {
                    if let Some(t) = times::labelled_value(&next.folded[0]) {
                        out.push(TimeHit {
                            label,
                            time: t,
                            row: ri,
                        });
                        break;
                    }
                }
            }
        }
    }
    out
}

/// A value-only time in the next cell of the row or in the column below.
fn beside_or_below(rows: &[Row], ri: usize, ci: usize) -> Option<Hm> {
    if let Some(t) = rows[ri]
        .folded
        .get(ci + 1)
        .and_then(|n| times::labelled_value(n))
    {
        return Some(t);
    }
    let mut others = 0;
    for (k, j) in column_below(rows, ri, ci, 7) {
        let cf = &rows[k].folded[j];
        if let Some(t) = times::labelled_value(cf) {
            return Some(t);
        }
        if longest_prefix(cf.trim_start(), TIME_LABELS).is_some() {
            return None;
        }
        others += 1;
        if others >= 3 {
            return None;
        }
    }
    None
}

/// The crew call among the labelled times; warns when several differ.
pub fn crew_call(hits: &[TimeHit], warnings: &mut Vec<String>) -> Option<Hm> {
    let calls: Vec<(u8, Hm)> = hits
        .iter()
        .filter_map(|h| match h.label {
            TimeLabel::Call(p) => Some((p, h.time)),
            _ => None,
        })
        .collect();
    let best = calls.iter().map(|(p, _)| *p).max()?;
    let chosen = calls.iter().find(|(p, _)| *p == best).map(|(_, t)| *t)?;
    let mut distinct: Vec<Hm> = calls.iter().map(|(_, t)| *t).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        let all: Vec<String> = distinct.iter().map(Hm::to_string).collect();
        warnings.push(format!(
            "{} call times found ({}), chose {chosen}",
            distinct.len(),
            all.join(", ")
        ));
    }
    Some(chosen)
}

/// How many different times are printed against crew-call labels.
pub fn distinct_calls(hits: &[TimeHit]) -> usize {
    let mut t: Vec<Hm> = hits
        .iter()
        .filter(|h| matches!(h.label, TimeLabel::Call(_)))
        .map(|h| h.time)
        .collect();
    t.sort();
    t.dedup();
    t.len()
}

/// The rows hold a section or list that says it is the department calls.
pub fn has_department_section(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.section() == Some(Section::DeptCalls))
}

pub fn wrap(hits: &[TimeHit]) -> Option<Hm> {
    hits.iter()
        .find(|h| h.label == TimeLabel::Wrap)
        .map(|h| h.time)
}

pub fn first_shot(hits: &[TimeHit]) -> Option<Hm> {
    hits.iter()
        .find(|h| h.label == TimeLabel::FirstShot)
        .map(|h| h.time)
}

/// `name time` pairs in one line of printed text (`Charakteryzacja 07:30
/// Transport 07:15`, `HMU 6:00 AM · Grip 7:00 AM`).
fn pairs(orig: &str) -> Vec<(String, Hm)> {
    let fo = Folded::new(orig);
    let mut out = Vec::new();
    let mut from = 0;
    for (a, b, t) in times::find_all(&fo.text) {
        let name = fo.orig_slice(from, a);
        let name = trim_punct(name).trim_end_matches(['-', '=', ':']).trim();
        // "Godziny zbiórki pionów: Charakteryzacja 6:00": the list's own
        // label before a colon is not part of the first name.
        let name = name
            .rsplit(['·', ';', '|', ',', '•', ':'])
            .next()
            .unwrap_or("");
        let name = trim_punct(name);
        // "Kamera godz. 06:15": the hour word belongs to the time.
        let name = ["godz.", "godz", "o godz.", "at", "o"]
            .iter()
            .find_map(|w| {
                name.strip_suffix(w)
                    .filter(|n| n.ends_with(' '))
                    .map(str::trim_end)
            })
            .unwrap_or(name);
        from = b;
        if name.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
            out.push((super::text::squash(name), t));
        }
    }
    out
}

/// Pairs of a table row: each time cell goes with the first text cell
/// since the previous time (the department column, not a name column:
/// "Kamera | Jan Kowalski | 6:30" is Kamera's call). A row without a
/// time-only cell is read as text.
fn row_pairs(row: &Row) -> Vec<(String, Hm)> {
    if row.cells.len() < 2 || !row.folded.iter().any(|f| times::value_only(f).is_some()) {
        return pairs(&row.text());
    }
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for (c, f) in row.cells.iter().zip(&row.folded) {
        if let Some(t) = times::value_only(f) {
            if let Some(name) = pending.take() {
                out.push((name, t));
            }
            continue;
        }
        let inner = pairs(&c.text);
        if !inner.is_empty() {
            out.extend(inner);
            pending = None;
            continue;
        }
        let name = trim_punct(&c.text).to_string();
        if pending.is_none() && name.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
            pending = Some(super::text::squash(&name));
        }
    }
    out
}

/// A row of names over a row of times, each time under its name.
fn stacked_pairs(names: &Row, times_row: &Row, min_cells: usize) -> Vec<(String, Hm)> {
    if names.cells.len() < min_cells
        || names.cells.len() != times_row.cells.len()
        || names.page != times_row.page
        || names.folded.iter().any(|f| !times::find_all(f).is_empty())
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, (c, f)) in names
        .cells
        .iter()
        .zip(times_row.cells.iter().zip(&times_row.folded))
    {
        let (Some(t), true) = (times::value_only(f), super::sheet::gap(n, c) == 0.0) else {
            return Vec::new();
        };
        out.push((super::text::squash(trim_punct(&n.text)), t));
    }
    out
}

/// The words after the last time of a line ("… Rekwizyty 06:30 ·
/// Scenografia" → "Scenografia"), when they could be a name.
fn unpaired_tail(line: &str) -> String {
    let fo = Folded::new(line);
    let from = times::find_all(&fo.text).last().map_or(0, |&(_, b, _)| b);
    let tail = fo.orig_slice(from, fo.text.len());
    let tail = tail.rsplit(['·', ';', '|', ',', '•']).next().unwrap_or("");
    let tail = trim_punct(tail);
    // A name starts with a capital and is not a closed remark ("(zmiana)").
    if tail.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && tail.split_whitespace().count() <= 3
        && tail.starts_with(char::is_uppercase)
        && !tail.ends_with(['.', ')', '!'])
    {
        tail.to_string()
    } else {
        String::new()
    }
}

fn is_department_name(name: &str) -> bool {
    let f = super::text::fold(name);
    let f = f.trim();
    if NOT_DEPARTMENTS.contains(&f) {
        return false;
    }
    // A general call, meal or sunrise printed in the table is not a department.
    !longest_prefix(f, TIME_LABELS).is_some_and(|(l, len)| {
        len + 1 >= f.len() && !matches!(l, TimeLabel::Other)
            || matches!(l, TimeLabel::Call(_) | TimeLabel::Meal | TimeLabel::Sun)
    })
}

/// Department calls of a block: the rows of a department-calls section
/// (heading "WEZWANIA PIONÓW", "DEPARTMENT CALL TIMES", inline "Wezwania:");
/// without such a section, rows naming known departments with a time.
/// A scanned department name snapped to the printed form of the known
/// department it is one or two misread letters away from ("Swiatto" →
/// "Światło").
fn snap_department(name: String) -> String {
    let f = fold(&name);
    let f = f.trim();
    let max = if f.chars().count() >= 7 {
        2
    } else if f.chars().count() >= 4 {
        1
    } else {
        0
    };
    DEPARTMENTS
        .iter()
        .map(|d| (levenshtein(&fold(d), f), d))
        .filter(|(dist, _)| *dist <= max)
        .min_by_key(|(dist, _)| *dist)
        .map_or(name, |(_, d)| d.to_string())
}

fn is_known_department(name: &str) -> bool {
    let f = fold(name);
    DEPARTMENTS.iter().any(|d| fold(d) == f.trim())
}

pub fn department_calls(rows: &[Row], ocr: bool) -> BTreeMap<String, String> {
    let mut out = department_calls_as_printed(rows);
    if ocr {
        out = out
            .into_iter()
            .map(|(n, t)| (snap_department(n), t))
            .collect();
    }
    out
}

fn department_calls_as_printed(rows: &[Row]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut found_section = false;
    let mut ri = 0;
    while ri < rows.len() {
        if rows[ri].section() != Some(Section::DeptCalls) {
            ri += 1;
            continue;
        }
        found_section = true;
        let row = &rows[ri];
        let first = &row.folded[0];
        let (_, len) = longest_prefix(first, SECTION_HEADINGS).unwrap_or((Section::DeptCalls, 0));
        let fo = Folded::new(&row.cells[0].text);
        let mut text = fo.orig[fo.orig_at(len)..].to_string();
        for c in &row.cells[1..] {
            text.push_str("  ");
            text.push_str(&c.text);
        }
        let inline = !trim_punct(&text).is_empty();
        // The heading is a row label with its values on the right, wrapped
        // onto the lines below under the values, never under the label.
        let label_column = trim_punct(&first[len..]).is_empty() && row.cells.len() > 1;
        for (n, t) in pairs(&text) {
            if is_department_name(&n) {
                out.insert(n, t.to_string());
            }
        }
        ri += 1;
        let mut seen_pairs = inline;
        // The last printed line of the list: one ending with a separator
        // ("… Lokacje 04:45 ·") is continued on the next line.
        let mut last_line = text.clone();
        while ri < rows.len() {
            let r = &rows[ri];
            // A grid's last row of cards may hold one card, bold and alone
            // like a heading ("DŹWIĘK" / "07:00" under four cards).
            if r.is_heading() && r.section().is_none() && seen_pairs {
                let stacked = rows
                    .get(ri + 1)
                    .map(|below| stacked_pairs(r, below, 1))
                    .unwrap_or_default();
                if !stacked.is_empty() && stacked.iter().all(|(n, _)| is_department_name(n)) {
                    for (n, t) in stacked {
                        out.insert(n, t.to_string());
                    }
                    ri += 2;
                    continue;
                }
            }
            if r.is_heading() || r.section().is_some() {
                break;
            }
            if label_column {
                if !row.continues_label_column(r) {
                    break;
                }
                for (n, t) in row_pairs(r) {
                    if is_department_name(&n) {
                        out.insert(n, t.to_string());
                    }
                }
                ri += 1;
                continue;
            }
            // An inline list wraps anywhere, even between a name and its
            // time ("… Scenografia" / "07:30"): read a wrapped line with the
            // unpaired words that ended the line above.
            let carry = unpaired_tail(&last_line);
            let p = if inline && r.cells.len() == 1 && !carry.is_empty() {
                pairs(&format!("{carry} {}", r.text()))
            } else {
                row_pairs(r)
            };
            if p.is_empty() {
                // Names over their times, column by column (a grid of cards:
                // "CAMERA | GRIP & ELECTRIC" / "4:30am | 5:00am").
                if let Some(below) = rows.get(ri + 1) {
                    // A grid's last row of cards may hold a single card
                    // ("DŹWIĘK" / "07:00" under four): one is enough once
                    // the grid has begun.
                    let stacked = stacked_pairs(r, below, if seen_pairs { 1 } else { 2 });
                    if !stacked.is_empty() {
                        for (n, t) in stacked {
                            if is_department_name(&n) {
                                out.insert(n, t.to_string());
                            }
                        }
                        seen_pairs = true;
                        ri += 2;
                        continue;
                    }
                }
                // A table's own header row ("Pion | Godzina") may precede
                // the first pair; after that an empty row ends the table.
                if seen_pairs {
                    break;
                }
                ri += 1;
                continue;
            }
            let list_open = !carry.is_empty()
                || last_line
                    .trim_end()
                    .ends_with(['·', ',', ';', '|', '•', '-', '–', '—']);
            if inline
                && !list_open
                && !r.cells[0].text.starts_with(|c: char| c.is_lowercase())
                && r.cells.len() == 1
            {
                break;
            }
            last_line = r.text();
            seen_pairs = true;
            for (n, t) in p {
                if is_department_name(&n) {
                    out.insert(n, t.to_string());
                }
            }
            ri += 1;
        }
    }
    if !found_section {
        for r in rows {
            for (n, t) in row_pairs(r) {
                if is_known_department(&n) {
                    out.insert(n, t.to_string());
                }
            }
        }
    }
    out
}

/// (pattern, needs a total or the whole cell to be trusted), each compiled
/// only for a cell that holds its word.
static SHOOT_DAY: [(Gated, bool); 6] = [
    (
        Gated::new(
            r"\bdzien\s+zdjeciowy\s*(?:nr\.?)?\s*:?\s*(\d{1,3})\b(?:\s*(?:/|z|of)\s*(\d{1,3}))?",
            &["dzien"],
        ),
        false,
    ),
    (
        Gated::new(r"\b(\d{1,3})\.?\s*dzien\s+zdjeciowy\b()", &["dzien"]),
        false,
    ),
    (
        Gated::new(r"\bdz\.?:?\s*(\d{1,3})\b(?:\s*/\s*(\d{1,3}))?", &["dz"]),
        false,
    ),
    (
        Gated::new(
            r"\bshoot(?:ing)?\s+day\s*(?:no\.?|#)?\s*:?\s*(\d{1,3})\b(?:\s*(?:/|of)\s*(\d{1,3}))?",
            &["shoot"],
        ),
        false,
    ),
    (
        Gated::new(
            r"\bday\s*(?:no\.?|#)?\s*:?\s*(\d{1,3})\b(?:\s*(?:/|of)\s*(\d{1,3}))?",
            &["day"],
        ),
        true,
    ),
    (
        Gated::new(
            r"\bdzien\s*(?:nr\.?)?\s*:?\s*(\d{1,3})\b(?:\s*(?:/|z)\s*(\d{1,3}))?",
            &["dzien"],
        ),
        true,
    ),
];

/// The production's day number ("DZ 12", "Dzień zdjęciowy 5 / 45", "Day 2/42").
pub fn shoot_day(rows: &[Row]) -> Option<u32> {
    for (gated, strict) in SHOOT_DAY.iter() {
        for row in rows {
            for f in &row.folded {
                let Some(re) = gated.get(f) else { continue };
                for c in re.captures_iter(f) {
                    let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
                        continue;
                    };
                    let total = c.get(2).is_some_and(|t| !t.as_str().is_empty());
                    let whole = trim_punct(f).len() == m.as_str().trim().len() || m.start() == 0;
                    if *strict && !(total || whole) {
                        continue;
                    }
                    if let Ok(n) = n.as_str().parse::<u32>() {
                        if n > 0 {
                            return Some(n);
                        }
                    }
                }
            }
        }
    }
    // "DAY | 2 | OF | 3": a total printed with it, across cells.
    for row in rows.iter().filter(|r| r.cells.len() > 1) {
        let joined = row.folded.join(" ");
        for re in SHOOT_DAY.iter().filter_map(|(g, _)| g.get(&joined)) {
            for c in re.captures_iter(&joined) {
                let total = c.get(2).is_some_and(|t| !t.as_str().is_empty());
                if let (true, Some(Ok(n))) = (total, c.get(1).map(|n| n.as_str().parse::<u32>())) {
                    if n > 0 {
                        return Some(n);
                    }
                }
            }
        }
    }
    // A table row: label cell "DZ" / "Dzień zdjęciowy" / "Shoot day", the
    // number in the next cell; a bare "DAY" only in a short header row (in
    // a scene table "DAY | 2" is the time of day and a page count).
    for row in rows {
        for (i, f) in row.folded.iter().enumerate() {
            let label = f.trim().trim_end_matches(':');
            let bare_day = matches!(label, "day" | "dzien")
                && row.cells.len() <= 3
                && !row.folded.iter().any(|o| o.contains('/'));
            if super::vocab::SHOOT_DAY_LABELS.contains(&label) || bare_day {
                let next = row.folded.get(i + 1).map(|n| n.trim()).unwrap_or("");
                let num = next.split(['/', ' ']).next().unwrap_or("");
                if let Ok(n) = num.parse::<u32>() {
                    if (1..1000).contains(&n) {
                        return Some(n);
                    }
                }
            }
        }
    }
    None
}

/// Safety notes: the lines of a safety section, or the items of an inline
/// "BHP: a; b" line (wrapped lines joined back).
pub fn safety_notes(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut ri = 0;
    while ri < rows.len() {
        if rows[ri].section() != Some(Section::Safety) {
            ri += 1;
            continue;
        }
        let row = &rows[ri];
        let (_, len) =
            longest_prefix(&row.folded[0], SECTION_HEADINGS).unwrap_or((Section::Safety, 0));
        let fo = Folded::new(&row.text());
        let inline = trim_punct(&fo.orig[fo.orig_at(len)..]).to_string();
        ri += 1;
        if !inline.is_empty() && !row.is_heading() {
            let mut text = inline;
            while let Some(next) = rows.get(ri) {
                let t = next.text();
                if next.section().is_some() || !t.starts_with(|c: char| c.is_lowercase()) {
                    break;
                }
                text.push(' ');
                text.push_str(&t);
                ri += 1;
            }
            out.extend(
                text.split(';')
                    .map(|s| trim_punct(s).to_string())
                    .filter(|s| !s.is_empty()),
            );
            continue;
        }
        while let Some(next) = rows.get(ri) {
            if next.is_heading() || next.section().is_some() {
                break;
            }
            let t = next.text();
            let bullet = t
                .trim_start()
                .starts_with(['•', '*', '-', '–', '·', '¢', '+']);
            let item = trim_punct(t.trim_start_matches(['•', '*', '-', '–', '·', '¢', '+', ' ']))
                .to_string();
            match out.last_mut() {
                Some(last) if !bullet && t.starts_with(|c: char| c.is_lowercase()) => {
                    last.push(' ');
                    last.push_str(&item);
                }
                _ if !item.is_empty() => out.push(item),
                _ => {}
            }
            ri += 1;
        }
    }
    out.dedup();
    out
}

/// Notices a reader should see (a changed location, a cancelled scene):
/// lines that open with "UWAGA", "CHANGE", "NOTE", "ZMIANA".
pub fn notices(rows: &[Row]) -> Vec<String> {
    const OPENERS: &[&str] = &["uwaga", "change:", "note:", "important", "wazne"];
    let mut out = Vec::new();
    let mut ri = 0;
    while ri < rows.len() {
        let f = rows[ri].folded_text();
        if OPENERS.iter().any(|o| f.trim_start().starts_with(o)) {
            let mut text = rows[ri].text();
            while let Some(next) = rows.get(ri + 1) {
                let t = next.text();
                let continues = next.cells.len() == 1
                    && !next.is_heading()
                    && next.section().is_none()
                    && !text.trim_end().ends_with(['.', '!']);
                if !continues {
                    break;
                }
                text.push(' ');
                text.push_str(&t);
                ri += 1;
            }
            out.push(super::text::squash(&text));
        }
        ri += 1;
    }
    out
}

/// True when a line says nobody shoots that day.
pub fn is_day_off(folded: &str) -> bool {
    super::vocab::DAY_OFF
        .iter()
        .any(|w| find_word(folded, w).is_some())
}

/// True when the rows say the day itself is called off ("DZIEŃ ODWOŁANY",
/// "SHOOT CANCELLED", a cell reading just "ODWOŁANY"), not a scene or an
/// earlier version ("sc. 12 odwołana", "wersja 1 cancelled").
pub fn is_cancelled(rows: &[Row]) -> bool {
    use super::vocab::{CANCELLED_WORDS, DAY_CANCELLED};
    rows.iter().any(|row| {
        row.folded.iter().any(|f| {
            let f = f.trim();
            if DAY_CANCELLED.iter().any(|w| find_word(f, w).is_some()) {
                return !of_a_part(f);
            }
            CANCELLED_WORDS.iter().any(|w| {
                find_word(f, w).is_some() && {
                    let rest = f.replacen(w, " ", 1);
                    let rest = trim_punct(&rest);
                    // The word alone, or beside the day's date or title.
                    rest.split_whitespace().count() <= 4
                        && !of_a_part(f)
                        && (row.is_heading()
                            || rest.is_empty()
                            || super::dates::find_all(&rest).first().is_some()
                            || f.starts_with(w)
                            || f.ends_with(w))
                }
            })
        })
    })
}

/// The cancellation is of a scene, a version, a meal or a person, not the day.
fn of_a_part(f: &str) -> bool {
    const PARTS: &[&str] = &[
        "sc",
        "sc.",
        "scena",
        "sceny",
        "scene",
        "scenes",
        "wersja",
        "version",
        "v",
        "rev",
        "revision",
        "obiad",
        "lunch",
        "breakfast",
        "sniadanie",
        "transport",
        "pick-up",
        "pickup",
        "odbior",
        "dron",
        "drone",
        "nagranie",
    ];
    f.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
        .any(|w| PARTS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dept_pairs() {
        let p = pairs("Charakteryzacja  07:30  Transport  07:15");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].0, "Charakteryzacja");
        let p = pairs(": Charakteryzacja 4:30 · Rekwizyty 5:15 · Efekty specjalne 5:00");
        let names: Vec<&str> = p.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Charakteryzacja", "Rekwizyty", "Efekty specjalne"]);
        let p = pairs("HMU  6:00 AM  Electric  7:45 AM  Art Dept  5:45 AM");
        let v: Vec<String> = p.iter().map(|(n, t)| format!("{n}={t}")).collect();
        assert_eq!(v, ["HMU=06:00", "Electric=07:45", "Art Dept=05:45"]);
    }

    use crate::callsheet::sheet::one_cell_rows as rows;

    #[test]
    fn shoot_day_numbers() {
        for (text, n) in [
            ("Dzień zdjęciowy 23", 23),
            ("Dzień 23/40", 23),
            ("DZIEŃ 23 z 40", 23),
            ("Day 23 of 40", 23),
            ("Shoot day 23", 23),
            ("DZ 12", 12),
            ("DZ: 7", 7),
            ("23. dzień zdjęciowy", 23),
            ("piątek · DZIEŃ ZDJĘCIOWY 34 / 50", 34),
        ] {
            assert_eq!(shoot_day(&rows(&[text])), Some(n), "{text}");
        }
        for text in [
            "Tydzień zdjęciowy 5",
            "EXT DAY 10, 11 2/8",
            "Odcinek 9",
            "DZIEŃ WOLNY",
        ] {
            assert_eq!(shoot_day(&rows(&[text])), None, "{text}");
        }
    }

    #[test]
    fn crew_call_is_not_a_department_call() {
        let hits = labelled_times(&rows(&[
            "Kamera call 6:30",
            "Shooting call 8:00",
            "Crew call: 7:00",
        ]));
        let mut w = Vec::new();
        assert_eq!(
            crew_call(&hits, &mut w).map(|t| t.to_string()).as_deref(),
            Some("07:00")
        );
        assert!(w.is_empty(), "{w:?}");
        let hits = labelled_times(&rows(&[
            "Śniadanie 6:00 · Wschód słońca 5:40 · Odbiór 5:15",
        ]));
        assert_eq!(crew_call(&hits, &mut w), None);
    }

    #[test]
    fn department_names() {
        assert!(is_department_name("Catering"));
        assert!(is_department_name("Charakteryzacja"));
        assert!(!is_department_name("Crew call"));
        assert!(!is_department_name("Śniadanie"));
        assert!(!is_department_name("Godzina"));
    }
}
