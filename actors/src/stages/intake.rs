//! Intake: where a fetched message enters the durable pipeline (the
//! [`Sink`] every mailbox watcher delivers to).
//!
//! The filter runs here, once, so `history` records every message seen with
//! its verdict; only matched messages are queued for parsing. The record is
//! flushed before `accept` returns, which is what allows the watcher to mark
//! the message on the server afterwards.

use crate::integrations::mailbox::{Accepted, Checkpoints, Incoming, Sink, Withheld, WithheldWhy};
use crate::runtime::ctx::Ctx;
use crate::runtime::pipeline::poke;
use mp2::store::{MessageRecord, Stage};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub struct Intake {
    pub ctx: Ctx,
}

/// Our key for a message: stable for the same Message-ID and content.
pub fn message_key(message_id: &str, content_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(message_id.as_bytes());
    h.update([0]);
    h.update(content_hash.as_bytes());
    hex::encode(&h.finalize()[..12])
}

impl Intake {
    /// Builds the record the filter's verdict makes of a message.
    pub fn judge(&self, origin: &str, bytes: &[u8]) -> (MessageRecord, String) {
        let hash = mp2::mail::content_hash(bytes);
        let received = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut rec = MessageRecord {
            key: String::new(),
            message_id: String::new(),
            origin: origin.to_string(),
            from: String::new(),
            subject: String::new(),
            received,
            date: None,
            matched: false,
            verdict: "rejected".into(),
            reason: String::new(),
            stage: Stage::Seen,
            errors: vec![],
            days: vec![],
            seq: 0, // numbered by the store when taken in
            retry: None,
            calendar_retry: None,
        };
        match mp2::mail::read(bytes, &self.ctx.cfg.filter) {
            Ok(read) => {
                let s = read.summary;
                rec.message_id = s.message_id.unwrap_or_default();
                rec.from = s.from.unwrap_or_default();
                rec.subject = s.subject.unwrap_or_default();
                rec.date = s.date;
                rec.matched = s.matched;
                rec.reason = s.reason;
                rec.verdict = if s.matched {
                    "accepted".into()
                } else if rec.reason.contains("spoof") {
                    "spoofed".into()
                } else {
                    "rejected".into()
                };
                // Mail from a listed sender whose body was built past the
                // reader's caps (MIME nested hundreds deep) may well carry a
                // schedule nobody read: that is a failure to report, not a
                // "no PDF attached" rejection.
                let listed = mp2::mail::sender_listed(&rec.from, &self.ctx.cfg.filter);
                if let (Some(why), true) = (read.unreadable, listed) {
                    let reason = format!("the message could not be read whole: {why}");
                    rec.matched = false;
                    rec.verdict = "error".into();
                    rec.reason = reason.clone();
                    rec.errors.push(reason);
                    rec.stage = Stage::Failed;
                }
            }
            Err(e) => {
                rec.verdict = "error".into();
                rec.reason = format!("unreadable message: {e}");
                rec.errors.push(e.to_string());
                rec.stage = Stage::Failed;
            }
        }
        if rec.message_id.is_empty() {
            // No Message-ID: the content identifies it.
            rec.message_id = format!("<{}@mp2.invalid>", &hash[..24.min(hash.len())]);
        }
        rec.key = message_key(&rec.message_id, &hash);
        (rec, hash)
    }
}

impl Sink for Intake {
    fn accept(&self, msg: Incoming) -> Result<Accepted, String> {
        // Back-pressure: while the parser is far behind, the watcher waits
        // here instead of piling work up (the mail stays on the server).
        let cap = self.ctx.cfg.daemon.queue_capacity;
        for _ in 0..600 {
            if self.ctx.store.pending_count(Stage::Seen) < cap || self.ctx.is_stopping() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if self.ctx.is_stopping() {
            return Err("daemon is stopping; message left for the next start".into());
        }
        let (rec, hash) = self.judge(&msg.origin, &msg.bytes);
        let matched = rec.matched;
        self.take(rec, &hash, &msg.bytes, matched)
    }

    fn record(&self, msg: Withheld) -> Result<Accepted, String> {
        let (mut rec, hash) = self.judge(&msg.origin, &msg.headers);
        // Headers alone are never a schedule to parse.
        rec.matched = false;
        match msg.why {
            WithheldWhy::NotListed => {
                if rec.stage != Stage::Failed {
                    rec.verdict = "rejected".into();
                    rec.stage = Stage::Seen;
                    if !rec.reason.starts_with("rejected") {
                        rec.reason = format!(
                            "rejected: sender {} is not in filter.senders",
                            if rec.from.is_empty() {
                                "(none)"
                            } else {
                                &rec.from
                            }
                        );
                    }
                }
            }
            WithheldWhy::OverCap { size, cap } => {
                let reason = format!("over the size cap ({size} bytes > {cap})");
                rec.verdict = "rejected".into();
                rec.reason = reason.clone();
                rec.errors = vec![reason];
                rec.stage = Stage::Failed;
            }
        }
        self.take(rec, &hash, &msg.headers, false)
    }

    fn knows_origin(&self, origin: &str) -> bool {
        self.ctx.store.knows_origin(origin).unwrap_or(false)
    }
}

impl Intake {
    /// Stores the record (and raw bytes, headers only unless queued), then
    /// wakes the parser for queued work.
    fn take(
        &self,
        rec: MessageRecord,
        hash: &str,
        bytes: &[u8],
        enqueue: bool,
    ) -> Result<Accepted, String> {
        let (message_id, verdict, reason, origin) = (
            rec.message_id.clone(),
            rec.verdict.clone(),
            rec.reason.clone(),
            rec.origin.clone(),
        );
        match self
            .ctx
            .store
            .accept_message(rec, hash, bytes, enqueue)
            .map_err(|e| e.to_string())?
        {
            Some(_) => {
                tracing::info!(%message_id, %verdict, %reason, %origin, "Message taken in");
                if enqueue {
                    poke("parser_pool");
                }
                Ok(Accepted::New)
            }
            None => {
                tracing::debug!(%message_id, "Duplicate message ignored");
                Ok(Accepted::Duplicate)
            }
        }
    }
}

impl Checkpoints for Intake {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.ctx.store.checkpoint(key).ok().flatten()
    }
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.ctx
            .store
            .set_checkpoint(key, value)
            .map_err(|e| e.to_string())
    }
}
