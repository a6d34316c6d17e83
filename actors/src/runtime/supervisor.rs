//! The root supervisor and its restart policy.
//!
//! ractor has no restart strategies of its own, so the policy lives here, in
//! one value ([`RestartPolicy`]) and one function (`handle_supervisor_evt`).
//! In OTP's words: **one-for-one** (a failed child is restarted alone),
//! every child **permanent** (restarted whatever the exit), restarts delayed
//! by exponential backoff, and an **intensity** limit — more than
//! `restart_intensity` restarts within `restart_period` marks that part
//! `down` (status `degraded`) instead of escalating, because the rest of the
//! pipeline keeps working without it; a down part is tried again after
//! `down_retry`, so a fixed cause (a server back up) heals without an operator.
//!
//! Children are looked up by name, never by a stored `ActorRef`, which would
//! point at a dead actor after a restart.

use crate::runtime::ctx::{Ctx, PartState};
use crate::runtime::guard::{Breaker, Limiter};
use crate::runtime::pipeline::StageActor;
use crate::runtime::retry;
use crate::stages::{
    calendar_syncer, mailbox_watcher, notifier, parser_pool, route_planner, weather_poller,
};
use mp2::config::INTEGRATIONS;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
// tokio's clock, not std's: the policy then runs on paused time in tests.
use tokio::time::Instant;

/// The six workers, in start order (the mailbox last, so the pipeline is
/// ready when mail arrives).
pub const WORKERS: [&str; 6] = [
    "parser_pool",
    "route_planner",
    "calendar_syncer",
    "notifier",
    "weather_poller",
    "mailbox_watcher",
];

/// Every child of the root, guards first (workers call them).
pub fn children() -> Vec<String> {
    let mut c = Vec::new();
    for i in INTEGRATIONS {
        c.push(format!("limiter.{i}"));
        c.push(format!("breaker.{i}"));
    }
    c.extend(WORKERS.iter().map(|w| w.to_string()));
    c
}

/// The whole restart policy, readable in one place.
#[derive(Debug, Clone)]
pub struct RestartPolicy {
    /// Restarts allowed within `period` before the part is marked down.
    pub intensity: u32,
    pub period: Duration,
    /// First backoff delay; doubles per consecutive failure up to `max_delay`.
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// How long a down part rests before it is tried again.
    pub down_retry: Duration,
}

impl RestartPolicy {
    pub fn from_ctx(ctx: &Ctx) -> RestartPolicy {
        RestartPolicy {
            intensity: ctx.cfg.daemon.restart_intensity,
            period: ctx.cfg.daemon.restart_period,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            down_retry: ctx.cfg.daemon.down_retry,
        }
    }

    /// Records an exit of a child at `now` in its log of recent restarts and
    /// decides what follows. A pure function of instants, so that the policy
    /// is tested on tokio's paused clock.
    pub fn decide(&self, recent: &mut VecDeque<Instant>, now: Instant) -> Restart {
        recent.push_back(now);
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.period)
        {
            recent.pop_front();
        }
        if recent.len() as u32 > self.intensity {
            // A down part starts afresh when it is tried again.
            recent.clear();
            Restart::Down
        } else {
            Restart::After {
                attempt: recent.len().saturating_sub(1) as u32,
            }
        }
    }

    /// How long to wait before starting the child again.
    pub fn delay(&self, r: Restart) -> Duration {
        match r {
            Restart::After { attempt } => retry::delay(attempt, self.initial_delay, self.max_delay),
            Restart::Down => self.down_retry,
        }
    }
}

/// What [`RestartPolicy::decide`] chose for an exited child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Restart after backoff number `attempt` (0 for the first restart
    /// within the period).
    After { attempt: u32 },
    /// Too many restarts within the period: mark it down, retry after
    /// `down_retry`.
    Down,
}

/// The root supervisor: the children it starts and how it spawns one by
/// name. The daemon's is [`Root::daemon`]; tests give it a tiny tree.
pub struct Root {
    children: Vec<String>,
    spawn: SpawnFn,
}

/// Spawns the named child, linked to the supervisor cell.
pub type SpawnFn = for<'a> fn(
    &'a str,
    &'a Ctx,
    ActorCell,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>,
>;

impl Root {
    pub fn daemon() -> Root {
        Root::new(children(), |name, ctx, sup| {
            Box::pin(spawn_child(name, ctx, sup))
        })
    }

    pub fn new(children: Vec<String>, spawn: SpawnFn) -> Root {
        Root { children, spawn }
    }
}

pub enum RootMsg {
    /// Start (or restart) the named child.
    Start(String),
    /// Stop every child, mailbox first, and stop supervising.
    Shutdown(ractor::RpcReplyPort<()>),
}

pub struct RootState {
    ctx: Ctx,
    policy: RestartPolicy,
    /// Recent restart instants per child, for the intensity limit.
    recent: HashMap<String, VecDeque<Instant>>,
    shutting_down: bool,
}

impl Actor for Root {
    type Msg = RootMsg;
    type State = RootState;
    type Arguments = Ctx;

