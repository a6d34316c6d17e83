//! The document as one list of rows with their folded text, and the
//! geometry questions the readers ask of it: what is under this label (its
//! column block, when a row of labels heads boxes side by side), which
//! column does this cell belong to, is this row a section heading, does this
//! line continue a row label's values.
//!
//! Rows come in reading order: a page body set in columns under a row of
//! column titles is read column by column, and page numbers ("Strona 1/2")
//! are dropped so that a table running onto the next page stays one table.
//!
//! Rows of the next day's preview ("PLAN WSTĘPNY NA NASTĘPNY DZIEŃ",
//! "ADVANCE SCHEDULE") are dropped here, once, so no reader can mistake them
//! for today's facts.

use super::text::{fold, letter_count, longest_prefix, upper_ratio};
use super::times;
use super::vocab::{Section, ISSUED, PAGE_WORDS, PLACE_LABELS, SECTION_HEADINGS};
use crate::layout::{Cell, TextDoc};

#[derive(Debug, Clone)]
pub struct Row {
    pub page: usize,
    pub y: f32,
    pub cells: Vec<Cell>,
    /// Folded text of each cell, same order.
    pub folded: Vec<String>,
    /// Typical distance between lines on this page, to tell a paragraph
    /// break from the next line of a wrapped cell.
    pub spacing: f32,
    /// The page's left margin (where most lines start): headings start
    /// there, wrapped table cells do not.
    pub left: f32,
}

impl Row {
    pub fn new(page: usize, y: f32, cells: Vec<Cell>, spacing: f32, left: f32) -> Row {
        let folded = cells.iter().map(|c| fold(&c.text)).collect();
        Row {
            page,
            y,
            cells,
            folded,
            spacing,
            left,
        }
    }

    /// Printed text, cells separated by two spaces.
    pub fn text(&self) -> String {
        self.cells
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join("  ")
    }

    pub fn folded_text(&self) -> String {
        self.folded.join("  ")
    }

    /// A section heading: one short cell in capitals, no times
    /// ("WEZWANIA PIONÓW", "SAFETY NOTES").
    pub fn is_heading(&self) -> bool {
        if self.cells.len() != 1 {
            return false;
        }
        let t = &self.cells[0].text;
        self.cells[0].x0 <= self.left + em(&self.cells[0]) * 4.0
            && letter_count(t) >= 3
            // Mostly letters: "GPS: 52.1, 21.0" is a value, not a title.
            && letter_count(t) * 2 >= t.chars().filter(|c| !c.is_whitespace()).count()
            && upper_ratio(t) >= 0.75
            && t.chars().count() <= 60
            && times::find_all(&self.folded[0]).is_empty()
    }

    /// The section this row opens, if it is a heading (or a label such as
    /// "BHP:" opening an inline list).
    pub fn section(&self) -> Option<Section> {
        let f = self.folded.first()?;
        let (sec, len) = longest_prefix(f, SECTION_HEADINGS)?;
        let rest = f[len..].trim();
        // "Locations - 4:45 AM" is a department's call, not a heading.
        if times::value_only(super::text::trim_punct(rest)).is_some() && sec != Section::Advance {
            return None;
        }
        // "Tomorrow's call 18:00, Sat 27 Sep": one line about the next day.
        if sec == Section::Advance
            && (!times::find_all(rest).is_empty() || !super::dates::find_all(rest).is_empty())
        {
            return Some(sec);
        }
        let opens = self.is_heading()
            || (rest.is_empty() && self.cells.len() == 1)
            || (rest.is_empty() && sec != Section::Advance && self.labels_a_row())
            || rest.starts_with(':')
            || rest.starts_with('(')
            || rest.starts_with('/')
            || rest.starts_with('—')
            || rest.starts_with('-');
        opens.then_some(sec)
    }

    /// The first cell is a row label of a table whose values sit in the
    /// cells to its right (a grid's "Piony | Kamera 6:00"): it starts at
    /// the left margin and the next cell is well apart from it.
    pub fn labels_a_row(&self) -> bool {
        let [label, next, ..] = self.cells.as_slice() else {
            return false;
        };
        // "Locations | 05:00" is a department and its call, not a label.
        label.x0 <= self.left + em(label) * 2.0
            && gap(label, next) >= em(label) * 2.0
            && times::value_only(&self.folded[1]).is_none()
    }

