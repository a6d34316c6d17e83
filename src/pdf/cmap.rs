//! CMaps embedded in PDFs: `/ToUnicode` (character code → text) and
//! embedded `/Encoding` CMaps of composite fonts (character code → CID).
//!
//! Contract: parsing never fails: whatever could be read is kept. Codes are
//! split by the codespace ranges (1 to 4 bytes); text targets are UTF-16BE
//! (surrogate pairs and several characters, e.g. ligatures, allowed).
//! Memory is bounded: at most [`MAX_ENTRIES`] codes are expanded into the
//! lookup table, wider ranges stay ranges.

use std::collections::HashMap;

use super::lexer::{Lexer, Operand};

/// Expanded single-code entries kept at most (a full CJK CMap has ~20 000).
const MAX_ENTRIES: usize = 1 << 17;
/// Ranges wider than this are kept as ranges instead of being expanded.
const EXPAND_RANGE: u32 = 512;

#[derive(Debug, Clone, Copy)]
struct Codespace {
    len: u8,
    lo: [u8; 4],
    hi: [u8; 4],
}

#[derive(Debug, Clone)]
enum RangeTarget {
    /// Text of the first code; later codes increment its last UTF-16 unit.
    Text(Vec<u16>),
    /// First CID of the range.
    Cid(u32),
}

#[derive(Debug, Clone)]
struct Range {
    len: u8,
    lo: u32,
    hi: u32,
    target: RangeTarget,
}

/// A parsed CMap.
#[derive(Debug, Clone, Default)]
pub(crate) struct CMap {
    codespaces: Vec<Codespace>,
    text: HashMap<(u8, u32), String>,
    cids: HashMap<(u8, u32), u32>,
    ranges: Vec<Range>,
}

fn be(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, &b| acc << 8 | u32::from(b))
}

fn utf16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0])
            }
        })
        .collect()
}

pub(crate) fn utf16_to_string(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|&c| c != '\0')
        .collect()
}

/// The text of code `offset` places after a range's first code: the last
/// UTF-16 unit is incremented (what Acrobat, pdf.js and poppler do).
fn offset_text(base: &[u16], offset: u32) -> String {
    let mut units = base.to_vec();
    if let Some(last) = units.last_mut() {
        let v = u32::from(*last) + offset;
        if v <= 0xFFFF {
            *last = v as u16;
        } else {
            // Ran past the BMP unit: treat the unit as a scalar value.
            units.pop();
            let mut s = utf16_to_string(&units);
            if let Some(c) = char::from_u32(v) {
                s.push(c);
            }
            return s;
        }
    }
    utf16_to_string(&units)
}

