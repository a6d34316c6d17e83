//! Raw message bytes → the outer headers and a flat, depth-first list of the
//! MIME leaves, via `mail-parser`.
//!
//! Contract:
//! - Never panics and never recurses on input structure: `mail-parser` runs
//!   under `catch_unwind`, the tree is walked with an explicit stack, and a
//!   pre-scan refuses structures whose nesting would make the parser's own
//!   (recursive) drop deep — those come back as [`Parsed::HeadersOnly`].
//! - Parts are listed in document order, also inside attached
//!   `message/rfc822` messages (marked [`Part::in_attached_message`]).
//! - Only text parts outside attached messages carry their text; only parts
//!   typed as a PDF (CONTRACT §3 rule 3) carry bytes, recovered from a wrong
//!   transfer-encoding label when needed.

use super::{transfer, words};
use mail_parser::{
    Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Deepest multipart/message nesting walked; deeper parts are ignored. Real
/// clients stay under 6 (a forward of a reply of a signed message).
pub const MAX_DEPTH: usize = 32;
/// How the note about parts past [`MAX_DEPTH`] begins (the message is then
/// only partly read).
pub const TOO_DEEP: &str = "parts nested deeper than";
/// Most MIME parts looked at in one message.
pub const MAX_PARTS: usize = 2_000;
/// Most attached messages before the body is refused unread: `mail-parser`
/// nests them as values, and dropping a deep chain recurses.
pub const MAX_ATTACHED_MESSAGES: usize = 64;
/// Most `boundary=` declarations before the body is refused unread.
pub const MAX_BOUNDARIES: usize = 4_000;
/// Most attachment names listed in a summary.
pub const MAX_NAMES: usize = 500;
/// Most PDFs taken from one message.
pub const MAX_PDFS: usize = 64;
/// Longest text part searched for keywords (the start of a huge body is
/// where a greeting names the schedule).
pub const MAX_TEXT_BYTES: usize = 4 << 20;

/// Longest header field decoded by hand (a subject or file name); the
/// rest of a longer one is dropped.
pub const MAX_FIELD_BYTES: usize = 16 << 10;

/// The outer message's own headers.
#[derive(Debug, Default, Clone)]
pub struct Envelope {
    /// `<id>` as in `Message-ID:`.
    pub message_id: Option<String>,
    /// The addr-spec of the first `From:` address.
    pub from: Option<String>,
    /// Decoded `Subject:`.
    pub subject: Option<String>,
    /// `Date:` as printed, unfolded.
    pub date: Option<String>,
    /// Every `Authentication-Results:` value, unfolded, topmost first.
    pub auth_results: Vec<String>,
    /// Every `ARC-Authentication-Results:` value, unfolded, topmost first.
    pub arc_auth_results: Vec<String>,
    /// How many `From:` headers the message has (more than one is a forgery
    /// that hides the real sender behind the first).
    pub from_headers: usize,
}

/// One MIME leaf (or attached message) in document order.
#[derive(Debug, Clone)]
pub struct Part {
    /// The decoded file name (`filename` of the disposition, else `name`).
    pub name: Option<String>,
    /// `Content-Disposition: attachment`.
    pub attachment: bool,
    /// Inside an attached `message/rfc822` (a forwarded original).
    pub in_attached_message: bool,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A text/plain or text/html part of the message itself, decoded.
    Text { html: bool, text: String },
    /// A part typed as a PDF, its bytes decoded.
    Pdf(Vec<u8>),
    /// Anything else (images, attached messages, texts of forwards).
    Other,
}

/// What could be read of a message.
#[derive(Debug)]
pub enum Parsed {
    Full {
        envelope: Envelope,
        parts: Vec<Part>,
        notes: Vec<String>,
    },
    /// The structure was refused before parsing the body; why.
    HeadersOnly { envelope: Envelope, why: String },
}

/// Why the bytes are not a message at all.
#[derive(Debug)]
pub struct NotMail(pub String);

/// Parses a message (already stripped of an mbox `From ` line).
pub fn parse(bytes: &[u8]) -> Result<Parsed, NotMail> {
    if let Some(why) = too_complex(bytes) {
        let message = guarded(|p| p.parse_headers(bytes))?;
        return Ok(Parsed::HeadersOnly {
            envelope: envelope(&message),
            why,
        });
    }
    let message = match guarded(|p| p.parse(bytes)) {
        Ok(m) => m,
        // The body tripped the parser: the headers alone may still say who
        // sent what, which is worth recording.
        Err(e) if e.0 == PARSER_FAILED => {
            let message = guarded(|p| p.parse_headers(bytes))?;
            let why = "its MIME structure could not be parsed; its body was not read".to_string();
            return Ok(Parsed::HeadersOnly {
                envelope: envelope(&message),
                why,
            });
        }
        Err(e) => return Err(e),
    };
    let envelope = envelope(&message);
    let mut walk = Walk::default();
    walk.run(&message);
    Ok(Parsed::Full {
        envelope,
        parts: walk.parts,
        notes: walk.notes,
    })
}

/// Runs `mail-parser` so that a panic inside it becomes an error, and checks
/// the result has at least one header a message must have.
fn guarded<'x>(
    f: impl FnOnce(&MessageParser) -> Option<Message<'x>>,
) -> Result<Message<'x>, NotMail> {
    let parser = MessageParser::default();
    let message = catch_unwind(AssertUnwindSafe(|| f(&parser)))
        .map_err(|_| NotMail(PARSER_FAILED.into()))?
        .ok_or_else(|| NotMail("no header lines at the start of the input".into()))?;
    let known = message.parts.first().is_some_and(|root| {
        root.headers.iter().any(|h| {
            matches!(
                h.name,
                HeaderName::From
                    | HeaderName::To
                    | HeaderName::Cc
                    | HeaderName::Subject
                    | HeaderName::Date
                    | HeaderName::MessageId
                    | HeaderName::Received
                    | HeaderName::ReturnPath
                    | HeaderName::MimeVersion
                    | HeaderName::ContentType
                    | HeaderName::Sender
                    | HeaderName::ReplyTo
            )
        })
    });
    if known {
        Ok(message)
    } else {
        Err(NotMail(
            "no RFC 5322 header (From:, Date:, Subject:, Message-ID: …) at the start".into(),
        ))
    }
}

