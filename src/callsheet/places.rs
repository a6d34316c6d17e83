//! Base and shooting locations: name, address as printed, coordinates.
//!
//! A place starts at a label ("BAZA", "Lokacja 2:", "Base / Equipment
//! Pick-up", "Shooting Location") and its text is found the way a reader's eye
//! finds it: after the colon on the same line (plus a wrapped line), in the
//! cells to the right with their wrapped continuation lines (a table row), or
//! in the column under the label (a header over boxes side by side: its
//! column block). A places table ("Lp. | Lokacja | Adres | GPS") gives one
//! location per row; a value listing numbered places ("1) … 2) …") gives one
//! per number. Parking, hospital
//! and office labels are read too, so that their text is claimed and never
//! mistaken for a location or a contact.
//!
//! The address is located by its Polish postal code (`NN-NNN` + town),
//! starting at the street prefix (`ul.`, `al.`, `pl.`…) or at the piece that
//! ends with the house number; everything before it is the name.

use super::gps;
use super::sheet::{column_below, em, gap, heads_column_blocks, Row};
use super::text::{fold, longest_prefix, squash, trim_punct, upper_ratio, Folded};
use super::vocab::{PlaceLabel, PLACE_LABELS, STREET_PREFIXES, TIME_LABELS};
use crate::layout::Cell;
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

#[derive(Debug, Clone, Default)]
pub struct Slot {
    pub kind: Option<PlaceLabel>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// (row, cell) pairs this place's text was read from.
    pub cells: Vec<(usize, usize)>,
}

/// The length of what may follow a place label before its value:
/// `^\s*(?:nr\.?\s*)?(?:\d{1,2}\b)?\s*(?:\([^)]*\))?\s*` ("Lokacja nr 2 (plener):"),
/// by code since every label found asks.
fn label_tail(s: &str) -> usize {
    let spaces = |i: usize| i + (s[i..].len() - s[i..].trim_start().len());
    let mut i = spaces(0);
    if s[i..].starts_with("nr") {
        i += 2;
        if s[i..].starts_with('.') {
            i += 1;
        }
        i = spaces(i);
    }
    let n = s[i..].bytes().take_while(u8::is_ascii_digit).count();
    if (1..=2).contains(&n) && !s[i + n..].starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        i += n;
    }
    i = spaces(i);
    if s[i..].starts_with('(') {
        if let Some(j) = s[i + 1..].find(')') {
            i += j + 2;
        }
    }
    spaces(i)
}

static LABEL_JOIN: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"^\s*(?:/|&|\+|\band\b|\bi\b)\s*"));

enum Form {
    /// The label is the whole cell.
    Whole,
    /// The value follows the label in the same cell, from this folded offset.
    Inline(usize),
}

/// A place label at the start of a cell, and how its value is laid out.
fn label_at(orig: &str, f: &str) -> Option<(PlaceLabel, Form)> {
    let lead = f.len() - f.trim_start().len();
    let Some((kind, end)) = label_span(f) else {
        return base_label_inside(f);
    };
    let found = label_form(orig, f, lead, kind, end)?;
    // "Parking: Unit base: Miles Platting car park, …": a second label
    // right after the first names what the value is.
    if let (PlaceLabel::Other, Form::Inline(at)) = found {
        let inner = &f[at..];
        if let Some((k @ (PlaceLabel::Base | PlaceLabel::Location), l)) = label_span(inner) {
            if inner[l..].trim_start().starts_with(':') {
                let colon = at + l + inner[l..].find(':').unwrap_or(0) + 1;
                return Some((k, Form::Inline(colon)));
            }
        }
    }
    Some(found)
}

/// "Breakfast at unit base: Raheny GAA car park, …": a base's label with
/// its colon after a few words of a running order's line names the base
/// there. Only a base: its labels are never ordinary words ("set",
/// "plan" are).
fn base_label_inside(f: &str) -> Option<(PlaceLabel, Form)> {
    let starts = f
        .char_indices()
        .filter(|&(i, c)| i > 0 && c.is_alphabetic() && !f[..i].ends_with(char::is_alphanumeric));
    for (i, _) in starts {
        let before = &f[..i];
        if before.contains(':') || before.split_whitespace().count() > 3 {
            return None;
        }
        if let Some((PlaceLabel::Base, l)) = longest_prefix(&f[i..], PLACE_LABELS) {
            let after = &f[i + l..];
            if after.trim_start().starts_with(':') {
                let colon = i + l + after.find(':')? + 1;
                return Some((PlaceLabel::Base, Form::Inline(colon)));
            }
        }
    }
    None
}