impl CMap {
    pub(crate) fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lx = Lexer::new(data, 300_000);
        let mut ops = Vec::new();
        while let Some(op) = lx.next_op(&mut ops) {
            match op {
                b"endcodespacerange" => {
                    for pair in ops.chunks_exact(2) {
                        if let (Operand::Str(lo), Operand::Str(hi)) = (&pair[0], &pair[1]) {
                            if !lo.is_empty() && lo.len() <= 4 && lo.len() == hi.len() {
                                let mut c = Codespace {
                                    len: lo.len() as u8,
                                    lo: [0; 4],
                                    hi: [0; 4],
                                };
                                c.lo[..lo.len()].copy_from_slice(lo);
                                c.hi[..hi.len()].copy_from_slice(hi);
                                cmap.codespaces.push(c);
                            }
                        }
                    }
                }
                b"endbfchar" => {
                    for pair in ops.chunks_exact(2) {
                        let Operand::Str(src) = &pair[0] else {
                            continue;
                        };
                        let text = match &pair[1] {
                            Operand::Str(dst) => utf16_to_string(&utf16(dst)),
                            Operand::Name(n) => {
                                super::encoding::glyph_name_text(&String::from_utf8_lossy(n))
                                    .unwrap_or_default()
                            }
                            _ => continue,
                        };
                        cmap.insert_text(src.len() as u8, be(src), text);
                    }
                }
                b"endbfrange" => {
                    for triple in ops.chunks_exact(3) {
                        let (Operand::Str(lo), Operand::Str(hi)) = (&triple[0], &triple[1]) else {
                            continue;
                        };
                        let (len, lo_v, hi_v) = (lo.len() as u8, be(lo), be(hi));
                        if hi_v < lo_v || lo.is_empty() || lo.len() > 4 {
                            continue;
                        }
                        match &triple[2] {
                            Operand::Str(dst) => {
                                let base = utf16(dst);
                                if hi_v - lo_v < EXPAND_RANGE {
                                    for off in 0..=(hi_v - lo_v) {
                                        cmap.insert_text(len, lo_v + off, offset_text(&base, off));
                                    }
                                } else {
                                    cmap.ranges.push(Range {
                                        len,
                                        lo: lo_v,
                                        hi: hi_v,
                                        target: RangeTarget::Text(base),
                                    });
                                }
                            }
                            Operand::Array(items) => {
                                for (off, item) in items.iter().enumerate() {
                                    let code = lo_v.saturating_add(off as u32);
                                    if code > hi_v {
                                        break;
                                    }
                                    if let Operand::Str(dst) = item {
                                        cmap.insert_text(len, code, utf16_to_string(&utf16(dst)));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                b"endcidchar" => {
                    for pair in ops.chunks_exact(2) {
                        if let (Operand::Str(src), Some(cid)) = (&pair[0], pair[1].num()) {
                            if cmap.cids.len() < MAX_ENTRIES {
                                cmap.cids
                                    .insert((src.len() as u8, be(src)), cid.max(0.0) as u32);
                            }
                        }
                    }
                }
                b"endcidrange" => {
                    for triple in ops.chunks_exact(3) {
                        if let (Operand::Str(lo), Operand::Str(hi), Some(cid)) =
                            (&triple[0], &triple[1], triple[2].num())
                        {
                            let (lo_v, hi_v) = (be(lo), be(hi));
                            if hi_v >= lo_v && !lo.is_empty() {
                                cmap.ranges.push(Range {
                                    len: lo.len() as u8,
                                    lo: lo_v,
                                    hi: hi_v,
                                    target: RangeTarget::Cid(cid.max(0.0) as u32),
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        cmap
    }

    fn insert_text(&mut self, len: u8, code: u32, text: String) {
        if self.text.len() < MAX_ENTRIES {
            self.text.insert((len, code), text);
        }
    }

    pub(crate) fn has_codespaces(&self) -> bool {
        !self.codespaces.is_empty()
    }

    /// Splits the next code off `bytes`: its value and its length in bytes
    /// (at least 1, so callers always advance). Without a matching codespace,
    /// `default_len` bytes are taken.
    pub(crate) fn next_code(&self, bytes: &[u8], default_len: usize) -> (u32, usize) {
        for n in 1..=4usize {
            if n > bytes.len() {
                break;
            }
            let hit = self.codespaces.iter().any(|c| {
                usize::from(c.len) == n
                    && (0..n).all(|i| bytes[i] >= c.lo[i] && bytes[i] <= c.hi[i])
            });
            if hit {
                return (be(&bytes[..n]), n);
            }
        }
        let n = default_len.clamp(1, 4).min(bytes.len()).max(1);
        (be(&bytes[..n.min(bytes.len())]), n)
    }

    /// The text a code maps to, if the CMap says.
    pub(crate) fn text(&self, code: u32, len: usize) -> Option<String> {
        if let Some(t) = self.text.get(&(len as u8, code)) {
            return Some(t.clone());
        }
        self.ranges.iter().find_map(|r| match &r.target {
            RangeTarget::Text(base)
                if usize::from(r.len) == len && code >= r.lo && code <= r.hi =>
            {
                Some(offset_text(base, code - r.lo))
            }
            _ => None,
        })
    }

    /// The CID a code selects, if the CMap says.
    pub(crate) fn cid(&self, code: u32, len: usize) -> Option<u32> {
        if let Some(&c) = self.cids.get(&(len as u8, code)) {
            return Some(c);
        }
        self.ranges.iter().find_map(|r| match r.target {
            RangeTarget::Cid(first)
                if usize::from(r.len) == len && code >= r.lo && code <= r.hi =>
            {
                Some(first.saturating_add(code - r.lo))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Adobe-Identity-UCS def
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar
<0003> <0020>
<0011> <0105>
<0012> <FB01>
endbfchar
2 beginbfrange
<0020> <0022> <0041>
<0030> <0031> [<00660066> <D835DC00>]
endbfrange
1 beginbfrange <1000> <2FFF> <4E00> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

    #[test]
    fn bfchar_bfrange_arrays_and_surrogates() {
        let m = CMap::parse(SAMPLE);
        assert_eq!(m.text(0x11, 2).as_deref(), Some("ą"));
        assert_eq!(m.text(0x12, 2).as_deref(), Some("\u{FB01}"));
        assert_eq!(m.text(0x21, 2).as_deref(), Some("B"));
        assert_eq!(m.text(0x30, 2).as_deref(), Some("ff"));
        assert_eq!(m.text(0x31, 2).as_deref(), Some("\u{1D400}"));
        assert_eq!(m.text(0x1001, 2).as_deref(), Some("\u{4E01}"));
        assert_eq!(m.text(0x11, 1), None);
        assert_eq!(m.next_code(&[0x00, 0x11, 0x00], 1), (0x11, 2));
    }

    #[test]
    fn mixed_codespace_lengths() {
        let m = CMap::parse(b"2 begincodespacerange <00> <80> <8140> <FFFF> endcodespacerange");
        assert_eq!(m.next_code(&[0x41, 0x81, 0x40], 2), (0x41, 1));
        assert_eq!(m.next_code(&[0x81, 0x40], 2), (0x8140, 2));
    }
}
