//! Positioned glyphs → lines of cells ([`crate::layout::Page`]).
//!
//! Contract: glyphs are grouped by baseline (tolerance relative to font
//! size), sorted left to right, and cut into cells at gaps wider than
//! [`CELL_GAP`] em (table columns, tab stops, two-column pages); inside a cell
//! a gap wider than [`WORD_GAP`] em, or an explicit space, becomes one space.
//! Text running in another direction than most of the page's (a landscape
//! sheet drawn rotated on a portrait page) is turned upright first; the page
//! size reported is the upright one. Fake bold (a glyph drawn twice at almost
//! the same spot) is drawn once; a spacing accent drawn over its letter is
//! combined with it (TeX's `\k{a}` → ą). Cell text is NFC.

use unicode_normalization::UnicodeNormalization;

use super::content::Glyph;
use crate::layout::{Cell, Line, Page};

/// A gap wider than this (in em of the larger neighbour) separates words.
pub(crate) const WORD_GAP: f32 = 0.12;
/// A gap wider than this (in em) separates cells: about two spaces in common
/// sans fonts, less than any real table's column padding.
pub(crate) const CELL_GAP: f32 = 0.6;
/// Baselines closer than this (in em of the smaller glyph) share a line.
const LINE_TOLERANCE: f32 = 0.4;
/// Explicit spaces in a row that mark a column even when the gap is narrow
/// (plain-text layouts set in proportional fonts).
const SPACES_FOR_CELL: usize = 3;

/// A glyph in the upright frame of its text direction.
#[derive(Debug, Clone)]
struct Placed {
    text: String,
    x0: f32,
    x1: f32,
    y: f32,
    size: f32,
    bold: bool,
    space: bool,
}

/// Text direction, in quarter turns clockwise from left-to-right.
fn direction(g: &Glyph) -> Option<u8> {
    let (dx, dy) = (g.x1 - g.x0, g.y1 - g.y0);
    if dx.abs() < 1e-3 && dy.abs() < 1e-3 {
        return None;
    }
    Some(if dx.abs() >= dy.abs() {
        if dx > 0.0 {
            0
        } else {
            2
        }
    } else if dy > 0.0 {
        1
    } else {
        3
    })
}

/// Maps page space to the upright frame of direction `dir`: returns the
/// point and the frame's page size.
fn to_frame(dir: u8, w: f32, h: f32, x: f32, y: f32) -> (f32, f32) {
    match dir {
        1 => (y, w - x),
        2 => (w - x, h - y),
        3 => (h - y, x),
        _ => (x, y),
    }
}

/// Lays out one page. `width`/`height` are the page's size in page space.
pub(crate) fn build_page(glyphs: &[Glyph], width: f32, height: f32) -> Page {
    // Direction of every glyph; zero-width glyphs follow their predecessor.
    let mut dirs = Vec::with_capacity(glyphs.len());
    let mut last = 0u8;
    let mut counts = [0usize; 4];
    for g in glyphs {
        let d = direction(g).unwrap_or(last);
        last = d;
        counts[usize::from(d)] += 1;
        dirs.push(d);
    }
    let dominant = (0..4u8)
        .max_by_key(|&d| (counts[usize::from(d)], d == 0))
        .unwrap_or(0);
    let (pw, ph) = if dominant % 2 == 1 {
        (height, width)
    } else {
        (width, height)
    };

    let mut lines = Vec::new();
    let mut order = vec![dominant];
    order.extend((0..4u8).filter(|&d| d != dominant && counts[usize::from(d)] > 0));
    for dir in order {
        let (fw, fh) = if dir % 2 == 1 {
            (height, width)
        } else {
            (width, height)
        };
        let placed: Vec<Placed> = glyphs
            .iter()
            .zip(&dirs)
            .filter(|(_, &d)| d == dir)
            .filter_map(|(g, _)| {
                let (ax, ay) = to_frame(dir, width, height, g.x0, g.y0);
                let (bx, by) = to_frame(dir, width, height, g.x1, g.y1);
                let (x0, x1) = if ax <= bx { (ax, bx) } else { (bx, ax) };
                // Text wholly off the page is not shown by any viewer.
                let margin = g.size.max(2.0);
                if x1 < -margin || x0 > fw + margin || ay < -margin || ay > fh + margin {
                    return None;
                }
                Some(Placed {
                    space: g.text.trim().is_empty(),
                    text: g.text.clone(),
                    x0,
                    x1,
                    y: (ay + by) / 2.0,
                    size: g.size.max(0.1),
                    bold: g.bold,
                })
            })
            .collect();
        lines.extend(group_lines(placed));
    }
    Page {
        width: pw,
        height: ph,
        lines,
    }
}

