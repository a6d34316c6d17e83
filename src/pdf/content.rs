//! The content-stream interpreter: operators → positioned glyphs.
//!
//! Contract: [`Interpreter::run_page`] follows the text and graphics state of
//! PDF 32000 §8–9 (q/Q, cm, BT/ET, Tf Tm Td TD T* TL Tc Tw Tz Ts Tr, Tj TJ ' ")
//! and Form XObjects (`Do`, with their /Matrix and /Resources), and emits one
//! [`Glyph`] per painted glyph in page space: origin at the top-left of the
//! (rotated) page, x right, y down, in points. Invisible text (Tr 3, what OCR
//! layers use) is kept. Nothing is rasterised and images are not decoded; an
//! image paint is only noted (the page may be a scan). Work is bounded by the
//! shared [`Budget`], form nesting by [`MAX_FORM_DEPTH`] and a visited stack.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, ObjectId, Stream};

use super::font::Font;
use super::lexer::{Lexer, Operand};
use super::objects::{deref, get_dict, get_name, get_nums, stream, Budget};

/// Form XObjects nested deeper than this are not painted.
pub(crate) const MAX_FORM_DEPTH: usize = 12;
/// Saved graphics states kept at most (deeper `q`s are counted, not stored).
const MAX_GSTATE_DEPTH: usize = 64;

