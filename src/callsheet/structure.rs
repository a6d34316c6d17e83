//! Whether a document is a schedule at all. A listed sender also mails
//! contracts, invoices and scripts; their dates and addresses must not become
//! shooting days. A call sheet or a weekly schedule names itself or states
//! times against the labels of a shooting day (call, wrap, meals, first
//! shot); a document that does neither, or reads like a contract or an
//! invoice and states no call, is not a schedule.

use super::fields::labelled_times;
use super::sheet::Row;
use super::text::find_word;
use super::vocab::{TimeLabel, NOT_SCHEDULE_WORDS, SCHEDULE_TITLES};

/// The reason, for a person, when `rows` are not a schedule.
pub fn not_a_schedule(rows: &[Row]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let titled = rows
        .iter()
        .flat_map(|r| r.folded.iter())
        .any(|f| SCHEDULE_TITLES.iter().any(|w| find_word(f, w).is_some()));
    let top: Vec<&str> = rows
        .iter()
        .take(8)
        .flat_map(|r| r.folded.iter().map(String::as_str))
        .collect();
    let kind = NOT_SCHEDULE_WORDS
        .iter()
        .find(|(w, _)| top.iter().any(|f| find_word(f, w).is_some()))
        .map(|(_, kind)| *kind);
    // A titled sheet that reads like no other document is a schedule; the
    // times are only read when they can change the verdict.
    if titled && kind.is_none() {
        return None;
    }
    let hits = labelled_times(rows);
    let calls = hits.iter().any(|h| matches!(h.label, TimeLabel::Call(_)));
    let day_times = hits.iter().any(|h| {
        matches!(
            h.label,
            TimeLabel::Call(_) | TimeLabel::Wrap | TimeLabel::FirstShot | TimeLabel::Meal
        )
    });
    match kind {
        Some(kind) if !calls => Some(format!(
            "not a schedule: the document reads like {kind} and states no crew call"
        )),
        _ if !titled && !day_times => {
            Some("not a schedule: no call-sheet title and no call, wrap or meal times".into())
        }
        _ => None,
    }
}
