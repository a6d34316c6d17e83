//! The document as one list of rows with their folded text, and the
//! geometry questions the readers ask of it: what is under this label, which
//! column does this cell belong to, is this row a section heading.
//!
//! Rows of the next day's preview ("PLAN WSTĘPNY NA NASTĘPNY DZIEŃ",
//! "ADVANCE SCHEDULE") are dropped here, once, so no reader can mistake them
//! for today's facts.

use super::text::{fold, letter_count, longest_prefix, upper_ratio};
use super::times;
use super::vocab::{Section, ISSUED, SECTION_HEADINGS};
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
        let opens = self.is_heading()
            || (rest.is_empty() && self.cells.len() == 1)
            || rest.starts_with(':')
            || rest.starts_with('(')
            || rest.starts_with('/')
            || rest.starts_with('—')
            || rest.starts_with('-');
        opens.then_some(sec)
    }

    /// The line says when the sheet was issued ("Wydano: 16.01.2026").
    pub fn is_issued(&self) -> bool {
        self.folded.iter().any(|f| {
            let f = f.trim_start();
            ISSUED.iter().any(|w| f.starts_with(w))
        })
    }
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
        let mut steps: Vec<f32> = ys
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0.0)
            .collect();
        steps.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let spacing = steps.get(steps.len() / 3).copied().unwrap_or(0.0);
        let mut starts: Vec<f32> = page
            .lines
            .iter()
            .filter_map(|l| l.cells.first().map(|c| c.x0))
            .collect();
        starts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let left = starts.get(starts.len() / 10).copied().unwrap_or(0.0);
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
            if !cells.is_empty() {
                rows.push(Row::new(p, line.y, cells, spacing, left));
            }
        }
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

fn advance_opens_section(row: &Row) -> bool {
    let f = &row.folded[0];
    let len = longest_prefix(f, SECTION_HEADINGS).map_or(0, |(_, l)| l);
    let mut rest = f[len..].trim();
    if rest.starts_with('(') {
        rest = rest.find(')').map_or("", |i| rest[i + 1..].trim());
    }
    row.cells.len() == 1 && super::text::trim_punct(rest).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Line, Page};

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
