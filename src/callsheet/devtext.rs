//! Test support only: a `TextDoc` from `pdftotext -layout` (cells split on
//! runs of two or more spaces, x = column × 5 pt), or from tesseract's word
//! boxes for image-only pages. It stands in for the real PDF reader so the
//! call-sheet reader can be measured on real files, and gives a second,
//! differently-merged view of the same sheets.

use crate::layout::{Cell, Line, Page, TextDoc};
use std::path::Path;
use std::process::Command;

const CHAR_W: f32 = 5.0;
const LINE_H: f32 = 12.0;

/// Cells of one `pdftotext -layout` line.
pub fn line_cells(line: &str) -> Vec<Cell> {
    let chars: Vec<char> = line.chars().collect();
    let mut cells = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while i < chars.len() {
            if chars[i] == ' ' {
                let run = chars[i..].iter().take_while(|c| **c == ' ').count();
                if run >= 2 || i + run >= chars.len() {
                    break;
                }
                i += run;
            } else {
                i += 1;
                end = i;
            }
        }
        let text: String = chars[start..end].iter().collect();
        cells.push(Cell {
            x0: start as f32 * CHAR_W,
            x1: end as f32 * CHAR_W,
            size: 10.0,
            bold: false,
            text,
        });
    }
    cells
}

/// A `TextDoc` from layout text (pages separated by form feeds).
pub fn from_layout_text(text: &str) -> TextDoc {
    let pages = text
        .split('\x0c')
        .filter(|p| !p.trim().is_empty())
        .map(|p| Page {
            width: 600.0,
            height: 850.0,
            lines: p
                .lines()
                .enumerate()
                .map(|(i, l)| Line {
                    y: (i + 1) as f32 * LINE_H,
                    cells: line_cells(l),
                })
                .filter(|l| !l.cells.is_empty())
                .collect(),
        })
        .collect();
    TextDoc {
        pages,
        ocr: false,
        warnings: Vec::new(),
    }
}

/// Runs pdftotext (and tesseract for image-only files); `None` when the tools
/// are missing.
pub fn from_pdf(path: &Path) -> Option<TextDoc> {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if text.trim().len() > 50 {
        return Some(from_layout_text(&text));
    }
    ocr(path)
}

fn ocr(path: &Path) -> Option<TextDoc> {
    let dir = tempfile::tempdir().ok()?;
    let prefix = dir.path().join("p");
    Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(path)
        .arg(&prefix)
        .status()
        .ok()?;
    let mut pngs: Vec<_> = std::fs::read_dir(dir.path())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    pngs.sort();
    let mut pages = Vec::new();
    for png in pngs {
        let out = Command::new("tesseract")
            .arg(&png)
            .arg("stdout")
            .args(["-l", "pol+eng", "--psm", "6", "tsv"])
            .output()
            .ok()?;
        pages.push(tsv_page(&String::from_utf8_lossy(&out.stdout)));
    }
    Some(TextDoc {
        pages,
        ocr: true,
        warnings: vec!["text recovered by OCR".into()],
    })
}

/// Groups tesseract words into lines and cells (a gap wider than ~1.2 word
/// heights starts a new cell). Coordinates are scaled from 300 dpi to points.
fn tsv_page(tsv: &str) -> Page {
    struct W {
        key: (u32, u32, u32),
        x0: f32,
        x1: f32,
        y: f32,
        h: f32,
        text: String,
    }
    let scale = 72.0 / 300.0;
    let mut words: Vec<W> = Vec::new();
    for l in tsv.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() < 12 || f[0] != "5" || f[11].trim().is_empty() {
            continue;
        }
        let n = |i: usize| f[i].parse::<f32>().unwrap_or(0.0);
        words.push(W {
            key: (n(2) as u32, n(3) as u32, n(4) as u32),
            x0: n(6) * scale,
            x1: (n(6) + n(8)) * scale,
            y: (n(7) + n(9)) * scale,
            h: n(9) * scale,
            text: f[11].to_string(),
        });
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let key = words[i].key;
        let mut j = i;
        let mut cells: Vec<Cell> = Vec::new();
        let mut y = 0.0f32;
        while j < words.len() && words[j].key == key {
            let w = &words[j];
            y = y.max(w.y);
            match cells.last_mut() {
                Some(c) if w.x0 - c.x1 < w.h.max(4.0) * 1.2 => {
                    c.text.push(' ');
                    c.text.push_str(&w.text);
                    c.x1 = w.x1;
                }
                _ => cells.push(Cell {
                    x0: w.x0,
                    x1: w.x1,
                    size: w.h,
                    bold: false,
                    text: w.text.clone(),
                }),
            }
            j += 1;
        }
        lines.push(Line { y, cells });
        i = j;
    }
    lines.sort_by(|a, b| a.y.partial_cmp(&b.y).unwrap_or(std::cmp::Ordering::Equal));
    Page {
        width: 595.0,
        height: 842.0,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_wide_gaps() {
        let c = line_cells("    BAZA   Baza Konstancin  ul. Warszawska 58, 05-520 Konstancin");
        let t: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            t,
            [
                "BAZA",
                "Baza Konstancin",
                "ul. Warszawska 58, 05-520 Konstancin"
            ]
        );
        assert_eq!(c[0].x0, 20.0);
    }
}
