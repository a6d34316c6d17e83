//! Reading lopdf objects defensively: bounded reference chasing, typed
//! look-ups that treat anything unexpected as absent, and a per-document
//! [`Budget`] that caps decompressed bytes, operators and glyphs.
//!
//! Contract: no function here panics or loops on any object graph; a missing
//! or mistyped entry is `None`, never an error, because a half-broken PDF
//! should still yield the text it has.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// References followed at most for one value (a chain `1 0 R` → `2 0 R` → …
/// longer than this is a cycle or an attack).
const MAX_HOPS: usize = 16;

/// Follows references to the object they name; dangling or cyclic chains end
/// at `None`.
pub(crate) fn deref<'a>(doc: &'a Document, mut obj: &'a Object) -> Option<&'a Object> {
    for _ in 0..MAX_HOPS {
        match obj {
            Object::Reference(id) => obj = doc.objects.get(id)?,
            Object::Null => return None,
            other => return Some(other),
        }
    }
    None
}

pub(crate) fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    deref(doc, dict.get(key).ok()?)
}

pub(crate) fn get_dict<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    match get(doc, dict, key)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

pub(crate) fn get_num(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<f32> {
    num(doc, get(doc, dict, key)?)
}

pub(crate) fn num(doc: &Document, obj: &Object) -> Option<f32> {
    match deref(doc, obj)? {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

pub(crate) fn get_name<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a [u8]> {
    match get(doc, dict, key)? {
        Object::Name(n) => Some(n),
        _ => None,
    }
}

pub(crate) fn get_array<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a [Object]> {
    match get(doc, dict, key)? {
        Object::Array(a) => Some(a),
        _ => None,
    }
}

/// An array of numbers (e.g. a matrix or a box); `None` if any is not one.
pub(crate) fn get_nums(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<Vec<f32>> {
    get_array(doc, dict, key)?
        .iter()
        .map(|o| num(doc, o))
        .collect()
}

/// The stream a value names, with its object id when it is indirect (for
/// cycle detection).
pub(crate) fn stream<'a>(
    doc: &'a Document,
    obj: &'a Object,
) -> Option<(Option<ObjectId>, &'a Stream)> {
    let id = obj.as_reference().ok();
    match deref(doc, obj)? {
        Object::Stream(s) => Some((id, s)),
        _ => None,
    }
}

/// What one document may cost us, whatever its structure.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Decompressed stream bytes left for the whole document.
    pub stream_bytes: usize,
    /// Largest single decompressed stream.
    pub max_stream: usize,
    /// Content-stream operators left to interpret.
    pub ops: usize,
    /// Glyphs left to emit.
    pub glyphs: usize,
    /// Set when a cap was hit, so the caller can warn that text may be missing.
    pub exhausted: bool,
    /// Set when a stream inflated past its cap: the text it held is lost.
    pub inflated_past: Option<usize>,
}

impl Budget {
    /// The decoded bytes of a stream, within the budget; `None` (and
    /// `exhausted`) when it is over, `None` alone when it cannot be decoded.
    pub(crate) fn decode(&mut self, stream: &Stream) -> Option<Vec<u8>> {
        let limit = self.max_stream.min(self.stream_bytes);
        let has_filter = stream.filters().map(|f| !f.is_empty()).unwrap_or(false);
        let data = if has_filter {
            match stream.decompressed_content_with_limit(limit) {
                Ok(d) => d,
                Err(lopdf::Error::Decompress(_)) => {
                    self.exhausted = true;
                    self.inflated_past = Some(limit);
                    return None;
                }
                Err(_) => return None,
            }
        } else if stream.content.len() > limit {
            self.exhausted = true;
            return None;
        } else {
            stream.content.clone()
        };
        self.stream_bytes = self.stream_bytes.saturating_sub(data.len());
        Some(data)
    }
}
