//! PDF bytes → [`TextDoc`]: lines and cells in reading order.
//!
//! Contract: [`read`] takes any bytes and returns the text of every page (up
//! to [`Limits::max_pages`]) as lines of cells, or a [`PdfError`] saying what
//! to do next. It never panics on hostile input: the file size, page count,
//! object count, decompressed bytes, operators, glyphs and Form XObject
//! nesting are capped, lopdf runs under `catch_unwind`, and every object
//! look-up tolerates a broken graph. Pages without a text layer that paint an
//! image are OCR'd (`pdftoppm` + `tesseract`) when [`Options::ocr`] is set.
//!
//! Pipeline: [`lopdf`] loads the object graph (image and font programs are
//! dropped on load: we never need them) → `content` interprets each page's
//! content stream and annotation appearances into glyphs (`font`, `cmap`,
//! `encoding`, `glyphlist`, `metrics` turn codes into text and widths) →
//! `layout` groups glyphs into lines and cells; `ocr` feeds word boxes into
//! the same layout.

mod cmap;
mod content;
mod encoding;
mod font;
mod glyphlist;
mod layout;
mod lexer;
mod metrics;
mod objects;
mod ocr;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::layout::TextDoc;
use content::{mul, FontCache, Interpreter, Matrix};
use objects::{deref, get, get_array, get_dict, get_name, get_num, get_nums, Budget};

/// Caps that keep a hostile PDF from taking the daemon with it.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_pages: usize,
    pub max_objects: usize,
    /// Largest single decompressed stream.
    pub max_stream_bytes: usize,
    /// Decompressed stream bytes for the whole document.
    pub max_total_stream_bytes: usize,
    /// Content-stream operators interpreted for the whole document.
    pub max_operators: usize,
    /// Glyphs kept for the whole document.
    pub max_glyphs: usize,
    /// Pages OCR'd at most per document (each costs seconds).
    pub max_ocr_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 << 20,
            max_pages: 200,
            max_objects: 200_000,
            max_stream_bytes: 64 << 20,
            max_total_stream_bytes: 256 << 20,
            max_operators: 20_000_000,
            max_glyphs: 2_000_000,
            max_ocr_pages: 20,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    /// Run OCR (pdftoppm + tesseract) on pages with no text layer.
    pub ocr: bool,
    /// Time one OCR tool run (render or recognise one page) may take before
    /// it is killed.
    pub ocr_timeout_secs: u64,
    /// Tesseract languages, `+`-joined.
    pub ocr_languages: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            ocr: true,
            ocr_timeout_secs: 120,
            ocr_languages: "pol+eng".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("not a PDF: {0}")]
    NotPdf(String),
    #[error("PDF too large or too complex: {0}")]
    Limit(String),
    #[error("PDF is damaged: {0}")]
    Damaged(String),
    #[error("PDF is password-protected: {0}")]
    Encrypted(String),
    #[error("OCR failed: {0}")]
    Ocr(String),
}

/// A page with no more visible glyphs than this, that paints an image, is
/// taken for a scan.
const SCAN_MAX_GLYPHS: usize = 40;
/// Nesting of the page tree followed at most.
const MAX_TREE_DEPTH: usize = 64;

/// Reads the text of every page.
pub fn read(bytes: &[u8], opts: &Options) -> Result<TextDoc, PdfError> {
    let limits = &opts.limits;
    if bytes.len() > limits.max_file_bytes {
        return Err(PdfError::Limit(format!(
            "{} bytes, over the {}-byte limit (raise limits.max_file_bytes to read it)",
            bytes.len(),
            limits.max_file_bytes
        )));
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf(
            "no %PDF- header in the first 1024 bytes".into(),
        ));
    }
    let doc = load(bytes, limits)?;
    if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
        return Err(PdfError::Encrypted(
            "it needs a password to open; ask the sender for an unprotected copy".into(),
        ));
    }
    if doc.objects.len() > limits.max_objects {
        return Err(PdfError::Limit(format!(
            "{} objects, over the {} limit (raise limits.max_objects)",
            doc.objects.len(),
            limits.max_objects
        )));
    }
    match catch_unwind(AssertUnwindSafe(|| read_doc(&doc, bytes, opts))) {
        Ok(r) => r,
        Err(_) => Err(PdfError::Damaged(
            "the reader failed on a malformed structure".into(),
        )),
    }
}

