//! Base and shooting locations: name, address as printed, coordinates.
//!
//! A place starts at a label ("BAZA", "Lokacja 2:", "Base / Equipment
//! Pick-up", "Shooting Location") and its text is found the way a reader's eye
//! finds it: after the colon on the same line (plus a wrapped line), in the
//! cells to the right with their wrapped continuation lines (a table row), or
//! in the column under the label (a header over columns). Parking, hospital
//! and office labels are read too, so that their text is claimed and never
//! mistaken for a location or a contact.
//!
//! The address is located by its Polish postal code (`NN-NNN` + town),
//! starting at the street prefix (`ul.`, `al.`, `pl.`…) or at the piece that
//! ends with the house number; everything before it is the name.

use super::gps;
use super::sheet::{column_below, em, gap, Row};
use super::text::{longest_prefix, squash, trim_punct, upper_ratio, Folded};
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

static POSTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{2}\s?-\s?\d{3}\b").expect("static regex"));
static LABEL_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:nr\.?\s*)?(?:\d{1,2}\b)?\s*(?:\([^)]*\))?\s*").expect("static regex")
});

enum Form {
    /// The label is the whole cell.
    Whole,
    /// The value follows the label in the same cell, from this folded offset.
    Inline(usize),
}

/// A place label at the start of a cell, and how its value is laid out.
fn label_at(orig: &str, f: &str) -> Option<(PlaceLabel, Form)> {
    let lead = f.len() - f.trim_start().len();
    let (kind, len) = longest_prefix(&f[lead..], PLACE_LABELS)?;
    let end = lead + len;
    let tail = LABEL_TAIL.find(&f[end..]).map_or(0, |m| m.end());
    let after = &f[end + tail..];
    let t = after.trim_start();
    if t.is_empty() || t == ":" {
        return Some((kind, Form::Whole));
    }
    if let Some(r) = t
        .strip_prefix(':')
        .or_else(|| t.strip_prefix("— "))
        .or_else(|| t.strip_prefix("– "))
    {
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

/// Every labelled place in `rows`, in reading order.
pub fn read(rows: &[Row]) -> Vec<Slot> {
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut out = Vec::new();
    for ri in 0..rows.len() {
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
            split(&pieces, &mut slot);
            if kind == PlaceLabel::Address {
                attach_address(&mut out, slot);
                continue;
            }
            out.push(slot);
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
    // A wrapped line: one cell, not a label, continuing a list or a number.
    let mut k = ri + 1;
    while let Some(next) = rows.get(k) {
        if k > ri + 2 || next.page != row.page || next.cells.len() != 1 || next.is_heading() {
            break;
        }
        let t = next.cells[0].text.trim();
        let f = &next.folded[0];
        let continues = first.trim_end().ends_with([',', '-', '–', '—'])
            || t.starts_with(|c: char| c.is_ascii_digit() || c.is_lowercase());
        if !continues
            || label_at(t, f).is_some()
            || longest_prefix(f.trim_start(), TIME_LABELS).is_some()
        {
            break;
        }
        used.insert((k, 0));
        slot.cells.push((k, 0));
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
    for (k, next) in rows.iter().enumerate().skip(ri + 1).take(4) {
        let label_col_empty = next.cells.iter().all(|c| c.x0 >= label.x1 - em(label));
        let gap_ok = next.spacing <= 0.0 || next.y - prev_y <= next.spacing * 1.8;
        if next.page != row.page || !label_col_empty || !gap_ok || next.is_heading() {
            break;
        }
        if next
            .cells
            .iter()
            .zip(&next.folded)
            .any(|(c, f)| label_at(&c.text, f).is_some())
        {
            break;
        }
        prev_y = next.y;
        for (j, c) in next.cells.iter().enumerate() {
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
            if longest_prefix(&joined, PLACE_LABELS).is_some_and(|(_, l)| l + 1 >= joined.len()) {
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
    if let Some(m) = POSTAL.find(f) {
        let p = m.start();
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
        return Some((start, town_end(fo, m.end())));
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
        if !wordlike || !(capital || connector) || is_stop_word(word) {
            break;
        }
        end = j + word_len;
        i = end;
        words += 1;
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
    }
}