const PARSER_FAILED: &str = "the MIME parser failed on this input; it is not a readable message";

/// Counts what would make the parse deep, before parsing. Every way
/// `mail-parser` nests a message is counted: `rfc822` however the type is
/// spelled around it, `message/global`, and digests (whose untyped parts
/// are messages).
fn too_complex(bytes: &[u8]) -> Option<String> {
    let messages = count_ci(bytes, b"rfc822")
        + count_ci(bytes, b"message/global")
        + count_ci(bytes, b"digest");
    if messages > MAX_ATTACHED_MESSAGES {
        return Some(format!(
            "it declares {messages} attached messages (more than {MAX_ATTACHED_MESSAGES}); its body was not read"
        ));
    }
    let boundaries = count_ci(bytes, b"boundary=");
    if boundaries > MAX_BOUNDARIES {
        return Some(format!(
            "it declares {boundaries} multipart boundaries (more than {MAX_BOUNDARIES}: parts nested or repeated past what is read); its body was not read"
        ));
    }
    None
}

/// Case-insensitive count of `needle` (lower case ASCII) in `hay`.
fn count_ci(hay: &[u8], needle: &[u8]) -> usize {
    let Some((&first, rest)) = needle.split_first() else {
        return 0;
    };
    let mut n = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
        {
            n += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    n
}

fn envelope(message: &Message<'_>) -> Envelope {
    let mut env = Envelope::default();
    let Some(root) = message.parts.first() else {
        return env;
    };
    env.from_headers = root
        .headers
        .iter()
        .filter(|h| h.name == HeaderName::From)
        .count();
    for h in &root.headers {
        match h.name {
            HeaderName::From if env.from.is_none() => {
                env.from = address_of(&h.value).or_else(|| address_in_raw(&raw_value(message, h)));
            }
            HeaderName::Subject if env.subject.is_none() => env.subject = subject_of(message, h),
            HeaderName::Date if env.date.is_none() => {
                env.date = non_empty(unfold(&raw_value(message, h)))
            }
            HeaderName::MessageId if env.message_id.is_none() => {
                env.message_id = message_id(&raw_value(message, h))
            }
            HeaderName::AuthenticationResults => {
                env.auth_results.push(unfold(&raw_value(message, h)))
            }
            HeaderName::ArcAuthenticationResults => {
                env.arc_auth_results.push(unfold(&raw_value(message, h)))
            }
            _ => {}
        }
    }
    env
}

fn address_of(value: &HeaderValue<'_>) -> Option<String> {
    let HeaderValue::Address(addr) = value else {
        return None;
    };
    let a = addr.first()?.address.as_deref()?.trim();
    a.contains('@').then(|| a.to_string())
}

/// The addr-spec of a `From:` value `mail-parser` could not structure: the
/// first `<…@…>`, else the first word holding an `@`.
fn address_in_raw(raw: &str) -> Option<String> {
    let bracketed = raw
        .split('<')
        .skip(1)
        .filter_map(|s| s.split_once('>').map(|(a, _)| a.trim()));
    let bare = raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';');
    bracketed
        .chain(bare)
        .map(|a| a.trim_matches(|c: char| matches!(c, '"' | '\'' | '<' | '>' | '(' | ')')))
        .find(|a| a.contains('@') && !a.starts_with('@') && !a.ends_with('@'))
        .map(str::to_string)
}

