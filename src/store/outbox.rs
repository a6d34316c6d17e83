//! The outbox, kept in the tree `outbox`: one [`OutboxEntry`] per
//! notification (a crew member's day summary, a change, a cancellation, a
//! weather alert), keyed by crew + day version + channel
//! (`notify:CREW:DATE:vVERSION:CHANNEL`, `weather:CREW:DATE:HASH:CHANNEL`).
//!
//! An entry goes `queued → sending → sent`, or `→ failed_retrying → sending
//! …` while its provider refuses for now, or `→ dead` when it refuses for
//! good or the attempts run out. Every change is flushed before return: the
//! `sending` mark is on disk before the request leaves, so an entry found in
//! `sending` by a process that did not start that send was cut off between
//! request and record — its outcome is unknown and the provider is asked
//! (see the daemon's `outbox` module), never guessed.

use super::{Effect, Result, Store, StoreError};
use serde::{Deserialize, Serialize};

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Queued,
    /// A send was started; flushed before the request.
    Sending,
    Sent,
    /// Refused for now; tried again at `next_attempt`.
    FailedRetrying,
    /// Given up: refused for good, or out of attempts (`last_error` says).
    Dead,
}

/// What to send, rendered when the entry is made, so that every attempt
/// sends the same bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    pub subject: String,
    pub body: String,
    /// The short form for SMS.
    pub sms: String,
}

/// One notification in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxEntry {
    /// The idempotency key (see the module doc).
    pub key: String,
    pub crew: String,
    pub date: String,
    /// `email` or `sms`.
    pub channel: String,
    /// The message whose stage waits for this entry; `None` for weather
    /// alerts, which belong to no message.
    pub message: Option<String>,
    pub content: Notification,
    pub state: OutboxState,
    /// Sends started, the one in hand included.
    pub attempts: u32,
    /// Unix milliseconds before which no attempt is made.
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    /// The provider's id for the sent message (Twilio's `sid`).
    pub provider_id: Option<String>,
    /// The `Message-ID` every attempt of an e-mail carries, so a resend
    /// after an unknown outcome can be recognised as the same message.
    pub message_id: String,
    /// When the last send started (unix ms): a provider lookup after an
    /// unknown outcome searches from here.
    pub sending_since_ms: Option<i64>,
    /// The last attempt may have reached the provider (a timeout, a cut
    /// connection): the next attempt asks the provider first.
    #[serde(default)]
    pub in_doubt: bool,
    /// Resent after an unknown outcome to a provider that cannot be asked
    /// (SMTP): the recipient may have it twice.
    #[serde(default)]
    pub possible_duplicate: bool,
    /// The day version a day notification is about (`None` for weather
    /// alerts): a newer one for the same crew, day and channel supersedes
    /// an older one not yet sent.
    #[serde(default)]
    pub day_version: Option<u64>,
    /// Dead because this newer entry says it all (not a failure: nobody is
    /// asked about it).
    #[serde(default)]
    pub superseded_by: Option<String>,
}

impl OutboxEntry {
    /// A new entry, due now. An entry made by an older mp2 (an effect
    /// record under the same key) takes its state from it.
    pub fn new(
        key: &str,
        crew: &str,
        date: &str,
        channel: &str,
        message: Option<&str>,
        content: Notification,
    ) -> OutboxEntry {
        OutboxEntry {
            key: key.to_string(),
            crew: crew.to_string(),
            date: date.to_string(),
            channel: channel.to_string(),
            message: message.map(str::to_string),
            content,
            state: OutboxState::Queued,
            attempts: 0,
            next_attempt_ms: 0,
            last_error: None,
            provider_id: None,
            message_id: format!("<{}@mp2>", key.replace([':', '@'], "_")),
            sending_since_ms: None,
            in_doubt: false,
            possible_duplicate: false,
            day_version: None,
            superseded_by: None,
        }
    }

    /// Neither sent nor dead.
    pub fn open(&self) -> bool {
        !matches!(self.state, OutboxState::Sent | OutboxState::Dead)
    }
}

/// Entries by state, for `status` (`outbox` in CONTRACT §4's object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed_retrying: u64,
    pub dead: u64,
    /// Given up because a newer version of the day went out instead (not
    /// a failure; not in `dead`).
    #[serde(default)]
    pub superseded: u64,
    /// Sent again after an unknown outcome to a provider that cannot be
    /// asked (SMTP): at most this many crew messages arrived twice.
    pub possible_duplicates: u64,
}

const TREE: &str = "outbox";

