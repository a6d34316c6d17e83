//! What a failure means for the message it happened to, and when to try
//! that message again.
//!
//! Every error a stage meets is a typed error of its boundary (the store's,
//! a guard's, a provider's); each says its [`ErrorClass`] through
//! [`Classify`], from its variant — never from its text:
//! - **transient**: waiting may fix it (a server down or busy, a timeout);
//!   try again with backoff, at the server's `Retry-After` when it sent one,
//!   and after `daemon.retry_limit` counted attempts give the message up;
//! - **permanent**: the same request will fail the same way (a 4xx refusal,
//!   an event that cannot be built); give the message up now, with the reason;
//! - **operator**: a person must change a setting or a secret; keep the
//!   message, try again slowly, and say what to do in `status`.
//!
//! [`RetryPolicy`] turns a failure and the message's [`RetryState`] into the
//! next state or a give-up; the stage actor ([`crate::runtime::pipeline`]) applies it.

use crate::integrations::calendar::CalendarError;
use crate::runtime::guard::GuardError;
use chrono::{DateTime, Utc};
use mp2::store::{RetryState, StoreError};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Transient,
    Permanent,
    Operator,
}

/// An error that knows its class.
pub trait Classify: std::fmt::Display {
    fn class(&self) -> ErrorClass;
    /// How long the server asked us to wait, when it did.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// False when the call was never made (an open breaker refused it): such
    /// a refusal says nothing about the message and does not count toward
    /// its limit.
    fn counts(&self) -> bool {
        true
    }
    /// True when the request may have reached the provider although the
    /// call failed (a timeout, a cut connection): before it is made again,
    /// the provider must be asked whether it took it (see `crate::stages::outbox`).
    fn in_doubt(&self) -> bool {
        false
    }
}

/// A classified failure of one stage on one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: ErrorClass,
    pub error: String,
    pub retry_after: Option<Duration>,
    pub counts: bool,
}

impl Failure {
    pub fn of<E: Classify + ?Sized>(context: &str, e: &E) -> Failure {
        Failure {
            class: e.class(),
            error: if context.is_empty() {
                e.to_string()
            } else {
                format!("{context}: {e}")
            },
            retry_after: e.retry_after(),
            counts: e.counts(),
        }
    }

    /// A failure known only by its text: transient, waiting `after`.
    pub fn transient(error: String, after: Duration) -> Failure {
        Failure {
            class: ErrorClass::Transient,
            error,
            retry_after: Some(after),
            counts: true,
        }
    }
}

impl Classify for StoreError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Transient
    }
}

impl Classify for CalendarError {
    fn class(&self) -> ErrorClass {
        match self {
            CalendarError::Config(_)
            | CalendarError::Secret(_)
            | CalendarError::Credentials { .. }
            | CalendarError::TokenInvalid { .. }
            | CalendarError::Untrusted { .. }
            | CalendarError::TokenRefused { .. }
            | CalendarError::TokenRefresh { operator: true, .. } => ErrorClass::Operator,
            CalendarError::Event(_) => ErrorClass::Permanent,
            // 408 and 429 are the server's way of saying "later".
            CalendarError::Refused { status, .. } if *status == 408 || *status == 429 => {
                ErrorClass::Transient
            }
            CalendarError::Refused { status, .. } if (400..500).contains(status) => {
                ErrorClass::Permanent
            }
            CalendarError::Refused { .. }
            | CalendarError::Unreachable { .. }
            | CalendarError::TokenRefresh { .. }
            | CalendarError::Busy { .. }
            | CalendarError::Conflict { .. }
            | CalendarError::Store(_)
            | CalendarError::File(_) => ErrorClass::Transient,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        CalendarError::retry_after(self)
    }
}

impl<E: Classify> Classify for GuardError<E> {
    fn class(&self) -> ErrorClass {
        match self {
            GuardError::Failed(e) => e.class(),
            GuardError::Open(_) | GuardError::Unavailable(_) | GuardError::Timeout(..) => {
                ErrorClass::Transient
            }
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            GuardError::Failed(e) => e.retry_after(),
            _ => None,
        }
    }

    fn counts(&self) -> bool {
        match self {
            GuardError::Open(_) | GuardError::Unavailable(_) => false,
            GuardError::Timeout(..) => true,
            GuardError::Failed(e) => e.counts(),
        }
    }

    fn in_doubt(&self) -> bool {
        match self {
            GuardError::Open(_) | GuardError::Unavailable(_) => false,
            // The request may be out; only the provider knows.
            GuardError::Timeout(..) => true,
            GuardError::Failed(e) => e.in_doubt(),
        }
    }
}

/// What to do with a message after a failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Keep it; try again at `state.next_attempt`.
    Again(RetryState),
    /// Give it up: `failed` with this reason.
    GiveUp { reason: String, attempts: u32 },
}

