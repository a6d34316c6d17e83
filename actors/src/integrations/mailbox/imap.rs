//! The IMAP watcher: one blocking thread that keeps a session on the
//! configured folder and hands schedule candidates to the [`Sink`].
//!
//! Contract:
//! - **Receives** new messages by IDLE (re-issued every
//!   [`Tuning::idle_renew`], well inside RFC 2177's 29 minutes), or by polling
//!   at `poll_interval` when the server has no IDLE or `idle = false`.
//! - **Reads headers first**: `UID RFC822.SIZE FLAGS BODY.PEEK[HEADER]` for
//!   every new UID; only messages whose outer `From:` address is listed in
//!   `[filter].senders` and that fit `max_message_bytes` are downloaded
//!   (`BODY.PEEK[]`, so nothing is marked read by looking). The others still
//!   reach `history` (CONTRACT §4b) through [`Sink::record`] by their
//!   headers: an unlisted sender's mail is left unmarked (not ours), mail
//!   over the cap is recorded as failed and marked. Messages already
//!   carrying `mark_keyword` are skipped when the store knows them; a mark
//!   the store does not know (a store rolled back by a power cut or restored
//!   from a backup) is taken again.
//! - **Emits** each candidate to [`Sink::accept`] as
//!   `imap:FOLDER:UIDVALIDITY:UID`, and **acknowledges** only after `Ok`: it
//!   sets `mark_keyword` (or `\Seen` where the folder takes no keywords) or
//!   moves the message to `move_to`. A crash in between re-delivers; the sink's
//!   dedupe absorbs it.
//! - **Persists** UIDVALIDITY, the last UID looked at, and backfill progress
//!   through [`Checkpoints`] after every batch. A changed UIDVALIDITY rescans
//!   the folder like a first start.
//! - **Backfills** on a first start: the messages already there, newest (or
//!   oldest) first, at most `backfill_limit`, [`Tuning::batch`] at a time with
//!   a look for new mail between batches; progress goes to
//!   [`Health::progress`].
//! - **Guards** every server call with [`Gate::admit`]/[`Gate::report`];
//!   reconnects after any failure with jittered exponential backoff
//!   ([`crate::runtime::retry`]); a refused login or an untrusted certificate is
//!   reported through [`Health::down`] and retried only every
//!   [`Tuning::operator_retry`], re-reading the secrets, so fixing the file
//!   is enough.
//! - **Stops** within about [`Tuning::stop_tick`] of the stop flag being
//!   raised, from any state (connecting, IDLE, backoff).
//!
//! Layout: `wire` (TCP/TLS stream), `auth` (LOGIN, PLAIN, XOAUTH2 and the
//! token refresh), `folder` (the session on one folder: scan, accept, mark,
//! wait), `checkpoint` (the persisted position), `syntax` (From address,
//! UID sets, folder names).

mod auth;
mod checkpoint;
mod folder;
mod syntax;
mod wire;

use super::{Checkpoints, Gate, Health, Sink};
use mp2::config::{Config, Filter, Imap, ImapAuth, Mailbox};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The secrets named by the `*_file` keys, read afresh before every login.
#[derive(Clone, Default)]
pub struct Secrets {
    pub password: Option<String>,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &Option<String>| if s.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Secrets")
            .field("password", &shown(&self.password))
            .field("client_secret", &shown(&self.client_secret))
            .field("refresh_token", &shown(&self.refresh_token))
            .finish()
    }
}

impl Secrets {
    /// Reads what the configured auth method needs, via [`Config::read_secret`].
    pub fn read(cfg: &Config) -> Result<Secrets, String> {
        let Mailbox::Imap(imap) = &cfg.mailbox else {
            return Err("the mailbox is not IMAP".into());
        };
        let mut s = Secrets::default();
        match (imap.auth, &imap.oauth2) {
            (ImapAuth::Xoauth2, Some(o)) => {
                s.client_secret = Some(cfg.read_secret(&o.client_secret_file)?);
                s.refresh_token = Some(cfg.read_secret(&o.refresh_token_file)?);
            }
            (ImapAuth::Xoauth2, None) => {
                return Err("auth = \"xoauth2\" needs [mailbox.oauth2]".into())
            }
            _ => {
                let file = imap
                    .password_file
                    .as_ref()
                    .ok_or("mailbox.password_file is not set")?;
                s.password = Some(cfg.read_secret(file)?);
            }
        }
        Ok(s)
    }
}

