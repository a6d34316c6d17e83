//! Mailbox watchers: where schedule e-mails come from.
//!
//! A watcher hands each new message to a [`Sink`], which persists it (the
//! pipeline's `seen` stage) and only then says so; the watcher marks the
//! message on the server (flag/keyword, move, or Maildir `new/` → `cur/`) only
//! after that acknowledgement, so a crash in between re-delivers, and the
//! sink's dedupe (Message-ID + content hash) keeps that from being handled
//! twice.

pub mod imap;
pub mod maildir;

/// One message as fetched.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Where it came from, stable across restarts: `imap:FOLDER:UIDVALIDITY:UID`
    /// or `maildir:FILENAME-STEM`.
    pub origin: String,
    /// The whole RFC 5322 message.
    pub bytes: Vec<u8>,
}

/// A message the watcher did not take whole, handed over by its headers so
/// `history` still shows it (CONTRACT §4b: one entry per message seen).
#[derive(Debug, Clone)]
pub struct Withheld {
    /// As in [`Incoming::origin`].
    pub origin: String,
    /// The header block only (up to the blank line).
    pub headers: Vec<u8>,
    pub why: WithheldWhy,
}

/// Why only the headers were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithheldWhy {
    /// The outer `From:` is not in `[filter].senders`: somebody's private
    /// mail, not ours to download.
    NotListed,
    /// Larger than `filter.max_message_bytes`.
    OverCap { size: u64, cap: u64 },
}

/// What the sink made of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Persisted as new work.
    New,
    /// Already known (same Message-ID and content): nothing to do.
    Duplicate,
}

/// Takes messages into the durable pipeline.
pub trait Sink: Send + Sync {
    /// Persists the message (flushed to disk) before returning `Ok`.
    fn accept(&self, msg: Incoming) -> Result<Accepted, String>;
    /// Records a message seen but not taken whole (flushed before `Ok`);
    /// it is never queued for parsing.
    fn record(&self, msg: Withheld) -> Result<Accepted, String>;
    /// Whether a message with this origin was already accepted (lets a watcher
    /// skip a download).
    fn knows_origin(&self, origin: &str) -> bool;
}

/// Durable key/value checkpoints (UIDVALIDITY, last UID) kept in the store.
pub trait Checkpoints: Send + Sync {
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Flushed before returning.
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String>;
}

/// The integration's circuit breaker and rate limiter, as seen from a
/// blocking thread. Every call to the outside goes through `admit` first and
/// reports its outcome after.
pub trait Gate: Send + Sync {
    /// Waits for the rate limiter; `Err` when the breaker is open (the text
    /// says until when).
    fn admit(&self) -> Result<(), String>;
    fn report(&self, ok: bool);
}

/// What a watcher tells `status`.
pub trait Health: Send + Sync {
    /// Connected and working.
    fn up(&self);
    /// Not working, with the reason a person can act on (wrong password…).
    fn down(&self, reason: &str);
    /// Backfill progress: `done` of `total` messages scanned.
    fn progress(&self, done: u64, total: u64);
}
