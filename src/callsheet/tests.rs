//! Layout-level tests on hand-built sheets, a corpus measurement, and a
//! property test that no input makes the reader panic.

use super::devtext::{from_layout_text, from_pdf};
use super::*;
use crate::model::SetType;
use std::path::Path;

mod corpus;
mod layouts;
mod learned;
mod patterns;

/// Reads a PDF the way the product does, falling back to the dev adapter
/// while the PDF reader yields no text.
pub(crate) fn doc_of(path: &Path) -> Option<TextDoc> {
    if let Ok(bytes) = std::fs::read(path) {
        if let Ok(doc) = crate::pdf::read(&bytes, &crate::pdf::Options::default()) {
            if doc.pages.iter().any(|p| !p.lines.is_empty()) {
                return Some(doc);
            }
        }
    }
    from_pdf(path)
}

#[test]
fn empty_document_has_no_days() {
    assert!(read(&TextDoc::default()).is_empty());
    assert!(read(&from_layout_text("\n\n   \n")).is_empty());
}

#[test]
fn set_type_is_exposed() {
    assert_eq!(
        SetType::combine(Some(SetType::Int), SetType::Ext),
        SetType::IntExt
    );
}
