//! People's corrections of shooting days, kept in the tree `corrections`:
//! `SHEET-DATE \0 SEQ` → [`Correction`], oldest first.
//!
//! Keyed by the date the sheet prints, so that every later reading of the
//! day — a restart, a `reprocess`, a revised sheet — is laid under the same
//! corrections in [`Store::put_day`] (see [`crate::correction::overlay`] for
//! which of them still apply).

use super::{queue_key, DayRecord, Result, Stage, Store, StoreError};
use crate::correction::{overlay, Correction, Edit};
use crate::model::ShootDay;

const TREE: &str = "corrections";

impl Store {
    fn corrections_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree(TREE)?)
    }

    /// The corrections made to the day the sheets date `sheet_date`, oldest first.
    pub fn corrections_for(&self, sheet_date: &str) -> Result<Vec<Correction>> {
        self.corrections_tree()?
            .scan_prefix(format!("{sheet_date}\0").as_bytes())
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }

    /// A reading of a day with the corrections laid over it.
    pub fn corrected(&self, read: &ShootDay) -> Result<ShootDay> {
        let cs = self.corrections_for(&read.date)?;
        Ok(overlay(read, &cs).0)
    }

    /// Records a person's correction of the newest version of the day shown
    /// as `date`, and makes it that day's newest version. Returns the new
    /// record and, when the date itself was corrected, the record left
    /// behind at the old date (now cancelled, so its events are removed).
    /// Flushed before return: the re-planning and sending that follow are
    /// outside effects.
    pub fn correct_day(
        &self,
        date: &str,
        edits: &[Edit],
        uid: u32,
        user: &str,
    ) -> Result<(DayRecord, Option<DayRecord>)> {
        let old = self.day(date)?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "no shooting day {date} is known; `mp2ctl schedules` lists them"
            ))
        })?;
        let read = old.read.clone().unwrap_or_else(|| old.schedule.clone());
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let tree = self.corrections_tree()?;
        for e in edits {
            let c = Correction {
                date: read.date.clone(),
                field: e.target.name(),
                edit: e.clone(),
                was: e.target.get(&read),
                message_id: old.message_id.clone(),
                uid,
                user: user.to_string(),
                at: at.clone(),
            };
            let seq = self.db.generate_id()?;
            tree.insert(
                format!("{}\0{seq:020}", c.date).as_bytes(),
                serde_json::to_vec(&c)?,
            )?;
        }
        let mut schedule = self.corrected(&read)?;
        // Corrections to a version a later one already overrode still count
        // for this version: a person looked at what is shown now.
        for e in edits {
            e.apply(&mut schedule);
        }
        let moved = schedule.date != old.date;
        let mut rec = DayRecord {
            date: schedule.date.clone(),
            revision: old.revision,
            message_id: old.message_id.clone(),
            cancelled: schedule.cancelled,
            previous: Some(old.schedule.clone()),
            version: old.version + 1,
            weather: if moved { None } else { old.weather.clone() },
            read: Some(read),
            schedule,
            seq: old.seq,
        };
        let mut left = None;
        if moved {
            if let Some(there) = self.day(&rec.date)? {
                rec.version = rec.version.max(there.version + 1);
                rec.previous = Some(there.schedule);
            }
            let mut gone = old.clone();
            gone.cancelled = true;
            gone.version += 1;
            gone.previous = Some(old.schedule.clone());
            self.update_day(&gone)?;
            self.record_version(&gone, Some("moved"))?;
            left = Some(gone);
        }
        self.update_day(&rec)?;
        let note = edits
            .iter()
            .map(|e| format!("{}={}", e.target.name(), e.value))
            .collect::<Vec<_>>()
            .join(" ");
        self.record_version(&rec, Some(&format!("correction by {user}: {note}")))?;
        self.flush()?;
        Ok((rec, left))
    }
}

