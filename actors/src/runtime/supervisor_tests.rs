//! The restart policy on tokio's paused clock: `advance` moves time exactly,
//! so the intensity window and the period edge are tested to the millisecond
//! without waiting for them.

use super::*;
use crate::runtime::ctx::HealthBoard;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use tokio::time::advance;

/// A daemon context whose config has `restart_intensity = 3`,
/// `restart_period = "60s"`, `down_retry = "30s"`.
fn ctx() -> (Ctx, tempfile::TempDir) {
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
    (ctx, dir)
}

/// The policy as the daemon builds it from that config.
fn policy() -> (RestartPolicy, tempfile::TempDir) {
    let (ctx, dir) = ctx();
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

/// When each start of the flaky child happened (paused clock).
static FLAKY_STARTS: std::sync::Mutex<Vec<Instant>> = std::sync::Mutex::new(Vec::new());

/// A child that fails as soon as it has started, every time.
struct Flaky;

impl Actor for Flaky {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        FLAKY_STARTS.lock().unwrap().push(Instant::now());
        Ok(())
    }

    async fn post_start(&self, _me: ActorRef<()>, _: &mut ()) -> Result<(), ActorProcessingErr> {
        Err("the server is down".into())
    }
}

fn spawn_flaky<'a>(
    name: &'a str,
    _ctx: &'a Ctx,
    sup: ActorCell,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
    Box::pin(async move {
        Actor::spawn_linked(Some(name.to_string()), Flaky, (), sup)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// The real root supervisor over a one-child tree, on paused time: the
/// child fails on every start; its restarts follow the policy through
/// ractor's supervision events and `send_after`.
#[tokio::test(start_paused = true)]
async fn supervisor_tree_restarts_a_failing_child_per_policy() {
    let (ctx, _dir) = ctx();
    let p = RestartPolicy::from_ctx(&ctx);
    // The name is global in ractor's registry: unique among the lib's tests.
    let root = Root::new(vec!["test.restarted_child".into()], spawn_flaky);
    let (root, handle) = Actor::spawn(None, root, ctx.clone()).await.unwrap();
    // Wait (bounded, in virtual time) for six starts: three backoffs, the
    // down rest, one backoff after it.
    tokio::time::timeout(Duration::from_secs(300), async {
        while FLAKY_STARTS.lock().unwrap().len() < 6 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "six starts of the flaky child within 300 s; saw {:?}, board {:?}",
            FLAKY_STARTS.lock().unwrap(),
            ctx.health.actors()
        )
    });
    let starts = FLAKY_STARTS.lock().unwrap().clone();
    let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    for (k, attempt) in [(0, 0), (1, 1), (2, 2), (4, 0)] {
        let (lo, hi) = bounds(&p, attempt);
        assert!(
            gaps[k] >= lo && gaps[k] <= hi,
            "gap {k} (backoff {attempt}): {:?} not in {lo:?}..={hi:?}; gaps {gaps:?}",
            gaps[k]
        );
    }
    // The fourth exit within the period marked it down; it rested
    // `down_retry` (the polling above can add at most its 1 ms step).
    assert!(
        gaps[3] >= p.down_retry && gaps[3] <= p.down_retry + Duration::from_millis(2),
        "down rest {:?}, want {:?}; gaps {gaps:?}",
        gaps[3],
        p.down_retry
    );
    root.stop(None);
    handle.await.unwrap();
}
