//! What a schedule is, in the film office's terms, and the `parse --json`
//! shape of CONTRACT §1. Every stage of the pipeline speaks these types.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
    /// What a person should know about a file that was read: a PDF that is
    /// not a schedule (a contract, an invoice) and why it was judged so.
    #[serde(default)]
    pub warnings: Vec<String>,
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
    /// The fields of this day the reader is not sure of: a value stated here
    /// must be confirmed by a person before a crew member relies on it.
    #[serde(default)]
    pub uncertain: BTreeSet<Field>,
    /// Per-person calls from a crew list with a call column; never folded into
    /// `department_calls`.
    #[serde(default)]
    pub crew_calls: Vec<CrewCall>,
    /// The sheet says this shooting day is cancelled.
    #[serde(default)]
    pub cancelled: bool,
}

impl ShootDay {
    /// Marks a field as one the reader is not sure of.
    pub fn doubt(&mut self, field: Field) {
        self.uncertain.insert(field);
    }

    pub fn is_uncertain(&self, field: Field) -> bool {
        self.uncertain.contains(&field)
    }
}

/// The names of a shooting day's fields, as `uncertain` lists them (CONTRACT §1).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Date,
    CallTime,
    WrapTime,
    ShootDay,
    Revision,
    Base,
    Locations,
    SetType,
    Scenes,
    DepartmentCalls,
    CrewCalls,
    Contacts,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Date,
        Field::CallTime,
        Field::WrapTime,
        Field::ShootDay,
        Field::Revision,
        Field::Base,
        Field::Locations,
        Field::SetType,
        Field::Scenes,
        Field::DepartmentCalls,
        Field::CrewCalls,
        Field::Contacts,
    ];

    /// The name as CONTRACT §1 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::CallTime => "call_time",
            Field::WrapTime => "wrap_time",
            Field::ShootDay => "shoot_day",
            Field::Revision => "revision",
            Field::Base => "base",
            Field::Locations => "locations",
            Field::SetType => "set_type",
            Field::Scenes => "scenes",
            Field::DepartmentCalls => "department_calls",
            Field::CrewCalls => "crew_calls",
            Field::Contacts => "contacts",
        }
    }
}

/// One person's own call, from a crew list that prints a call per row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CrewCall {
    pub name: String,
    pub role: Option<String>,
    pub department: Option<String>,
    /// `HH:MM` local time.
    pub call: String,
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