    /// Row `below` continues this label row: none of its cells reaches into
    /// the label's column (a grid row wrapped onto more
    /// lines, "Piony | Kamera 6:00" / "| Grip 6:30").
    pub fn continues_label_column(&self, below: &Row) -> bool {
        let Some(label) = self.cells.first() else {
            return false;
        };
        below.page == self.page && below.cells.iter().all(|c| c.x0 >= label.x1 + em(label))
    }

    /// The line is only a page number ("Page 1 of 2", "Strona 2/3", "- 2 -";
    /// a bare "2/3" could be a page count of a scene).
    pub fn is_page_number(&self) -> bool {
        self.cells.len() == 1 && page_number(self.folded[0].trim())
    }

    /// The line says when the sheet was issued ("Wydano: 16.01.2026").
    pub fn is_issued(&self) -> bool {
        self.folded.iter().any(|f| {
            let f = f.trim_start();
            ISSUED.iter().any(|w| f.starts_with(w))
        })
    }
}

/// Rows of one full-width cell each, 12 pt apart: for tests of the readers.
#[cfg(test)]
pub fn one_cell_rows(lines: &[&str]) -> Vec<Row> {
    lines
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cell = Cell {
                x0: 0.0,
                x1: 300.0,
                size: 10.0,
                bold: false,
                text: t.to_string(),
            };
            Row::new(0, 12.0 * i as f32, vec![cell], 12.0, 0.0)
        })
        .collect()
}

/// Left/right distance between two cells (0 when they overlap).
pub fn gap(a: &Cell, b: &Cell) -> f32 {
    (a.x0.max(b.x0) - a.x1.min(b.x1)).max(0.0)
}

fn centre(c: &Cell) -> f32 {
    (c.x0 + c.x1) / 2.0
}

/// A rough character width, for tolerances that must work both in points and
/// in the dev adapter's character columns.
pub fn em(c: &Cell) -> f32 {
    if c.size > 0.0 {
        return c.size * 0.5;
    }
    let n = c.text.chars().count().max(1) as f32;
    ((c.x1 - c.x0) / n).max(1.0)
}

/// The cell of `row` that `c` lines up with: overlapping first, then nearest.
pub fn nearest(row: &Row, c: &Cell) -> Option<usize> {
    row.cells
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let ka = (gap(a, c), (centre(a) - centre(c)).abs());
            let kb = (gap(b, c), (centre(b) - centre(c)).abs());
            ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|(i, _)| i)
}

/// A header over boxes side by side ("Shooting Location | Unit Base |
/// Crew Parking"): every cell of the row is bold and the line below has
/// plain cells under it, so each label's value is its column block, not the
/// cells to its right.
pub fn heads_column_blocks(rows: &[Row], ri: usize) -> bool {
    let row = &rows[ri];
    // A header wrapped onto a second line of bold cells ("Pick-up").
    let next = rows
        .iter()
        .skip(ri + 1)
        .take(2)
        .find(|r| !r.cells.iter().all(|c| c.bold));
    let Some(next) = next else {
        return false;
    };
    row.cells.len() >= 2
        && row.cells.iter().all(|c| c.bold)
        && next.page == row.page
        && (next.spacing <= 0.0 || next.y - row.y <= next.spacing * 2.6)
        && row
            .cells
            .iter()
            .filter(|h| {
                next.cells
                    .iter()
                    .any(|c| !c.bold && gap(c, h) == 0.0 && c.x0 >= h.x0 - em(h))
            })
            .count()
            >= 2
}

/// Cells printed under cell `ci` of row `ri`, in reading order, as
/// (row, cell) pairs: the rows below on the same page, up to `max_rows`, up
/// to a heading or a paragraph-sized gap.
pub fn column_below(rows: &[Row], ri: usize, ci: usize, max_rows: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some(label_row) = rows.get(ri) else {
        return out;
    };
    let mut prev_y = label_row.y;
    for (k, row) in rows.iter().enumerate().skip(ri + 1).take(max_rows) {
        if row.page != label_row.page {
            break;
        }
        // A heading ends the column only when it is printed in it (a title
        // in the next box of a page header does not).
        if row.is_heading() {
            if row.cells.iter().any(|c| nearest(label_row, c) == Some(ci)) {
                break;
            }
            continue;
        }
        if row.spacing > 0.0 && row.y - prev_y > row.spacing * 2.6 {
            break;
        }
        prev_y = row.y;
        for (j, c) in row.cells.iter().enumerate() {
            if nearest(label_row, c) == Some(ci) && gap(c, &label_row.cells[ci]) < em(c) * 12.0 {
                out.push((k, j));
            }
        }
    }
    out
}

