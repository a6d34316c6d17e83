//! The work queues: which messages wait for which stage, in arrival order,
//! and when each may be tried again.
//!
//! A queue entry's key is `LANE \0 SEQ \0 KEY`, where `SEQ` is the message's
//! arrival number (assigned once, at intake, from sled's monotonic id
//! generator, and kept through `reprocess`), written as 16 hex digits so that
//! the byte order sled scans in is arrival order. Before sequence numbers the
//! key was `LANE \0 KEY` (content-hash order); [`Store::migrate_queue`]
//! rewrites such entries when a store is opened.
//!
//! A lane is a stage's input queue, or the calendar backlog: messages whose
//! notifications went ahead while their calendar writes wait for the server.
//! A message can sit in a stage queue and the backlog at once; each has its
//! own [`RetryState`] on the record, so one waiting never holds the other.

use super::{tx, MessageRecord, Result, Stage, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;

/// A queue messages wait in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The input of the stage that takes messages at this stage.
    Stage(Stage),
    /// Calendar writes that failed while the message went on to be notified.
    CalendarBacklog,
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Stage(s) => s.as_str(),
            Lane::CalendarBacklog => "calendar-backlog",
        }
    }
}

impl From<Stage> for Lane {
    fn from(s: Stage) -> Lane {
        Lane::Stage(s)
    }
}

/// How often one message failed in one lane, and when it may be tried again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RetryState {
    /// Failed attempts that count toward the limit.
    pub attempts: u32,
    /// Not before this time.
    pub next_attempt: Option<DateTime<Utc>>,
    /// The last failure, as `history` shows it.
    pub last_error: String,
}

impl RetryState {
    /// Whether the message may be tried now; `None` when it may, else when.
    pub fn wait_until(state: Option<&RetryState>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        state.and_then(|s| s.next_attempt).filter(|t| *t > now)
    }
}

pub(super) fn queue_key(lane: impl Into<Lane>, seq: u64, key: &str) -> String {
    format!("{}\0{seq:016x}\0{}", lane.into().as_str(), key)
}

/// The message key of a queue entry (both key layouts).
fn entry_key(k: &[u8], prefix_len: usize) -> String {
    let rest = &k[prefix_len..];
    let rest = match rest.iter().position(|b| *b == 0) {
        Some(i) => &rest[i + 1..],
        None => rest,
    };
    String::from_utf8_lossy(rest).into_owned()
}

impl Store {
    /// Keys of messages waiting in `lane`, in arrival order.
    pub fn queued(&self, lane: Lane) -> Result<Vec<String>> {
        let prefix = format!("{}\0", lane.as_str());
        let mut out = Vec::new();
        for kv in self.queue.scan_prefix(prefix.as_bytes()) {
            let (k, _) = kv?;
            out.push(entry_key(&k, prefix.len()));
        }
        Ok(out)
    }

    /// Keys of messages waiting for `stage`, oldest arrival first.
    pub fn pending(&self, stage: Stage, limit: usize) -> Result<Vec<String>> {
        let mut all = self.queued(Lane::Stage(stage))?;
        all.truncate(limit);
        Ok(all)
    }

    pub fn pending_count(&self, stage: Stage) -> usize {
        self.queue
            .scan_prefix(format!("{}\0", stage.as_str()).as_bytes())
            .count()
    }

    /// Whether the message waits in `lane`.
    pub fn is_queued(&self, lane: Lane, rec: &MessageRecord) -> bool {
        self.queue
            .contains_key(queue_key(lane, rec.seq, &rec.key).as_bytes())
            .unwrap_or(false)
    }

    /// The next arrival number (monotonic across restarts).
    pub(super) fn next_seq(&self) -> Result<u64> {
        Ok(self.db.generate_id()? + 1)
    }

