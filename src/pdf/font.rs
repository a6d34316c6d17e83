//! Fonts: from the bytes a show-text operator paints to characters and
//! advance widths.
//!
//! Contract: [`Font::load`] never fails; a font it cannot understand still
//! yields widths (estimated) so that positions stay right. Text comes from, in
//! order: `/ToUnicode`; for simple fonts the `/Encoding` (base encoding plus
//! `/Differences` glyph names) or the font kind's default; for composite
//! fonts a UCS-2 encoding CMap. Characters no source maps come out empty (and
//! are counted in [`Font::unmapped`]), never as made-up text. Ligatures are
//! split (ﬁ → fi) and no-break spaces become spaces.

use std::cell::Cell;
use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};

use super::cmap::CMap;
use super::encoding::{glyph_name_text, BaseEncoding};
use super::metrics::Family;
use super::objects::{get, get_array, get_dict, get_name, get_num, get_nums, num, Budget};

/// Entries read at most from a `/W` array.
const MAX_W_ENTRIES: usize = 70_000;

#[derive(Debug)]
pub(crate) struct Font {
    /// Base font name without the subset prefix, for warnings and bold.
    pub name: String,
    pub bold: bool,
    /// Glyph height relative to the font size; differs from 1 only for Type3
    /// fonts whose FontMatrix scales glyphs.
    pub height_scale: f32,
    /// Identity-V and other vertical composite fonts advance downwards.
    pub vertical: bool,
    /// Glyphs shown whose text no source could tell.
    pub unmapped: Cell<usize>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// One byte per glyph: text and width (text space, per unit font size).
    Simple {
        glyphs: Vec<(String, f32, bool)>,
    },
    Composite(Box<Composite>),
}

#[derive(Debug)]
struct Composite {
    /// Embedded encoding CMap; `None` for Identity (two-byte code = CID).
    encoding: Option<CMap>,
    /// The encoding is UCS-2/UTF-16: codes are Unicode themselves.
    unicode_codes: bool,
    to_unicode: Option<CMap>,
    widths: HashMap<u32, f32>,
    default_width: f32,
}

/// One glyph decoded from a string.
pub(crate) struct Decoded<'f> {
    pub text: std::borrow::Cow<'f, str>,
    /// Advance in text space per unit of font size (w / 1000 normally).
    pub width: f32,
    /// Single-byte code 32: word spacing (`Tw`) applies.
    pub word_space: bool,
}

/// Normalises one glyph's text: ligatures split, odd spaces made spaces,
/// control and private-use characters dropped.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{3000}' | '\t' => out.push(' '),
            '\u{AD}' => out.push('-'),
            '\u{200B}'..='\u{200D}' | '\u{FEFF}' => {}
            c if c.is_control() => {}
            // Symbol-font private-use codes (U+F020..U+F0FF, what Word and
            // LibreOffice bullets map to) read through the Symbol encoding.
            '\u{F020}'..='\u{F0FF}' => {
                if let Some(s) = BaseEncoding::Symbol.char((c as u32 - 0xF000) as u8) {
                    out.push(s);
                }
            }
            '\u{E000}'..='\u{F8FF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn strip_subset(name: &str) -> &str {
    match name.split_once('+') {
        Some((prefix, rest))
            if prefix.len() == 6 && prefix.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            rest
        }
        _ => name,
    }
}

fn is_bold(doc: &Document, name: &str, descriptor: Option<&Dictionary>) -> bool {
    let lower = name.to_ascii_lowercase();
    if ["bold", "black", "heavy", "semibold", "demi"]
        .iter()
        .any(|k| lower.contains(k))
    {
        return true;
    }
    let Some(fd) = descriptor else { return false };
    let weight = get_num(doc, fd, b"FontWeight").unwrap_or(0.0);
    let flags = get_num(doc, fd, b"Flags").unwrap_or(0.0) as i64;
    weight >= 600.0 || flags & (1 << 18) != 0
}

fn to_unicode(doc: &Document, font: &Dictionary, budget: &mut Budget) -> Option<CMap> {
    let obj = font.get(b"ToUnicode").ok()?;
    let (_, s) = super::objects::stream(doc, obj)?;
    let data = budget.decode(s)?;
    Some(CMap::parse(&data))
}

