//! A MIME message → its headers, PDF attachments and the filter's verdict.
//!
//! Placeholder until the MIME reader lands.

use crate::config::Filter;
use crate::model::EmailSummary;

/// A PDF found anywhere in the message.
#[derive(Debug, Clone)]
pub struct PdfAttachment {
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
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("not an e-mail message: {0}")]
    NotMail(String),
    #[error("message too large: {0} bytes (limit {1})")]
    TooLarge(usize, usize),
}

/// Reads a whole RFC 5322 message and applies the filter.
pub fn read(bytes: &[u8], _filter: &Filter) -> Result<MailRead, MailError> {
    if bytes.is_empty() {
        return Err(MailError::NotMail("empty".into()));
    }
    Ok(MailRead { summary: EmailSummary::default(), pdfs: Vec::new() })
}

/// Whether an address (addr-spec, any case) is listed in the filter, by
/// itself or by its domain (subdomains do not count). Used by the IMAP
/// watcher to pick candidates from headers alone.
pub fn sender_listed(address: &str, filter: &Filter) -> bool {
    let a = address.trim().to_ascii_lowercase();
    let domain = a.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    filter.senders.iter().any(|s| {
        let s = s.trim().to_ascii_lowercase();
        if s.contains('@') {
            s == a
        } else {
            s == domain
        }
    })
}