/// The place label opening folded `f` (after leading spaces), with the
/// labels joined to it, and the folded offset where it ends.
fn label_span(f: &str) -> Option<(PlaceLabel, usize)> {
    let lead = f.len() - f.trim_start().len();
    let (mut kind, len) = longest_prefix(&f[lead..], PLACE_LABELS)?;
    let mut end = lead + len;
    // A longer label starting inside this one ("unit base / equipment":
    // "base / equipment" is the longer label).
    for (i, _) in f[lead..end].match_indices(' ') {
        let p = lead + i + 1;
        if let Some((k, l)) = longest_prefix(&f[p..], PLACE_LABELS) {
            if p + l > end && k == kind {
                end = p + l;
            }
        }
    }
    // "Unit Base / Equipment Pick-up", "Baza i parking": labels joined into
    // one; the first that names a base or a location says what it is.
    while let Some(m) = LABEL_JOIN.find(&f[end..]) {
        let Some((next, l)) = longest_prefix(&f[end + m.end()..], PLACE_LABELS) else {
            break;
        };
        if kind == PlaceLabel::Other && matches!(next, PlaceLabel::Base | PlaceLabel::Location) {
            kind = next;
        }
        end += m.end() + l;
    }
    Some((kind, end))
}

/// How the value of the label `f[lead..end]` is laid out.
fn label_form(
    orig: &str,
    f: &str,
    lead: usize,
    kind: PlaceLabel,
    end: usize,
) -> Option<(PlaceLabel, Form)> {
    let tail = label_tail(&f[end..]);
    let after = &f[end + tail..];
    let t = after.trim_start();
    if t.is_empty() || t == ":" {
        return Some((kind, Form::Whole));
    }
    // A qualifier joined to the label ("Basecamp / Trucks", "Baza / wozy"):
    // still the whole label, when short and free of digits.
    if let Some(q) = t.strip_prefix(['/', '&', '+']) {
        let q = q.trim().trim_end_matches(':');
        if !q.is_empty()
            && q.split_whitespace().count() <= 3
            && !q.contains(|c: char| c.is_ascii_digit() || c == ',' || c == ':')
        {
            return Some((kind, Form::Whole));
        }
    }
    if let Some(r) = t
        .strip_prefix(':')
        .or_else(|| t.strip_prefix("— "))
        .or_else(|| t.strip_prefix("– "))
        .or_else(|| t.strip_prefix("- "))
    {
        // "LOCATION 1 - CALL: 07:00": the place's own call, its address on
        // the lines below.
        let own_call = longest_prefix(r.trim_start(), TIME_LABELS).is_some_and(|(_, l)| {
            super::times::value_only(trim_punct(&r.trim_start()[l..])).is_some()
        });
        if own_call {
            return Some((kind, Form::Whole));
        }
        let start = f.len() - r.len();
        return Some((kind, Form::Inline(start)));
    }
    // "BAZA Studio X, ul. …" (a scan that lost the column gap): only a label
    // printed in capitals may run straight into its value.
    let fo = Folded::new(orig);
    let label_orig = fo.orig_slice(lead, end);
    if upper_ratio(label_orig) > 0.9
        && !t.is_empty()
        && upper_ratio(&fo.orig[fo.orig_at(end + tail)..]) < 0.6
    {
        return Some((kind, Form::Inline(f.len() - after.len())));
    }
    None
}

fn is_label_cell(orig: &str, f: &str) -> bool {
    label_at(orig, f).is_some_and(|(_, form)| matches!(form, Form::Whole))
        || longest_prefix(f.trim(), TIME_LABELS)
            .is_some_and(|(_, l)| trim_punct(&f.trim()[l..]).is_empty())
}

fn nearest_in(cols: &[Cell], c: &Cell) -> usize {
    let mut best = 0;
    let mut key = (f32::MAX, f32::MAX);
    for (i, k) in cols.iter().enumerate() {
        let d = (gap(k, c), ((k.x0 + k.x1) / 2.0 - (c.x0 + c.x1) / 2.0).abs());
        if d < key {
            key = d;
            best = i;
        }
    }
    best
}