/// Drops image and font-program stream data while loading: we never decode
/// them, and scans would otherwise double the memory a document costs. A
/// one-byte body (not an empty one) keeps lopdf from re-reading the stream.
fn drop_heavy_streams(id: ObjectId, obj: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(s) = obj {
        let heavy = matches!(
            s.dict.get(b"Subtype").and_then(Object::as_name),
            Ok(b"Image")
        ) || s.dict.has(b"Length1")
            || s.dict.has(b"Length2")
            || matches!(
                s.dict.get(b"Subtype").and_then(Object::as_name),
                Ok(b"Type1C" | b"CIDFontType0C" | b"OpenType")
            );
        if heavy {
            s.content = vec![b' '];
        }
    }
    Some((id, std::mem::replace(obj, Object::Null)))
}

fn load(bytes: &[u8], limits: &Limits) -> Result<Document, PdfError> {
    let attempt = |filter: Option<lopdf::FilterFunc>| {
        let options = LoadOptions {
            filter,
            max_decompressed_size: Some(limits.max_stream_bytes),
            ..LoadOptions::default()
        };
        catch_unwind(AssertUnwindSafe(|| {
            Document::load_mem_with_options(bytes, options)
        }))
    };
    let describe = |e: lopdf::Error| match e {
        lopdf::Error::Decompress(d) => {
            PdfError::Limit(format!("a stream decompresses too large: {d}"))
        }
        other => PdfError::Damaged(format!(
            "{other}; re-save or re-export it (e.g. print to PDF) and send again"
        )),
    };
    match attempt(Some(drop_heavy_streams)) {
        Ok(Ok(doc)) if doc_root_pages(&doc).is_some() => Ok(doc),
        // A filtered load does not rebuild a broken page tree; an unfiltered
        // one does.
        Ok(Ok(_)) | Ok(Err(_)) => match attempt(None) {
            Ok(Ok(doc)) => Ok(doc),
            Ok(Err(e)) => Err(describe(e)),
            Err(_) => Err(PdfError::Damaged(
                "the PDF parser failed on a malformed file".into(),
            )),
        },
        Err(_) => Err(PdfError::Damaged(
            "the PDF parser failed on a malformed file".into(),
        )),
    }
}

fn doc_root_pages(doc: &Document) -> Option<&Dictionary> {
    let root = get_dict(doc, &doc.trailer, b"Root")?;
    get_dict(doc, root, b"Pages")
}

/// A page with what it inherits from the page tree.
struct PageRef<'a> {
    dict: &'a Dictionary,
    resources: Option<&'a Dictionary>,
    /// CropBox (else MediaBox), normalised `[llx lly urx ury]`.
    bbox: [f32; 4],
    /// Clockwise quarter turns.
    rotate: u8,
}

#[derive(Clone, Copy)]
struct Inherited<'a> {
    resources: Option<&'a Dictionary>,
    media: Option<[f32; 4]>,
    crop: Option<[f32; 4]>,
    rotate: Option<i64>,
}

fn rect(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<[f32; 4]> {
    let v = get_nums(doc, dict, key)?;
    if v.len() != 4 {
        return None;
    }
    let r = [
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ];
    (r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0 && r.iter().all(|x| x.abs() < 1e5)).then_some(r)
}

fn inherit<'a>(doc: &'a Document, node: &'a Dictionary, parent: Inherited<'a>) -> Inherited<'a> {
    Inherited {
        resources: get_dict(doc, node, b"Resources").or(parent.resources),
        media: rect(doc, node, b"MediaBox").or(parent.media),
        crop: rect(doc, node, b"CropBox").or(parent.crop),
        rotate: get(doc, node, b"Rotate")
            .and_then(|o| o.as_i64().ok())
            .or(parent.rotate),
    }
}

/// Pages in document order; stops after `max + 1` so the caller can tell.
fn collect_pages(doc: &Document, max: usize) -> Vec<PageRef<'_>> {
    let mut pages = Vec::new();
    let root = Inherited {
        resources: None,
        media: None,
        crop: None,
        rotate: None,
    };
    let mut seen: HashSet<*const Dictionary> = HashSet::new();
    if let Some(tree) = doc_root_pages(doc) {
        // Explicit stack of (node, inherited, depth), children pushed in
        // reverse so that pages come out in order.
        let mut stack = vec![(tree, root, 0usize)];
        while let Some((node, inh, depth)) = stack.pop() {
            if pages.len() > max || depth > MAX_TREE_DEPTH || !seen.insert(node as *const _) {
                continue;
            }
            let inh = inherit(doc, node, inh);
            match get_array(doc, node, b"Kids") {
                Some(kids) if get_name(doc, node, b"Type") != Some(b"Page") => {
                    for kid in kids.iter().rev().take(100_000) {
                        if let Some(Object::Dictionary(d)) = deref(doc, kid) {
                            stack.push((d, inh, depth + 1));
                        }
                    }
                }
                _ => pages.push(page_ref(node, inh)),
            }
        }
    }
    if pages.is_empty() {
        // A broken tree: any object that says it is a page, in object order.
        for obj in doc.objects.values() {
            if let Object::Dictionary(d) = obj {
                if get_name(doc, d, b"Type") == Some(b"Page") && pages.len() <= max {
                    pages.push(page_ref(d, inherit(doc, d, root)));
                }
            }
        }
    }
    pages
}