/// Where the secrets come from; called before every login so a corrected
/// file is picked up without a restart.
pub type SecretSource = Arc<dyn Fn() -> Result<Secrets, String> + Send + Sync>;

/// The rest of the daemon, as the watcher sees it.
#[derive(Clone)]
pub struct Links {
    pub sink: Arc<dyn Sink>,
    pub checkpoints: Arc<dyn Checkpoints>,
    pub gate: Arc<dyn Gate>,
    pub health: Arc<dyn Health>,
}

/// Timings and sizes; the defaults suit a real server, tests shrink them.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// How long a command may wait for the server (`[integrations.imap].timeout`).
    pub command_timeout: Duration,
    /// IDLE is ended and re-issued this often (RFC 2177: under 29 minutes).
    pub idle_renew: Duration,
    /// First and largest pause between reconnects after a failure.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// Pause after a failure only the operator can fix (login refused,
    /// untrusted certificate, missing folder or secret).
    pub operator_retry: Duration,
    /// Messages looked at per round; new mail is checked between rounds.
    pub batch: usize,
    /// How often waits look at the stop flag.
    pub stop_tick: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            command_timeout: Duration::from_secs(30),
            idle_renew: Duration::from_secs(10 * 60),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(5 * 60),
            operator_retry: Duration::from_secs(5 * 60),
            batch: 50,
            stop_tick: wire::TICK,
        }
    }
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("stopping")]
    Stopped,
    #[error("cannot reach IMAP server {host}:{port}: {source}; check mailbox.host and mailbox.port and that the server is up")]
    Connect {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("TLS certificate of {host} is not trusted ({reason}); if the server uses a private CA, set mailbox.ca_file to that CA's PEM file")]
    Certificate { host: String, reason: String },
    #[error("TLS with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("IMAP login refused for user {user}: check {what} (server said: {said})")]
    LoginRefused {
        user: String,
        what: &'static str,
        said: String,
    },
    #[error("OAuth2 token refresh at {url} failed: {reason}")]
    Token { url: String, reason: String },
    #[error("IMAP calls are held back: {0}")]
    Gate(String),
    #[error("IMAP {during} failed: {source}; reconnecting")]
    Imap {
        during: &'static str,
        source: Box<imap::Error>,
    },
    #[error("the store did not take {origin}: {reason}; it will be offered again")]
    Sink { origin: String, reason: String },
    #[error("cannot save the IMAP checkpoint: {0}")]
    Checkpoint(String),
    #[error("{0}")]
    Setup(String),
}

impl WatchError {
    fn imap(during: &'static str, e: imap::Error) -> WatchError {
        WatchError::Imap {
            during,
            source: Box::new(e),
        }
    }

    /// The server's text when it answered NO.
    fn refusal(&self) -> Option<&str> {
        match self {
            WatchError::Imap { source, .. } => match &**source {
                imap::Error::No(no) => Some(&no.information),
                _ => None,
            },
            _ => None,
        }
    }

    /// The `imap` crate reports a response it cannot parse as a BYE.
    fn unparsed(&self) -> bool {
        matches!(self, WatchError::Imap { source, .. } if matches!(**source, imap::Error::Bye(_)))
    }

    /// Failures that retrying soon cannot fix.
    fn needs_operator(&self) -> bool {
        matches!(
            self,
            WatchError::Certificate { .. } | WatchError::LoginRefused { .. } | WatchError::Setup(_)
        ) || matches!(self, WatchError::Token { reason, .. } if reason.contains("invalid_grant") || reason.contains("invalid_client"))
    }
}

/// Starts the watcher thread. It runs until `stop` is raised, then returns
/// within about [`Tuning::stop_tick`] (plus a command in flight).
pub fn spawn(
    imap: Imap,
    filter: Filter,
    secrets: SecretSource,
    links: Links,
    tuning: Tuning,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    let watch = Watch {
        imap,
        filter,
        secrets,
        links,
        tuning,
        stop,
    };
    std::thread::Builder::new()
        .name("imap-watcher".into())
        .spawn(move || watch.run())
}