impl Font {
    pub(crate) fn load(doc: &Document, dict: &Dictionary, budget: &mut Budget) -> Font {
        let subtype = get_name(doc, dict, b"Subtype").unwrap_or(b"Type1");
        let raw_name =
            get_name(doc, dict, b"BaseFont").map(|n| String::from_utf8_lossy(n).into_owned());
        let name = strip_subset(raw_name.as_deref().unwrap_or("")).to_string();
        if subtype == b"Type0" {
            return Self::load_composite(doc, dict, name, budget);
        }
        let descriptor = get_dict(doc, dict, b"FontDescriptor");
        let bold = is_bold(doc, &name, descriptor);
        let family = Family::guess(&name, bold);
        let is_type3 = subtype == b"Type3";
        let font_matrix = if is_type3 {
            get_nums(doc, dict, b"FontMatrix").filter(|m| m.len() == 6)
        } else {
            None
        };
        let width_scale =
            font_matrix
                .as_ref()
                .map_or(0.001, |m| if m[0] != 0.0 { m[0].abs() } else { 0.001 });
        let height_scale = font_matrix.as_ref().map_or(1.0, |m| {
            if m[3] != 0.0 {
                (m[3] * 1000.0).abs()
            } else {
                1.0
            }
        });

        // Base encoding and differences.
        let flags = descriptor
            .and_then(|fd| get_num(doc, fd, b"Flags"))
            .unwrap_or(0.0) as i64;
        let symbolic = flags & 4 != 0 && flags & 32 == 0;
        let lower = name.to_ascii_lowercase();
        let mut base = if lower.starts_with("symbol") {
            Some(BaseEncoding::Symbol)
        } else if lower.starts_with("zapfdingbats") {
            None
        } else if subtype == b"TrueType" || is_type3 || symbolic {
            // Symbolic TrueType fonts without an encoding are addressed by
            // code; WinAnsi is the reading real documents agree with most.
            Some(BaseEncoding::WinAnsi)
        } else {
            Some(BaseEncoding::Standard)
        };
        let mut differences: HashMap<u8, String> = HashMap::new();
        match get(doc, dict, b"Encoding") {
            Some(Object::Name(n)) => {
                if let Some(b) = BaseEncoding::from_name(n) {
                    base = Some(b);
                }
            }
            Some(Object::Dictionary(enc)) => {
                if let Some(b) =
                    get_name(doc, enc, b"BaseEncoding").and_then(BaseEncoding::from_name)
                {
                    base = Some(b);
                }
                if let Some(diffs) = get_array(doc, enc, b"Differences") {
                    let mut code: i64 = 0;
                    for item in diffs.iter().take(4096) {
                        match item {
                            Object::Integer(i) => code = *i,
                            Object::Real(r) => code = *r as i64,
                            Object::Name(n) => {
                                if (0..256).contains(&code) {
                                    differences.insert(
                                        code as u8,
                                        String::from_utf8_lossy(n).into_owned(),
                                    );
                                }
                                code += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        let tounicode = to_unicode(doc, dict, budget);

        let first_char = get_num(doc, dict, b"FirstChar").unwrap_or(0.0).max(0.0) as usize;
        let widths: Option<Vec<f32>> = get_array(doc, dict, b"Widths").map(|a| {
            a.iter()
                .take(256)
                .map(|o| num(doc, o).unwrap_or(0.0))
                .collect()
        });
        let missing = descriptor
            .and_then(|fd| get_num(doc, fd, b"MissingWidth"))
            .unwrap_or(0.0);

        let mut glyphs = Vec::with_capacity(256);
        for code in 0..256usize {
            let c = code as u8;
            let text = tounicode
                .as_ref()
                .and_then(|m| m.text(code as u32, 1).or_else(|| m.text(code as u32, 2)))
                .or_else(|| differences.get(&c).and_then(|n| glyph_name_text(n)))
                .or_else(|| base.and_then(|b| b.char(c)).map(String::from))
                .or_else(|| {
                    // A named glyph we cannot resolve (Type3 `/a7`, `/g33`): the
                    // code read as WinAnsi beats losing the character.
                    if differences.contains_key(&c) || symbolic {
                        BaseEncoding::WinAnsi.char(c).map(String::from)
                    } else {
                        None
                    }
                });
            let mapped = text.is_some();
            let text = text.map(|t| clean(&t)).unwrap_or_default();
            let width = match &widths {
                Some(w) if code >= first_char && code - first_char < w.len() => {
                    w[code - first_char] * width_scale
                }
                Some(_) if missing > 0.0 => missing * width_scale,
                _ => family.width(&text) / 1000.0,
            };
            glyphs.push((text, width, mapped));
        }
        Font {
            name,
            bold,
            height_scale,
            vertical: false,
            unmapped: Cell::new(0),
            kind: Kind::Simple { glyphs },
        }
    }

    fn load_composite(
        doc: &Document,
        dict: &Dictionary,
        name: String,
        budget: &mut Budget,
    ) -> Font {
        let descendant = get_array(doc, dict, b"DescendantFonts")
            .and_then(|a| a.first())
            .and_then(|o| super::objects::deref(doc, o))
            .and_then(|o| o.as_dict().ok());
        let descriptor = descendant.and_then(|d| get_dict(doc, d, b"FontDescriptor"));
        let bold = is_bold(doc, &name, descriptor);

        let mut vertical = false;
        let mut unicode_codes = false;
        let encoding = match dict.get(b"Encoding").ok() {
            Some(obj) => match super::objects::deref(doc, obj) {
                Some(Object::Name(n)) => {
                    vertical = n.ends_with(b"-V");
                    unicode_codes =
                        n.windows(4).any(|w| w == b"UCS2") || n.windows(5).any(|w| w == b"UTF16");
                    None
                }
                Some(Object::Stream(s)) => {
                    vertical = get_num(doc, &s.dict, b"WMode").unwrap_or(0.0) == 1.0;
                    budget
                        .decode(s)
                        .map(|d| CMap::parse(&d))
                        .filter(CMap::has_codespaces)
                }
                _ => None,
            },
            None => None,
        };

        let mut widths = HashMap::new();
        let mut default_width = 1000.0;
        if let Some(d) = descendant {
            default_width = get_num(doc, d, b"DW").unwrap_or(1000.0);
            if let Some(w) = get_array(doc, d, b"W") {
                let mut i = 0;
                while i < w.len() && widths.len() < MAX_W_ENTRIES {
                    let Some(first) = num(doc, &w[i]) else { break };
                    let first = first.max(0.0) as u32;
                    match w.get(i + 1).and_then(|o| super::objects::deref(doc, o)) {
                        Some(Object::Array(list)) => {
                            for (k, o) in list.iter().enumerate().take(MAX_W_ENTRIES) {
                                if let Some(v) = num(doc, o) {
                                    widths.insert(first.saturating_add(k as u32), v);
                                }
                            }
                            i += 2;
                        }
                        Some(last) => {
                            let last = num(doc, last).unwrap_or(0.0).max(0.0) as u32;
                            let v = w
                                .get(i + 2)
                                .and_then(|o| num(doc, o))
                                .unwrap_or(default_width);
                            let end = last.min(first.saturating_add(MAX_W_ENTRIES as u32));
                            for cid in first..=end.max(first) {
                                if widths.len() >= MAX_W_ENTRIES {
                                    break;
                                }
                                widths.insert(cid, v);
                            }
                            i += 3;
                        }
                        None => break,
                    }
                }
            }
        }
        let to_unicode = to_unicode(doc, dict, budget);
        Font {
            name,
            bold,
            height_scale: 1.0,
            vertical,
            unmapped: Cell::new(0),
            kind: Kind::Composite(Box::new(Composite {
                encoding,
                unicode_codes,
                to_unicode,
                widths,
                default_width,
            })),
        }
    }

    /// Decodes a shown string glyph by glyph.
    pub(crate) fn decode<'f>(&'f self, bytes: &[u8], mut f: impl FnMut(Decoded<'f>)) {
        match &self.kind {
            Kind::Simple { glyphs } => {
                for &b in bytes {
                    let (text, width, mapped) = &glyphs[usize::from(b)];
                    if !mapped {
                        self.unmapped.set(self.unmapped.get() + 1);
                    }
                    f(Decoded {
                        text: std::borrow::Cow::Borrowed(text),
                        width: *width,
                        word_space: b == 32,
                    });
                }
            }
            Kind::Composite(c) => {
                let mut pos = 0;
                while pos < bytes.len() {
                    let rest = &bytes[pos..];
                    let (code, len) = match &c.encoding {
                        Some(m) => m.next_code(rest, 2),
                        None if rest.len() >= 2 => {
                            (u32::from(rest[0]) << 8 | u32::from(rest[1]), 2)
                        }
                        None => (u32::from(rest[0]), 1),
                    };
                    pos += len;
                    let cid = c
                        .encoding
                        .as_ref()
                        .map_or(Some(code), |m| m.cid(code, len))
                        .unwrap_or(0);
                    let text = c
                        .to_unicode
                        .as_ref()
                        .and_then(|m| m.text(code, len))
                        .or_else(|| {
                            c.unicode_codes
                                .then(|| char::from_u32(code).map(String::from))
                                .flatten()
                        })
                        .map(|t| clean(&t));
                    let text = match text {
                        Some(t) => t,
                        None => {
                            self.unmapped.set(self.unmapped.get() + 1);
                            String::new()
                        }
                    };
                    let w = c.widths.get(&cid).copied().unwrap_or(c.default_width);
                    f(Decoded {
                        text: std::borrow::Cow::Owned(text),
                        width: w / 1000.0,
                        word_space: len == 1 && code == 32,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_splits_ligatures_and_drops_controls() {
        assert_eq!(clean("\u{FB01}le\u{A0}x\u{1}\u{E000}"), "file x");
    }

    #[test]
    fn subset_prefix() {
        assert_eq!(strip_subset("ABCDEF+DejaVuSans-Bold"), "DejaVuSans-Bold");
        assert_eq!(strip_subset("Arial+X"), "Arial+X");
    }
}
