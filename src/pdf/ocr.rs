//! OCR for scanned pages: `pdftoppm` renders the page, `tesseract` reads it,
//! and its word boxes become glyphs for the ordinary layout.
//!
//! Contract: each tool runs as a child process in a private temporary
//! directory (removed on drop), with its output written to files (no pipes to
//! fill up), and is killed when it outlives the timeout. A missing tool or
//! language pack is a [`PdfError::Ocr`] that names the package to install,
//! never a panic. Word boxes come back in page space (points, top-left
//! origin), one [`Glyph`] per word, all words of a tesseract line on one
//! baseline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::content::Glyph;
use super::{ocr_timeout, Options, PdfError};

/// Render resolution: tesseract reads 300 dpi text best.
const DPI: f32 = 300.0;
/// Pixel rows recognised per tesseract run. A whole A4 page at 300 dpi
/// makes tesseract peak near 150 MB; bands of this height keep it under
/// 90 MB, for about 0.2 s of model loading per extra band.
const BAND_ROWS: usize = 1100;
/// Rows two bands share, so that a text line cut by one band edge is whole
/// in the other (a 14 pt line is about 60 rows).
const BAND_OVERLAP: usize = 160;

/// Tesseract's address of a text line, prefixed with the band.
type LineKey = (u32, u32, u32, u32, u32);
/// Words tesseract itself doubts this much are mostly specks and rules.
const MIN_CONFIDENCE: f32 = 20.0;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub(crate) struct Session {
    dir: PathBuf,
    pdf: PathBuf,
    timeout: Duration,
    languages: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Session {
    /// Writes the PDF into a fresh temporary directory for the tools to read.
    pub(crate) fn new(bytes: &[u8], opts: &Options) -> Result<Session, PdfError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "mp2-ocr-{}-{}-{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)
            .map_err(|e| PdfError::Ocr(format!("cannot create {}: {e}", dir.display())))?;
        let session = Session {
            pdf: dir.join("in.pdf"),
            dir,
            timeout: ocr_timeout(opts),
            languages: opts.ocr_languages.clone(),
        };
        std::fs::write(&session.pdf, bytes)
            .map_err(|e| PdfError::Ocr(format!("cannot write {}: {e}", session.pdf.display())))?;
        Ok(session)
    }

    /// Renders and recognises one page (1-based); `width`/`height` are the
    /// page's size in points, used to scale pixels back.
    pub(crate) fn page_words(
        &mut self,
        page: usize,
        width: f32,
        height: f32,
    ) -> Result<Vec<Glyph>, PdfError> {
        // Render once as PGM: raw grey rows we can cut into bands ourselves.
        let base = self.dir.join(format!("p{page}"));
        let n = page.to_string();
        let mut cmd = Command::new("pdftoppm");
        cmd.args(["-r", "300", "-gray", "-singlefile", "-f", &n, "-l", &n])
            .arg(&self.pdf)
            .arg(&base);
        run(cmd, "pdftoppm", "poppler-utils", self.timeout, &self.dir)?;
        let pgm_path = base.with_extension("pgm");
        let pgm = std::fs::read(&pgm_path)
            .map_err(|e| PdfError::Ocr(format!("pdftoppm wrote no image: {e}")))?;
        let _ = std::fs::remove_file(&pgm_path);
        let (cols, rows, pixels) = parse_pgm(&pgm)
            .ok_or_else(|| PdfError::Ocr("pdftoppm wrote an unreadable image".into()))?;

        let mut lines: BTreeMap<LineKey, Vec<Word>> = BTreeMap::new();
        let step = BAND_ROWS - BAND_OVERLAP;
        let mut top = 0usize;
        let mut band = 0u32;
        while top < rows {
            let bottom = (top + BAND_ROWS).min(rows);
            let band_path = self.dir.join(format!("b{page}-{band}.pgm"));
            let mut data = format!("P5\n{cols} {}\n255\n", bottom - top).into_bytes();
            data.extend_from_slice(&pixels[top * cols..bottom * cols]);
            std::fs::write(&band_path, &data)
                .map_err(|e| PdfError::Ocr(format!("cannot write {}: {e}", band_path.display())))?;
            let out_base = self.dir.join(format!("t{page}-{band}"));
            let mut cmd = Command::new("tesseract");
            cmd.arg(&band_path)
                .arg(&out_base)
                // Single-column variable-size segmentation (psm 4) kept the
                // most words and diacritics on sample scans of tables; psm 6
                // (one uniform block) read grid lines as letters. A PGM
                // carries no resolution, and tesseract's guess for a band is
                // poor: say it.
                .args(["-l", &self.languages, "--psm", "4", "--dpi", "300", "tsv"])
                // One thread: tesseract's OpenMP threads fight each other
                // (and the daemon) on small machines and finish later.
                .env("OMP_THREAD_LIMIT", "1");
            run(
                cmd,
                "tesseract",
                "tesseract-ocr and tesseract-ocr-pol",
                self.timeout,
                &self.dir,
            )?;
            let _ = std::fs::remove_file(&band_path);
            let tsv_path = out_base.with_extension("tsv");
            let tsv = std::fs::read_to_string(&tsv_path)
                .map_err(|e| PdfError::Ocr(format!("tesseract wrote no result: {e}")))?;
            let _ = std::fs::remove_file(&tsv_path);
            // Each word belongs to the band whose core (the band less half
            // the overlap on inner edges) holds its middle.
            let core_top = if top == 0 {
                f32::MIN
            } else {
                (top + BAND_OVERLAP / 2) as f32
            };
            let core_bottom = if bottom == rows {
                f32::MAX
            } else {
                (bottom - BAND_OVERLAP / 2) as f32
            };
            for (key, word) in parse_tsv(&tsv, band, top as f32) {
                let mid = (word.top + word.bottom) / 2.0;
                if mid >= core_top && mid < core_bottom {
                    lines.entry(key).or_default().push(word);
                }
            }
            if bottom == rows {
                break;
            }
            top += step;
            band += 1;
        }
        let scale = 72.0 / DPI;
        Ok(glyphs_from_lines(lines, scale)
            .into_iter()
            .filter(|g| g.x0 <= width + 5.0 && g.y0 <= height + 5.0)
            .collect())
    }
}

