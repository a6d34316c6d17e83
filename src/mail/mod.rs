//! A MIME message → its headers, PDF attachments and the filter's verdict.
//!
//! Contract (CONTRACT §1 `email`, §3 filter):
//! - [`read`] takes the raw bytes of one message (CRLF or bare LF, an mbox
//!   `From ` first line allowed) and returns an [`EmailSummary`] — outer
//!   `From:` addr-spec, decoded subject, `Date:` as printed, `<message-id>`,
//!   every named part depth first (also inside attached messages), the
//!   verdict and one sentence of reason — plus every PDF found, decoded, in
//!   the same order, whether or not the message matched.
//! - It never panics. Bytes over `filter.max_message_bytes` are
//!   [`MailError::TooLarge`]; bytes that are no message are
//!   [`MailError::NotMail`]; a message built to exhaust the parser (thousands
//!   of nested parts) is read as headers only and is not matched.
//!
//! Layout: [`mime`] parses and flattens the MIME tree, [`transfer`] repairs
//! wrong transfer-encoding and charset labels, [`words`] decodes RFC 2047
//! words and raw parameters, [`html`] turns HTML into text,
//! [`fold`] folds case and diacritics, [`filter`] decides.

mod filter;
mod fold;
mod html;
mod mime;
mod transfer;
mod words;

#[cfg(test)]
mod testmail;
#[cfg(test)]
mod tests;

use crate::config::Filter;
use crate::model::EmailSummary;
use sha2::{Digest, Sha256};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use filter::listed_entry;
pub use fold::fold;

/// A PDF found anywhere in the message.
#[derive(Debug, Clone)]
pub struct PdfAttachment {
    /// The part's file name, or `unnamed-N.pdf` (N counting from 1) when the
    /// part has none.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What the message is and what it carries.
#[derive(Debug, Clone)]
pub struct MailRead {
    pub summary: EmailSummary,
    /// Every PDF, depth first (also inside attached messages), even when the
    /// message did not match (callers decide whether to parse them).
    pub pdfs: Vec<PdfAttachment>,
    /// Why (part of) the body was not read — nested or repeated past the
    /// caps — so what it carries is unknown; `None` when all of it was read.
    pub unreadable: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("not an e-mail message: {0}")]
    NotMail(String),
    #[error(
        "message too large: {0} bytes, over the {1}-byte limit; raise filter.max_message_bytes to read it"
    )]
    TooLarge(usize, usize),
}

/// Reads a whole RFC 5322 message and applies the filter.
pub fn read(bytes: &[u8], filter: &Filter) -> Result<MailRead, MailError> {
    if bytes.len() > filter.max_message_bytes {
        return Err(MailError::TooLarge(bytes.len(), filter.max_message_bytes));
    }
    // Last line of defence: nothing below should panic, but a daemon must not
    // lose a worker to one hostile message if something does.
    catch_unwind(AssertUnwindSafe(|| read_checked(bytes, filter))).unwrap_or_else(|_| {
        Err(MailError::NotMail(
            "reading this message failed unexpectedly; it was skipped".into(),
        ))
    })
}

fn read_checked(bytes: &[u8], filter: &Filter) -> Result<MailRead, MailError> {
    let body = strip_envelope_line(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(MailError::NotMail("the input is empty".into()));
    }
    if body.starts_with(b"%PDF") {
        return Err(MailError::NotMail(
            "this is a PDF document; give it a .pdf name to parse it".into(),
        ));
    }
    let parsed = mime::parse(body).map_err(|e| MailError::NotMail(e.0))?;
    Ok(match parsed {
        mime::Parsed::HeadersOnly { envelope, why } => MailRead {
            summary: summary(
                &envelope,
                false,
                format!("rejected: the message is not readable: {why}"),
                vec![],
            ),
            pdfs: vec![],
            unreadable: Some(why),
        },
        mime::Parsed::Full {
            envelope,
            parts,
            notes,
        } => {
            let verdict = filter::judge(&envelope, &parts, filter);
            let unreadable = notes
                .iter()
                .find(|n| n.starts_with(mime::TOO_DEEP))
                .cloned();
            let mut reason = verdict.reason;
            if !notes.is_empty() {
                reason = format!("{reason} ({})", notes.join("; "));
            }
            let names = parts.iter().filter_map(|p| p.name.clone()).collect();
            let mut unnamed = 0;
            let pdfs = parts
                .into_iter()
                .filter_map(|p| match p.body {
                    mime::Body::Pdf(bytes) => Some(PdfAttachment {
                        name: p.name.unwrap_or_else(|| {
                            unnamed += 1;
                            format!("unnamed-{unnamed}.pdf")
                        }),
                        bytes,
                    }),
                    _ => None,
                })
                .collect();
            MailRead {
                summary: summary(&envelope, verdict.matched, reason, names),
                pdfs,
                unreadable,
            }
        }
    })
}

fn summary(
    env: &mime::Envelope,
    matched: bool,
    reason: String,
    attachments: Vec<String>,
) -> EmailSummary {
    EmailSummary {
        message_id: env.message_id.clone(),
        from: env.from.clone(),
        subject: env.subject.clone(),
        date: env.date.clone(),
        matched,
        reason,
        attachments,
    }
}

/// Drops what precedes the headers in a saved file: a UTF-8 BOM, blank
/// lines, and an mbox `From sender date` separator line.
fn strip_envelope_line(bytes: &[u8]) -> &[u8] {
    let mut b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    while let Some(rest) = b.strip_prefix(b"\r\n").or_else(|| b.strip_prefix(b"\n")) {
        b = rest;
    }
    if b.starts_with(b"From ") {
        b = b
            .iter()
            .position(|&c| c == b'\n')
            .map_or(&b[b.len()..], |nl| &b[nl + 1..]);
    }
    b
}

/// Whether an address (addr-spec, any case) is listed in the filter, by
/// itself or by its domain (subdomains do not count). Used by the IMAP
/// watcher to pick candidates from headers alone.
pub fn sender_listed(address: &str, filter: &Filter) -> bool {
    listed_entry(address, filter).is_some()
}

/// A stable identity of a message for de-duplication: SHA-256 (lower-case
/// hex) of the raw bytes with CRLF and lone CR turned into LF, so the copy
/// saved from IMAP and the one from a Maildir hash alike.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut chunk = Vec::with_capacity(bytes.len().min(1 << 16));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                chunk.push(b'\n');
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b => chunk.push(b),
        }
        i += 1;
        if chunk.len() >= 1 << 16 {
            hasher.update(&chunk);
            chunk.clear();
        }
    }
    hasher.update(&chunk);
    hex::encode(hasher.finalize())
}