/// Flattens the document into rows, dropping empty lines and every next-day
/// preview section.
#[cfg(test)]
pub fn rows_of(doc: &TextDoc) -> Vec<Row> {
    rows_and_repairs(doc).0
}

/// [`rows_of`], and for a scanned document the clock times whose misread
/// letters were put back ("1O:3O" → "10:30"), so the caller can say so.
pub fn rows_and_repairs(doc: &TextDoc) -> (Vec<Row>, Vec<String>) {
    let mut repairs = Vec::new();
    let mut rows = Vec::new();
    for (p, page) in doc.pages.iter().enumerate() {
        let ys: Vec<f32> = page
            .lines
            .iter()
            .filter(|l| !l.cells.is_empty())
            .map(|l| l.y)
            .collect();
        let spacing = line_spacing(&ys).unwrap_or(0.0);
        let mut starts: Vec<f32> = page
            .lines
            .iter()
            .filter_map(|l| l.cells.first().map(|c| c.x0))
            .collect();
        starts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let left = starts.get(starts.len() / 10).copied().unwrap_or(0.0);
        let mut page_rows = Vec::new();
        for line in &page.lines {
            let cells: Vec<Cell> = line
                .cells
                .iter()
                .filter(|c| !c.text.trim().is_empty())
                .cloned()
                .map(|mut c| {
                    if doc.ocr {
                        if let Some(fixed) = times::repair_ocr(&c.text) {
                            repairs.push(format!("OCR: read \"{}\" as \"{fixed}\"", c.text));
                            c.text = fixed;
                        }
                    }
                    c
                })
                .collect();
            let cells = join_meridiem(cells);
            if !cells.is_empty() {
                let row = Row::new(p, line.y, cells, spacing, left);
                // "Page 1 of 2" between the rows of a table that runs onto
                // the next page would end the table.
                if !row.is_page_number() {
                    page_rows.push(row);
                }
            }
        }
        rows.extend(reflow_columns(page_rows));
    }
    let mut kept = Vec::with_capacity(rows.len());
    let mut in_advance = false;
    for row in rows {
        match row.section() {
            Some(Section::Advance) => {
                // "PLAN WSTĘPNY NA NASTĘPNY DZIEŃ (…)" opens a section;
                // "Następny dzień: sobota, call 8:00" is that one line.
                in_advance = advance_opens_section(&row);
                continue;
            }
            Some(_) => in_advance = false,
            None if row.is_heading() || row.is_issued() => in_advance = false,
            None => {}
        }
        if !in_advance {
            kept.push(row);
        }
    }
    (kept, repairs)
}

/// A cell holding only "AM"/"PM" belongs to the time before it: a wide
/// letter gap split "6:00 PM" into two cells, and read alone "6:00" would be
/// six in the morning.
fn join_meridiem(cells: Vec<Cell>) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    for c in cells {
        let f = super::text::fold(c.text.trim());
        let meridiem = matches!(f.as_str(), "am" | "pm" | "a.m." | "p.m.");
        match out.last_mut() {
            Some(prev)
                if meridiem
                    && prev
                        .text
                        .trim_end()
                        .ends_with(|ch: char| ch.is_ascii_digit()) =>
            {
                prev.text.push(' ');
                prev.text.push_str(c.text.trim());
                prev.x1 = c.x1;
            }
            _ => out.push(c),
        }
    }
    out
}

/// Typical distance between consecutive lines at `ys` (a low quantile, so
/// paragraph gaps do not count).
fn line_spacing(ys: &[f32]) -> Option<f32> {
    let mut steps: Vec<f32> = ys
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .collect();
    steps.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    steps.get(steps.len() / 3).copied()
}