/// A binary PGM (`P5`, 8-bit) → columns, rows and the pixel rows.
fn parse_pgm(data: &[u8]) -> Option<(usize, usize, &[u8])> {
    let mut fields = Vec::with_capacity(4);
    let mut pos = 0;
    while fields.len() < 4 {
        while data.get(pos)?.is_ascii_whitespace() {
            pos += 1;
        }
        if data[pos] == b'#' {
            while *data.get(pos)? != b'\n' {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while !data.get(pos)?.is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(std::str::from_utf8(&data[start..pos]).ok()?);
    }
    pos += 1;
    let (cols, rows, max): (usize, usize, usize) = (
        fields[1].parse().ok()?,
        fields[2].parse().ok()?,
        fields[3].parse().ok()?,
    );
    if fields[0] != "P5" || max > 255 || cols == 0 {
        return None;
    }
    let pixels = data.get(pos..pos.checked_add(cols.checked_mul(rows)?)?)?;
    Some((cols, rows, pixels))
}

/// Runs a tool to completion or kills it at the timeout.
fn run(
    mut cmd: Command,
    tool: &str,
    package: &str,
    timeout: Duration,
    dir: &Path,
) -> Result<(), PdfError> {
    let err_path = dir.join(format!("{tool}.err"));
    let err_file = std::fs::File::create(&err_path)
        .map_err(|e| PdfError::Ocr(format!("cannot create a log: {e}")))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                PdfError::Ocr(format!(
                    "{tool} not found: install {package} to read scanned pages"
                ))
            } else {
                PdfError::Ocr(format!("cannot start {tool}: {e}"))
            }
        })?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let log = std::fs::read_to_string(&err_path).unwrap_or_default();
                let tail: String = log.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
                let hint = if log.contains("Failed loading language") {
                    format!("; install {package}")
                } else {
                    String::new()
                };
                return Err(PdfError::Ocr(format!(
                    "{tool} failed ({status}): {tail}{hint}"
                )));
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Ocr(format!(
                    "{tool} took longer than {} s and was stopped (raise parser.ocr_timeout)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(15)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Ocr(format!("waiting for {tool}: {e}")));
            }
        }
    }
}

struct Word {
    text: String,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
}

/// Tesseract TSV (level 5 rows are words) → words keyed by their line,
/// moved down by `y_offset` pixels.
fn parse_tsv(tsv: &str, band: u32, y_offset: f32) -> Vec<(LineKey, Word)> {
    let mut out = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<f32>().unwrap_or(0.0);
        let text = clean_word(&f[11..].join(" "));
        if text.is_empty() || num(10) < MIN_CONFIDENCE {
            continue;
        }
        let key = (
            band,
            num(1) as u32,
            num(2) as u32,
            num(3) as u32,
            num(4) as u32,
        );
        let (left, top, w, h) = (num(6), num(7) + y_offset, num(8), num(9));
        out.push((
            key,
            Word {
                text,
                left,
                right: left + w,
                top,
                bottom: top + h,
            },
        ));
    }
    out
}

/// One TSV → glyphs in points (what a single-band page gives).
#[cfg(test)]
pub(crate) fn words_from_tsv(tsv: &str, scale: f32) -> Vec<Glyph> {
    let mut lines: BTreeMap<LineKey, Vec<Word>> = BTreeMap::new();
    for (key, word) in parse_tsv(tsv, 0, 0.0) {
        lines.entry(key).or_default().push(word);
    }
    glyphs_from_lines(lines, scale)
}