/// A header cell holding several labels run together ("Unit Base /
/// Equipment Pick-up Crew Parking": the boxes were too close for the text
/// to split): one cell per label, its edges shared out by characters.
fn split_run_together(cell: &Cell) -> Option<Vec<Cell>> {
    let f = fold(&cell.text);
    let total = f.chars().count().max(1) as f32;
    let x_at = |at: usize| cell.x0 + (cell.x1 - cell.x0) * f[..at].chars().count() as f32 / total;
    let mut parts = Vec::new();
    let mut at = 0;
    while at < f.len() {
        let rest = &f[at..];
        let lead = rest.len() - rest.trim_start().len();
        if lead == rest.len() {
            break;
        }
        let (_, end) = label_span(rest)?;
        let tail = label_tail(&rest[end..]);
        let mut stop = end + tail;
        if rest[stop..].starts_with(':') {
            stop += 1;
        }
        if stop == 0 || !(stop == rest.len() || rest[..stop].ends_with([' ', ':'])) {
            return None;
        }
        parts.push((at + lead, at + stop));
        at += stop;
    }
    if parts.len() < 2 {
        return None;
    }
    let fo = Folded::new(&cell.text);
    Some(
        parts
            .into_iter()
            .map(|(a, b)| Cell {
                x0: x_at(a),
                x1: x_at(b),
                text: fo.orig_slice(a, b).trim().to_string(),
                ..cell.clone()
            })
            .collect(),
    )
}

/// `rows` with the run-together header cells of label-only rows split.
fn split_label_rows(rows: &[Row]) -> Option<Vec<Row>> {
    let mut out: Option<Vec<Row>> = None;
    for (ri, row) in rows.iter().enumerate() {
        let mut split = false;
        let mut cells = Vec::new();
        for (c, f) in row.cells.iter().zip(&row.folded) {
            if let Some(parts) = split_run_together(c) {
                split = true;
                cells.extend(parts);
            } else if matches!(label_at(&c.text, f), Some((_, Form::Whole))) {
                cells.push(c.clone());
            } else {
                split = false;
                break;
            }
        }
        if split {
            let all = out.get_or_insert_with(|| rows.to_vec());
            all[ri] = Row::new(row.page, row.y, cells, row.spacing, row.left);
        }
    }
    out
}

/// Every labelled place in `rows`, in reading order.
pub fn read(rows: &[Row]) -> Vec<Slot> {
    let split_rows = split_label_rows(rows);
    let rows = split_rows.as_deref().unwrap_or(rows);
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut out = Vec::new();
    for ri in 0..rows.len() {
        if let Some(cols) = place_table_columns(&rows[ri]) {
            for (ci, _) in rows[ri].cells.iter().enumerate() {
                used.insert((ri, ci));
            }
            out.extend(place_table(rows, ri, &cols, &mut used));
            continue;
        }
        let header = heads_column_blocks(rows, ri);
        for ci in 0..rows[ri].cells.len() {
            if used.contains(&(ri, ci)) {
                continue;
            }
            let row = &rows[ri];
            let Some((kind, form)) = label_at(&row.cells[ci].text, &row.folded[ci]) else {
                continue;
            };
            if kind == PlaceLabel::NotAPlace {
                continue;
            }
            let mut slot = Slot {
                kind: Some(kind),
                cells: vec![(ri, ci)],
                ..Default::default()
            };
            used.insert((ri, ci));
            let pieces = match form {
                Form::Inline(at) => inline(rows, ri, ci, at, &mut used, &mut slot),
                Form::Whole if header => {
                    if kind == PlaceLabel::Address {
                        continue;
                    }
                    below(rows, ri, ci, &mut used, &mut slot)
                }
                Form::Whole => {
                    let right: Vec<usize> = (ci + 1..row.cells.len())
                        .take_while(|&j| !is_label_cell(&row.cells[j].text, &row.folded[j]))
                        .filter(|j| !used.contains(&(ri, *j)))
                        .collect();
                    if right.is_empty() && kind == PlaceLabel::Address {
                        // A column header "Adres" over a table: the rows
                        // below belong to their own row labels.
                        continue;
                    } else if right.is_empty() {
                        below(rows, ri, ci, &mut used, &mut slot)
                    } else {
                        table_row(rows, ri, ci, &right, &mut used, &mut slot)
                    }
                }
            };
            if kind == PlaceLabel::Address {
                split(&pieces, &mut slot);
                attach_address(&mut out, slot);
                continue;
            }
            out.extend(numbered(&pieces, slot));
        }
    }
    out
}

