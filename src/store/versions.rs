//! The version history of each shooting day (`mp2ctl schedules --history
//! DATE`), kept in the tree `versions`: `DATE \0 VERSION` → [`DayVersion`].
//! Written whenever a day's newest version changes, by a sheet or by a
//! person.

use super::{DayRecord, Result, Store};
use crate::correction::Target;
use crate::model::ShootDay;
use serde::{Deserialize, Serialize};

/// One version of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayVersion {
    pub date: String,
    pub version: u64,
    pub revision: Option<u32>,
    /// The message that stated it (a correction keeps its message).
    pub message_id: String,
    /// ISO 8601.
    pub at: String,
    /// `field: old → new`, one per changed field; empty for the first version.
    pub changes: Vec<String>,
    /// Why this version exists when not a sheet: a correction, a move.
    pub note: Option<String>,
    pub cancelled: bool,
}

const TREE: &str = "versions";

/// What differs between two versions of a day, field by field.
pub fn changes(before: &ShootDay, after: &ShootDay) -> Vec<String> {
    let mut targets = vec![
        Target::Date,
        Target::CallTime,
        Target::WrapTime,
        Target::BaseName,
        Target::BaseAddress,
        Target::LocationName,
        Target::LocationAddress,
        Target::SetType,
        Target::Scenes,
        Target::ShootDay,
        Target::Cancelled,
    ];
    let depts: std::collections::BTreeSet<&String> = before
        .department_calls
        .keys()
        .chain(after.department_calls.keys())
        .collect();
    targets.extend(depts.into_iter().map(|d| Target::DepartmentCall(d.clone())));
    let show = |s: String| if s.is_empty() { "—".to_string() } else { s };
    targets
        .iter()
        .filter_map(|t| {
            let (a, b) = (t.get(before), t.get(after));
            (a != b).then(|| format!("{}: {} → {}", t.name(), show(a), show(b)))
        })
        .collect()
}

impl Store {
    fn versions_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree(TREE)?)
    }

    /// Appends the record's version to its day's history.
    pub fn record_version(&self, rec: &DayRecord, note: Option<&str>) -> Result<()> {
        let v = DayVersion {
            date: rec.date.clone(),
            version: rec.version,
            revision: rec.revision,
            message_id: rec.message_id.clone(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            changes: rec
                .previous
                .as_ref()
                .map(|p| changes(p, &rec.schedule))
                .unwrap_or_default(),
            note: note.map(str::to_string),
            cancelled: rec.cancelled,
        };
        self.versions_tree()?.insert(
            format!("{}\0{:010}", rec.date, rec.version).as_bytes(),
            serde_json::to_vec(&v)?,
        )?;
        Ok(())
    }

    /// Every version of one day, oldest first.
    pub fn versions_of(&self, date: &str) -> Result<Vec<DayVersion>> {
        self.versions_tree()?
            .scan_prefix(format!("{date}\0").as_bytes())
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_says_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mut d = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            ..Default::default()
        };
        s.put_day(&d, "<1>").unwrap();
        d.revision = Some(2);
        d.call_time = Some("08:00".into());
        s.put_day(&d, "<2>").unwrap();
        let v = s.versions_of("2024-03-15").unwrap();
        assert_eq!(v.len(), 2);
        assert!(v[0].changes.is_empty());
        assert_eq!(v[1].changes, ["call_time: 07:00 → 08:00"]);
        assert_eq!(v[1].message_id, "<2>");
    }
}