    /// Records a failed attempt of `lane` on a message (its retry state and
    /// the error `history` shows), leaving stage and queues as they are.
    /// Read and written in one transaction: another lane may be committing
    /// the same record.
    pub fn note_retry(&self, key: &str, lane: Lane, state: &RetryState) -> Result<()> {
        self.modify_message(key, |rec| {
            if rec.errors.last() != Some(&state.last_error) {
                rec.errors.push(state.last_error.clone());
                if rec.errors.len() > 5 {
                    rec.errors.remove(0);
                }
            }
            match lane {
                Lane::Stage(_) => rec.retry = Some(state.clone()),
                Lane::CalendarBacklog => rec.calendar_retry = Some(state.clone()),
            }
        })
    }

    /// Takes a message out of the calendar backlog: its writes are done.
    pub fn leave_backlog(&self, key: &str) -> Result<()> {
        let Some(rec) = self.message(key)? else {
            return Ok(());
        };
        let q = queue_key(Lane::CalendarBacklog, rec.seq, key);
        self.queue.remove(q.as_bytes())?;
        self.modify_message(key, |r| r.calendar_retry = None)
    }

    /// Gives up a message's calendar backlog: the message is `failed` with
    /// the reason, whatever stage its notifications reached.
    pub fn fail_backlog(&self, key: &str, reason: &str) -> Result<()> {
        let Some(rec) = self.message(key)? else {
            return Ok(());
        };
        self.queue
            .remove(queue_key(Lane::CalendarBacklog, rec.seq, key).as_bytes())?;
        self.modify_message(key, |r| {
            r.calendar_retry = None;
            r.stage = Stage::Failed;
            r.errors.push(reason.to_string());
        })?;
        self.flush()
    }

    /// Applies `f` to the stored record in one transaction (no-op when the
    /// record is gone).
    pub(super) fn modify_message(&self, key: &str, f: impl Fn(&mut MessageRecord)) -> Result<()> {
        let res = self.messages.transaction(|messages| {
            let Some(v) = messages.get(key.as_bytes())? else {
                return Ok(());
            };
            let Ok(mut rec) = serde_json::from_slice::<MessageRecord>(&v) else {
                return Ok(());
            };
            f(&mut rec);
            let json = serde_json::to_vec(&rec).unwrap_or_else(|_| v.to_vec());
            messages.insert(key.as_bytes(), json)?;
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        tx(res)
    }

    /// Gives every record an arrival number and every queue entry the
    /// arrival-ordered key, for stores written before sequence numbers.
    /// Old records are numbered in the order they were received.
    pub(super) fn migrate_queue(&self) -> Result<()> {
        let mut unnumbered: Vec<MessageRecord> = Vec::new();
        for v in self.messages.iter().values() {
            let rec: MessageRecord = serde_json::from_slice(&v?)?;
            if rec.seq == 0 {
                unnumbered.push(rec);
            }
        }
        if unnumbered.is_empty() {
            return Ok(());
        }
        unnumbered.sort_by(|a, b| a.received.cmp(&b.received).then(a.key.cmp(&b.key)));
        for mut rec in unnumbered {
            rec.seq = self.next_seq()?;
            self.messages
                .insert(rec.key.as_bytes(), serde_json::to_vec(&rec)?)?;
            let lanes = Stage::PENDING
                .into_iter()
                .map(Lane::Stage)
                .chain([Lane::CalendarBacklog]);
            for lane in lanes {
                let old = format!("{}\0{}", lane.as_str(), rec.key);
                if self.queue.remove(old.as_bytes())?.is_some() {
                    self.queue
                        .insert(queue_key(lane, rec.seq, &rec.key).as_bytes(), &[])?;
                }
            }
        }
        tracing::info!("Store upgraded: messages numbered in arrival order");
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ShootDay;

    fn rec(key: &str) -> MessageRecord {
        MessageRecord {
            key: key.into(),
            message_id: format!("<{key}>"),
            origin: format!("maildir:{key}"),
            from: "a@b".into(),
            subject: "s".into(),
            received: "2024-01-01T00:00:00Z".into(),
            matched: true,
            verdict: "accepted".into(),
            reason: String::new(),
            stage: Stage::Seen,
            errors: vec![],
            days: vec![],
            seq: 0,
            retry: None,
            calendar_retry: None,
            date: None,
        }
    }

    #[test]
    fn queues_follow_arrival_not_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        for k in ["zz", "aa", "mm"] {
            s.accept_message(rec(k), k, b"x", true).unwrap();
        }
        assert_eq!(s.pending(Stage::Seen, 10).unwrap(), ["zz", "aa", "mm"]);
        let mut r = s.message("zz").unwrap().unwrap();
        r.stage = Stage::Parsed;
        s.advance(Stage::Seen, &r).unwrap();
        let mut r = s.message("aa").unwrap().unwrap();
        r.stage = Stage::Parsed;
        s.advance(Stage::Seen, &r).unwrap();
        assert_eq!(s.pending(Stage::Parsed, 10).unwrap(), ["zz", "aa"]);
    }

    #[test]
    fn an_old_store_is_numbered_in_received_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            // As written before arrival numbers: no seq, keys in hash order.
            for (k, at) in [
                ("bb", "2024-01-01T00:00:02Z"),
                ("aa", "2024-01-01T00:00:03Z"),
                ("cc", "2024-01-01T00:00:01Z"),
            ] {
                let mut r = rec(k);
                r.received = at.into();
                let mut json: serde_json::Value = serde_json::to_value(&r).unwrap();
                json.as_object_mut().unwrap().remove("seq");
                s.messages
                    .insert(k.as_bytes(), serde_json::to_vec(&json).unwrap())
                    .unwrap();
                s.queue
                    .insert(format!("seen\0{k}").as_bytes(), &[])
                    .unwrap();
            }
            s.flush().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.pending(Stage::Seen, 10).unwrap(), ["cc", "bb", "aa"]);
        assert!(s.message("aa").unwrap().unwrap().seq > s.message("bb").unwrap().unwrap().seq);
    }

