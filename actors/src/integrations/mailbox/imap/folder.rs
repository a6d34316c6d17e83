//! One session on the watched folder: log in, select, reconcile the
//! checkpoint, then loop — new mail first, one backfill batch, wait.
//!
//! Contract: returns only on failure or stop (the caller reconnects). The
//! checkpoint is saved after every batch, and also when a batch fails half
//! way, so the work done before the failure is not repeated.

use super::auth::{self, TokenCache};
use super::checkpoint::{Backfill, FolderMark};
use super::syntax::{folder_name, from_address, quoted, uid_set};
use super::wire::{self, Wire};
use super::{Watch, WatchError};
use crate::integrations::mailbox::{Accepted, Incoming, Withheld, WithheldWhy};
use imap::types::{Flag, UnsolicitedResponse};
use imap::Session;
use mp2::config::BackfillOrder;
use std::collections::{HashMap, VecDeque};

/// What the header scan learned about one message.
struct Head {
    size: u64,
    /// Carries `mark_keyword` already.
    marked: bool,
    from: Option<String>,
    /// The header block, for recording a message not downloaded whole.
    header: Vec<u8>,
}

/// Which position a scanned UID advances.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    Live,
    Backfill,
}

/// Counters for the log.
#[derive(Default, Debug)]
struct Tally {
    scanned: u64,
    not_listed: u64,
    already_marked: u64,
    too_big: u64,
    recorded: u64,
    new: u64,
    duplicate: u64,
}

/// Connects, logs in, selects and watches until something fails.
/// `went_up` is set once the folder is open, so the caller can reset its
/// reconnect backoff.
pub(super) fn watch(
    w: &Watch,
    tokens: &mut TokenCache,
    went_up: &mut bool,
) -> Result<(), WatchError> {
    if !is_atom(&w.imap.mark_keyword) {
        return Err(WatchError::Setup(format!(
            "mailbox.mark_keyword {:?} must be one word without spaces, brackets, quotes or wildcards, e.g. \"$MP2Handled\"",
            w.imap.mark_keyword
        )));
    }
    let secrets = (w.secrets)()
        .map_err(|e| WatchError::Setup(format!("cannot read the IMAP secrets: {e}")))?;
    let timeout = w.tuning.command_timeout;
    let client = w.guarded(|| wire::open(&w.imap, &w.stop, timeout))?;
    let mut session = w.guarded(|| auth::login(client, &w.imap, &secrets, tokens, timeout))?;
    drop(secrets);
    let caps = w.call("CAPABILITY", || session.capabilities())?;
    let (can_idle, can_move, uidplus) = (
        caps.has_str("IDLE"),
        caps.has_str("MOVE"),
        caps.has_str("UIDPLUS"),
    );
    drop(caps);
    let wire_name = folder_name(&w.imap.folder);
    let selected = match w.call("SELECT", || session.select(&wire_name)) {
        Err(e) if e.refusal().is_some() => {
            return Err(WatchError::Setup(format!(
                "cannot open IMAP folder {:?} ({}); check mailbox.folder",
                w.imap.folder,
                e.refusal().unwrap_or_default()
            )))
        }
        // Dovecot names a missing folder in UTF-8 in its NO, which the
        // `imap` crate cannot parse; LIST tells what really happened.
        Err(e) if e.unparsed() => {
            let pattern = quoted(&wire_name);
            if w.call("LIST", || session.list(Some(""), Some(&pattern)))
                .is_ok_and(|names| names.is_empty())
            {
                return Err(WatchError::Setup(format!(
                    "IMAP folder {:?} does not exist; check mailbox.folder",
                    w.imap.folder
                )));
            }
            return Err(e);
        }
        other => other?,
    };
    if selected.is_read_only {
        return Err(WatchError::Setup(format!(
            "IMAP folder {:?} is read-only, so handled messages cannot be marked; give the user write access or pick another mailbox.folder",
            w.imap.folder
        )));
    }
    let keyword = w.imap.mark_keyword.as_str();
    let keywords = selected.permanent_flags.iter().any(|f| match f {
        Flag::MayCreate => true,
        Flag::Custom(k) => k.eq_ignore_ascii_case(keyword),
        _ => false,
    });
    if !keywords {
        tracing::warn!(folder = %w.imap.folder, keyword, "The folder takes no keywords; handled messages are marked \\Seen instead");
    }
    let mut folder = Folder {
        w,
        session,
        key: format!("imap/{}@{}/{}", w.imap.username, w.imap.host, w.imap.folder),
        uidvalidity: selected.uid_validity.unwrap_or(0),
        keywords,
        can_idle,
        can_move,
        uidplus,
        mark: FolderMark {
            uidvalidity: 0,
            last_uid: 0,
            backfill: None,
        },
        queue: None,
        tally: Tally::default(),
    };
    folder.ensure_destination()?;
    folder.reconcile(selected.uid_next)?;
    w.links.health.up();
    *went_up = true;
    tracing::info!(folder = %w.imap.folder, uidvalidity = folder.uidvalidity, last_uid = folder.mark.last_uid, idle = can_idle && w.imap.idle, "IMAP watcher connected");
    folder.run()
}