/// Everything one watcher thread needs.
struct Watch {
    imap: Imap,
    filter: Filter,
    secrets: SecretSource,
    links: Links,
    tuning: Tuning,
    stop: Arc<AtomicBool>,
}

impl Watch {
    fn run(self) {
        let mut tokens = auth::TokenCache::default();
        let mut failures_in_a_row = 0u32;
        while !self.stopping() {
            let mut went_up = false;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                folder::watch(&self, &mut tokens, &mut went_up)
            }));
            let err = match outcome {
                Ok(Ok(())) | Ok(Err(WatchError::Stopped)) => break,
                Ok(Err(e)) => e,
                // The `imap` crate asserts on some unexpected server input;
                // that is a broken session, not a reason to lose the thread.
                Err(_) => WatchError::Setup(
                    "the IMAP client hit an unexpected server response; reconnecting".into(),
                ),
            };
            if self.stopping() {
                break;
            }
            if went_up {
                failures_in_a_row = 0;
            }
            self.links.health.down(&err.to_string());
            let wait = if err.needs_operator() {
                self.tuning.operator_retry
            } else {
                // Doubling from retry_min, capped, ±30 % jitter so many
                // daemons do not hammer a restarted server in step.
                crate::runtime::retry::delay(
                    failures_in_a_row,
                    self.tuning.retry_min,
                    self.tuning.retry_max,
                )
            };
            failures_in_a_row += 1;
            if failures_in_a_row == 1 || err.needs_operator() {
                tracing::warn!(error = %err, retry_in_s = wait.as_secs_f32(), "IMAP watcher lost its session");
            } else {
                tracing::debug!(error = %err, retry_in_s = wait.as_secs_f32(), "IMAP watcher still failing");
            }
            if !self.pause(wait) {
                break;
            }
        }
        tracing::info!(folder = %self.imap.folder, "IMAP watcher stopped");
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps, looking at the stop flag; `false` when asked to stop.
    fn pause(&self, how_long: Duration) -> bool {
        let until = Instant::now() + how_long;
        loop {
            if self.stopping() {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            std::thread::sleep((until - now).min(self.tuning.stop_tick));
        }
    }

    /// Runs one server call through the breaker and limiter. A NO or BAD is
    /// the server working and declining, so only transport trouble counts
    /// against the breaker.
    fn call<T>(
        &self,
        during: &'static str,
        f: impl FnOnce() -> imap::Result<T>,
    ) -> Result<T, WatchError> {
        self.guarded(|| f().map_err(|e| WatchError::imap(during, e)))
    }

    fn guarded<T>(&self, f: impl FnOnce() -> Result<T, WatchError>) -> Result<T, WatchError> {
        if self.stopping() {
            return Err(WatchError::Stopped);
        }
        self.links.gate.admit().map_err(WatchError::Gate)?;
        let result = f();
        if self.stopping() {
            return Err(WatchError::Stopped);
        }
        let server_answered = match &result {
            Ok(_) => true,
            Err(WatchError::Imap { source, .. }) => {
                matches!(**source, imap::Error::No(_) | imap::Error::Bad(_))
            }
            Err(
                WatchError::LoginRefused { .. }
                | WatchError::Certificate { .. }
                | WatchError::Setup(_),
            ) => true,
            Err(_) => false,
        };
        self.links.gate.report(server_answered);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_failures_are_told_apart() {
        let refused = WatchError::LoginRefused {
            user: "plan".into(),
            what: "mailbox.password_file",
            said: "no".into(),
        };
        assert!(refused.needs_operator());
        assert!(refused
            .to_string()
            .starts_with("IMAP login refused for user plan: check mailbox.password_file"));
        assert!(!WatchError::Gate("open".into()).needs_operator());
        let grant = WatchError::Token {
            url: "u".into(),
            reason: "HTTP 400: invalid_grant".into(),
        };
        assert!(grant.needs_operator());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secrets {
            password: Some("hunter2".into()),
            ..Secrets::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
