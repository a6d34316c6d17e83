//! The sled store: the only module that touches the database.
//!
//! ## What is kept
//! - `messages`: one [`MessageRecord`] per message seen (the `history`).
//! - `raw`: the message bytes, so a crash or `reprocess` can start over.
//! - `queue`: `LANE \0 SEQ \0 KEY` → (): work waiting for a stage (or the
//!   calendar backlog), in arrival order (see `queue.rs`). A stage commits its
//!   output, the record's new stage and the hand-off to the next queue in one
//!   transaction, so a crash leaves a message either before or after a step,
//!   never half-way.
//! - `days`: newest known version of each shooting day ([`DayRecord`]).
//! - `plans`: `DATE \0 CREW` → [`PlanRecord`].
//! - `effects`: idempotency keys of side effects done (calendar writes,
//!   notifications), with their state.
//! - `keys`: Message-ID + content hash, and origin → message key (dedupe).
//! - `checkpoints`: mailbox checkpoints (IMAP UIDVALIDITY/UID).
//! - `attention`, `corrections`, `layouts`, `versions`: what a person must
//!   look at, people's corrections, the reading rules they taught, and each
//!   day's version history (one file each beside this one).
//! - `audit`: every mutating control command, who and when (`audit.rs`).
//! - Retention and purge (`privacy.rs`): raw bytes of finished mail are cut
//!   to headers after `daemon.retain_raw`; mail not taken as a schedule
//!   keeps headers only from the start; `purge --crew` removes a person.
//! - `outbox`: every notification to the crew and its delivery state
//!   (`outbox.rs`).
//! - `meta`: small named values integrations keep between calls (a CalDAV
//!   event's last ETag); losing one costs a round trip, never correctness.
//!
//! ## Durability rule
//! sled flushes in the background every 500 ms, which is not enough before a
//! side effect the world sees. So: every function here that precedes an
//! outside effect (accepting a message before the mailbox is marked, recording
//! an intent before a calendar write or a notification, a checkpoint) calls
//! [`Store::flush`] before it returns. A crash can then repeat an internal
//! step, never an outside one without its record.
//!
//! ## A corrupt store
//! [`Store::open`] turns a store sled cannot open into a quarantined copy
//! (`store.corrupt-TIMESTAMP`) and starts a fresh one, so the daemon comes up
//! and rebuilds from the mailbox instead of crash-looping.

mod attention;
mod audit;
mod corrections;
mod layouts;
mod outbox;
mod privacy;
mod queue;
mod versions;

pub use audit::AuditEntry;
pub use privacy::{headers_only, Purged};

pub use attention::{AttentionItem, AttentionKind, NewAttention};
pub use outbox::{Notification, OutboxCounts, OutboxEntry, OutboxState};
use queue::queue_key;
pub use queue::{Lane, RetryState};
pub use versions::{changes, DayVersion};

use crate::model::ShootDay;
use crate::plan::CrewPlan;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::path::{Path, PathBuf};

/// The pipeline stages a message goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Seen,
    Parsed,
    Planned,
    Synced,
    Notified,
    Failed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Seen => "seen",
            Stage::Parsed => "parsed",
            Stage::Planned => "planned",
            Stage::Synced => "synced",
            Stage::Notified => "notified",
            Stage::Failed => "failed",
        }
    }

    /// The stage after this one succeeds (`None` when done).
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Seen => Some(Stage::Parsed),
            Stage::Parsed => Some(Stage::Planned),
            Stage::Planned => Some(Stage::Synced),
            Stage::Synced => Some(Stage::Notified),
            Stage::Notified | Stage::Failed => None,
        }
    }

    pub const PENDING: [Stage; 4] = [Stage::Seen, Stage::Parsed, Stage::Planned, Stage::Synced];
}