/// Lays out word boxes (from OCR): each box is one glyph already.
pub(crate) fn build_page_from_words(words: &[Glyph], width: f32, height: f32) -> Page {
    build_page(words, width, height)
}

fn group_lines(mut glyphs: Vec<Placed>) -> Vec<Line> {
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let mut lines: Vec<Vec<Placed>> = Vec::new();
    let mut line_y = f32::NAN;
    let mut line_size = 0.0f32;
    for g in glyphs {
        let same = !line_y.is_nan()
            && (g.y - line_y).abs() <= LINE_TOLERANCE * g.size.min(line_size) + 0.5;
        match lines.last_mut() {
            Some(line) if same => {
                // A running mean keeps a long line's reference on its baseline.
                let n = line.len() as f32;
                line_y = (line_y * n + g.y) / (n + 1.0);
                line_size = line_size.max(g.size);
                line.push(g);
            }
            _ => {
                line_y = g.y;
                line_size = g.size;
                lines.push(vec![g]);
            }
        }
    }
    lines.into_iter().filter_map(build_line).collect()
}

/// Spacing accents and the combining marks they stand for.
fn combining(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    Some(match c {
        '\u{300}'..='\u{36F}' => c,
        '`' => '\u{300}',
        '´' => '\u{301}',
        'ˆ' => '\u{302}',
        '˜' => '\u{303}',
        '¯' => '\u{304}',
        '˘' => '\u{306}',
        '˙' => '\u{307}',
        '¨' => '\u{308}',
        '˚' => '\u{30A}',
        '˝' => '\u{30B}',
        'ˇ' => '\u{30C}',
        '¸' => '\u{327}',
        '˛' => '\u{328}',
        _ => return None,
    })
}