/// An "Adres" row completes the base or location named just before it; on
/// its own it is a location.
fn attach_address(out: &mut Vec<Slot>, mut slot: Slot) {
    if slot.address.is_none() && slot.lat.is_none() {
        return;
    }
    if let Some(prev) = out.last_mut() {
        if matches!(prev.kind, Some(PlaceLabel::Base | PlaceLabel::Location))
            && prev.address.is_none()
        {
            prev.address = slot.address;
            prev.lat = prev.lat.or(slot.lat);
            prev.lon = prev.lon.or(slot.lon);
            prev.cells.extend(slot.cells);
            return;
        }
    }
    slot.kind = Some(PlaceLabel::Location);
    slot.name = None;
    out.push(slot);
}

fn inline(
    rows: &[Row],
    ri: usize,
    ci: usize,
    at: usize,
    used: &mut HashSet<(usize, usize)>,
    slot: &mut Slot,
) -> Vec<String> {
    let row = &rows[ri];
    let fo = Folded::new(&row.cells[ci].text);
    let mut first = fo.orig[fo.orig_at(at)..].to_string();
    for j in ci + 1..row.cells.len() {
        if is_label_cell(&row.cells[j].text, &row.folded[j]) {
            break;
        }
        used.insert((ri, j));
        slot.cells.push((ri, j));
        first.push_str("\n\n");
        first.push_str(&row.cells[j].text);
    }
    // A wrapped line: one cell under this one (other cells of the line
    // belong to another box of the page), not a label, continuing a list or
    // a number.
    let own = &row.cells[ci];
    let mut k = ri + 1;
    while let Some(next) = rows.get(k) {
        let under: Vec<usize> = (0..next.cells.len())
            .filter(|&j| {
                let c = &next.cells[j];
                gap(c, own) == 0.0 && c.x0 >= own.x0 - em(own)
            })
            .collect();
        let alone = next.cells.len() == 1 || (under.len() == 1 && row.cells.len() > 1);
        if k > ri + 2 || next.page != row.page || !alone || next.is_heading() {
            break;
        }
        let j = under.first().copied().unwrap_or(0);
        let t = next.cells[j].text.trim();
        let f = &next.folded[j];
        // A line may also break inside an address: in the street before
        // its number ("…, ul." / "Świętokrzyska 92, …"), or after the postal
        // code (the town follows).
        let tail = crate::callsheet::text::fold(first.trim_end());
        let street_open = street_start(&tail, tail.len())
            .is_some_and(|at| !tail[at..].contains(|c: char| c.is_ascii_digit()));
        let broken_address = street_open
            || super::postcodes::pl_all(&tail)
                .last()
                .is_some_and(|(_, end)| end == tail.len());
        let continues = broken_address
            || first.trim_end().ends_with([',', '-', '–', '—', '·', ';'])
            || t.starts_with(|c: char| c.is_ascii_digit() || c.is_lowercase());
        if !continues
            || label_at(t, f).is_some()
            || longest_prefix(f.trim_start(), TIME_LABELS).is_some()
        {
            break;
        }
        used.insert((k, j));
        slot.cells.push((k, j));
        first.push('\n');
        first.push_str(t);
        k += 1;
    }
    vec![first]
}