/// A title of a column of the page body: a short heading-like cell.
fn heading_like(c: &Cell, f: &str) -> bool {
    let t = &c.text;
    letter_count(t) >= 3
        && letter_count(t) * 2 >= t.chars().filter(|c| !c.is_whitespace()).count()
        && upper_ratio(t) >= 0.75
        && t.chars().count() <= 40
        && times::find_all(f).is_empty()
}

/// Where a page body splits into columns printed side by side: a row of
/// two or three column titles, each a known section or place label
/// ("LOCATIONS | KEY CONTACTS"; "SZPITAL | MSWiA" is a wrapped table row). Returns the left edge of each title after
/// the first.
fn column_titles(row: &Row) -> Option<Vec<f32>> {
    let n = row.cells.len();
    if !(2..=3).contains(&n) {
        return None;
    }
    let all_titles = row
        .cells
        .iter()
        .zip(&row.folded)
        .all(|(c, f)| heading_like(c, f));
    let known = row.folded.iter().all(|f| {
        longest_prefix(f.trim(), SECTION_HEADINGS).is_some()
            || longest_prefix(f.trim(), PLACE_LABELS).is_some()
    });
    let apart = row
        .cells
        .windows(2)
        .all(|w| gap(&w[0], &w[1]) >= em(&w[0]) * 4.0);
    (all_titles && known && apart).then(|| row.cells[1..].iter().map(|c| c.x0).collect())
}

/// Reading order for a page whose body is set in columns (a plain sheet
/// with "LOCATIONS" on the left and "KEY CONTACTS" on the right): from a row
/// of column titles down to the first line that crosses a column edge, the
/// left column is read to its end before the next one, as a person reads
/// it. Rows elsewhere keep their order.
fn reflow_columns(rows: Vec<Row>) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len());
    let mut i = 0;
    while i < rows.len() {
        let Some(edges) = column_titles(&rows[i]) else {
            out.push(rows[i].clone());
            i += 1;
            continue;
        };
        let tol = em(&rows[i].cells[0]);
        let crosses = |r: &Row| {
            r.cells
                .iter()
                .any(|c| edges.iter().any(|&e| c.x0 < e - tol && c.x1 > e + tol))
        };
        // Boxes side by side end where a line crosses a column edge, or at
        // the white space after the tallest box (the next part of the page
        // starts under all of them).
        let para = rows[i].spacing.max(1.0) * 2.0;
        let end = (i + 1..rows.len())
            .find(|&k| {
                crosses(&rows[k])
                    || rows[k].page != rows[k - 1].page
                    || rows[k].y - rows[k - 1].y > para
            })
            .unwrap_or(rows.len());
        let bounds: Vec<(f32, f32)> = std::iter::once(f32::MIN)
            .chain(edges.iter().map(|&e| e - tol))
            .zip(
                edges
                    .iter()
                    .map(|&e| e - tol)
                    .chain(std::iter::once(f32::MAX)),
            )
            .collect();
        for (col, &(lo, hi)) in bounds.iter().enumerate() {
            let from = out.len();
            for r in &rows[i..end] {
                let cells: Vec<Cell> = r
                    .cells
                    .iter()
                    .filter(|c| c.x0 >= lo && c.x0 < hi)
                    .cloned()
                    .collect();
                if cells.is_empty() {
                    continue;
                }
                let left = if col == 0 { r.left } else { lo + tol };
                out.push(Row::new(r.page, r.y, cells, r.spacing, left));
            }
            // Lines of two columns interleave, so the page's line spacing
            // is too small for one column: measure the column's own.
            let ys: Vec<f32> = out[from..].iter().map(|r| r.y).collect();
            if let Some(spacing) = line_spacing(&ys) {
                for r in &mut out[from..] {
                    r.spacing = spacing;
                }
            }
        }
        i = end;
    }
    out
}

