//! The one path from a file to a [`ParseResult`]: `mp2ctl parse` and the
//! daemon's parser pool both come through here, so what a person checks by
//! hand is what the daemon does.

use crate::config::Filter;
use crate::model::{ParseResult, ShootDay, SourceKind};
use crate::{callsheet, mail, pdf};
use std::path::Path;

/// What a parse needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Decides whether a message is a schedule e-mail.
    pub filter: Filter,
    pub pdf: pdf::Options,
    /// Filled in when a sheet does not name its production.
    pub production: String,
    /// The rules corrections taught for this sender's layouts.
    pub learned: Vec<callsheet::learned::Rule>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            filter: Filter::default(),
            pdf: pdf::Options::default(),
            production: "MP2".into(),
            learned: Vec::new(),
        }
    }
}

/// Reads a `.pdf` or a whole message (anything else is tried as a message
/// unless it starts like a PDF).
pub fn parse_path(path: &Path, opts: &ParseOptions) -> ParseResult {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = kind_of(path);
    let limit = match kind {
        SourceKind::Pdf => opts.pdf.limits.max_file_bytes,
        SourceKind::Email => opts.filter.max_message_bytes,
    };
    match read_capped(path, limit) {
        Ok(bytes) => parse_bytes(&name, kind, &bytes, opts),
        Err(e) => ParseResult {
            source: name,
            kind,
            email: None,
            schedules: vec![],
            errors: vec![e],
        },
    }
}

/// Whether a path names a PDF or a message, by its extension.
pub fn kind_of(path: &Path) -> SourceKind {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("pdf") => SourceKind::Pdf,
        _ => SourceKind::Email,
    }
}

fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > limit {
        return Err(format!(
            "{} is larger than the {limit}-byte limit; not read",
            path.display()
        ));
    }
    Ok(bytes)
}

/// Parses bytes already in memory.
pub fn parse_bytes(name: &str, kind: SourceKind, bytes: &[u8], opts: &ParseOptions) -> ParseResult {
    let mut out = ParseResult {
        source: name.to_string(),
        kind,
        email: None,
        schedules: vec![],
        errors: vec![],
    };
    match kind {
        SourceKind::Pdf => match parse_pdf(bytes, opts) {
            Ok(days) => out.schedules = days,
            Err(e) => out.errors.push(e),
        },
        SourceKind::Email => match mail::read(bytes, &opts.filter) {
            Ok(read) => {
                if read.summary.matched {
                    let mut days = Vec::new();
                    for att in &read.pdfs {
                        match parse_pdf(&att.bytes, opts) {
                            Ok(d) => days.extend(d),
                            Err(e) => out.errors.push(format!("{}: {e}", att.name)),
                        }
                    }
                    out.schedules = merge_days(days);
                }
                out.email = Some(read.summary);
            }
            Err(e) => out.errors.push(e.to_string()),
        },
    }
    out
}

/// The shooting days of one PDF, production name filled in.
pub fn parse_pdf(bytes: &[u8], opts: &ParseOptions) -> Result<Vec<ShootDay>, String> {
    let doc = pdf::read(bytes, &opts.pdf).map_err(|e| e.to_string())?;
    let mut days = callsheet::read(&doc);
    callsheet::learned::apply(&doc, &opts.learned, &mut days);
    for d in &mut days {
        if d.production.is_none() {
            d.production = Some(opts.production.clone());
        }
    }
    Ok(merge_days(days))
}

/// One entry per date, by date: when two documents in one message state the
/// same day, the higher revision wins (a reply carrying the original and the
/// revision is common).
pub fn merge_days(mut days: Vec<ShootDay>) -> Vec<ShootDay> {
    days.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(b.revision.unwrap_or(0).cmp(&a.revision.unwrap_or(0)))
    });
    days.dedup_by(|later, first| later.date == first.date);
    days
}