/// An affine matrix `[a b c d e f]` as PDF writes it.
pub(crate) type Matrix = [f32; 6];
pub(crate) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m1` then `m2`.
pub(crate) fn mul(m1: &Matrix, m2: &Matrix) -> Matrix {
    [
        m1[0] * m2[0] + m1[1] * m2[2],
        m1[0] * m2[1] + m1[1] * m2[3],
        m1[2] * m2[0] + m1[3] * m2[2],
        m1[2] * m2[1] + m1[3] * m2[3],
        m1[4] * m2[0] + m1[5] * m2[2] + m2[4],
        m1[4] * m2[1] + m1[5] * m2[3] + m2[5],
    ]
}

pub(crate) fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// A painted glyph in page space.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glyph {
    pub text: String,
    /// Baseline start of the glyph.
    pub x0: f32,
    pub y0: f32,
    /// Baseline end of the glyph's own width (character spacing excluded).
    pub x1: f32,
    pub y1: f32,
    /// Effective font size in points.
    pub size: f32,
    pub bold: bool,
}

#[derive(Debug, Default)]
pub(crate) struct PageContent {
    pub glyphs: Vec<Glyph>,
    /// An image was painted (the page may be a scan that needs OCR).
    pub images: bool,
    /// Forms skipped because of nesting depth or a reference cycle.
    pub forms_skipped: usize,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
}

/// Fonts already read, shared by all pages of a document.
#[derive(Default)]
pub(crate) struct FontCache {
    by_id: HashMap<ObjectId, Rc<Font>>,
    /// Direct (inline) font dictionaries, keyed by their address in the
    /// document, which outlives the cache.
    by_addr: HashMap<usize, Rc<Font>>,
}

impl FontCache {
    /// Fonts that showed glyphs without any Unicode mapping.
    pub(crate) fn unmapped(&self) -> Vec<(String, usize)> {
        self.by_id
            .values()
            .chain(self.by_addr.values())
            .filter(|f| f.unmapped.get() > 0)
            .map(|f| (f.name.clone(), f.unmapped.get()))
            .collect()
    }
}

pub(crate) struct Interpreter<'a> {
    doc: &'a Document,
    budget: &'a mut Budget,
    fonts: &'a mut FontCache,
    out: PageContent,
    /// Forms being painted, innermost last (cycle detection).
    forms: Vec<ObjectId>,
}

impl<'a> Interpreter<'a> {
    pub(crate) fn new(doc: &'a Document, budget: &'a mut Budget, fonts: &'a mut FontCache) -> Self {
        Interpreter {
            doc,
            budget,
            fonts,
            out: PageContent::default(),
            forms: Vec::new(),
        }
    }

    /// Paints a content stream (a page's, or an annotation's appearance)
    /// with `base` mapping its space to page space.
    pub(crate) fn run(&mut self, content: &[u8], resources: Option<&'a Dictionary>, base: Matrix) {
        let gs = GState {
            ctm: base,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        self.interpret(content, resources, gs);
    }

    /// Paints a Form XObject (e.g. an annotation appearance) at `base`.
    pub(crate) fn run_form(
        &mut self,
        id: Option<ObjectId>,
        form: &'a Stream,
        fallback_resources: Option<&'a Dictionary>,
        base: Matrix,
    ) {
        let gs = GState {
            ctm: base,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        self.paint_form(id, form, fallback_resources, &gs);
    }

    pub(crate) fn finish(self) -> PageContent {
        self.out
    }

    fn paint_form(
        &mut self,
        id: Option<ObjectId>,
        form: &'a Stream,
        parent: Option<&'a Dictionary>,
        gs: &GState,
    ) {
        if self.forms.len() >= MAX_FORM_DEPTH || id.is_some_and(|id| self.forms.contains(&id)) {
            self.out.forms_skipped += 1;
            return;
        }
        let doc = self.doc;
        let Some(data) = self.budget.decode(form) else {
            return;
        };
        let matrix = get_nums(doc, &form.dict, b"Matrix")
            .filter(|m| m.len() == 6)
            .map(|m| [m[0], m[1], m[2], m[3], m[4], m[5]])
            .unwrap_or(IDENTITY);
        let resources = get_dict(doc, &form.dict, b"Resources").or(parent);
        let mut inner = gs.clone();
        inner.ctm = mul(&matrix, &gs.ctm);
        if let Some(id) = id {
            self.forms.push(id);
        }
        self.interpret(&data, resources, inner);
        if id.is_some() {
            self.forms.pop();
        }
    }

    fn font(&mut self, resources: Option<&'a Dictionary>, name: &[u8]) -> Option<Rc<Font>> {
        let doc = self.doc;
        let fonts = get_dict(doc, resources?, b"Font")?;
        let obj = fonts.get(name).ok()?;
        if let Ok(id) = obj.as_reference() {
            if let Some(f) = self.fonts.by_id.get(&id) {
                return Some(f.clone());
            }
            let dict = deref(doc, obj)?.as_dict().ok()?;
            let f = Rc::new(Font::load(doc, dict, self.budget));
            self.fonts.by_id.insert(id, f.clone());
            return Some(f);
        }
        let dict = deref(doc, obj)?.as_dict().ok()?;
        let key = dict as *const Dictionary as usize;
        if let Some(f) = self.fonts.by_addr.get(&key) {
            return Some(f.clone());
        }
        let f = Rc::new(Font::load(doc, dict, self.budget));
        self.fonts.by_addr.insert(key, f.clone());
        Some(f)
    }

    fn interpret(&mut self, content: &[u8], resources: Option<&'a Dictionary>, mut gs: GState) {
        let doc = self.doc;
        let mut saved: Vec<GState> = Vec::new();
        let mut unsaved_q = 0usize;
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut lx = Lexer::new(content, 64);
        let mut ops: Vec<Operand> = Vec::with_capacity(8);
        let n = |ops: &[Operand], i: usize| ops.get(i).and_then(Operand::num).unwrap_or(0.0);
        while let Some(op) = lx.next_op(&mut ops) {
            if self.budget.ops == 0 {
                self.budget.exhausted = true;
                return;
            }
            self.budget.ops -= 1;
            match op {
                b"q" => {
                    if saved.len() < MAX_GSTATE_DEPTH {
                        saved.push(gs.clone());
                    } else {
                        unsaved_q += 1;
                    }
                }
                b"Q" => {
                    if unsaved_q > 0 {
                        unsaved_q -= 1;
                    } else if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                b"cm" if ops.len() >= 6 => {
                    let m = [
                        n(&ops, 0),
                        n(&ops, 1),
                        n(&ops, 2),
                        n(&ops, 3),
                        n(&ops, 4),
                        n(&ops, 5),
                    ];
                    gs.ctm = mul(&m, &gs.ctm);
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    if let Some(Operand::Name(name)) = ops.first() {
                        gs.font = self.font(resources, name);
                    }
                    gs.size = n(&ops, 1);
                }
                b"Tc" => gs.char_spacing = n(&ops, 0),
                b"Tw" => gs.word_spacing = n(&ops, 0),
                b"Tz" => gs.h_scale = n(&ops, 0) / 100.0,
                b"TL" => gs.leading = n(&ops, 0),
                b"Ts" => gs.rise = n(&ops, 0),
                b"Td" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(&ops, 0), n(&ops, 1)], &tlm);
                    tm = tlm;
                }
                b"TD" => {
                    gs.leading = -n(&ops, 1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(&ops, 0), n(&ops, 1)], &tlm);
                    tm = tlm;
                }
                b"Tm" if ops.len() >= 6 => {
                    tlm = [
                        n(&ops, 0),
                        n(&ops, 1),
                        n(&ops, 2),
                        n(&ops, 3),
                        n(&ops, 4),
                        n(&ops, 5),
                    ];
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" => {
                    if let Some(Operand::Str(s)) = ops.first() {
                        self.show(&gs, &mut tm, s);
                    }
                }
                b"'" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                    if let Some(Operand::Str(s)) = ops.first() {
                        self.show(&gs, &mut tm, s);
                    }
                }
                b"\"" => {
                    gs.word_spacing = n(&ops, 0);
                    gs.char_spacing = n(&ops, 1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                    if let Some(Operand::Str(s)) = ops.get(2) {
                        self.show(&gs, &mut tm, s);
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = ops.first() {
                        for item in items {
                            match item {
                                Operand::Str(s) => self.show(&gs, &mut tm, s),
                                Operand::Num(k) => {
                                    let vertical = gs.font.as_ref().is_some_and(|f| f.vertical);
                                    let d = -k / 1000.0 * gs.size;
                                    let step = if vertical {
                                        [1.0, 0.0, 0.0, 1.0, 0.0, d]
                                    } else {
                                        [1.0, 0.0, 0.0, 1.0, d * gs.h_scale, 0.0]
                                    };
                                    tm = mul(&step, &tm);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"BI" => self.out.images = true,
                b"Do" => {
                    let Some(Operand::Name(name)) = ops.first() else {
                        continue;
                    };
                    let Some(xobjects) = resources.and_then(|r| get_dict(doc, r, b"XObject"))
                    else {
                        continue;
                    };
                    let Some(obj) = xobjects.get(name).ok() else {
                        continue;
                    };
                    let Some((id, s)) = stream(doc, obj) else {
                        continue;
                    };
                    match get_name(doc, &s.dict, b"Subtype") {
                        Some(b"Image") => self.out.images = true,
                        Some(b"Form") | None => self.paint_form(id, s, resources, &gs),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }

    /// Paints one string: emits its glyphs and advances the text matrix.
    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) {
        let Some(font) = gs.font.clone() else { return };
        let size = gs.size;
        let (th, tc, tw, rise) = (gs.h_scale, gs.char_spacing, gs.word_spacing, gs.rise);
        let vertical = font.vertical;
        let ctm = gs.ctm;
        let mut full = mul(tm, &ctm);
        let budget = &mut *self.budget;
        let out = &mut self.out;
        font.decode(bytes, |g| {
            // The vertical scale of the whole transform is the font size as
            // it appears on the page.
            let scale = (full[2] * full[2] + full[3] * full[3]).sqrt();
            let eff = (size * scale * font.height_scale).abs();
            let (p0, p1, step) = if vertical {
                let adv = -(size + tc + if g.word_space { tw } else { 0.0 });
                (
                    apply(&full, 0.0, rise),
                    apply(&full, 0.0, -size),
                    [1.0, 0.0, 0.0, 1.0, 0.0, adv],
                )
            } else {
                let w = g.width * size * th;
                let adv = (g.width * size + tc + if g.word_space { tw } else { 0.0 }) * th;
                (
                    apply(&full, 0.0, rise),
                    apply(&full, w, rise),
                    [1.0, 0.0, 0.0, 1.0, adv, 0.0],
                )
            };
            *tm = mul(&step, tm);
            full = mul(tm, &ctm);
            if g.text.is_empty() {
                return;
            }
            let finite = [p0.0, p0.1, p1.0, p1.1, eff]
                .iter()
                .all(|v| v.is_finite() && v.abs() < 1e6);
            if !finite {
                return;
            }
            if budget.glyphs == 0 {
                budget.exhausted = true;
                return;
            }
            budget.glyphs -= 1;
            out.glyphs.push(Glyph {
                text: g.text.into_owned(),
                x0: p0.0,
                y0: p0.1,
                x1: p1.0,
                y1: p1.1,
                size: eff,
                bold: font.bold,
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_order() {
        // Scale then translate: (1,1) → (2,2) → (12,2).
        let m = mul(
            &[2.0, 0.0, 0.0, 2.0, 0.0, 0.0],
            &[1.0, 0.0, 0.0, 1.0, 10.0, 0.0],
        );
        assert_eq!(apply(&m, 1.0, 1.0), (12.0, 2.0));
    }
}
