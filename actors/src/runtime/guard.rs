//! Guards: each integration (`imap`, `routes`, `weather`, `calendar`, `smtp`,
//! `sms`) sits behind a rate-limiter actor (governor) and a circuit-breaker
//! actor (failsafe). Every call to the outside asks the limiter for a permit
//! (waiting when over quota), then the breaker whether calls are allowed
//! (refused while open), runs with the integration's timeout, and reports the
//! outcome to the breaker.
//!
//! The actors are found by name (`limiter.routes`, `breaker.routes`) on every
//! call, never kept, because a restarted actor is a new `ActorRef`.

use crate::runtime::ctx::{Ctx, HealthBoard};
use failsafe::failure_policy::{consecutive_failures, ConsecutiveFailures};
use failsafe::{backoff, Instrument, StateMachine};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum GuardError<E: std::fmt::Display> {
    #[error("{0} breaker is open: calls are refused for now")]
    Open(&'static str),
    #[error("{0} guard is not running (restarting); try again shortly")]
    Unavailable(&'static str),
    #[error("{0} call timed out after {1:?}")]
    Timeout(&'static str, Duration),
    #[error("{0}")]
    Failed(E),
}

/// A handle for calling one integration; holds only names, never refs.
#[derive(Clone)]
pub struct Guard {
    pub name: &'static str,
    timeout: Duration,
}

impl Guard {
    pub fn new(ctx: &Ctx, name: &'static str) -> Guard {
        Guard {
            name,
            timeout: ctx.cfg.integration(name).timeout,
        }
    }

    /// Waits for the limiter, then asks the breaker. Call `report` after.
    pub async fn admit(&self) -> Result<(), GuardError<String>> {
        let wait = self.timeout.max(Duration::from_secs(1)) * 6;
        let limiter = ActorRef::<LimiterMsg>::where_is(format!("limiter.{}", self.name))
            .ok_or(GuardError::Unavailable(self.name))?;
        ractor::call_t!(limiter, LimiterMsg::Acquire, wait.as_millis() as u64)
            .map_err(|_| GuardError::Unavailable(self.name))?;
        let breaker = ActorRef::<BreakerMsg>::where_is(format!("breaker.{}", self.name))
            .ok_or(GuardError::Unavailable(self.name))?;
        let permitted = ractor::call_t!(breaker, BreakerMsg::Permit, 5_000)
            .map_err(|_| GuardError::Unavailable(self.name))?;
        if permitted {
            Ok(())
        } else {
            Err(GuardError::Open(self.name))
        }
    }

    /// Tells the breaker how a call went.
    pub fn report(&self, outcome: Result<(), String>) {
        if let Some(b) = ActorRef::<BreakerMsg>::where_is(format!("breaker.{}", self.name)) {
            let _ = b.cast(BreakerMsg::Outcome(outcome));
        }
    }

    /// admit → run `f` with the timeout → report.
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, GuardError<E>>
    where
        E: std::fmt::Display,
        F: std::future::Future<Output = Result<T, E>>,
    {
        self.admit().await.map_err(|e| match e {
            GuardError::Open(n) => GuardError::Open(n),
            GuardError::Unavailable(n) => GuardError::Unavailable(n),
            GuardError::Timeout(n, d) => GuardError::Timeout(n, d),
            GuardError::Failed(_) => GuardError::Unavailable(self.name),
        })?;
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(v)) => {
                self.report(Ok(()));
                Ok(v)
            }
            Ok(Err(e)) => {
                self.report(Err(e.to_string()));
                Err(GuardError::Failed(e))
            }
            Err(_) => {
                self.report(Err("timeout".into()));
                Err(GuardError::Timeout(self.name, self.timeout))
            }
        }
    }
}

/// A `Gate` for blocking threads (the IMAP session), backed by the same actors.
pub struct BlockingGate {
    pub guard: Guard,
    pub rt: tokio::runtime::Handle,
}

impl crate::integrations::mailbox::Gate for BlockingGate {
    fn admit(&self) -> Result<(), String> {
        self.rt
            .block_on(self.guard.admit())
            .map_err(|e| e.to_string())
    }
    fn report(&self, ok: bool) {
        self.guard.report(if ok {
            Ok(())
        } else {
            Err("call failed".into())
        });
    }
}

// ---------------------------------------------------------------- limiter

pub struct Limiter;

pub enum LimiterMsg {
    Acquire(RpcReplyPort<()>),
}

pub struct LimiterState {
    name: String,
    limiter: DefaultDirectRateLimiter,
    /// The quota as the server counts it (see [`Window`]).
    window: Window,
    health: Arc<HealthBoard>,
}

/// "At most `n` calls in any `span`", as the server on the other end counts
/// them. GCRA alone (governor) spaces calls `span / n` apart, which lets
/// `n + 1` land inside one `span` (at 0, ½ and 1 s for "2/s") and more once a
/// burst is allowed; the log of the last `n` admissions closes that. The
/// span has a margin (an eighth of it, at most 250 ms), so that a call
/// delayed on its way (a busy host, a slow connect) cannot land at the server
/// inside the previous window: the server never counts more than `n`, at
/// the cost of a rate slightly under the nominal one.
#[derive(Debug, Clone)]
pub struct Window {
    n: usize,
    span: Duration,
    recent: std::collections::VecDeque<tokio::time::Instant>,
}

impl Window {
    pub fn new(n: u32, per: Duration) -> Window {
        let margin = (per / 8).min(Duration::from_millis(250));
        Window {
            n: n.max(1) as usize,
            span: per + margin,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// How long a call at `now` must wait (zero when it may go).
    pub fn wait(&self, now: tokio::time::Instant) -> Duration {
        if self.recent.len() < self.n {
            return Duration::ZERO;
        }
        let oldest = self.recent[self.recent.len() - self.n];
        (oldest + self.span).saturating_duration_since(now)
    }

    /// Records a call admitted at `now`.
    pub fn admit(&mut self, now: tokio::time::Instant) {
        self.recent.push_back(now);
        while self.recent.len() > self.n {
            self.recent.pop_front();
        }
    }
}

impl Actor for Limiter {
    type Msg = LimiterMsg;
    type State = LimiterState;
    type Arguments = (Ctx, &'static str);

    async fn pre_start(
        &self,
        _me: ActorRef<Self::Msg>,
        (ctx, name): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let i = ctx.cfg.integration(name);
        let (n, per) = i
            .quota()
            .map_err(|e| format!("integrations.{name}.rate: {e}"))?;
        let one = NonZeroU32::new(1).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(per / n)
            .ok_or("rate period too small")?
            .allow_burst(NonZeroU32::new(i.burst).unwrap_or(one));
        ctx.health.guard(name, |_| {});
        Ok(LimiterState {
            name: name.to_string(),
            limiter: RateLimiter::direct(quota),
            window: Window::new(n, per),
            health: ctx.health.clone(),
        })
    }

    async fn handle(
        &self,
        _me: ActorRef<Self::Msg>,
        msg: Self::Msg,
        st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            LimiterMsg::Acquire(reply) => {
                // Waiting here, inside the actor, queues every other caller
                // behind this one: the quota holds for the whole daemon.
                let mut limited = false;
                if st.limiter.check().is_err() {
                    limited = true;
                    st.limiter.until_ready().await;
                }
                let wait = st.window.wait(tokio::time::Instant::now());
                if !wait.is_zero() {
                    limited = true;
                    tokio::time::sleep(wait).await;
                }
                st.window.admit(tokio::time::Instant::now());
                if limited {
                    st.health.guard(&st.name, |g| g.rate_limited += 1);
                }
                st.health.guard(&st.name, |g| g.calls += 1);
                let _ = reply.send(());
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- breaker

pub struct Breaker;

pub enum BreakerMsg {
    Permit(RpcReplyPort<bool>),
    Outcome(Result<(), String>),
    /// Lets an open breaker show `half-open` once its reset time has passed.
    Tick,
}

/// Mirrors the breaker's transitions onto the health board.
#[derive(Clone)]
pub struct BoardInstrument {
    name: String,
    health: Arc<HealthBoard>,
}

impl Instrument for BoardInstrument {
    fn on_call_rejected(&self) {
        self.health.guard(&self.name, |g| g.rejected += 1);
    }
    fn on_open(&self) {
        tracing::warn!(integration = %self.name, "Circuit breaker opened; calls are refused until it half-opens");
        self.health.guard(&self.name, |g| g.breaker = "open");
    }
    fn on_half_open(&self) {
        self.health.guard(&self.name, |g| g.breaker = "half-open");
    }
    fn on_closed(&self) {
        self.health.guard(&self.name, |g| {
            g.breaker = "closed";
            g.last_error = None;
        });
    }
}

pub struct BreakerState {
    name: String,
    machine: StateMachine<ConsecutiveFailures<backoff::Constant>, BoardInstrument>,
    health: Arc<HealthBoard>,
    open: bool,
}

impl Actor for Breaker {
    type Msg = BreakerMsg;
    type State = BreakerState;
    type Arguments = (Ctx, &'static str);

    async fn pre_start(
        &self,
        me: ActorRef<Self::Msg>,
        (ctx, name): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let i = ctx.cfg.integration(name);
        let instrument = BoardInstrument {
            name: name.to_string(),
            health: ctx.health.clone(),
        };
        let policy = consecutive_failures(i.breaker_failures, backoff::constant(i.breaker_reset));
        let machine = failsafe::Config::new()
            .failure_policy(policy)
            .instrument(instrument)
            .build();
        ctx.health.guard(name, |g| g.breaker = "closed");
        me.send_interval(Duration::from_secs(1), || BreakerMsg::Tick);
        Ok(BreakerState {
            name: name.to_string(),
            machine,
            health: ctx.health.clone(),
            open: false,
        })
    }

    async fn handle(
        &self,
        _me: ActorRef<Self::Msg>,
        msg: Self::Msg,
        st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            BreakerMsg::Permit(reply) => {
                let ok = st.machine.is_call_permitted();
                let _ = reply.send(ok);
            }
            BreakerMsg::Outcome(Ok(())) => st.machine.on_success(),
            BreakerMsg::Outcome(Err(e)) => {
                st.health.guard(&st.name, |g| {
                    g.failures += 1;
                    g.last_error = Some(e.clone());
                });
                st.machine.on_error();
                st.open = true;
            }
            BreakerMsg::Tick => {
                // `is_call_permitted` is what moves open → half-open in
                // failsafe; asking it changes nothing while closed.
                if st.open {
                    let ok = st.machine.is_call_permitted();
                    if ok {
                        st.open = false;
                    } else {
                        // The probe above was refused; do not count it.
                        st.health
                            .guard(&st.name, |g| g.rejected = g.rejected.saturating_sub(1));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls as fast as the window lets them, on tokio's paused clock: no
    /// `span` ever holds more than `n`.
    #[tokio::test(start_paused = true)]
    async fn window_never_admits_more_than_n_per_span() {
        for (n, per) in [
            (2, Duration::from_secs(1)),
            (5, Duration::from_secs(1)),
            (1, Duration::from_millis(300)),
        ] {
            let mut w = Window::new(n, per);
            let mut at = Vec::new();
            for _ in 0..40 {
                let wait = w.wait(tokio::time::Instant::now());
                tokio::time::sleep(wait).await;
                let now = tokio::time::Instant::now();
                w.admit(now);
                at.push(now);
            }
            for (i, t) in at.iter().enumerate() {
                let inside = at[i..].iter().take_while(|u| **u < *t + per).count();
                assert!(
                    inside <= n as usize,
                    "{n}/{per:?}: {inside} calls within one period"
                );
            }
            // And the rate is not starved: 40 calls take about 40/n periods (plus
            // the margin, an eighth at most).
            let took = at[at.len() - 1] - at[0];
            assert!(
                took <= per.mul_f64(1.13 * 40.0 / n as f64),
                "{n}/{per:?}: took {took:?}"
            );
        }
    }

    /// A breaker actor for `routes` with `breaker_failures = 3` and a short
    /// real `breaker_reset` (failsafe keeps its own clock, so paused time
    /// cannot drive it).
    async fn breaker(reset_ms: u64) -> (ActorRef<BreakerMsg>, Ctx, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{}\n[integrations.routes]\nbreaker_failures = 3\nbreaker_reset = \"{reset_ms}ms\"\n",
            mp2::config::DEMO_TOML
        );
        let cfg = mp2::config::Config::from_str_at(&text, &dir.path().join("mp2.toml")).unwrap();
        let (_tx, stopping) = tokio::sync::watch::channel(false);
        let ctx = Ctx {
            cfg: Arc::new(cfg),
            store: mp2::store::Store::open(dir.path()).unwrap(),
            health: Arc::new(HealthBoard::default()),
            stopping,
        };
        let (b, _) = Actor::spawn(None, Breaker, (ctx.clone(), "routes"))
            .await
            .unwrap();
        (b, ctx, dir)
    }

    async fn permitted(b: &ActorRef<BreakerMsg>) -> bool {
        ractor::call_t!(b, BreakerMsg::Permit, 2_000).unwrap()
    }

    #[tokio::test]
    async fn breaker_opens_after_breaker_failures_and_lets_a_call_through_after_breaker_reset() {
        let reset = Duration::from_millis(200);
        let (b, ctx, _dir) = breaker(reset.as_millis() as u64).await;
        let fail = || BreakerMsg::Outcome(Err("500".into()));
        assert!(permitted(&b).await);
        // Consecutive failures: a success in between starts the count again.
        b.cast(fail()).unwrap();
        b.cast(fail()).unwrap();
        b.cast(BreakerMsg::Outcome(Ok(()))).unwrap();
        b.cast(fail()).unwrap();
        b.cast(fail()).unwrap();
        assert!(permitted(&b).await, "opened before 3 consecutive failures");
        // The third in a row opens it: calls are refused.
        b.cast(fail()).unwrap();
        let opened = std::time::Instant::now();
        assert!(
            !permitted(&b).await,
            "still closed after 3 consecutive failures"
        );
        assert_eq!(ctx.health.breaker_of("routes"), Some("open"));
        // Wait on the breaker itself (bounded) until it lets a call through.
        let deadline = opened + Duration::from_secs(3);
        loop {
            if permitted(&b).await {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still open 3 s after a {reset:?} reset"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let waited = opened.elapsed();
        assert!(
            waited >= reset.mul_f64(0.9),
            "let a call through after {waited:?}, before the {reset:?} reset"
        );
        assert_eq!(ctx.health.breaker_of("routes"), Some("half-open"));
        // The probe succeeds: closed again, calls flow.
        b.cast(BreakerMsg::Outcome(Ok(()))).unwrap();
        assert!(permitted(&b).await);
        assert_eq!(ctx.health.breaker_of("routes"), Some("closed"));
        b.stop(None);
    }
}