fn advance_opens_section(row: &Row) -> bool {
    let f = &row.folded[0];
    let len = longest_prefix(f, SECTION_HEADINGS).map_or(0, |(_, l)| l);
    let mut rest = f[len..].trim();
    if rest.starts_with('(') {
        rest = rest.find(')').map_or("", |i| rest[i + 1..].trim());
    }
    if row.cells.len() != 1 {
        return false;
    }
    if super::text::trim_punct(rest).is_empty() {
        return true;
    }
    // "ADVANCE SCHEDULE — FRIDAY, MARCH 20, 2026": the heading names the day
    // it previews, and states no time of its own.
    let dates = super::dates::find_all(rest);
    let [h] = dates.as_slice() else {
        return false;
    };
    times::find_all(rest).is_empty()
        && rest[..h.start]
            .split(|c: char| !c.is_alphanumeric())
            .chain(rest[h.end..].split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .all(|w| super::vocab::WEEKDAYS.contains(&w))
}

/// `^(?:(?:page|pg.|strona|str.|s.)\s*\d{1,3}(?:\s*(?:/|of|z|ze)\s*\d{1,3})?|[-–]\s*\d{1,3}\s*[-–])$`,
/// by code: asked of most single-cell lines of every sheet.
fn page_number(t: &str) -> bool {
    // One to three digits, then the rest.
    fn number(s: &str) -> Option<&str> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (1..=3).contains(&n).then(|| &s[n..])
    }
    fn dash(s: &str) -> Option<&str> {
        s.strip_prefix('-').or_else(|| s.strip_prefix('–'))
    }
    if let Some(r) = dash(t).and_then(|r| number(r.trim_start())) {
        if dash(r.trim_start()) == Some("") {
            return true;
        }
    }
    PAGE_WORDS.iter().any(|w| {
        let Some(r) = t.strip_prefix(w).and_then(|r| number(r.trim_start())) else {
            return false;
        };
        let r = r.trim_start();
        r.is_empty()
            || ["/", "of", "ze", "z"]
                .iter()
                .any(|sep| r.strip_prefix(sep).and_then(|r| number(r.trim_start())) == Some(""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Line, Page};

    #[test]
    fn page_numbers_by_code_match_the_pattern() {
        let words = PAGE_WORDS
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join("|");
        let re = regex::Regex::new(&format!(
            r"^(?:(?:{words})\s*\d{{1,3}}(?:\s*(?:/|of|z|ze)\s*\d{{1,3}})?|[-–]\s*\d{{1,3}}\s*[-–])$"
        ))
        .unwrap();
        for t in [
            "page 1 of 2",
            "strona 2/3",
            "- 2 -",
            "– 12 –",
            "2/3",
            "s. 4",
            "str.5 z 7",
            "page 1234",
            "page 12 ze 14",
            "page 1 of",
            "pg. 3",
            "strona",
            "ul. hoza 51",
            "page 2 of 3 x",
            "-2",
        ] {
            assert_eq!(page_number(t), re.is_match(t), "{t:?}");
        }
    }

    fn cell(x0: f32, t: &str) -> Cell {
        Cell {
            x0,
            x1: x0 + t.chars().count() as f32 * 5.0,
            size: 0.0,
            bold: false,
            text: t.into(),
        }
    }

    #[test]
    fn column_below_follows_x() {
        let doc = TextDoc {
            pages: vec![Page {
                width: 600.0,
                height: 800.0,
                lines: vec![
                    Line {
                        y: 10.0,
                        cells: vec![cell(0.0, "Breakfast"), cell(200.0, "Wrap")],
                    },
                    Line {
                        y: 22.0,
                        cells: vec![cell(0.0, "7:30"), cell(205.0, "19:00")],
                    },
                ],
            }],
            ..Default::default()
        };
        let rows = rows_of(&doc);
        assert_eq!(column_below(&rows, 0, 1, 3), vec![(1, 1)]);
    }

    #[test]
    fn advance_section_is_dropped() {
        let doc = TextDoc {
            pages: vec![Page {
                width: 600.0,
                height: 800.0,
                lines: vec![
                    Line {
                        y: 10.0,
                        cells: vec![cell(0.0, "CALL 07:00")],
                    },
                    Line {
                        y: 22.0,
                        cells: vec![cell(
                            0.0,
                            "PLAN WSTĘPNY NA NASTĘPNY DZIEŃ (może ulec zmianie)",
                        )],
                    },
                    Line {
                        y: 34.0,
                        cells: vec![cell(0.0, "16.03.2024 — call 08:00")],
                    },
                    Line {
                        y: 46.0,
                        cells: vec![cell(0.0, "KONTAKTY")],
                    },
                ],
            }],
            ..Default::default()
        };
        let rows = rows_of(&doc);
        let texts: Vec<String> = rows.iter().map(Row::text).collect();
        assert_eq!(texts, ["CALL 07:00", "KONTAKTY"]);
    }
}
