//! Lines and cells → shooting days.
//!
//! Placeholder until the call-sheet reader lands.

use crate::layout::TextDoc;
use crate::model::ShootDay;

/// Reads every shooting day the document states, ordered by date.
pub fn read(_doc: &TextDoc) -> Vec<ShootDay> {
    Vec::new()
}
