//! Builders for test messages: each mail-client shape is written out in the
//! test that uses it, from these few pieces, so a reader sees exactly which
//! bytes were fed in.

/// A MIME entity: header lines, a blank line, the body (LF line ends; see
/// [`crlf`]).
pub fn part(headers: &[&str], body: &str) -> String {
    let mut s = headers.join("\n");
    s.push_str("\n\n");
    s.push_str(body);
    s
}

/// A multipart entity holding `parts`, with a preamble as clients write it.
pub fn multipart(subtype: &str, boundary: &str, parts: &[String]) -> String {
    let mut body = String::from("This is a multi-part message in MIME format.\n");
    for p in parts {
        body.push_str(&format!("--{boundary}\n{p}\n"));
    }
    body.push_str(&format!("--{boundary}--\n"));
    part(
        &[&format!(
            "Content-Type: multipart/{subtype};\n\tboundary=\"{boundary}\""
        )],
        &body,
    )
}

/// A whole message: top-level headers, then the root entity (whose own
/// headers continue the header block).
pub fn message(headers: &[&str], root: &str) -> String {
    format!("{}\nMIME-Version: 1.0\n{root}", headers.join("\n"))
}

/// The usual outer headers of a message from `from` about `subject`.
pub fn envelope(from: &str, subject: &str) -> Vec<String> {
    vec![
        "Return-Path: <bounce@example.net>".into(),
        "Received: from mx.example.net by mail.example.net; Mon, 2 Mar 2026 18:00:00 +0100".into(),
        format!("From: {from}"),
        "To: Anna Kowalska <anna@example.org>".into(),
        format!("Subject: {subject}"),
        "Date: Mon, 2 Mar 2026 18:00:00 +0100".into(),
        "Message-ID: <test-1@example.net>".into(),
    ]
}

pub fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// LF → CRLF, as Outlook and most servers store messages.
pub fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// A small document that starts like a PDF and is recognisable by `label`.
pub fn fake_pdf(label: &str) -> Vec<u8> {
    let mut v =
        format!("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj << /Title ({label}) >> endobj\n").into_bytes();
    v.extend((0u8..=255).cycle().take(300));
    v.extend_from_slice(b"\n%%EOF\n");
    v
}

/// Base64 in 76-column lines, as MIME wants it.
pub fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut flat = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                flat.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                flat.push('=');
            }
        }
    }
    flat.as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An `application/pdf` attachment part, base64, named `name`.
pub fn pdf_part(name: &str, pdf: &[u8]) -> String {
    part(
        &[
            &format!("Content-Type: application/pdf; name=\"{name}\""),
            &format!("Content-Disposition: attachment; filename=\"{name}\""),
            "Content-Transfer-Encoding: base64",
        ],
        &b64(pdf),
    )
}

pub fn plain(text: &str) -> String {
    part(
        &[
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ],
        text,
    )
}

pub fn html(text: &str) -> String {
    part(
        &[
            "Content-Type: text/html; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ],
        text,
    )
}
