//! What every actor shares: the configuration, the store, the health board
//! and the shutdown signal. Cheap to clone; actors get it as their argument
//! so that a restarted actor starts from the same world.

use mp2::config::Config;
use mp2::control::{ActorStatus, Backfill, IntegrationStatus};
use mp2::store::Store;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

#[derive(Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub health: Arc<HealthBoard>,
    /// Becomes true when the daemon stops taking work (SIGTERM).
    pub stopping: watch::Receiver<bool>,
}

impl Ctx {
    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }
}

/// The state of one part of the tree, as `status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    Running,
    Restarting,
    Down,
}

impl PartState {
    fn as_str(self) -> &'static str {
        match self {
            PartState::Running => "running",
            PartState::Restarting => "restarting",
            PartState::Down => "down",
        }
    }
}

#[derive(Debug, Clone)]
struct Part {
    state: PartState,
    restarts: u32,
    problem: Option<String>,
}

/// Counters of one integration's guard.
#[derive(Debug, Clone, Default)]
pub struct GuardStats {
    pub breaker: &'static str,
    pub calls: u64,
    pub failures: u64,
    pub rejected: u64,
    pub rate_limited: u64,
    /// The last failure, for `status` problems.
    pub last_error: Option<String>,
}

/// Shared, lock-protected board the supervisor, guards and watchers write
/// and the control socket reads. Small and never held across an await.
pub struct HealthBoard {
    started: Instant,
    parts: Mutex<BTreeMap<String, Part>>,
    guards: Mutex<BTreeMap<String, GuardStats>>,
    /// Problems reported by a part that is running but not working (a mailbox
    /// whose password is refused).
    conditions: Mutex<BTreeMap<String, String>>,
    backfill: Mutex<Option<Backfill>>,
    /// How long each stage took per message (`/metrics` histograms).
    latency: Mutex<BTreeMap<String, Latency>>,
}

/// Upper bounds (seconds) of the stage latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 11] =
    [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// One stage's latency histogram: counts per bucket (cumulative when
/// rendered), the sum and the count.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    pub sum_s: f64,
    pub count: u64,
}

impl Default for HealthBoard {
    fn default() -> Self {
        HealthBoard {
            started: Instant::now(),
            parts: Mutex::default(),
            guards: Mutex::default(),
            conditions: Mutex::default(),
            backfill: Mutex::default(),
            latency: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere must not take the status board with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl HealthBoard {
    pub fn uptime_s(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn set_part(&self, name: &str, state: PartState, problem: Option<String>) {
        let mut parts = lock(&self.parts);
        let p = parts.entry(name.to_string()).or_insert(Part {
            state,
            restarts: 0,
            problem: None,
        });
        p.state = state;
        p.problem = problem;
    }

    pub fn count_restart(&self, name: &str) {
        let mut parts = lock(&self.parts);
        let p = parts.entry(name.to_string()).or_insert(Part {
            state: PartState::Restarting,
            restarts: 0,
            problem: None,
        });
        p.restarts += 1;
    }

    /// The breaker state of an integration's guard, as `status` shows it.
    pub fn breaker_of(&self, name: &str) -> Option<&'static str> {
        lock(&self.guards).get(name).map(|g| g.breaker)
    }

    pub fn guard(&self, name: &str, f: impl FnOnce(&mut GuardStats)) {
        let mut g = lock(&self.guards);
        let s = g.entry(name.to_string()).or_insert_with(|| GuardStats {
            breaker: "closed",
            ..Default::default()
        });
        f(s);
    }

    /// A running part says it cannot do its job (or that it can again).
    pub fn condition(&self, name: &str, problem: Option<String>) {
        let mut c = lock(&self.conditions);
        match problem {
            Some(p) => c.insert(name.to_string(), p),
            None => c.remove(name),
        };
    }

    /// One message's time in a stage.
    pub fn time_stage(&self, stage: &str, took: std::time::Duration) {
        let s = took.as_secs_f64();
        let mut l = lock(&self.latency);
        let h = l.entry(stage.to_string()).or_default();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| s <= *b) {
            h.buckets[i] += 1;
        }
        h.sum_s += s;
        h.count += 1;
    }

    /// Every stage's latency histogram so far.
    pub fn latencies(&self) -> BTreeMap<String, Latency> {
        lock(&self.latency).clone()
    }

    pub fn set_backfill(&self, b: Option<Backfill>) {
        *lock(&self.backfill) = b;
    }

    pub fn backfill(&self) -> Option<Backfill> {
        lock(&self.backfill).clone()
    }

    pub fn actors(&self) -> Vec<ActorStatus> {
        lock(&self.parts)
            .iter()
            .map(|(n, p)| ActorStatus {
                name: n.clone(),
                status: p.state.as_str().into(),
                restarts: p.restarts,
            })
            .collect()
    }

    pub fn integrations(&self) -> Vec<IntegrationStatus> {
        lock(&self.guards)
            .iter()
            .map(|(n, g)| IntegrationStatus {
                name: n.clone(),
                breaker: g.breaker.into(),
                calls: g.calls,
                failures: g.failures,
                rejected: g.rejected,
                rate_limited: g.rate_limited,
            })
            .collect()
    }

    /// Everything that makes the daemon `degraded`, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (n, p) in lock(&self.parts).iter() {
            if p.state == PartState::Down {
                out.push(format!(
                    "{n} is down: {}",
                    p.problem
                        .clone()
                        .unwrap_or_else(|| "restarted too often".into())
                ));
            }
        }
        for (n, g) in lock(&self.guards).iter() {
            if g.breaker != "closed" {
                out.push(format!(
                    "{n} breaker is {}{}",
                    g.breaker,
                    g.last_error
                        .as_ref()
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                ));
            }
        }
        for (n, c) in lock(&self.conditions).iter() {
            out.push(format!("{n}: {c}"));
        }
        out
    }
}