    async fn pre_start(
        &self,
        me: ActorRef<RootMsg>,
        ctx: Ctx,
    ) -> Result<RootState, ActorProcessingErr> {
        for name in self.children.clone() {
            ctx.health.set_part(&name, PartState::Restarting, None);
            let _ = me.cast(RootMsg::Start(name));
        }
        Ok(RootState {
            policy: RestartPolicy::from_ctx(&ctx),
            ctx,
            recent: HashMap::new(),
            shutting_down: false,
        })
    }

    async fn handle(
        &self,
        me: ActorRef<RootMsg>,
        msg: RootMsg,
        st: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RootMsg::Start(name) => {
                if st.shutting_down || ractor::registry::where_is(name.clone()).is_some() {
                    return Ok(());
                }
                match (self.spawn)(&name, &st.ctx, me.get_cell()).await {
                    Ok(()) => {
                        st.ctx.health.set_part(&name, PartState::Running, None);
                        tracing::info!(actor = %name, "Started");
                    }
                    Err(e) => {
                        tracing::error!(actor = %name, error = %e, "Could not start; will retry");
                        self.schedule_restart(&me, st, &name, Some(e));
                    }
                }
            }
            RootMsg::Shutdown(reply) => {
                st.shutting_down = true;
                let mut order = vec!["mailbox_watcher".to_string()];
                order.extend(
                    WORKERS
                        .iter()
                        .filter(|w| **w != "mailbox_watcher")
                        .map(|w| w.to_string()),
                );
                for name in order {
                    if let Some(cell) = ractor::registry::where_is(name.clone()) {
                        let _ = cell
                            .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(3)))
                            .await;
                    }
                }
                me.stop_children(Some("shutdown".into()));
                let _ = reply.send(());
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        me: ActorRef<RootMsg>,
        evt: SupervisionEvent,
        st: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why): (ActorCell, String) = match evt {
            SupervisionEvent::ActorFailed(cell, err) => (cell, format!("failed: {err}")),
            SupervisionEvent::ActorTerminated(cell, _, reason) => (
                cell,
                format!("stopped: {}", reason.unwrap_or_else(|| "no reason".into())),
            ),
            _ => return Ok(()),
        };
        let Some(name) = cell.get_name() else {
            return Ok(());
        };
        if st.shutting_down {
            return Ok(());
        }
        tracing::warn!(actor = %name, reason = %why, "Child exited; restarting per policy");
        st.ctx.health.count_restart(&name);
        self.schedule_restart(&me, st, &name, None);
        Ok(())
    }
}

impl Root {
    fn schedule_restart(
        &self,
        me: &ActorRef<RootMsg>,
        st: &mut RootState,
        name: &str,
        start_error: Option<String>,
    ) {
        let recent = st.recent.entry(name.to_string()).or_default();
        let decision = st.policy.decide(recent, Instant::now());
        if decision == Restart::Down {
            let reason = start_error.unwrap_or_else(|| {
                format!(
                    "more than {} restarts in {:?}",
                    st.policy.intensity, st.policy.period
                )
            });
            tracing::error!(actor = %name, %reason, retry_in = ?st.policy.down_retry, "Part marked down; the rest keeps working");
            st.ctx.health.set_part(name, PartState::Down, Some(reason));
        } else {
            st.ctx
                .health
                .set_part(name, PartState::Restarting, start_error);
        }
        let delay = st.policy.delay(decision);
        let n = name.to_string();
        let _ = me.send_after(delay, move || RootMsg::Start(n));
    }
}

/// Spawns one child by name, linked to the root.
async fn spawn_child(name: &str, ctx: &Ctx, sup: ActorCell) -> Result<(), String> {
    let n = Some(name.to_string());
    let c = ctx.clone();
    let r = match name {
        "mailbox_watcher" => Actor::spawn_linked(n, mailbox_watcher::MailboxWatcher, c, sup)
            .await
            .map(|_| ()),
        "parser_pool" => Actor::spawn_linked(n, parser_pool::ParserPool, c, sup)
            .await
            .map(|_| ()),
        "route_planner" => Actor::spawn_linked(n, StageActor(route_planner::RoutePlanner), c, sup)
            .await
            .map(|_| ()),
        "calendar_syncer" => {
            Actor::spawn_linked(n, StageActor(calendar_syncer::CalendarSyncer), c, sup)
                .await
                .map(|_| ())
        }
        "notifier" => Actor::spawn_linked(n, StageActor(notifier::Notifier), c, sup)
            .await
            .map(|_| ()),
        "weather_poller" => Actor::spawn_linked(n, weather_poller::WeatherPoller, c, sup)
            .await
            .map(|_| ()),
        other => {
            let integration = INTEGRATIONS
                .iter()
                .find(|i| other.ends_with(&format!(".{i}")))
                .ok_or_else(|| format!("unknown child {other}"))?;
            if other.starts_with("limiter.") {
                Actor::spawn_linked(n, Limiter, (c, *integration), sup)
                    .await
                    .map(|_| ())
            } else {
                Actor::spawn_linked(n, Breaker, (c, *integration), sup)
                    .await
                    .map(|_| ())
            }
        }
    };
    r.map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "supervisor_tests.rs"]
mod tests;