fn table_row(
    rows: &[Row],
    ri: usize,
    ci: usize,
    right: &[usize],
    used: &mut HashSet<(usize, usize)>,
    slot: &mut Slot,
) -> Vec<String> {
    let row = &rows[ri];
    let label = &row.cells[ci];
    let cols: Vec<Cell> = right.iter().map(|&j| row.cells[j].clone()).collect();
    let mut texts: Vec<Vec<String>> = cols.iter().map(|c| vec![c.text.clone()]).collect();
    for &j in right {
        used.insert((ri, j));
        slot.cells.push((ri, j));
    }
    let mut prev_y = row.y;
    for (k, next) in rows.iter().enumerate().skip(ri + 1).take(12) {
        // Cells left of the label belong to another box of the page (a
        // two-column header), not to this row.
        let mine: Vec<usize> = (0..next.cells.len())
            .filter(|&j| next.cells[j].x1 > label.x0)
            .collect();
        let label_col_empty = mine
            .iter()
            .all(|&j| next.cells[j].x0 >= label.x1 - em(label));
        let gap_ok = next.spacing <= 0.0 || next.y - prev_y <= next.spacing * 1.8;
        if next.page != row.page || !label_col_empty || !gap_ok || next.is_heading() {
            break;
        }
        // A label ends the row, unless it is a word of a value wrapped
        // after a dash or comma ("Osiedle Służew —" / "parking").
        let wrapped = |j: usize| {
            texts[nearest_in(&cols, &next.cells[j])]
                .last()
                .is_some_and(|t| t.trim_end().ends_with([',', '-', '–', '—', '/']))
        };
        if mine
            .iter()
            .any(|&j| label_at(&next.cells[j].text, &next.folded[j]).is_some() && !wrapped(j))
        {
            break;
        }
        prev_y = next.y;
        for &j in &mine {
            let c = &next.cells[j];
            texts[nearest_in(&cols, c)].push(c.text.clone());
            used.insert((k, j));
            slot.cells.push((k, j));
        }
    }
    texts.into_iter().map(|lines| lines.join("\n")).collect()
}

fn below(
    rows: &[Row],
    ri: usize,
    ci: usize,
    used: &mut HashSet<(usize, usize)>,
    slot: &mut Slot,
) -> Vec<String> {
    let label = rows[ri].folded[ci].trim().to_string();
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (k, j) in column_below(rows, ri, ci, 8) {
        let (c, f) = (&rows[k].cells[j], &rows[k].folded[j]);
        if used.contains(&(k, j)) {
            continue;
        }
        if lines.is_empty() {
            // The label wrapped onto a second line ("Base / Equipment" /
            // "Pick-up"): part of the label, not of the value.
            let joined = format!("{label} {}", f.trim());
            if matches!(label_at(&joined, &joined), Some((_, Form::Whole))) {
                used.insert((k, j));
                continue;
            }
        }
        if label_at(&c.text, f).is_some() {
            break;
        }
        used.insert((k, j));
        slot.cells.push((k, j));
        match lines.last_mut() {
            Some((row, text)) if *row == k => {
                text.push(' ');
                text.push_str(&c.text);
            }
            _ => lines.push((k, c.text.clone())),
        }
    }
    vec![lines
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n")]
}

/// Columns of a places table's header ("Lp. | Lokacja | Adres | GPS"): a
/// row naming a location column and an address column, each a whole cell.
/// Returns the name and address cells' indices.
fn place_table_columns(row: &Row) -> Option<(usize, usize)> {
    let kind = |ci: usize| match label_at(&row.cells[ci].text, &row.folded[ci]) {
        Some((k, Form::Whole)) => Some(k),
        _ => None,
    };
    let name = (0..row.cells.len()).find(|&ci| kind(ci) == Some(PlaceLabel::Location))?;
    let addr = (name + 1..row.cells.len()).find(|&ci| kind(ci) == Some(PlaceLabel::Address))?;
    Some((name, addr))
}

/// The records of a places table under header row `hi`: one location per
/// row, its wrapped lines (no cell in the first columns) joined to it, each
/// cell read under the header cell it lines up with.
fn place_table(
    rows: &[Row],
    hi: usize,
    &(name_col, addr_col): &(usize, usize),
    used: &mut HashSet<(usize, usize)>,
) -> Vec<Slot> {
    let head = &rows[hi];
    let mut out: Vec<(Slot, Vec<Vec<String>>)> = Vec::new();
    let mut prev_y = head.y;
    for (k, row) in rows.iter().enumerate().skip(hi + 1) {
        let gap_ok = row.spacing <= 0.0 || row.y - prev_y <= row.spacing * 2.6;
        if row.page != head.page || !gap_ok || row.is_heading() || row.section().is_some() {
            break;
        }
        let cols: Vec<usize> = row
            .cells
            .iter()
            .map(|c| nearest_in(&head.cells, c))
            .collect();
        if row
            .cells
            .iter()
            .zip(&row.folded)
            .any(|(c, f)| label_at(&c.text, f).is_some())
        {
            break;
        }
        // A record opens with a cell in the numbering column ("1.") when
        // the table has one; otherwise with a name after a record-sized gap
        // (a wrapped line sits closer to the line above).
        let opens = if name_col > 0 {
            cols.iter().any(|&c| c < name_col)
        } else {
            cols.contains(&name_col) && (row.spacing <= 0.0 || row.y - prev_y > row.spacing * 1.25)
        };
        if opens || out.is_empty() {
            let slot = Slot {
                kind: Some(PlaceLabel::Location),
                cells: vec![(hi, name_col), (hi, addr_col)],
                ..Default::default()
            };
            out.push((slot, vec![Vec::new(); head.cells.len()]));
        }
        let Some((slot, texts)) = out.last_mut() else {
            break;
        };
        for (j, c) in row.cells.iter().enumerate() {
            texts[cols[j]].push(c.text.clone());
            slot.cells.push((k, j));
            used.insert((k, j));
        }
        prev_y = row.y;
    }
    out.into_iter()
        .map(|(mut slot, texts)| {
            // Name first, then the address, then the rest (GPS, notes).
            let mut order = vec![name_col, addr_col];
            order.extend(
                (0..texts.len()).filter(|c| *c != name_col && *c != addr_col && *c > name_col),
            );
            let pieces: Vec<String> = order.iter().map(|&c| texts[c].join("\n")).collect();
            split(&pieces, &mut slot);
            slot
        })
        .collect()
}

static ITEM_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"(?m)^\s*\d{1,2}[.)]\s+"));