impl Store {
    /// Marks a known day cancelled as a new version (its events are then
    /// removed and the crew told). `None` when unknown or already cancelled.
    pub fn cancel_day(&self, date: &str, note: &str) -> Result<Option<DayRecord>> {
        let Some(old) = self.day(date)? else {
            return Ok(None);
        };
        if old.cancelled {
            return Ok(None);
        }
        let mut rec = old.clone();
        rec.cancelled = true;
        rec.schedule.cancelled = true;
        rec.version += 1;
        rec.previous = Some(old.schedule);
        self.update_day(&rec)?;
        self.record_version(&rec, Some(note))?;
        self.flush()?;
        Ok(Some(rec))
    }

    /// Sends the message that stated a corrected day through planning,
    /// calendars and notifications again, for `dates` besides its own days
    /// (a corrected date). Stages keyed by day version repeat nothing for
    /// the days that did not change. False when the message is not known.
    pub fn replan_message(&self, message_id: &str, dates: &[String]) -> Result<bool> {
        let Some(mut rec) = self.find_message(message_id)? else {
            return Ok(false);
        };
        for s in Stage::PENDING {
            self.queue
                .remove(queue_key(s, rec.seq, &rec.key).as_bytes())?;
        }
        for d in dates {
            if !rec.days.contains(d) {
                rec.days.push(d.clone());
            }
        }
        rec.stage = Stage::Parsed;
        rec.retry = None;
        self.messages
            .insert(rec.key.as_bytes(), serde_json::to_vec(&rec)?)?;
        self.queue
            .insert(queue_key(Stage::Parsed, rec.seq, &rec.key).as_bytes(), &[])?;
        self.flush()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(call: Option<&str>, wrap: &str, rev: Option<u32>) -> ShootDay {
        ShootDay {
            date: "2024-03-15".into(),
            revision: rev,
            call_time: call.map(Into::into),
            wrap_time: Some(wrap.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_correction_survives_reopen_and_a_rereading_and_yields_to_a_revision() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.put_day(&sheet(None, "18:00", None), "<1>").unwrap();
            let (r, left) = s
                .correct_day(
                    "2024-03-15",
                    &[Edit::parse("call_time=07:15").unwrap()],
                    0,
                    "root",
                )
                .unwrap();
            assert!(left.is_none());
            assert_eq!(
                (r.version, r.schedule.call_time.as_deref()),
                (2, Some("07:15"))
            );
        }
        let s = Store::open(dir.path()).unwrap();
        let (r, changed) = s.put_day(&sheet(None, "18:00", None), "<1>").unwrap();
        assert!(!changed, "reprocessing the same sheet changes nothing");
        assert_eq!(r.schedule.call_time.as_deref(), Some("07:15"));
        let (r, changed) = s.put_day(&sheet(None, "20:00", Some(2)), "<2>").unwrap();
        assert!(changed);
        assert_eq!(
            r.schedule.call_time.as_deref(),
            Some("07:15"),
            "kept: the revision did not change it"
        );
        assert_eq!(r.schedule.wrap_time.as_deref(), Some("20:00"));
        let (r, _) = s
            .put_day(&sheet(Some("06:00"), "20:00", Some(3)), "<3>")
            .unwrap();
        assert_eq!(
            r.schedule.call_time.as_deref(),
            Some("06:00"),
            "the sheet now states it"
        );
        let c = &s.corrections_for("2024-03-15").unwrap()[0];
        assert_eq!((c.user.as_str(), c.was.as_str()), ("root", ""));
    }

    #[test]
    fn correcting_the_date_moves_the_day_and_cancels_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.put_day(&sheet(Some("07:00"), "18:00", None), "<1>")
            .unwrap();
        let (r, left) = s
            .correct_day(
                "2024-03-15",
                &[Edit::parse("date=2024-03-16").unwrap()],
                0,
                "root",
            )
            .unwrap();
        assert_eq!(r.date, "2024-03-16");
        assert!(left.unwrap().cancelled);
        assert!(s.day("2024-03-15").unwrap().unwrap().cancelled);
        // Reading the sheet again lands on the corrected date.
        let (r, changed) = s
            .put_day(&sheet(Some("07:00"), "18:00", None), "<1>")
            .unwrap();
        assert_eq!((r.date.as_str(), changed), ("2024-03-16", false));
    }
}