/// `daemon.retry_*`: the one place retry timing is decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub limit: u32,
    pub first: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    pub fn from_config(cfg: &mp2::config::Config) -> RetryPolicy {
        RetryPolicy {
            limit: cfg.daemon.retry_limit.max(1),
            first: cfg.daemon.retry_first,
            max: cfg.daemon.retry_max.max(cfg.daemon.retry_first),
        }
    }

    /// The next state of a message that failed with `f` at `now`.
    pub fn after(&self, prev: Option<&RetryState>, f: &Failure, now: DateTime<Utc>) -> Verdict {
        let before = prev.map(|p| p.attempts).unwrap_or(0);
        let attempts = before + u32::from(f.counts && f.class != ErrorClass::Operator);
        if f.class == ErrorClass::Permanent {
            return Verdict::GiveUp {
                reason: f.error.clone(),
                attempts: attempts.max(1),
            };
        }
        if attempts >= self.limit {
            return Verdict::GiveUp {
                reason: format!("gave up after {attempts} attempts: {}", f.error),
                attempts,
            };
        }
        let wait = match f.class {
            // A person must act first; asking often only fills the log.
            ErrorClass::Operator => self.max.min(Duration::from_secs(60)),
            _ => crate::runtime::retry::delay(attempts.saturating_sub(1), self.first, self.max),
        };
        // The server's own word wins when it asks for longer.
        let wait = f
            .retry_after
            .map_or(wait, |asked| wait.max(asked.min(self.max)));
        Verdict::Again(RetryState {
            attempts,
            next_attempt: Some(now + chrono::Duration::from_std(wait).unwrap_or_default()),
            last_error: f.error.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            limit: 3,
            first: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn again(v: Verdict) -> RetryState {
        match v {
            Verdict::Again(s) => s,
            other => panic!("expected another attempt, got {other:?}"),
        }
    }

    #[test]
    fn transient_failures_back_off_then_give_up_at_the_limit() {
        let p = policy();
        let f = Failure::of("", &CalendarError::File("disk full".into()));
        let s1 = again(p.after(None, &f, now()));
        assert_eq!(s1.attempts, 1);
        let w1 = s1.next_attempt.unwrap() - now();
        assert!(
            w1 >= chrono::Duration::milliseconds(700) && w1 <= chrono::Duration::milliseconds(1300),
            "{w1}"
        );
        let s2 = again(p.after(Some(&s1), &f, now()));
        assert_eq!(s2.attempts, 2);
        assert!(s2.next_attempt.unwrap() - now() >= chrono::Duration::milliseconds(1400));
        match p.after(Some(&s2), &f, now()) {
            Verdict::GiveUp { reason, attempts } => {
                assert_eq!(attempts, 3);
                assert!(
                    reason.contains("gave up after 3 attempts") && reason.contains("disk full"),
                    "{reason}"
                );
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn permanent_gives_up_at_once_and_operator_never_counts() {
        let p = policy();
        let refused = CalendarError::Refused {
            url: "http://x/".into(),
            status: 403,
            body: "no".into(),
        };
        assert!(matches!(
            p.after(None, &Failure::of("", &refused), now()),
            Verdict::GiveUp { attempts: 1, .. }
        ));
        let creds = CalendarError::Credentials {
            url: "http://x/".into(),
            status: 401,
        };
        let mut s = None;
        for _ in 0..10 {
            s = Some(again(p.after(s.as_ref(), &Failure::of("", &creds), now())));
        }
        assert_eq!(s.unwrap().attempts, 0);
    }

    #[test]
    fn an_open_breaker_does_not_count_and_retry_after_is_honoured() {
        let p = policy();
        let open: GuardError<CalendarError> = GuardError::Open("calendar");
        let s = again(p.after(None, &Failure::of("", &open), now()));
        assert_eq!(s.attempts, 0);
        let busy: GuardError<CalendarError> = GuardError::Failed(CalendarError::Busy {
            url: "http://x/".into(),
            status: 503,
            retry_after: Some(Duration::from_secs(7)),
        });
        let s = again(p.after(None, &Failure::of("", &busy), now()));
        assert_eq!(s.attempts, 1);
        assert!(s.next_attempt.unwrap() - now() >= chrono::Duration::seconds(7));
        let server_error = CalendarError::Refused {
            url: "http://x/".into(),
            status: 500,
            body: String::new(),
        };
        assert_eq!(server_error.class(), ErrorClass::Transient);
    }
}
