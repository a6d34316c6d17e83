//! Retry delays: the one place the `backoff` crate is used.
//!
//! `backoff` is unmaintained (its advisory points to `backon`); it still
//! works, and keeping it behind this one function makes the swap a one-file
//! change.

use backoff::backoff::Backoff;
use backoff::ExponentialBackoff;
use std::time::Duration;

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
