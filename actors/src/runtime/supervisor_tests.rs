//! The restart policy on tokio's paused clock: `advance` moves time exactly,
//! so the intensity window and the period edge are tested to the millisecond
//! without waiting for them.

use super::*;
use crate::runtime::ctx::HealthBoard;
use std::sync::Arc;
use tokio::time::advance;

/// The policy as the daemon builds it, from a config with
/// `restart_intensity = 3`, `restart_period = "60s"`, `down_retry = "30s"`.
fn policy() -> (RestartPolicy, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let text = mp2::config::DEMO_TOML.replace(
        "fault_injection = true",
        "fault_injection = false\nrestart_intensity = 3\nrestart_period = \"60s\"\ndown_retry = \"30s\"",
    );
    let cfg = mp2::config::Config::from_str_at(&text, &dir.path().join("mp2.toml")).unwrap();
    let (_tx, stopping) = tokio::sync::watch::channel(false);
    let ctx = Ctx {
        cfg: Arc::new(cfg),
        store: mp2::store::Store::open(dir.path()).unwrap(),
        health: Arc::new(HealthBoard::default()),
        stopping,
    };
    let p = RestartPolicy::from_ctx(&ctx);
    assert_eq!(
        (p.intensity, p.period, p.down_retry),
        (3, Duration::from_secs(60), Duration::from_secs(30))
    );
    (p, dir)
}

/// The bounds of backoff number `attempt`: `initial · 2^attempt`, capped at
/// `max`, with the ±30 % jitter of `retry::delay` (never above `max`).
fn bounds(p: &RestartPolicy, attempt: u32) -> (Duration, Duration) {
    let nominal = p
        .initial_delay
        .saturating_mul(1 << attempt)
        .min(p.max_delay);
    let slack = Duration::from_millis(1); // float rounding in the jitter
    (
        nominal.mul_f64(0.7).saturating_sub(slack),
        nominal.mul_f64(1.3).min(p.max_delay) + slack,
    )
}

#[tokio::test(start_paused = true)]
async fn supervisor_restarts_a_failing_child_with_growing_delays() {
    let (mut p, _dir) = policy();
    // Room for enough restarts to reach the cap within one period.
    p.intensity = 8;
    p.period = Duration::from_secs(60);
    let mut recent = VecDeque::new();
    let mut delays = Vec::new();
    for attempt in 0..8 {
        let d = p.decide(&mut recent, Instant::now());
        assert_eq!(d, Restart::After { attempt }, "exit number {}", attempt + 1);
        let delay = p.delay(d);
        let (lo, hi) = bounds(&p, attempt);
        assert!(
            delay >= lo && delay <= hi,
            "attempt {attempt}: {delay:?} not in {lo:?}..={hi:?}"
        );
        delays.push(delay);
        // The child is restarted after the delay and fails at once again.
        advance(delay).await;
    }
    // 200 ms doubling: from attempt 3 (1.6 s nominal) on, jitter cannot
    // hide the growth; from attempt 5 on the 5 s cap holds.
    assert!(delays[3] > delays[0] * 4, "{delays:?}");
    assert!(delays[5..].iter().all(|d| *d <= p.max_delay), "{delays:?}");
    assert!(delays[4] > delays[1], "{delays:?}");
}

#[tokio::test(start_paused = true)]
async fn supervisor_marks_a_child_down_after_intensity_and_retries_after_down_retry() {
    let (p, _dir) = policy();
    let mut recent = VecDeque::new();
    // `restart_intensity` (3) restarts within the period are allowed...
    for attempt in 0..3 {
        assert_eq!(
            p.decide(&mut recent, Instant::now()),
            Restart::After { attempt }
        );
        advance(Duration::from_secs(1)).await;
    }
    // ...one more within `restart_period` marks the part down, and it is
    // tried again after exactly `down_retry`.
    let down = p.decide(&mut recent, Instant::now());
    assert_eq!(down, Restart::Down);
    assert_eq!(p.delay(down), Duration::from_secs(30));
    // Tried again after the rest (shorter than the period, so the old
    // exits would still count), it starts afresh: the first backoff, and
    // again the full intensity before it is down once more.
    advance(p.delay(down)).await;
    for attempt in 0..3 {
        assert_eq!(
            p.decide(&mut recent, Instant::now()),
            Restart::After { attempt }
        );
    }
    assert_eq!(p.decide(&mut recent, Instant::now()), Restart::Down);
}

#[tokio::test(start_paused = true)]
async fn supervisor_forgets_restarts_older_than_the_period() {
    let (p, _dir) = policy();
    // Three quick exits, then one at the very end of the 60 s period: down.
    let mut recent = VecDeque::new();
    for _ in 0..3 {
        p.decide(&mut recent, Instant::now());
    }
    advance(p.period).await;
    assert_eq!(p.decide(&mut recent, Instant::now()), Restart::Down);

    // The same three exits, then one just past the period: they no longer
    // count, so it is a first restart with the shortest delay.
    let mut recent = VecDeque::new();
    for _ in 0..3 {
        p.decide(&mut recent, Instant::now());
    }
    advance(p.period + Duration::from_millis(1)).await;
    assert_eq!(
        p.decide(&mut recent, Instant::now()),
        Restart::After { attempt: 0 }
    );

    // A child failing every 21 s is never down: at most three exits fall
    // within any 60 s, and the oldest one drops out of the count.
    let mut recent = VecDeque::new();
    for n in 0..20 {
        let d = p.decide(&mut recent, Instant::now());
        assert!(
            matches!(d, Restart::After { attempt } if attempt <= 2),
            "exit {n}: {d:?}"
        );
        advance(Duration::from_secs(21)).await;
    }
}