/// Words grouped by tesseract line → one glyph per word, in points, the
/// words of a line on one (deskewed) baseline.
fn glyphs_from_lines(mut lines: BTreeMap<LineKey, Vec<Word>>, scale: f32) -> Vec<Glyph> {
    for words in lines.values_mut() {
        join_split_times(words);
    }
    let slope = skew(&lines);
    let mut out = Vec::new();
    for words in lines.values() {
        // Baselines measured along the skew, so that words of one row in
        // different blocks line up again.
        let level = |w: &Word| w.bottom - slope * (w.left + w.right) / 2.0;
        let mut bottoms: Vec<f32> = words.iter().map(level).collect();
        bottoms.sort_by(f32::total_cmp);
        let baseline = bottoms[bottoms.len() / 2];
        let top = words.iter().map(|w| w.top).fold(f32::MAX, f32::min);
        let bottom = words.iter().map(|w| w.bottom).fold(f32::MIN, f32::max);
        // Ascender to descender spans about an em.
        let size = ((bottom - top) * 0.9 * scale).max(1.0);
        for w in words {
            out.push(Glyph {
                text: w.text.clone(),
                x0: w.left * scale,
                y0: baseline * scale,
                x1: w.right * scale,
                y1: baseline * scale,
                size,
                bold: false,
            });
        }
    }
    out
}

/// Table rules read as letters: bars and brackets at a word's ends go, a
/// word of nothing else goes.
fn clean_word(raw: &str) -> String {
    let rule = |c: char| matches!(c, '|' | '[' | ']' | '{' | '}' | '_');
    let t = raw.trim().trim_matches(rule).trim();
    if t.chars()
        .all(|c| rule(c) || c == '-' || c == '—' || c == '=')
        && !t.chars().any(|c| c == '—' || c == '-')
    {
        return String::new();
    }
    t.to_string()
}

/// `19:` `00` → `19:00`: OCR splits large times at the colon.
fn join_split_times(words: &mut Vec<Word>) {
    let mut i = 0;
    while i + 1 < words.len() {
        let (a, b) = (&words[i], &words[i + 1]);
        let h = a.bottom - a.top;
        let hour = a.text.strip_suffix(':').is_some_and(|d| {
            !d.is_empty() && d.len() <= 2 && d.bytes().all(|c| c.is_ascii_digit())
        });
        let minutes = b.text.len() == 2 && b.text.bytes().all(|c| c.is_ascii_digit());
        if hour && minutes && b.left - a.right < 0.8 * h {
            let b = words.remove(i + 1);
            words[i].text.push_str(&b.text);
            words[i].right = b.right;
            words[i].bottom = words[i].bottom.max(b.bottom);
        }
        i += 1;
    }
}

/// The page's skew (dy/dx) from its text lines: the median slope of the
/// word bottoms of lines with at least three words; 0 when unknown.
fn skew(lines: &BTreeMap<LineKey, Vec<Word>>) -> f32 {
    let mut slopes: Vec<f32> = lines
        .values()
        .filter(|w| w.len() >= 3)
        .filter_map(|words| {
            let n = words.len() as f32;
            let xs: Vec<f32> = words.iter().map(|w| (w.left + w.right) / 2.0).collect();
            let mx = xs.iter().sum::<f32>() / n;
            let my = words.iter().map(|w| w.bottom).sum::<f32>() / n;
            let sxx: f32 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
            let sxy: f32 = xs
                .iter()
                .zip(words)
                .map(|(x, w)| (x - mx) * (w.bottom - my))
                .sum();
            (sxx > 0.0).then(|| sxy / sxx)
        })
        .collect();
    if slopes.is_empty() {
        return 0.0;
    }
    slopes.sort_by(f32::total_cmp);
    slopes[slopes.len() / 2].clamp(-0.05, 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgm_header_and_rows() {
        let mut data = b"P5\n# comment\n3 2\n255\n".to_vec();
        data.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_pgm(&data), Some((3, 2, &[1u8, 2, 3, 4, 5, 6][..])));
        assert_eq!(parse_pgm(b"P5\n3 2\n255\n\x01"), None);
        assert_eq!(parse_pgm(b"P6"), None);
    }

    #[test]
    fn tsv_words_share_their_line_baseline() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t100\t100\t800\t50\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t100\t120\t40\t95.1\tCall:\n\
                   5\t1\t1\t1\t1\t2\t240\t102\t100\t48\t91.0\t07:00\n\
                   5\t1\t1\t1\t1\t3\t600\t100\t150\t40\t3.0\t~~\n";
        let g = words_from_tsv(tsv, 72.0 / 300.0);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].y0, g[1].y0);
        assert!((g[0].x0 - 24.0).abs() < 0.01);
    }
}