impl Store {
    fn outbox_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree(TREE)?)
    }

    /// Removes every entry for one crew member (`purge --crew`); returns how
    /// many went.
    pub fn outbox_remove_crew(&self, crew: &str) -> Result<usize> {
        let t = self.outbox_tree()?;
        let mut n = 0;
        for e in self.outbox()? {
            if e.crew == crew {
                t.remove(e.key.as_bytes())?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Puts an entry in the outbox unless one with its key exists; returns
    /// the entry stored under the key. Flushed before return, so the stage
    /// that queued it may move on.
    pub fn outbox_enqueue(&self, mut entry: OutboxEntry) -> Result<OutboxEntry> {
        let tree = self.outbox_tree()?;
        if let Some(old) = tree.get(entry.key.as_bytes())? {
            return Ok(serde_json::from_slice(&old)?);
        }
        // A store written before the outbox kept only an effect mark.
        match self.effect(&entry.key)? {
            Some(Effect::Done) => entry.state = OutboxState::Sent,
            Some(Effect::Intent) => entry.state = OutboxState::Sending,
            None => {}
        }
        let json = serde_json::to_vec(&entry)?;
        let stored =
            match tree.compare_and_swap(entry.key.as_bytes(), None as Option<&[u8]>, Some(json))? {
                Ok(()) => entry,
                Err(cur) => match cur.current {
                    Some(v) => serde_json::from_slice(&v)?,
                    None => entry,
                },
            };
        self.flush()?;
        Ok(stored)
    }

    pub fn outbox_entry(&self, key: &str) -> Result<Option<OutboxEntry>> {
        self.outbox_tree()?
            .get(key.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(Into::into))
            .transpose()
    }

    /// Rewrites an entry; flushed before return (a `sending` mark must be on
    /// disk before the request, a `sent` one before anything relies on it).
    pub fn outbox_put(&self, entry: &OutboxEntry) -> Result<()> {
        let tree = self.outbox_tree()?;
        if tree.get(entry.key.as_bytes())?.is_none() {
            return Err(StoreError::NotFound(format!(
                "no outbox entry {}",
                entry.key
            )));
        }
        tree.insert(entry.key.as_bytes(), serde_json::to_vec(entry)?)?;
        self.flush()
    }

    /// Every entry, by key.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox_tree()?
            .iter()
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect()
    }

    /// Entries whose key starts with `prefix` (`notify:CREW:DATE:`).
    pub fn outbox_prefixed(&self, prefix: &str) -> Result<Vec<OutboxEntry>> {
        self.outbox_tree()?
            .scan_prefix(prefix.as_bytes())
            .values()
            .map(|v| {
                v.map_err(StoreError::from)
                    .and_then(|v| serde_json::from_slice(&v).map_err(Into::into))
            })
            .collect()
    }

    /// Entries still to send: queued, retrying, or found `sending`.
    pub fn outbox_open(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.outbox()?.into_iter().filter(|e| e.open()).collect())
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        let mut c = OutboxCounts::default();
        for e in self.outbox()? {
            match e.state {
                OutboxState::Queued => c.queued += 1,
                OutboxState::Sending => c.sending += 1,
                OutboxState::Sent => c.sent += 1,
                OutboxState::FailedRetrying => c.failed_retrying += 1,
                OutboxState::Dead if e.superseded_by.is_some() => c.superseded += 1,
                OutboxState::Dead => c.dead += 1,
            }
            if e.possible_duplicate {
                c.possible_duplicates += 1;
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> OutboxEntry {
        OutboxEntry::new(
            key,
            "anna",
            "2024-03-15",
            "sms",
            Some("m1"),
            Notification {
                subject: "s".into(),
                body: "b".into(),
                sms: "t".into(),
            },
        )
    }

    #[test]
    fn an_entry_is_queued_once_and_its_state_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            let e = s
                .outbox_enqueue(entry("notify:anna:2024-03-15:v1:sms"))
                .unwrap();
            assert_eq!(e.state, OutboxState::Queued);
            let mut e = e;
            e.state = OutboxState::Sending;
            e.attempts = 1;
            s.outbox_put(&e).unwrap();
            // Queuing it again changes nothing.
            let again = s
                .outbox_enqueue(entry("notify:anna:2024-03-15:v1:sms"))
                .unwrap();
            assert_eq!(again.state, OutboxState::Sending);
        }
        let s = Store::open(dir.path()).unwrap();
        let e = s
            .outbox_entry("notify:anna:2024-03-15:v1:sms")
            .unwrap()
            .unwrap();
        assert_eq!((e.state, e.attempts), (OutboxState::Sending, 1));
        assert_eq!(s.outbox_counts().unwrap().sending, 1);
        assert_eq!(e.message_id, "<notify_anna_2024-03-15_v1_sms@mp2>");
    }

    #[test]
    fn an_older_stores_effect_marks_become_entry_states() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.effect_done("notify:anna:2024-03-15:v1:sms").unwrap();
        s.effect_intent("notify:anna:2024-03-15:v1:email").unwrap();
        let done = s
            .outbox_enqueue(entry("notify:anna:2024-03-15:v1:sms"))
            .unwrap();
        let unknown = s
            .outbox_enqueue(entry("notify:anna:2024-03-15:v1:email"))
            .unwrap();
        assert_eq!(done.state, OutboxState::Sent);
        assert_eq!(unknown.state, OutboxState::Sending);
    }
}
