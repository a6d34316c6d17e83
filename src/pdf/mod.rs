//! PDF bytes → [`TextDoc`]: lines and cells in reading order.
//!
//! Placeholder until the content-stream interpreter lands.

use crate::layout::TextDoc;

/// Caps that keep a hostile PDF from taking the daemon with it.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_pages: usize,
    pub max_objects: usize,
    pub max_stream_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 << 20,
            max_pages: 200,
            max_objects: 200_000,
            max_stream_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    /// Run OCR (pdftoppm + tesseract) on pages with no text layer.
    pub ocr: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { limits: Limits::default(), ocr: true }
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
    #[error("OCR failed: {0}")]
    Ocr(String),
}

/// Reads the text of every page.
pub fn read(bytes: &[u8], _opts: &Options) -> Result<TextDoc, PdfError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError::NotPdf("no %PDF header".into()));
    }
    Ok(TextDoc::default())
}