/// A message as `history` shows it (CONTRACT §4b, plus the keys we need).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageRecord {
    /// Our key: a hash of Message-ID and content.
    pub key: String,
    pub message_id: String,
    pub origin: String,
    pub from: String,
    pub subject: String,
    /// When the daemon took it in (ISO 8601).
    pub received: String,
    /// The message's own `Date:` header as printed, when it has one: when
    /// the office sent it, which `received` is not after a backlog.
    #[serde(default)]
    pub date: Option<String>,
    pub matched: bool,
    /// `accepted`, `rejected`, `spoofed`, `error`, `pending`.
    pub verdict: String,
    pub reason: String,
    pub stage: Stage,
    pub errors: Vec<String>,
    /// Dates of the shooting days this message stated.
    #[serde(default)]
    pub days: Vec<String>,
    /// Arrival number, assigned at intake: queues and same-revision sheets
    /// of one day follow it (0 only in stores older than it, until opened).
    #[serde(default)]
    pub seq: u64,
    /// Failed attempts at the stage the message waits for (cleared when a
    /// stage commits it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryState>,
    /// Failed attempts of the calendar backlog, kept apart from `retry`
    /// because the message's notifications go on meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_retry: Option<RetryState>,
}

/// The newest version of one shooting day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DayRecord {
    pub date: String,
    pub revision: Option<u32>,
    /// The message that stated this version.
    pub message_id: String,
    pub schedule: ShootDay,
    /// Bumped whenever the content changes; side effects are keyed by it.
    pub version: u64,
    /// The version before this one, for change diffs.
    #[serde(default)]
    pub previous: Option<ShootDay>,
    #[serde(default)]
    pub weather: Option<serde_json::Value>,
    /// A cancelled day: calendar events are removed.
    #[serde(default)]
    pub cancelled: bool,
    /// The day as the sheet states it, before people's corrections
    /// (`schedule` is this with the corrections laid over).
    #[serde(default)]
    pub read: Option<ShootDay>,
    /// Arrival number of the message that stated this version: of two
    /// sheets at one revision, the later arrival stands.
    #[serde(default)]
    pub seq: u64,
}

/// One crew member's plan for one day, at the day version it was made for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanRecord {
    pub date: String,
    pub crew: String,
    pub day_version: u64,
    pub plan: CrewPlan,
    /// The plan this one replaced (for the change message: wake-up and
    /// departure moved too, not only the sheet's fields).
    #[serde(default)]
    pub previous: Option<CrewPlan>,
    /// When it was made (RFC 3339, UTC): the calendar event's DTSTAMP.
    #[serde(default)]
    pub planned_at: Option<String>,
    /// Some leg is the estimate because the route provider failed (not
    /// because the estimate is the configured provider): the plan is made
    /// again once the provider answers (the route planner's healing).
    #[serde(default)]
    pub fell_back: bool,
    /// Times the plan was made again at the same day version and its
    /// departure or wake-up moved: the calendar write and the crew's change
    /// message are keyed by it too ([`PlanRecord::version_tag`]).
    #[serde(default)]
    pub revision: u32,
}

impl PlanRecord {
    /// The version part of the plan's side-effect keys: `v3` for day
    /// version 3, `v3r1` once healing moved its times.
    pub fn version_tag(&self) -> String {
        match self.revision {
            0 => format!("v{}", self.day_version),
            r => format!("v{}r{r}", self.day_version),
        }
    }
}

/// A side effect's state, keyed by its idempotency key.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// About to be done; if found after a crash, the outcome is unknown.
    Intent,
    Done,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store error: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record is unreadable: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("store transaction failed: {0}")]
    Transaction(String),
    /// What a command names is not there; the text says where to look.
    #[error("{0}")]
    NotFound(String),
    #[error("the store {0} is locked by another process ({1}); is another mp2d running on this state_dir?")]
    Locked(PathBuf, std::io::Error),
    #[error("cannot prepare the state directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The one handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    messages: sled::Tree,
    raw: sled::Tree,
    queue: sled::Tree,
    days: sled::Tree,
    plans: sled::Tree,
    effects: sled::Tree,
    keys: sled::Tree,
    checkpoints: sled::Tree,
    meta: sled::Tree,
    /// Set when open() had to quarantine a corrupt store.
    pub quarantined: Option<PathBuf>,
}