/// A value listing several places, each opened by its number at the start
/// of a line ("1) Dworzec …" / "2) Mieszkanie …"): one slot per place.
fn numbered(pieces: &[String], slot: Slot) -> Vec<Slot> {
    let items: Vec<String> = pieces
        .iter()
        .flat_map(|p| {
            // A numbered item needs a digit then `.` or `)`.
            let numbered = p
                .as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_digit() && matches!(w[1], b'.' | b')'));
            let starts: Vec<usize> = numbered
                .then(|| ITEM_NUMBER.find_iter(p).map(|m| m.start()).collect())
                .unwrap_or_default();
            if starts.len() < 2 {
                return vec![p.clone()];
            }
            let mut parts = Vec::new();
            if !p[..starts[0]].trim().is_empty() {
                parts.push(p[..starts[0]].to_string());
            }
            for (i, &a) in starts.iter().enumerate() {
                let b = starts.get(i + 1).copied().unwrap_or(p.len());
                parts.push(p[a..b].to_string());
            }
            parts
        })
        .collect();
    if items.len() == pieces.len() {
        let mut slot = slot;
        split(pieces, &mut slot);
        return vec![slot];
    }
    items
        .iter()
        .map(|item| {
            let mut s = Slot {
                kind: slot.kind,
                cells: slot.cells.clone(),
                ..Default::default()
            };
            let body = ITEM_NUMBER.replace(item, "").into_owned();
            split(&[body], &mut s);
            s
        })
        .filter(|s| s.address.is_some() || s.lat.is_some() || s.name.is_some())
        .collect()
}

/// Printed text with wrapped lines joined: `Konstancin-\nJeziorna` →
/// `Konstancin-Jeziorna`, other breaks → one space.
fn unwrap_lines(s: &str) -> String {
    squash(&s.replace("-\n", "-").replace('\n', " "))
}

fn street_start(folded: &str, before: usize) -> Option<usize> {
    let mut best = None;
    for p in STREET_PREFIXES {
        let mut from = 0;
        while let Some(i) = folded[from..before].find(p) {
            let at = from + i;
            let ok = at == 0 || folded[..at].ends_with([' ', '\n', ',', '(', '—', '–', ':']);
            if ok && best.is_none_or(|b| at > b) {
                best = Some(at);
            }
            from = at + p.len();
            if from >= before {
                break;
            }
        }
    }
    best
}

const BOUNDARIES: &[&str] = &["\n", " — ", " – ", " · ", ", ", "(", ": ", " - "];