fn page_ref<'a>(dict: &'a Dictionary, inh: Inherited<'a>) -> PageRef<'a> {
    let media = inh.media.unwrap_or([0.0, 0.0, 612.0, 792.0]);
    let bbox = match inh.crop {
        // The visible area is the crop box clipped to the media box.
        Some(c) => {
            let r = [
                c[0].max(media[0]),
                c[1].max(media[1]),
                c[2].min(media[2]),
                c[3].min(media[3]),
            ];
            if r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0 {
                r
            } else {
                media
            }
        }
        None => media,
    };
    let rotate = (inh.rotate.unwrap_or(0).rem_euclid(360) / 90) as u8;
    PageRef {
        dict,
        resources: inh.resources,
        bbox,
        rotate,
    }
}

/// User space → page space (top-left origin, y down, rotation applied), and
/// the page's width and height after rotation.
fn page_matrix(bbox: [f32; 4], rotate: u8) -> (Matrix, f32, f32) {
    let [llx, lly, urx, ury] = bbox;
    let (w, h) = (urx - llx, ury - lly);
    match rotate {
        1 => ([0.0, 1.0, 1.0, 0.0, -lly, -llx], h, w),
        2 => ([-1.0, 0.0, 0.0, 1.0, urx, -lly], w, h),
        3 => ([0.0, -1.0, -1.0, 0.0, ury, urx], h, w),
        _ => ([1.0, 0.0, 0.0, -1.0, -llx, ury], w, h),
    }
}

/// The page's content streams, concatenated.
fn page_content(doc: &Document, page: &Dictionary, budget: &mut Budget) -> Vec<u8> {
    let mut data = Vec::new();
    let parts: Vec<&Object> = match page.get(b"Contents").ok().and_then(|o| deref(doc, o)) {
        Some(Object::Array(a)) => a.iter().collect(),
        Some(_) => page.get(b"Contents").ok().into_iter().collect(),
        None => Vec::new(),
    };
    for part in parts.into_iter().take(10_000) {
        if let Some((_, s)) = objects::stream(doc, part) {
            if let Some(d) = budget.decode(s) {
                data.extend_from_slice(&d);
                // Streams may split anywhere between tokens, never inside one.
                data.push(b'\n');
            }
        }
    }
    data
}

/// Paints visible annotations' normal appearances (filled form fields,
/// free-text notes): their text is part of the page as printed.
fn paint_annotations<'a>(
    doc: &'a Document,
    page: &PageRef<'a>,
    base: Matrix,
    interp: &mut Interpreter<'a>,
) {
    let Some(annots) = get_array(doc, page.dict, b"Annots") else {
        return;
    };
    for a in annots.iter().take(1000) {
        let Some(Object::Dictionary(annot)) = deref(doc, a) else {
            continue;
        };
        let flags = get_num(doc, annot, b"F").unwrap_or(0.0) as i64;
        if flags & 2 != 0 || matches!(get_name(doc, annot, b"Subtype"), Some(b"Popup" | b"Link")) {
            continue;
        }
        let Some(ap) = get_dict(doc, annot, b"AP") else {
            continue;
        };
        let Some(n) = ap.get(b"N").ok() else { continue };
        let form = match deref(doc, n) {
            Some(Object::Stream(_)) => objects::stream(doc, n),
            Some(Object::Dictionary(states)) => get_name(doc, annot, b"AS")
                .and_then(|s| states.get(s).ok())
                .and_then(|o| objects::stream(doc, o)),
            _ => None,
        };
        let (Some((id, form)), Some(r)) = (form, rect(doc, annot, b"Rect")) else {
            continue;
        };
        let bbox = rect(doc, &form.dict, b"BBox").unwrap_or(r);
        let m = get_nums(doc, &form.dict, b"Matrix")
            .filter(|m| m.len() == 6)
            .map(|m| [m[0], m[1], m[2], m[3], m[4], m[5]])
            .unwrap_or(content::IDENTITY);
        // PDF 32000 §12.5.5: the transformed BBox is fitted onto Rect.
        let corners = [
            (bbox[0], bbox[1]),
            (bbox[2], bbox[1]),
            (bbox[0], bbox[3]),
            (bbox[2], bbox[3]),
        ]
        .map(|(x, y)| content::apply(&m, x, y));
        let (bx0, by0) = corners
            .iter()
            .fold((f32::MAX, f32::MAX), |a, c| (a.0.min(c.0), a.1.min(c.1)));
        let (bx1, by1) = corners
            .iter()
            .fold((f32::MIN, f32::MIN), |a, c| (a.0.max(c.0), a.1.max(c.1)));
        if bx1 - bx0 <= 0.0 || by1 - by0 <= 0.0 {
            continue;
        }
        let (sx, sy) = ((r[2] - r[0]) / (bx1 - bx0), (r[3] - r[1]) / (by1 - by0));
        let fit = [sx, 0.0, 0.0, sy, r[0] - bx0 * sx, r[1] - by0 * sy];
        interp.run_form(id, form, page.resources, mul(&fit, &base));
    }
}

