//! Retry delays and the classes of failure: the one place the `backoff`
//! crate is used.
//!
//! `backoff` is unmaintained (its advisory points to `backon`); it still
//! works, and keeping it behind this one function makes the swap a one-file
//! change.

use backoff::backoff::Backoff;
use backoff::ExponentialBackoff;
use std::time::Duration;

/// What a failed call to the outside means for the item it was for. Each
/// integration's error enum says which of these it is, from the error's
/// kind (a status code, an I/O error kind), never from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Not done, and worth trying again later: after `retry_after` when the
    /// provider said so (HTTP `Retry-After`), else after the backoff.
    Transient { retry_after: Option<Duration> },
    /// Not done, and never will be as asked (a malformed address, a request
    /// the provider refuses): the item fails now, with the reason.
    Permanent,
    /// The request may have reached the provider (a timeout, a cut
    /// connection): before trying again, ask the provider whether it did.
    InDoubt,
}

/// An error that knows its [`Class`].
pub trait Classified: std::fmt::Display {
    fn class(&self) -> Class;
}

impl<E: Classified> Classified for crate::guard::GuardError<E> {
    fn class(&self) -> Class {
        use crate::guard::GuardError;
        match self {
            // Refused before anything was sent.
            GuardError::Open(_) | GuardError::Unavailable(_) => {
                Class::Transient { retry_after: None }
            }
            // The request may be out; only the provider knows.
            GuardError::Timeout(..) => Class::InDoubt,
            GuardError::Failed(e) => e.class(),
        }
    }
}

/// The delay before retry number `attempt` (0-based): exponential from
/// `initial`, doubling, capped at `max`, with ±30 % jitter so that parts that
/// failed together do not retry together.
pub fn delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let mut b = ExponentialBackoff {
        current_interval: initial,
        initial_interval: initial,
        randomization_factor: 0.3,
        multiplier: 2.0,
        max_interval: max,
        max_elapsed_time: None,
        ..ExponentialBackoff::default()
    };
    let mut d = initial;
    for _ in 0..=attempt.min(32) {
        d = b.next_backoff().unwrap_or(max);
    }
    d.min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let i = Duration::from_millis(100);
        let m = Duration::from_secs(5);
        // Jitter is ±30 %, so each bound holds for every draw; draw often.
        for _ in 0..200 {
            let d0 = delay(0, i, m);
            assert!(
                d0 >= Duration::from_millis(70) && d0 <= Duration::from_millis(130),
                "{d0:?}"
            );
            assert!(delay(3, i, m) >= Duration::from_millis(560));
            let capped = delay(30, i, m);
            assert!(capped <= m && capped >= m.mul_f64(0.7), "{capped:?}");
        }
    }
}