/// Fills name, address and coordinates of `slot` from its pieces of text.
fn split(pieces: &[String], slot: &mut Slot) {
    let all = pieces.join("\n\n");
    if let Some((lat, lon)) = gps::find(&all.replace('\n', " ")) {
        slot.lat = Some(lat);
        slot.lon = Some(lon);
    }
    for (pi, piece) in pieces.iter().enumerate() {
        let fo = Folded::new(piece);
        let Some((start, end)) = address_span(&fo) else {
            continue;
        };
        let address = unwrap_lines(trim_punct(fo.orig_slice(start, end)));
        slot.address = Some(address.trim_end_matches([',', ';', '.', ':']).to_string());
        let name_here = unwrap_lines(trim_punct(fo.orig_slice(0, start)));
        let name = if !name_here.is_empty() {
            Some(name_here)
        } else {
            pieces[..pi]
                .iter()
                .map(|p| unwrap_lines(trim_punct(p)))
                .find(|p| !p.is_empty())
        };
        slot.name = name.map(|n| strip_gps_words(&n)).filter(|n| !n.is_empty());
        return;
    }
    slot.name = pieces
        .iter()
        .map(|p| unwrap_lines(trim_punct(p)))
        .find(|p| !p.is_empty() && gps::find(p).is_none())
        .map(|n| strip_gps_words(&n));
}

fn strip_gps_words(s: &str) -> String {
    let cut = ["GPS", " · "]
        .iter()
        .filter_map(|w| s.find(w))
        .min()
        .unwrap_or(s.len());
    trim_punct(&s[..cut]).to_string()
}

/// Byte span of the address in folded text `f`.
fn address_span(fo: &Folded) -> Option<(usize, usize)> {
    let f = fo.text.as_str();
    if let Some((p, code_end)) = super::postcodes::pl_from(f, 0) {
        let start = match street_start(f, p) {
            Some(s)
                if !f[s..p].contains(" — ")
                    && !f[s..p].contains(" · ")
                    && !f[s..p].contains("\n\n") =>
            {
                s
            }
            _ => {
                let before = f[..p].trim_end_matches(|c: char| c.is_whitespace() || c == ',');
                let ends_with_number = before.ends_with(|c: char| c.is_ascii_digit())
                    || before
                        .rsplit(|c: char| c.is_whitespace())
                        .next()
                        .is_some_and(|w| {
                            w.starts_with(|c: char| c.is_ascii_digit()) && w.len() <= 8
                        });
                if ends_with_number && !before.is_empty() {
                    // Back to the last boundary before the street part.
                    let number_at = before
                        .char_indices()
                        .rev()
                        .find(|(_, c)| c.is_whitespace())
                        .map_or(0, |(i, c)| i + c.len_utf8());
                    let head = &before[..number_at];
                    BOUNDARIES
                        .iter()
                        .filter_map(|b| head.rfind(b).map(|i| i + b.len()))
                        .max()
                        .unwrap_or(0)
                } else {
                    p
                }
            }
        };
        return Some((start, town_end(fo, code_end)));
    }
    if let Some(span) = super::addresses::span(fo) {
        return Some(span);
    }
    // No postal code: a street with a number, to the end of its line group.
    let s = street_start(f, f.len())?;
    let rest = &f[s..];
    let end = ["\n\n", " · ", " — ", "gps", "("]
        .iter()
        .filter_map(|w| rest.find(w))
        .min()
        .unwrap_or(rest.len());
    rest[..end]
        .contains(|c: char| c.is_ascii_digit())
        .then_some((s, s + end))
}

/// End of the town name after a postal code ending at folded offset `from`:
/// capitalised words (and connectors such as "nad"), on the same line, or on
/// the next line when the code ends its line (a wrapped column).
fn town_end(fo: &Folded, from: usize) -> usize {
    let f = &fo.text;
    let mut end = from;
    let mut i = from;
    let mut words = 0;
    let code_ends_line = f[from..].trim_start_matches(' ').starts_with('\n');
    while words < 4 {
        let rest = &f[i..];
        let mut j = i + (rest.len() - rest.trim_start_matches(' ').len());
        if f[j..].starts_with('\n') {
            if !(code_ends_line && words == 0) || f[j..].starts_with("\n\n") {
                break;
            }
            j += 1;
        } else if j == i && words > 0 {
            break;
        }
        let word_len = f[j..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | '·' | ')' | ':'))
            .unwrap_or(f.len() - j);
        let mut word_len = word_len;
        // "Konstancin-\nJeziorna": a hyphen wrapped the town onto the next line.
        if f[j..j + word_len].ends_with('-') && f[j + word_len..].starts_with('\n') {
            let more = f[j + word_len + 1..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | '·' | ')' | ':'))
                .unwrap_or(f.len() - j - word_len - 1);
            word_len += 1 + more;
        }
        let word = &f[j..j + word_len];
        if word.is_empty() {
            break;
        }
        let connector = words > 0 && matches!(word, "nad" | "pod" | "k." | "n." | "kolo" | "k/");
        let capital = fo.orig[fo.orig_at(j)..].starts_with(|c: char| c.is_uppercase());
        let wordlike = word
            .chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '.' || c == '\n');
        // One capital letter is a hemisphere ("… Kraków N 52°…") or an
        // initial, never a town's word.
        let letter = word.chars().count() == 1;
        if !wordlike || !(capital || connector) || letter || is_stop_word(word) {
            break;
        }
        end = j + word_len;
        i = end;
        words += 1;
        // "…, 00-724 Warszawa. Kierownik planu: …": a full stop after the
        // town ends the sentence, and the address with it.
        if word.ends_with('.') && word.chars().count() > 4 {
            end -= 1;
            break;
        }
    }
    // A trailing connector is not part of the town.
    end
}