/// How the warning about a stream inflating past its cap begins; a sheet
/// that then yields nothing is unreadable, not empty (CONTRACT §1).
pub const INFLATED_PAST: &str = "a compressed stream inflates past";

fn read_doc(doc: &Document, bytes: &[u8], opts: &Options) -> Result<TextDoc, PdfError> {
    let limits = &opts.limits;
    let pages = collect_pages(doc, limits.max_pages);
    if pages.is_empty() {
        return Err(PdfError::Damaged(
            "no pages found; re-export the document and send it again".into(),
        ));
    }
    let mut out = TextDoc::default();
    if pages.len() > limits.max_pages {
        out.warnings.push(format!(
            "only the first {} pages were read",
            limits.max_pages
        ));
    }
    let mut budget = Budget {
        stream_bytes: limits.max_total_stream_bytes,
        max_stream: limits.max_stream_bytes,
        ops: limits.max_operators,
        glyphs: limits.max_glyphs,
        exhausted: false,
        inflated_past: None,
    };
    let mut fonts = FontCache::default();
    let mut ocr_session: Option<ocr::Session> = None;
    let mut ocr_pages = 0usize;
    let mut forms_skipped = 0usize;
    for (index, page) in pages.iter().take(limits.max_pages).enumerate() {
        let (base, width, height) = page_matrix(page.bbox, page.rotate);
        let data = page_content(doc, page.dict, &mut budget);
        let mut interp = Interpreter::new(doc, &mut budget, &mut fonts);
        interp.run(&data, page.resources, base);
        paint_annotations(doc, page, base, &mut interp);
        let content = interp.finish();
        forms_skipped += content.forms_skipped;
        let visible = content
            .glyphs
            .iter()
            .filter(|g| !g.text.trim().is_empty())
            .count();
        let page_out = if visible <= SCAN_MAX_GLYPHS && content.images {
            if !opts.ocr {
                out.warnings
                    .push(format!("page {} has no text layer (OCR is off)", index + 1));
                layout::build_page(&content.glyphs, width, height)
            } else if ocr_pages >= limits.max_ocr_pages {
                out.warnings.push(format!(
                    "page {} has no text layer and the OCR page limit was reached",
                    index + 1
                ));
                layout::build_page(&content.glyphs, width, height)
            } else {
                ocr_pages += 1;
                if ocr_session.is_none() {
                    ocr_session = Some(ocr::Session::new(bytes, opts)?);
                }
                let session = ocr_session
                    .as_mut()
                    .ok_or_else(|| PdfError::Ocr("no OCR session".into()))?;
                let words = session.page_words(index + 1, width, height)?;
                out.ocr = true;
                layout::build_page_from_words(&words, width, height)
            }
        } else {
            layout::build_page(&content.glyphs, width, height)
        };
        out.pages.push(page_out);
    }
    if out.ocr {
        out.warnings.push("text recovered by OCR".into());
    }
    if let Some(cap) = budget.inflated_past {
        out.warnings.push(format!(
            "{INFLATED_PAST} the {} MiB size limit; the text it held was not read",
            cap >> 20
        ));
    } else if budget.exhausted {
        out.warnings
            .push("the PDF hit a size or complexity limit; some text may be missing".into());
    }
    if forms_skipped > 0 {
        out.warnings.push(format!(
            "{forms_skipped} nested or cyclic form objects were skipped"
        ));
    }
    for (name, n) in fonts.unmapped() {
        out.warnings.push(format!(
            "font {name}: {n} glyphs have no Unicode mapping and were left out"
        ));
    }
    Ok(out)
}

/// How long one OCR tool run may take.
fn ocr_timeout(opts: &Options) -> Duration {
    Duration::from_secs(opts.ocr_timeout_secs.max(1))
}