fn build_line(mut glyphs: Vec<Placed>) -> Option<Line> {
    glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    // Fake bold and shadows: the same glyph again within a fraction of an em.
    let mut kept: Vec<Placed> = Vec::with_capacity(glyphs.len());
    for g in glyphs {
        let dup = kept.iter().rev().take(4).any(|k| {
            k.text == g.text
                && (k.x0 - g.x0).abs() < 0.2 * g.size
                && (k.y - g.y).abs() < 0.2 * g.size
        });
        if !dup {
            kept.push(g);
        }
    }
    // Accents drawn as their own glyph over a letter join that letter.
    let mut i = 0;
    while i < kept.len() {
        if let Some(mark) = combining(&kept[i].text) {
            let cx = (kept[i].x0 + kept[i].x1) / 2.0;
            let over = |k: &Placed| {
                !k.space && combining(&k.text).is_none() && cx >= k.x0 - 0.5 && cx <= k.x1 + 0.5
            };
            let target = if i + 1 < kept.len() && over(&kept[i + 1]) {
                Some(i + 1)
            } else if i > 0 && over(&kept[i - 1]) {
                Some(i - 1)
            } else {
                None
            };
            if let Some(t) = target {
                kept[t].text.push(mark);
                kept.remove(i);
                continue;
            }
        }
        i += 1;
    }

    let y = kept.iter().filter(|g| !g.space).map(|g| g.y).sum::<f32>()
        / kept.iter().filter(|g| !g.space).count().max(1) as f32;
    let tracking = tracking_of(&kept);
    let mut cells: Vec<Cell> = Vec::new();
    let mut cur: Option<(Cell, usize, usize)> = None; // cell, bold glyphs, glyphs
    let mut prev: Option<(f32, f32)> = None; // x1 and size of the last visible glyph
    let mut spaces = 0usize;
    for (gi, g) in kept.into_iter().enumerate() {
        if g.space {
            spaces += 1;
            continue;
        }
        let (new_cell, space) = match prev {
            None => (true, false),
            Some((px1, psize)) => {
                let em = psize.max(g.size);
                let gap = g.x0 - px1;
                // Letter-spaced text ("G E N E R A L  C A L L"): every gap
                // carries the tracking, a word gap carries it twice.
                let t = tracking[gi] * em;
                (
                    gap > CELL_GAP * em + 2.0 * t || spaces >= SPACES_FOR_CELL,
                    (spaces > 0 && t == 0.0) || gap > WORD_GAP * em + t,
                )
            }
        };
        if new_cell {
            if let Some(c) = cur.take() {
                cells.push(finish_cell(c));
            }
            cur = Some((
                Cell {
                    x0: g.x0,
                    x1: g.x1,
                    size: g.size,
                    bold: false,
                    text: String::new(),
                },
                0,
                0,
            ));
        } else if space {
            if let Some((c, _, _)) = cur.as_mut() {
                if !c.text.ends_with(' ') {
                    c.text.push(' ');
                }
            }
        }
        if let Some((c, bold, n)) = cur.as_mut() {
            c.text.push_str(&g.text);
            c.x1 = c.x1.max(g.x1);
            c.size = c.size.max(g.size);
            *n += 1;
            if g.bold {
                *bold += 1;
            }
        }
        prev = Some((g.x1.max(prev.map_or(f32::MIN, |p| p.0)), g.size));
        spaces = 0;
    }
    if let Some(c) = cur.take() {
        cells.push(finish_cell(c));
    }
    cells.retain(|c| !c.text.is_empty());
    if cells.is_empty() {
        return None;
    }
    Some(Line { y, cells })
}

/// The letter spacing (in em) of the run each glyph of a line belongs to, 0
/// for ordinary text. A run is glyphs of one size with no gap wider than
/// 1.5 em; it is letter-spaced when most gaps between its letters are alike
/// and wider than a word gap of ordinary text would be inside a word
/// (print views of web apps set headings with CSS `letter-spacing`).
fn tracking_of(glyphs: &[Placed]) -> Vec<f32> {
    let mut out = vec![0.0; glyphs.len()];
    let visible: Vec<usize> = (0..glyphs.len()).filter(|&i| !glyphs[i].space).collect();
    let mut start = 0;
    while start < visible.len() {
        let mut end = start + 1;
        while end < visible.len() {
            let (a, b) = (&glyphs[visible[end - 1]], &glyphs[visible[end]]);
            let em = a.size.max(b.size);
            let same_size = (a.size - b.size).abs() <= 0.15 * em;
            if !same_size || b.x0 - a.x1 > 1.5 * em {
                break;
            }
            end += 1;
        }
        // Gaps between single letters only: OCR word boxes and whole-word
        // text runs have word gaps, not tracking.
        let mut gaps: Vec<f32> = visible[start..end]
            .windows(2)
            .map(|w| (&glyphs[w[0]], &glyphs[w[1]]))
            .filter(|(a, b)| a.text.chars().count() == 1 && b.text.chars().count() == 1)
            .map(|(a, b)| (b.x0 - a.x1) / a.size.max(b.size))
            .filter(|g| *g < 0.55)
            .collect();
        gaps.sort_by(f32::total_cmp);
        let wide = gaps.iter().filter(|g| **g > 0.08).count();
        if gaps.len() >= 3 && wide * 10 >= gaps.len() * 7 {
            let t = gaps[gaps.len() / 2];
            for &i in &visible[start..end] {
                out[i] = t;
            }
            // The explicit spaces inside the run belong to it too.
            let (lo, hi) = (visible[start], visible[end - 1]);
            for v in out.iter_mut().take(hi + 1).skip(lo) {
                *v = t;
            }
        }
        start = end;
    }
    out
}