/// What `open` found.
impl Store {
    /// Opens `STATE_DIR/store`, quarantining it if sled cannot read it.
    pub fn open(state_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| StoreError::Dir(state_dir.to_path_buf(), e))?;
        let path = state_dir.join("store");
        let mut attempt = 0;
        loop {
            match Self::open_at(&path) {
                Ok(s) => return Ok(s),
                // Locked by a process still letting go of it (or another
                // daemon): never a reason to throw the store away.
                Err(StoreError::Sled(sled::Error::Io(e))) if is_lock(&e) && attempt < 100 => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "Store busy; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(StoreError::Sled(sled::Error::Io(e))) if is_lock(&e) => {
                    return Err(StoreError::Locked(path.clone(), e))
                }
                Err(first) => {
                    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
                    let q = state_dir.join(format!("store.corrupt-{stamp}"));
                    tracing::error!(error = %first, quarantine = %q.display(), "Store cannot be opened; quarantining it and starting a fresh one (the mailbox will be rescanned)");
                    std::fs::rename(&path, &q).map_err(|e| StoreError::Dir(path.clone(), e))?;
                    let mut s = Self::open_at(&path)?;
                    s.quarantined = Some(q);
                    return Ok(s);
                }
            }
        }
    }

    fn open_at(path: &Path) -> Result<Store> {
        // sled can panic on some damaged files rather than return an error.
        let db = std::panic::catch_unwind(|| {
            sled::Config::new()
                .path(path)
                .cache_capacity(8 << 20)
                .open()
        })
        .map_err(|_| StoreError::Transaction("sled panicked while opening the store".into()))??;
        let t = |n: &str| db.open_tree(n);
        let s = Store {
            messages: t("messages")?,
            raw: t("raw")?,
            queue: t("queue")?,
            days: t("days")?,
            plans: t("plans")?,
            effects: t("effects")?,
            keys: t("keys")?,
            checkpoints: t("checkpoints")?,
            meta: t("meta")?,
            db,
            quarantined: None,
        };
        s.migrate_queue()?;
        Ok(s)
    }

    /// Forces everything written so far to disk (see the durability rule).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Takes a new message in at the `seen` stage, unless the same message
    /// (Message-ID + content hash) is known. Flushed on return, so the
    /// mailbox may be marked afterwards. Returns `None` for a duplicate.
    pub fn accept_message(
        &self,
        rec: MessageRecord,
        content_hash: &str,
        raw: &[u8],
        enqueue: bool,
    ) -> Result<Option<MessageRecord>> {
        let mut rec = rec;
        rec.seq = self.next_seq()?;
        let dedupe = format!("id\0{}\0{}", rec.message_id, content_hash);
        let origin = format!("origin\0{}", rec.origin);
        let rec_json = serde_json::to_vec(&rec)?;
        let qkey = queue_key(Stage::Seen, rec.seq, &rec.key);
        let res = (&self.keys, &self.messages, &self.raw, &self.queue).transaction(
            |(keys, messages, rawt, queue)| {
                if keys.get(dedupe.as_bytes())?.is_some()
                    || messages.get(rec.key.as_bytes())?.is_some()
                {
                    if !rec.origin.is_empty() {
                        keys.insert(origin.as_bytes(), rec.key.as_bytes())?;
                    }
                    return Ok(false);
                }
                keys.insert(dedupe.as_bytes(), rec.key.as_bytes())?;
                if !rec.origin.is_empty() {
                    keys.insert(origin.as_bytes(), rec.key.as_bytes())?;
                }
                messages.insert(rec.key.as_bytes(), rec_json.as_slice())?;
                // Mail not taken as a schedule (rejected, unlisted) is
                // somebody's private mail: its headers are enough for history.
                rawt.insert(
                    rec.key.as_bytes(),
                    if enqueue { raw } else { headers_only(raw) },
                )?;
                if enqueue {
                    queue.insert(qkey.as_bytes(), &[])?;
                }
                Ok::<bool, ConflictableTransactionError<()>>(true)
            },
        );
        let fresh = tx(res)?;
        self.flush()?;
        Ok(fresh.then_some(rec))
    }

    /// Whether a message from this origin was taken in.
    pub fn knows_origin(&self, origin: &str) -> Result<bool> {
        Ok(self
            .keys
            .get(format!("origin\0{origin}").as_bytes())?
            .is_some())
    }

    pub fn message(&self, key: &str) -> Result<Option<MessageRecord>> {
        self.messages
            .get(key.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(Into::into))
            .transpose()
    }

    /// Looks a message up by our key or its Message-ID (with or without `<>`).
    pub fn find_message(&self, id: &str) -> Result<Option<MessageRecord>> {
        if let Some(m) = self.message(id)? {
            return Ok(Some(m));
        }
        let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
        Ok(self
            .history()?
            .into_iter()
            .find(|m| m.message_id.trim_start_matches('<').trim_end_matches('>') == bare))
    }

    pub fn raw(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.raw.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    /// Commits a stage: updates the record, moves the queue entry from
    /// `from`'s queue to `rec.stage`'s (none when finished or failed), in
    /// one transaction. `rec.stage` must be the stage just reached. What the
    /// calendar backlog owns is kept as stored: its retry state, and a
    /// `failed` it gave the message meanwhile (with its reason).
    pub fn advance(&self, from: Stage, rec: &MessageRecord) -> Result<()> {
        self.commit(from, rec, false)
    }

    /// [`Store::advance`], and the message also waits in the calendar
    /// backlog (its calendar writes are to be retried on their own).
    pub fn advance_leaving_backlog(&self, from: Stage, rec: &MessageRecord) -> Result<()> {
        self.commit(from, rec, true)?;
        self.flush()
    }

    fn commit(&self, from: Stage, rec: &MessageRecord, backlog: bool) -> Result<()> {
        let mut rec = rec.clone();
        rec.retry = None;
        let old_q = queue_key(from, rec.seq, &rec.key);
        let new_q = match rec.stage {
            Stage::Failed | Stage::Notified => None,
            s => Some(queue_key(s, rec.seq, &rec.key)),
        };
        let backlog_q = backlog.then(|| queue_key(Lane::CalendarBacklog, rec.seq, &rec.key));
        let res = (&self.messages, &self.queue).transaction(|(messages, queue)| {
            let mut rec = rec.clone();
            if let Some(v) = messages.get(rec.key.as_bytes())? {
                if let Ok(stored) = serde_json::from_slice::<MessageRecord>(&v) {
                    rec.calendar_retry = stored.calendar_retry;
                    if stored.stage == Stage::Failed && from != Stage::Failed {
                        rec.stage = Stage::Failed;
                        for e in stored.errors {
                            if !rec.errors.contains(&e) {
                                rec.errors.push(e);
                            }
                        }
                    }
                }
            }
            let json =
                serde_json::to_vec(&rec).map_err(|_| ConflictableTransactionError::Abort(()))?;
            messages.insert(rec.key.as_bytes(), json)?;
            queue.remove(old_q.as_bytes())?;
            if let (Some(q), false) = (&new_q, rec.stage == Stage::Failed) {
                queue.insert(q.as_bytes(), &[])?;
            }
            if let Some(q) = &backlog_q {
                queue.insert(q.as_bytes(), &[])?;
            }
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        tx(res)
    }

    /// Rewrites a record in place (its stage and queue entry unchanged).
    pub fn update_message(&self, rec: &MessageRecord) -> Result<()> {
        self.messages
            .insert(rec.key.as_bytes(), serde_json::to_vec(rec)?)?;
        Ok(())
    }

    /// Updates the record and takes it off `from`'s queue without queueing
    /// it anywhere (a message that needs nothing more).
    pub fn settle(&self, from: Stage, rec: &MessageRecord) -> Result<()> {
        let json = serde_json::to_vec(rec)?;
        let old_q = queue_key(from, rec.seq, &rec.key);
        let res = (&self.messages, &self.queue).transaction(|(messages, queue)| {
            messages.insert(rec.key.as_bytes(), json.as_slice())?;
            queue.remove(old_q.as_bytes())?;
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        tx(res)
    }

    /// Puts a message back at `seen` (for `reprocess`).
    pub fn requeue(&self, key: &str) -> Result<bool> {
        self.requeue_at(key, Stage::Seen)
    }

    /// Puts a message back at `stage` (`parsed`: its days are planned
    /// again, which heals plans made on estimates).
    pub fn requeue_at(&self, key: &str, stage: Stage) -> Result<bool> {
        let Some(mut rec) = self.message(key)? else {
            return Ok(false);
        };
        for s in Stage::PENDING {
            self.queue.remove(queue_key(s, rec.seq, key).as_bytes())?;
        }
        rec.stage = stage;
        rec.errors.clear();
        rec.retry = None;
        // The backlog stays: the writes it waits for are still wanted.
        self.messages
            .insert(key.as_bytes(), serde_json::to_vec(&rec)?)?;
        self.queue
            .insert(queue_key(stage, rec.seq, key).as_bytes(), &[])?;
        self.flush()?;
        Ok(true)
    }

    /// Every message, newest first.
    pub fn history(&self) -> Result<Vec<MessageRecord>> {
        let mut all: Vec<MessageRecord> = self
            .messages
            .iter()
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect::<Result<_>>()?;
        all.sort_by(|a, b| b.received.cmp(&a.received).then(b.key.cmp(&a.key)));
        Ok(all)
    }

    /// Records a day version stated by a message. Returns the stored record
    /// and whether it changed what is known (a new day, or new content at the
    /// same or a higher revision). An older revision arriving late is ignored.
    pub fn put_day(&self, read: &ShootDay, message_id: &str) -> Result<(DayRecord, bool)> {
        self.put_day_at(read, message_id, 0)
    }

    /// [`Store::put_day`] for the message with arrival number `seq`: a sheet
    /// at the same revision as the known one that arrived before it (parsed
    /// late, by a slower worker) is ignored like an older revision.
    pub fn put_day_at(
        &self,
        read: &ShootDay,
        message_id: &str,
        seq: u64,
    ) -> Result<(DayRecord, bool)> {
        // A person's corrections stand until a sheet changes their field.
        let day = &self.corrected(read)?;
        let key = day.date.as_bytes();
        let old: Option<DayRecord> = self
            .days
            .get(key)?
            .map(|v| serde_json::from_slice(&v))
            .transpose()?;
        let rec = match old {
            Some(old) if old.revision.unwrap_or(0) > day.revision.unwrap_or(0) => {
                return Ok((old, false))
            }
            Some(old) if old.revision == day.revision && old.seq > seq => return Ok((old, false)),
            Some(old) if same_content(&old.schedule, day) => return Ok((old, false)),
            Some(old) => DayRecord {
                date: day.date.clone(),
                revision: day.revision,
                message_id: message_id.to_string(),
                schedule: day.clone(),
                version: old.version + 1,
                previous: Some(old.schedule),
                weather: old.weather,
                cancelled: day.cancelled,
                read: Some(read.clone()),
                seq,
            },
            None => DayRecord {
                date: day.date.clone(),
                revision: day.revision,
                message_id: message_id.to_string(),
                schedule: day.clone(),
                version: 1,
                previous: None,
                weather: None,
                cancelled: day.cancelled,
                read: Some(read.clone()),
                seq,
            },
        };
        self.days.insert(key, serde_json::to_vec(&rec)?)?;
        self.record_version(&rec, None)?;
        Ok((rec, true))
    }

    pub fn day(&self, date: &str) -> Result<Option<DayRecord>> {
        self.days
            .get(date.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(Into::into))
            .transpose()
    }

    pub fn update_day(&self, rec: &DayRecord) -> Result<()> {
        self.days
            .insert(rec.date.as_bytes(), serde_json::to_vec(rec)?)?;
        Ok(())
    }

    /// Every known day, by date.
    pub fn days(&self) -> Result<Vec<DayRecord>> {
        self.days
            .iter()
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect()
    }

    pub fn put_plan(&self, rec: &PlanRecord) -> Result<()> {
        self.plans
            .insert(plan_key(&rec.date, &rec.crew), serde_json::to_vec(rec)?)?;
        Ok(())
    }

    pub fn plan(&self, date: &str, crew: &str) -> Result<Option<PlanRecord>> {
        self.plans
            .get(plan_key(date, crew))?
            .map(|v| serde_json::from_slice(&v).map_err(Into::into))
            .transpose()
    }

    /// Every plan, by date and crew.
    pub fn plans(&self) -> Result<Vec<PlanRecord>> {
        self.plans
            .iter()
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect()
    }

    /// Plans of one day, by crew id.
    pub fn plans_of(&self, date: &str) -> Result<Vec<PlanRecord>> {
        self.plans
            .scan_prefix(format!("{date}\0").as_bytes())
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect()
    }

    /// The state of a side effect.
    pub fn effect(&self, key: &str) -> Result<Option<Effect>> {
        self.effects
            .get(key.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(Into::into))
            .transpose()
    }

    /// Records that a side effect is about to happen; flushed before return,
    /// so a crash during the effect is known afterwards.
    pub fn effect_intent(&self, key: &str) -> Result<()> {
        self.effects
            .insert(key.as_bytes(), serde_json::to_vec(&Effect::Intent)?)?;
        self.flush()
    }

    /// Records that a side effect happened; flushed before return.
    pub fn effect_done(&self, key: &str) -> Result<()> {
        self.effects
            .insert(key.as_bytes(), serde_json::to_vec(&Effect::Done)?)?;
        self.flush()
    }

    pub fn checkpoint(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.checkpoints.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    /// Stores a checkpoint; flushed before return.
    pub fn set_checkpoint(&self, key: &str, value: &[u8]) -> Result<()> {
        self.checkpoints.insert(key.as_bytes(), value)?;
        self.flush()
    }

    /// A value an integration kept under `key` (see [`Store::set_meta`]).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .meta
            .get(key.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Keeps a small value for an integration (not flushed: sled's own
    /// flush follows within 500 ms, and a lost value must only cost a
    /// round trip to the outside, never a wrong effect).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.meta.insert(key.as_bytes(), value.as_bytes())?;
        Ok(())
    }

    /// Forgets a value kept with [`Store::set_meta`].
    pub fn remove_meta(&self, key: &str) -> Result<()> {
        self.meta.remove(key.as_bytes())?;
        Ok(())
    }

    /// Message counts for `status` (CONTRACT §4 `messages`).
    pub fn counts(&self) -> Result<MessageCounts> {
        let mut c = MessageCounts::default();
        for m in self.history()? {
            c.seen += 1;
            if m.matched {
                c.matched += 1;
            }
            // Notified, but a calendar event still to be written.
            let backlog = m.stage != Stage::Failed && self.is_queued(Lane::CalendarBacklog, &m);
            match m.stage {
                Stage::Failed => c.failed += 1,
                _ if backlog => c.in_flight += 1,
                Stage::Notified => c.done += 1,
                Stage::Seen if !m.matched && m.verdict != "pending" => {
                    c.done += 1;
                    c.rejected += 1;
                }
                _ => c.in_flight += 1,
            }
        }
        Ok(c)
    }

    /// How many shooting days are known.
    pub fn day_count(&self) -> usize {
        self.days.len()
    }
}

/// Message counts for `status`, as CONTRACT §4 shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageCounts {
    pub seen: u64,
    pub matched: u64,
    pub done: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// Of `done`: mail the filter turned away (not a schedule, spoofed).
    /// `done` counts them too, as it always has; people read them apart.
    #[serde(default)]
    pub rejected: u64,
}

/// sled reports another holder of its file lock as `WouldBlock`.
fn is_lock(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
}

fn plan_key(date: &str, crew: &str) -> Vec<u8> {
    format!("{date}\0{crew}").into_bytes()
}

/// Two versions of a day say the same thing (the parser's own confidence
/// and warnings do not make a change worth telling the crew about).
fn same_content(a: &ShootDay, b: &ShootDay) -> bool {
    let strip = |d: &ShootDay| ShootDay {
        confidence: 0.0,
        warnings: vec![],
        ..d.clone()
    };
    strip(a) == strip(b)
}

fn tx<T>(r: std::result::Result<T, TransactionError<()>>) -> Result<T> {
    r.map_err(|e| match e {
        TransactionError::Storage(s) => StoreError::Sled(s),
        TransactionError::Abort(()) => StoreError::Transaction("aborted".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &str, mid: &str) -> MessageRecord {
        MessageRecord {
            key: key.into(),
            message_id: mid.into(),
            origin: format!("maildir:{key}"),
            from: "a@b".into(),
            subject: "s".into(),
            received: "2024-01-01T00:00:00Z".into(),
            date: None,
            matched: true,
            verdict: "pending".into(),
            reason: String::new(),
            stage: Stage::Seen,
            errors: vec![],
            days: vec![],
            seq: 0,
            retry: None,
            calendar_retry: None,
        }
    }

    #[test]
    fn accept_dedupes_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            assert!(s
                .accept_message(rec("k1", "<a@x>"), "h1", b"raw", true)
                .unwrap()
                .is_some());
            assert!(s
                .accept_message(rec("k1", "<a@x>"), "h1", b"raw", true)
                .unwrap()
                .is_none());
            assert!(s.knows_origin("maildir:k1").unwrap());
            assert_eq!(s.pending(Stage::Seen, 10).unwrap(), vec!["k1".to_string()]);
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.pending(Stage::Seen, 10).unwrap(), vec!["k1".to_string()]);
        let mut r = s.message("k1").unwrap().unwrap();
        r.stage = Stage::Parsed;
        s.advance(Stage::Seen, &r).unwrap();
        assert!(s.pending(Stage::Seen, 10).unwrap().is_empty());
        assert_eq!(s.pending(Stage::Parsed, 10).unwrap().len(), 1);
        assert!(s.requeue("k1").unwrap());
        assert_eq!(s.pending(Stage::Seen, 10).unwrap().len(), 1);
        assert_eq!(s.pending(Stage::Parsed, 10).unwrap().len(), 0);
    }

    #[test]
    fn day_versions_follow_revisions() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mut d = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            ..Default::default()
        };
        let (r, changed) = s.put_day(&d, "<1>").unwrap();
        assert!(changed && r.version == 1);
        assert!(
            !s.put_day(&d, "<1>").unwrap().1,
            "same content is no change"
        );
        d.revision = Some(2);
        d.call_time = Some("08:00".into());
        let (r, changed) = s.put_day(&d, "<2>").unwrap();
        assert!(changed && r.version == 2 && r.previous.is_some());
        let mut old = d.clone();
        old.revision = None;
        assert!(
            !s.put_day(&old, "<0>").unwrap().1,
            "an older revision arriving late is ignored"
        );
    }

    #[test]
    fn meta_values_survive_reopen_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            assert_eq!(s.meta("caldav:etag:x").unwrap(), None);
            s.set_meta("caldav:etag:x", "\"abc\"").unwrap();
            s.flush().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.meta("caldav:etag:x").unwrap().as_deref(), Some("\"abc\""));
        s.remove_meta("caldav:etag:x").unwrap();
        assert_eq!(s.meta("caldav:etag:x").unwrap(), None);
    }

    #[test]
    fn corrupt_store_is_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let store_dir = dir.path().join("store");
        std::fs::create_dir_all(&store_dir).unwrap();
        std::fs::write(store_dir.join("conf"), b"garbage\x00\xff").unwrap();
        std::fs::write(store_dir.join("db"), vec![0xAB; 4096]).unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert!(s.quarantined.is_some());
        assert!(s
            .accept_message(rec("k", "<m>"), "h", b"x", true)
            .unwrap()
            .is_some());
    }
}