/// An IMAP atom (RFC 3501 §9), what a keyword must be.
fn is_atom(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
}

struct Folder<'w> {
    w: &'w Watch,
    session: Session<Wire>,
    /// Checkpoint key: user, host and folder, so pointing the daemon at
    /// another mailbox never reuses a stale position.
    key: String,
    uidvalidity: u32,
    /// The folder keeps our keyword (PERMANENTFLAGS has it or `\*`).
    keywords: bool,
    can_idle: bool,
    can_move: bool,
    uidplus: bool,
    mark: FolderMark,
    /// The backfill's remaining UIDs in order; searched once per session.
    queue: Option<VecDeque<u32>>,
    tally: Tally,
}

impl Folder<'_> {
    /// Takes the stored position if it is for this UIDVALIDITY; otherwise
    /// starts over: new mail from now on, the rest as a backfill.
    fn reconcile(&mut self, uid_next: Option<u32>) -> Result<(), WatchError> {
        let stored = FolderMark::load(&*self.w.links.checkpoints, &self.key);
        match stored {
            Some(m) if m.uidvalidity == self.uidvalidity => {
                self.mark = m;
                return Ok(());
            }
            Some(m) => tracing::warn!(
                folder = %self.w.imap.folder,
                old = m.uidvalidity,
                new = self.uidvalidity,
                "The folder's UIDVALIDITY changed; rescanning it (already accepted messages are recognised and not handled twice)"
            ),
            None => {}
        }
        let all: Vec<u32> = self
            .w
            .call("SEARCH", || self.session.uid_search("ALL"))?
            .into_iter()
            .collect();
        let top = uid_next
            .map(|n| n.saturating_sub(1))
            .unwrap_or(0)
            .max(all.iter().copied().max().unwrap_or(0));
        let newest_first = self.w.imap.backfill == BackfillOrder::NewestFirst;
        let backfill = Backfill::plan(all, top, self.w.imap.backfill_limit, newest_first);
        if let Some(b) = &backfill {
            tracing::info!(folder = %self.w.imap.folder, messages = b.total, "Backfilling the messages already in the folder");
        }
        self.mark = FolderMark {
            uidvalidity: self.uidvalidity,
            last_uid: top,
            backfill,
        };
        self.mark.save(&*self.w.links.checkpoints, &self.key)
    }

    fn run(&mut self) -> Result<(), WatchError> {
        loop {
            self.catch_up()?;
            if self.backfill_batch()? {
                continue;
            }
            // Drain the queued untagged responses (unread they would pile
            // up; what `any` leaves is dropped with the drained queue). New
            // mail announced during our own commands is not announced again
            // in IDLE, so then look at once.
            let announced = self
                .session
                .take_all_unsolicited()
                .any(|r| matches!(r, UnsolicitedResponse::Exists(_)));
            if !announced {
                self.wait()?;
            }
        }
    }

    /// Looks at every UID above the high-water mark, oldest first.
    fn catch_up(&mut self) -> Result<(), WatchError> {
        let last = self.mark.last_uid;
        let Some(from) = last.checked_add(1) else {
            return Ok(());
        };
        let found = self.w.call("SEARCH", || {
            self.session.uid_search(format!("UID {from}:*"))
        })?;
        // `N:*` always matches the highest UID, even below N.
        let mut fresh: Vec<u32> = found.into_iter().filter(|u| *u > last).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        fresh.sort_unstable();
        for chunk in fresh.chunks(self.w.tuning.batch.max(1)) {
            self.scan(chunk, Lane::Live)?;
        }
        tracing::debug!(tally = ?self.tally, "IMAP catch-up done");
        Ok(())
    }

    /// One batch of the backfill; `true` when one ran.
    fn backfill_batch(&mut self) -> Result<bool, WatchError> {
        let Some(b) = &self.mark.backfill else {
            return Ok(false);
        };
        if self.queue.is_none() {
            let mut uids = match b.remaining() {
                Some((lo, hi)) => {
                    let found = self.w.call("SEARCH", || {
                        self.session.uid_search(format!("UID {lo}:{hi}"))
                    })?;
                    found
                        .into_iter()
                        .filter(|u| (lo..=hi).contains(u))
                        .collect()
                }
                None => Vec::new(),
            };
            b.order(&mut uids);
            self.queue = Some(uids.into());
        }
        let queue = self.queue.get_or_insert_with(VecDeque::new);
        let take = queue.len().min(self.w.tuning.batch.max(1));
        let chunk: Vec<u32> = queue.drain(..take).collect();
        if chunk.is_empty() {
            if let Some(b) = self.mark.backfill.take() {
                self.w.links.health.progress(b.total, b.total);
                tracing::info!(folder = %self.w.imap.folder, messages = b.total, tally = ?self.tally, "Backfill finished");
            }
            self.queue = None;
            self.mark.save(&*self.w.links.checkpoints, &self.key)?;
            return Ok(false);
        }
        self.scan(&chunk, Lane::Backfill)?;
        Ok(true)
    }

    /// Headers of `uids`, then each one considered in the given order; the
    /// position advances past each message looked at and is saved at the end,
    /// also when a message fails.
    fn scan(&mut self, uids: &[u32], lane: Lane) -> Result<(), WatchError> {
        let heads = self.heads(uids)?;
        let mut outcome = Ok(());
        for &uid in uids {
            if let Some(head) = heads.get(&uid) {
                if let Err(e) = self.consider(uid, head) {
                    outcome = Err(e);
                    break;
                }
            }
            self.tally.scanned += 1;
            match lane {
                Lane::Live => self.mark.last_uid = self.mark.last_uid.max(uid),
                Lane::Backfill => {
                    if let Some(b) = &mut self.mark.backfill {
                        b.advance(uid);
                    }
                }
            }
        }
        let saved = self.mark.save(&*self.w.links.checkpoints, &self.key);
        if let (Lane::Backfill, Some(b)) = (lane, &self.mark.backfill) {
            self.w.links.health.progress(b.done, b.total);
        }
        outcome.and(saved)
    }

    fn heads(&mut self, uids: &[u32]) -> Result<HashMap<u32, Head>, WatchError> {
        let set = uid_set(uids);
        let fetched = self.w.call("FETCH headers", || {
            self.session
                .uid_fetch(&set, "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])")
        })?;
        let keyword = self.w.imap.mark_keyword.as_str();
        let mut heads = HashMap::with_capacity(uids.len());
        for f in fetched.iter() {
            let Some(uid) = f.uid else { continue };
            let marked = f
                .flags()
                .iter()
                .any(|fl| matches!(fl, Flag::Custom(k) if k.eq_ignore_ascii_case(keyword)));
            let from = f.header().and_then(from_address);
            heads.insert(
                uid,
                Head {
                    size: f.size.map(u64::from).unwrap_or(0),
                    marked,
                    from,
                    header: f.header().map(<[u8]>::to_vec).unwrap_or_default(),
                },
            );
        }
        Ok(heads)
    }

    /// Decides about one message and, for a candidate, downloads, hands over
    /// and marks it.
    fn consider(&mut self, uid: u32, head: &Head) -> Result<(), WatchError> {
        let origin = format!("imap:{}:{}:{}", self.w.imap.folder, self.uidvalidity, uid);
        let known = self.w.links.sink.knows_origin(&origin);
        // A mark the store does not know of is a store that lost what it
        // had taken (rolled back by a power cut, restored from a backup):
        // the server's mark is not proof, the store is, so take it again.
        if self.keywords && head.marked && known {
            self.tally.already_marked += 1;
            // Marked but still here: a move that failed last time.
            return self.relocate(uid);
        }
        let listed = head
            .from
            .as_deref()
            .is_some_and(|a| mp2::mail::sender_listed(a, &self.w.filter));
        if !listed {
            self.tally.not_listed += 1;
            if known {
                return Ok(());
            }
            // History shows every message seen (CONTRACT §4b); somebody
            // else's mail is recorded by its headers and left unmarked.
            return self.record(origin, head, WithheldWhy::NotListed);
        }
        if known {
            // Accepted before, but the mark did not make it (crash, lost
            // connection): only the mark is missing.
            return self.acknowledge(uid);
        }
        let cap = self.w.filter.max_message_bytes as u64;
        if head.size > cap {
            self.tally.too_big += 1;
            tracing::warn!(%origin, bytes = head.size, cap, "A message above filter.max_message_bytes is recorded by its headers, not downloaded");
            let why = WithheldWhy::OverCap {
                size: head.size,
                cap,
            };
            self.record(origin, head, why)?;
            return self.acknowledge(uid);
        }
        let Some(bytes) = self.body(uid)? else {
            return Ok(()); // expunged meanwhile
        };
        match self.w.links.sink.accept(Incoming {
            origin: origin.clone(),
            bytes,
        }) {
            Ok(Accepted::New) => self.tally.new += 1,
            Ok(Accepted::Duplicate) => self.tally.duplicate += 1,
            Err(reason) => return Err(WatchError::Sink { origin, reason }),
        }
        tracing::debug!(%origin, "Message handed to the pipeline");
        self.acknowledge(uid)
    }

    /// Hands a message's headers to history without downloading it.
    fn record(&mut self, origin: String, head: &Head, why: WithheldWhy) -> Result<(), WatchError> {
        let withheld = Withheld {
            origin: origin.clone(),
            headers: head.header.clone(),
            why,
        };
        match self.w.links.sink.record(withheld) {
            Ok(_) => {
                self.tally.recorded += 1;
                Ok(())
            }
            Err(reason) => Err(WatchError::Sink { origin, reason }),
        }
    }

    fn body(&mut self, uid: u32) -> Result<Option<Vec<u8>>, WatchError> {
        let fetched = self.w.call("FETCH body", || {
            self.session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
        })?;
        let body = fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec);
        Ok(body)
    }

    /// Marks a handed-over message so it is never offered again: the keyword
    /// (or `\Seen`), then the move when `move_to` is set.
    fn acknowledge(&mut self, uid: u32) -> Result<(), WatchError> {
        let set = uid.to_string();
        let flag = if self.keywords {
            self.w.imap.mark_keyword.clone()
        } else {
            "\\Seen".to_string()
        };
        if self.keywords || self.w.imap.move_to.is_none() {
            self.w.call("STORE", || {
                self.session
                    .uid_store(&set, format!("+FLAGS.SILENT ({flag})"))
            })?;
        }
        self.relocate(uid)
    }

    /// Moves a handled message to `move_to`, if set.
    fn relocate(&mut self, uid: u32) -> Result<(), WatchError> {
        let Some(dest) = self.w.imap.move_to.as_deref() else {
            return Ok(());
        };
        match self.transfer(&uid.to_string(), &folder_name(dest)) {
            Err(e) if e.refusal().is_some() => Err(WatchError::Setup(format!(
                "cannot move handled messages to IMAP folder {dest:?} ({}); check mailbox.move_to",
                e.refusal().unwrap_or_default()
            ))),
            other => other,
        }
    }

    /// Creates the `move_to` folder when it is missing. Done up front, not on
    /// a TRYCREATE answer: Dovecot's answer then quotes the folder name in
    /// UTF-8, which the `imap` crate cannot parse.
    fn ensure_destination(&mut self) -> Result<(), WatchError> {
        let Some(dest) = self.w.imap.move_to.as_deref() else {
            return Ok(());
        };
        let wire_name = folder_name(dest);
        let pattern = quoted(&wire_name);
        let listed = self
            .w
            .call("LIST", || self.session.list(Some(""), Some(&pattern)))?;
        if listed.is_empty() {
            drop(listed);
            tracing::info!(
                folder = dest,
                "Creating the IMAP folder for handled messages"
            );
            self.w
                .call("CREATE", || self.session.create(&wire_name))
                .map_err(|e| match e {
                    e if e.refusal().is_some() => WatchError::Setup(format!(
                    "cannot create IMAP folder {dest:?} ({}); create it or check mailbox.move_to",
                    e.refusal().unwrap_or_default()
                )),
                    other => other,
                })?;
        }
        Ok(())
    }

    fn transfer(&mut self, set: &str, dest: &str) -> Result<(), WatchError> {
        if self.can_move {
            return self.w.call("MOVE", || self.session.uid_mv(set, dest));
        }
        self.w
            .call("COPY", || self.session.uid_copy(set, quoted(dest)))?;
        self.w.call("STORE", || {
            self.session.uid_store(set, "+FLAGS.SILENT (\\Deleted)")
        })?;
        // Without UIDPLUS a plain EXPUNGE would also remove messages someone
        // else flagged \Deleted; leave ours for the client that expunges.
        if self.uidplus {
            self.w.call("EXPUNGE", || self.session.uid_expunge(set))?;
        }
        Ok(())
    }

    /// Waits for the folder to change (IDLE) or for the poll interval.
    fn wait(&mut self) -> Result<(), WatchError> {
        if self.w.imap.idle && self.can_idle {
            let renew = self.w.tuning.idle_renew;
            self.w.call("IDLE", || {
                let mut idle = self.session.idle();
                idle.timeout(renew).keepalive(false);
                idle.wait_while(|r| {
                    !matches!(
                        r,
                        UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Bye { .. }
                    )
                })
            })?;
            Ok(())
        } else if self.w.pause(self.w.imap.poll_interval) {
            Ok(())
        } else {
            Err(WatchError::Stopped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_atom;

    #[test]
    fn keywords_must_be_atoms() {
        assert!(is_atom("$MP2Handled"));
        assert!(is_atom("mp2-handled"));
        for bad in [
            "",
            "two words",
            "a(b",
            "x*",
            "q\"",
            "back\\slash",
            "br]",
            "zażółć",
        ] {
            assert!(!is_atom(bad), "{bad}");
        }
    }
}