    #[test]
    fn of_two_sheets_at_one_revision_the_later_arrival_stands() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let day = |call: &str| ShootDay {
            date: "2024-03-15".into(),
            call_time: Some(call.into()),
            ..Default::default()
        };
        // The later arrival (seq 9) is read first; the earlier one (seq 4) late.
        assert!(s.put_day_at(&day("08:00"), "<later>", 9).unwrap().1);
        assert!(!s.put_day_at(&day("07:00"), "<earlier>", 4).unwrap().1);
        assert_eq!(
            s.day("2024-03-15")
                .unwrap()
                .unwrap()
                .schedule
                .call_time
                .as_deref(),
            Some("08:00")
        );
        // A revision still wins over arrival.
        let mut rev = day("06:00");
        rev.revision = Some(2);
        assert!(s.put_day_at(&rev, "<rev>", 5).unwrap().1);
    }

    #[test]
    fn the_backlog_keeps_its_state_and_its_failure_through_a_stage_commit() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.accept_message(rec("k"), "k", b"x", true).unwrap();
        let mut r = s.message("k").unwrap().unwrap();
        r.stage = Stage::Synced;
        s.advance_leaving_backlog(Stage::Seen, &r).unwrap();
        assert_eq!(s.queued(Lane::CalendarBacklog).unwrap(), ["k"]);
        let state = RetryState {
            attempts: 2,
            next_attempt: None,
            last_error: "calendar down".into(),
        };
        s.note_retry("k", Lane::CalendarBacklog, &state).unwrap();
        // The notifier commits its stale copy: the backlog's state stays.
        r.stage = Stage::Notified;
        s.advance(Stage::Synced, &r).unwrap();
        let now = s.message("k").unwrap().unwrap();
        assert_eq!(now.calendar_retry, Some(state));
        assert_eq!(s.counts().unwrap().in_flight, 1, "the event still waits");
        s.fail_backlog("k", "gave up").unwrap();
        let now = s.message("k").unwrap().unwrap();
        assert_eq!(now.stage, Stage::Failed);
        assert!(s.queued(Lane::CalendarBacklog).unwrap().is_empty());
        assert_eq!(s.counts().unwrap().failed, 1);
    }
}