fn is_stop_word(w: &str) -> bool {
    matches!(
        w,
        "gps" | "tel" | "tel." | "emergency" | "uwagi" | "parking"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(pieces: &[&str]) -> (Option<String>, Option<String>) {
        let mut s = Slot::default();
        let p: Vec<String> = pieces.iter().map(|s| s.to_string()).collect();
        split(&p, &mut s);
        (s.name, s.address)
    }

    #[test]
    fn addresses() {
        assert_eq!(
            addr(&["Baza Konstancin, ul. Warszawska 58, 05-520 Konstancin-Jeziorna"]),
            (
                Some("Baza Konstancin".into()),
                Some("ul. Warszawska 58, 05-520 Konstancin-Jeziorna".into())
            )
        );
        assert_eq!(
            addr(&["Muzeum Powstania Warszawskiego — Park Wolności — ul. Grzybowska 79, 00-844 Warszawa"]),
            (Some("Muzeum Powstania Warszawskiego — Park Wolności".into()), Some("ul. Grzybowska 79, 00-844 Warszawa".into()))
        );
        assert_eq!(
            addr(&["Puszcza Kampinoska — parking Granica — Granica 2, 05-084 Kampinos"])
                .1
                .as_deref(),
            Some("Granica 2, 05-084 Kampinos")
        );
        assert_eq!(
            addr(&["Puszcza Kampinoska — parking Granica\nGranica 2, 05-084\nKampinos"])
                .1
                .as_deref(),
            Some("Granica 2, 05-084 Kampinos")
        );
        assert_eq!(
            addr(&["Willa „Pod Sosnami”\nul. Henryka Sienkiewicza\n6, 05-520\nKonstancin-Jeziorna\nGPS: 52.09302, 21.11392"]),
            (Some("Willa „Pod Sosnami”".into()), Some("ul. Henryka Sienkiewicza 6, 05-520 Konstancin-Jeziorna".into()))
        );
        assert_eq!(
            addr(&[
                "Baza Konstancin",
                "ul. Warszawska 58, 05-520 Konstancin-\nJeziorna",
                "wozy techniczne,\ngarderoby"
            ])
            .1
            .as_deref(),
            Some("ul. Warszawska 58, 05-520 Konstancin-Jeziorna")
        );
        assert_eq!(
            addr(&["Studio Kręcenie ul. Chełmżyńska 180, 04-464 Warszawa wozy techniczne,"])
                .1
                .as_deref(),
            Some("ul. Chełmżyńska 180, 04-464 Warszawa")
        );
        assert_eq!(
            addr(&["Hala, plac Teatralny 1, 00-950 Warszawa · GPS: 52.1, 21.1"])
                .1
                .as_deref(),
            Some("plac Teatralny 1, 00-950 Warszawa")
        );
        assert_eq!(
            addr(&["Nowy Dwór — ul. Lipowa 3, 05-100 Nowy Dwór Mazowiecki"])
                .1
                .as_deref(),
            Some("ul. Lipowa 3, 05-100 Nowy Dwór Mazowiecki")
        );
        assert_eq!(addr(&["Las Kabacki — parking"]).1, None);
        assert_eq!(
            addr(&["Park — ul. Długa 3, 31-100 Kraków N 50°03'E 19°56'E"])
                .1
                .as_deref(),
            Some("ul. Długa 3, 31-100 Kraków")
        );
    }
}
