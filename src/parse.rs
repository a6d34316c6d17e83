//! The one path from a file to a [`ParseResult`]: `mp2ctl parse` and the
//! daemon's parser pool both come through here, so what a person checks by
//! hand is what the daemon does. So does the way back, [`teach`]: what a
//! person's correction of a message teaches the reader (`mp2ctl correct`,
//! and the learning measurement in `fixtures::learning`).

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
    /// ISO country of phone numbers printed without a country code, when
    /// the sheet's own addresses do not say (`production.phone_region`).
    pub phone_region: String,
    /// The rules corrections taught for this sender's layouts.
    pub learned: Vec<callsheet::learned::Rule>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            filter: Filter::default(),
            pdf: pdf::Options::default(),
            production: "MP2".into(),
            phone_region: "PL".into(),
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
            warnings: vec![],
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
        warnings: vec![],
    };
    match kind {
        SourceKind::Pdf => match read_pdf(bytes, opts, None) {
            Ok(sheet) => {
                out.schedules = sheet.days;
                out.warnings.extend(sheet.not_a_schedule);
            }
            Err(e) => out.errors.push(e),
        },
        SourceKind::Email => match mail::read(bytes, &opts.filter) {
            Ok(read) => {
                if let Some(why) = &read.unreadable {
                    out.errors
                        .push(format!("the message could not be read whole: {why}"));
                }
                if read.summary.matched {
                    let received = read.summary.date.as_deref().and_then(mail_date);
                    let mut days = Vec::new();
                    for att in &read.pdfs {
                        match read_pdf(&att.bytes, opts, received) {
                            Ok(sheet) => {
                                days.extend(sheet.days);
                                out.warnings.extend(
                                    sheet.not_a_schedule.map(|w| format!("{}: {w}", att.name)),
                                );
                            }
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

/// The rules a person's corrections of one schedule message teach: for each
/// of its PDFs and each corrected field a rule can be learned for, where the
/// corrected value is printed (`callsheet::learned::rule_from`). Empty when
/// the message or its PDFs do not read, or no value is printed.
pub fn teach(
    raw: &[u8],
    opts: &ParseOptions,
    sender: &str,
    message_id: &str,
    edits: &[crate::correction::Edit],
) -> Vec<callsheet::learned::Rule> {
    use callsheet::learned;
    let edits: Vec<_> = edits
        .iter()
        .filter(|e| learned::learnable(&e.target))
        .collect();
    if edits.is_empty() {
        return vec![];
    }
    let Ok(read) = mail::read(raw, &opts.filter) else {
        return vec![];
    };
    let mut rules = Vec::new();
    for att in &read.pdfs {
        let Ok(doc) = pdf::read(&att.bytes, &opts.pdf) else {
            continue;
        };
        for e in &edits {
            rules.extend(learned::rule_from(
                &doc, sender, &e.target, &e.value, message_id,
            ));
        }
    }
    rules
}

/// A message's `Date:` header as a calendar date (RFC 5322, as mail clients
/// write it).
pub fn mail_date(header: &str) -> Option<chrono::NaiveDate> {
    chrono::DateTime::parse_from_rfc2822(header.trim())
        .ok()
        .map(|d| d.date_naive())
}

/// The shooting days of one PDF, production name filled in; `received` is
/// when the message carrying it was sent, for dates printed without a year.
pub fn parse_pdf(
    bytes: &[u8],
    opts: &ParseOptions,
    received: Option<chrono::NaiveDate>,
) -> Result<Vec<ShootDay>, String> {
    read_pdf(bytes, opts, received).map(|s| s.days)
}

/// [`parse_pdf`], with the reason when the PDF is not a schedule at all.
pub fn read_pdf(
    bytes: &[u8],
    opts: &ParseOptions,
    received: Option<chrono::NaiveDate>,
) -> Result<callsheet::Sheet, String> {
    let doc = pdf::read(bytes, &opts.pdf).map_err(|e| e.to_string())?;
    let lost = doc
        .warnings
        .iter()
        .find(|w| w.starts_with(pdf::INFLATED_PAST))
        .cloned();
    let read_opts = callsheet::Options {
        production: None,
        phone_region: Some(opts.phone_region.clone()),
        received,
    };
    let mut sheet = callsheet::read_sheet(&doc, &read_opts);
    callsheet::learned::apply(&doc, &opts.learned, &mut sheet.days);
    for d in &mut sheet.days {
        if d.production.is_none() {
            d.production = Some(opts.production.clone());
        }
    }
    sheet.days = merge_days(std::mem::take(&mut sheet.days));
    // Nothing read because the text was past a cap is a failure to read,
    // not a document without a schedule.
    if let (Some(why), true) = (lost, sheet.days.is_empty()) {
        return Err(format!("the PDF could not be read: {why}"));
    }
    Ok(sheet)
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
