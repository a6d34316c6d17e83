//! Text of a page in reading order, with enough geometry left to read tables.
//!
//! This is the hand-off between the PDF reader (`pdf`, or OCR) and the call-sheet
//! reader (`callsheet`): a page is a list of lines top to bottom, a line a list
//! of cells left to right. A cell is a run of glyphs with no wide gap inside, so
//! a table row becomes one line whose cells are the table's columns.

use serde::{Deserialize, Serialize};

/// A whole document's text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TextDoc {
    pub pages: Vec<Page>,
    /// True when any page's text came from OCR (confidence is lower).
    pub ocr: bool,
    /// Things the reader noticed that a person may want to know.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Page {
    /// Page size in points after rotation (x right, y down).
    pub width: f32,
    pub height: f32,
    /// Top to bottom.
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Line {
    /// Baseline, points from the top of the page.
    pub y: f32,
    /// Left to right.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Cell {
    /// Left and right edge, points from the left of the page.
    pub x0: f32,
    pub x1: f32,
    /// Font size in points (0 when unknown, e.g. OCR estimates it from the box).
    pub size: f32,
    /// True when the font is bold (from its name or OCR cannot tell: false).
    pub bold: bool,
    /// NFC text, single spaces inside.
    pub text: String,
}

impl Line {
    /// The line as plain text, cells separated by a tab so that callers can
    /// tell a column break from a space inside a cell.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.cells.iter().map(|c| c.text.as_str()).collect();
        parts.join("\t")
    }
}

impl Page {
    /// The page as plain text, one line per `Line`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.text());
            out.push('\n');
        }
        out
    }
}

impl TextDoc {
    pub fn text(&self) -> String {
        self.pages
            .iter()
            .map(Page::text)
            .collect::<Vec<_>>()
            .join("\x0c")
    }
}