/// The decoded subject, unfolded, spacing as the sender typed it. Read from
/// the raw field: RFC 2047 words are joined per [`words::decode`] (a letter
/// split across two words stays whole), and raw 8-bit text in a legacy code
/// page is read as one.
fn subject_of(message: &Message<'_>, h: &Header<'_>) -> Option<String> {
    let raw = raw_bytes(message, h);
    let raw = transfer::decode_text(&raw[..raw.len().min(MAX_FIELD_BYTES)], None);
    let unfolded = raw.replace("\r\n", "").replace(['\r', '\n'], "");
    let text = words::decode(unfolded.trim_start())
        .trim_end_matches(['\r', '\n'])
        .to_string();
    (!text.trim().is_empty()).then_some(text)
}

fn message_id(raw: &str) -> Option<String> {
    let raw = unfold(raw);
    if let Some((_, rest)) = raw.split_once('<') {
        if let Some((id, _)) = rest.split_once('>') {
            let id = id.trim();
            if !id.is_empty() {
                return Some(format!("<{id}>"));
            }
        }
    }
    let id = raw.trim();
    (!id.is_empty()).then(|| format!("<{id}>"))
}

fn raw_bytes<'m>(message: &'m Message<'_>, h: &Header<'_>) -> &'m [u8] {
    message
        .raw_message
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default()
}

fn raw_value(message: &Message<'_>, h: &Header<'_>) -> String {
    String::from_utf8_lossy(raw_bytes(message, h)).into_owned()
}

/// Folded header lines → one line with single spaces.
fn unfold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[derive(Default)]
struct Walk {
    parts: Vec<Part>,
    notes: Vec<String>,
    visited: usize,
    names: usize,
    pdfs: usize,
}

struct Frame<'m, 'x> {
    message: &'m Message<'x>,
    id: usize,
    depth: usize,
    in_attached_message: bool,
}

impl Walk {
    fn run(&mut self, root: &Message<'_>) {
        let mut stack = vec![Frame {
            message: root,
            id: 0,
            depth: 0,
            in_attached_message: false,
        }];
        while let Some(f) = stack.pop() {
            let Some(part) = f.message.parts.get(f.id) else {
                continue;
            };
            self.visited += 1;
            if self.visited > MAX_PARTS {
                self.note(format!("parts after the first {MAX_PARTS} were ignored"));
                break;
            }
            if f.depth > MAX_DEPTH {
                self.note(format!("{TOO_DEEP} {MAX_DEPTH} levels were ignored"));
                continue;
            }
            match &part.body {
                PartType::Multipart(children) => {
                    // Children come after their parent in `parts`; anything else
                    // would be a cycle in a damaged structure.
                    for &c in children.iter().rev().filter(|&&c| c as usize > f.id) {
                        stack.push(Frame {
                            id: c as usize,
                            depth: f.depth + 1,
                            ..f
                        });
                    }
                }
                PartType::Message(inner) => {
                    self.push(f.message, part, &f, Body::Other);
                    stack.push(Frame {
                        message: inner,
                        id: 0,
                        depth: f.depth + 1,
                        in_attached_message: true,
                    });
                }
                _ => {
                    let body = self.leaf_body(f.message, part, &f);
                    self.push(f.message, part, &f, body);
                }
            }
        }
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn push(
        &mut self,
        message: &Message<'_>,
        part: &MessagePart<'_>,
        f: &Frame<'_, '_>,
        body: Body,
    ) {
        let mut name = file_name(message, part);
        if name.is_some() {
            self.names += 1;
            if self.names > MAX_NAMES {
                self.note(format!(
                    "attachment names after the first {MAX_NAMES} were not listed"
                ));
                name = None;
            }
        }
        let attachment = part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        if name.is_none() && matches!(body, Body::Other) {
            return;
        }
        self.parts.push(Part {
            name,
            attachment,
            in_attached_message: f.in_attached_message,
            body,
        });
    }

    fn leaf_body(
        &mut self,
        message: &Message<'_>,
        part: &MessagePart<'_>,
        f: &Frame<'_, '_>,
    ) -> Body {
        let mime = mime_of(part);
        if is_pdf(&mime, file_name(message, part).as_deref()) {
            self.pdfs += 1;
            if self.pdfs > MAX_PDFS {
                self.note(format!("PDFs after the first {MAX_PDFS} were ignored"));
                return Body::Other;
            }
            let raw = raw_body(message, part);
            return Body::Pdf(transfer::recover_pdf(part.contents(), raw));
        }
        let html = match mime.as_str() {
            "text/plain" => false,
            "text/html" => true,
            _ => return Body::Other,
        };
        if f.in_attached_message {
            return Body::Other;
        }
        let text = match &part.body {
            PartType::Text(t) | PartType::Html(t) if !t.contains('\u{FFFD}') => t.to_string(),
            // Lossy or undecoded: redo from the raw bytes with a better guess.
            _ => {
                let decoded =
                    transfer::decode(raw_body(message, part), part.content_transfer_encoding());
                let charset = part.content_type().and_then(|c| c.attribute("charset"));
                transfer::decode_text(&decoded, charset)
            }
        };
        let mut text = text;
        if text.len() > MAX_TEXT_BYTES {
            let mut cut = MAX_TEXT_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        Body::Text { html, text }
    }
}

/// Whether a part counts as a PDF under CONTRACT §3 rule 3.
pub fn is_pdf(mime: &str, name: Option<&str>) -> bool {
    match mime {
        "application/pdf" | "application/x-pdf" => true,
        "application/octet-stream" => name.is_some_and(|n| {
            n.len() >= 4
                && n.is_char_boundary(n.len() - 4)
                && n[n.len() - 4..].eq_ignore_ascii_case(".pdf")
        }),
        _ => false,
    }
}

fn mime_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let sub = ct.subtype().unwrap_or("");
            format!("{}/{}", ct.ctype().trim(), sub.trim()).to_ascii_lowercase()
        }
        None => "text/plain".into(),
    }
}

