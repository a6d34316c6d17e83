//! What a schedule is, in the film office's terms, and the `parse --json`
//! shape of CONTRACT §1. Every stage of the pipeline speaks these types.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The result of reading one input file (a PDF or a whole message): one line of
/// `mp2ctl parse --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParseResult {
    /// The file name as given (no directory).
    pub source: String,
    pub kind: SourceKind,
    /// Set for `.eml` input only.
    pub email: Option<EmailSummary>,
    /// One per shooting day, ordered by date.
    pub schedules: Vec<ShootDay>,
    /// Why (part of) the input could not be read; empty when all was read.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Pdf,
    Email,
}

/// What the filter made of a message (CONTRACT §1 `email`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct EmailSummary {
    pub message_id: Option<String>,
    /// The outer `From:` address (addr-spec only).
    pub from: Option<String>,
    pub subject: Option<String>,
    /// The `Date:` header as printed.
    pub date: Option<String>,
    /// Whether the message counts as a schedule e-mail under the filter.
    pub matched: bool,
    /// A sentence a person can read in `history`.
    pub reason: String,
    /// Every named MIME part, decoded, depth first.
    pub attachments: Vec<String>,
}

/// One shooting day as stated by a call sheet or a weekly schedule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ShootDay {
    pub production: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub date: String,
    pub shoot_day: Option<u32>,
    /// `None` for an original, else the version number the document states.
    pub revision: Option<u32>,
    /// General crew call, `HH:MM` local time.
    pub call_time: Option<String>,
    pub wrap_time: Option<String>,
    /// Unit base / equipment pick-up point when the sheet names one.
    pub base: Option<Place>,
    pub locations: Vec<Location>,
    pub set_type: Option<SetType>,
    pub scenes: Vec<String>,
    /// Department name as printed → `HH:MM`.
    pub department_calls: BTreeMap<String, String>,
    pub safety_notes: Vec<String>,
    pub contacts: Vec<Contact>,
    pub notes: Vec<String>,
    /// The parser's own estimate, 0..1.
    pub confidence: f64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Place {
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Location {
    pub name: Option<String>,
    pub address: Option<String>,
    /// Only when the document states coordinates.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum SetType {
    #[serde(rename = "INT")]
    Int,
    #[serde(rename = "EXT")]
    Ext,
    #[serde(rename = "INT/EXT")]
    IntExt,
}

impl SetType {
    /// The day as a whole from the sets of its scenes.
    pub fn combine(a: Option<SetType>, b: SetType) -> SetType {
        match a {
            None => b,
            Some(x) if x == b => x,
            Some(_) => SetType::IntExt,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Contact {
    pub role: Option<String>,
    pub name: Option<String>,
    /// E.164, e.g. `+48601234567`.
    pub phone: Option<String>,
}