fn finish_cell((mut cell, bold, n): (Cell, usize, usize)) -> Cell {
    cell.bold = bold * 2 > n;
    cell.size = (cell.size * 10.0).round() / 10.0;
    let text: String = cell.text.nfc().collect();
    cell.text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyphs(s: &str, x: f32, y: f32, size: f32, advance: f32) -> Vec<Glyph> {
        s.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                text: c.to_string(),
                x0: x + i as f32 * advance,
                y0: y,
                x1: x + (i as f32 + 1.0) * advance,
                y1: y,
                size,
                bold: false,
            })
            .collect()
    }

    fn texts(p: &Page) -> Vec<Vec<String>> {
        p.lines
            .iter()
            .map(|l| l.cells.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    #[test]
    fn columns_become_cells_and_spaces_stay_inside() {
        let mut g = glyphs("Call: 07:00", 10.0, 100.0, 10.0, 5.0);
        g.extend(glyphs("Baza", 100.0, 100.5, 10.0, 5.0));
        g.extend(glyphs("next", 10.0, 114.0, 10.0, 5.0));
        let p = build_page(&g, 595.0, 842.0);
        assert_eq!(texts(&p), vec![vec!["Call: 07:00", "Baza"], vec!["next"]]);
    }

    #[test]
    fn implicit_word_gaps_become_spaces() {
        let mut g = glyphs("Plan", 10.0, 50.0, 10.0, 5.0);
        g.extend(glyphs("dnia", 32.0, 50.0, 10.0, 5.0));
        let p = build_page(&g, 595.0, 842.0);
        assert_eq!(texts(&p), vec![vec!["Plan dnia"]]);
    }

    #[test]
    fn letter_spaced_words_keep_their_word_gaps() {
        // 10 pt glyphs 5 pt wide with 2 pt tracking; a word gap of 2 + 3 + 2.
        let mut g = Vec::new();
        let mut x = 10.0;
        for word in ["GENERAL", "CALL"] {
            for c in word.chars() {
                g.push(Glyph {
                    text: c.to_string(),
                    x0: x,
                    y0: 50.0,
                    x1: x + 5.0,
                    y1: 50.0,
                    size: 10.0,
                    bold: false,
                });
                x += 7.0;
            }
            x += 5.0;
        }
        g.extend(glyphs("LUNCH", 200.0, 50.0, 10.0, 5.0));
        let p = build_page(&g, 595.0, 842.0);
        assert_eq!(texts(&p), vec![vec!["GENERAL CALL", "LUNCH"]]);
    }

    #[test]
    fn fake_bold_and_accents() {
        let mut g = glyphs("AB", 10.0, 50.0, 10.0, 6.0);
        g.extend(glyphs("AB", 10.3, 50.0, 10.0, 6.0));
        g.extend(glyphs("a", 40.0, 50.0, 10.0, 5.0));
        g.push(Glyph {
            text: "˛".into(),
            x0: 41.0,
            y0: 50.0,
            x1: 44.0,
            y1: 50.0,
            size: 10.0,
            bold: false,
        });
        let p = build_page(&g, 595.0, 842.0);
        assert_eq!(texts(&p), vec![vec!["AB", "ą"]]);
    }

    #[test]
    fn rotated_text_is_turned_upright() {
        // Text running upwards (a landscape sheet drawn on a portrait page).
        let g: Vec<Glyph> = "Scena"
            .chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                text: c.to_string(),
                x0: 100.0,
                y0: 500.0 - i as f32 * 6.0,
                x1: 100.0,
                y1: 494.0 - i as f32 * 6.0,
                size: 10.0,
                bold: false,
            })
            .collect();
        let p = build_page(&g, 595.0, 842.0);
        assert_eq!(texts(&p), vec![vec!["Scena"]]);
        assert_eq!((p.width, p.height), (842.0, 595.0));
    }
}