/// The part's file name, decoded (`filename` of the disposition, else
/// `name` of the type). `mail-parser` reads RFC 2231 (charsets,
/// continuations) well; when its reading shows RFC 2047 words or a lossy
/// character, the raw parameter is decoded here instead, joining split
/// words and reading raw 8-bit names in a legacy code page.
fn file_name(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let parsed = part.attachment_name().map(str::to_string);
    let suspicious = parsed
        .as_deref()
        .is_none_or(|n| n.contains("=?") || n.contains('\u{FFFD}'));
    let name = match (suspicious, raw_file_name(message, part)) {
        (true, Some(raw)) => Some(raw),
        _ => parsed,
    }?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn raw_file_name(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    [
        (HeaderName::ContentDisposition, "filename"),
        (HeaderName::ContentType, "name"),
    ]
    .into_iter()
    .find_map(|(header, key)| {
        let h = part.headers.iter().rev().find(|h| h.name == header)?;
        let raw = raw_bytes(message, h);
        let raw = words::raw_param(&raw[..raw.len().min(MAX_FIELD_BYTES)], key)?;
        let text = transfer::decode_text(&raw, None);
        Some(if text.contains("=?") {
            words::decode(&text)
        } else {
            text
        })
    })
}

fn raw_body<'m>(message: &'m Message<'_>, part: &MessagePart<'_>) -> &'m [u8] {
    message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_stream_needs_a_pdf_name() {
        assert!(is_pdf("application/octet-stream", Some("PLAN.PDF")));
        assert!(!is_pdf("application/octet-stream", Some("plan.pdf.zip")));
        assert!(!is_pdf("application/octet-stream", None));
        assert!(is_pdf("application/pdf", None));
        assert!(!is_pdf("image/png", Some("x.pdf")));
        assert!(!is_pdf("application/octet-stream", Some("zdjęć")));
    }

    #[test]
    fn message_id_keeps_brackets() {
        assert_eq!(message_id(" <a@b>\r\n").as_deref(), Some("<a@b>"));
        assert_eq!(message_id(" a@b").as_deref(), Some("<a@b>"));
        assert_eq!(message_id("  "), None);
    }

    #[test]
    fn raw_from_fallback() {
        assert_eq!(
            address_in_raw(" Jan <jan@x.pl>").as_deref(),
            Some("jan@x.pl")
        );
        assert_eq!(
            address_in_raw(" jan@x.pl (Jan)").as_deref(),
            Some("jan@x.pl")
        );
        assert_eq!(address_in_raw(" nobody"), None);
    }

    #[test]
    fn case_insensitive_count() {
        assert_eq!(
            count_ci(b"Message/RFC822 x message/rfc822", b"message/rfc822"),
            2
        );
        assert_eq!(count_ci(b"aaa", b"aa"), 1);
        assert_eq!(count_ci(b"", b"x"), 0);
    }
}
