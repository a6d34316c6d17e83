//! The durable pipeline's stage actors.
//!
//! ## Contract of a stage actor
//! - **Receives** `Poke` (work may be waiting) — never the work itself: the
//!   work is the store's queue for its input stage, so a mailbox holds at most
//!   a few pokes (they are coalesced) and memory stays bounded however much
//!   mail arrives; the disk queue is the buffer, and the mailbox watcher stops
//!   taking mail while the first queue is longer than `daemon.queue_capacity`.
//! - **Persists** its output and the message's next stage in one store
//!   transaction ([`Store::advance`]), and only then
//! - **emits** a poke to the next stage.
//! - **Acknowledges** nothing else: a crash before the commit leaves the
//!   message where it was, to be done again on restart; side effects inside a
//!   stage carry idempotency keys so that doing a stage again repeats nothing.
//! - **Fails** per message: the queue is read in arrival order, a message
//!   whose next attempt is not due is skipped (the stage takes the next one
//!   and wakes itself when the earliest is due), and a failure is judged by
//!   its class ([`crate::runtime::failure`]): tried again with backoff, or `failed`
//!   with the reason after `daemon.retry_limit` attempts or at once when
//!   waiting cannot help. The attempt count and next-attempt time are on the
//!   message record, so a restart keeps them.
//! - `Panic` makes it panic (fault injection), to exercise the supervisor.

use crate::runtime::ctx::Ctx;
use crate::runtime::failure::{Failure, RetryPolicy, Verdict};
use mp2::store::{Lane, MessageRecord, RetryState, Stage};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The message every worker actor takes.
#[derive(Debug, Clone)]
pub enum WorkMsg {
    Poke,
    Panic,
    /// A pool's worker finished the message with this key.
    Done(String),
}

static POKED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Tells the named stage actor that work may be waiting. Coalesced: a poke
/// already queued is not queued again.
pub fn poke(name: &str) {
    {
        let mut p = POKED.lock().unwrap_or_else(|e| e.into_inner());
        if !p.get_or_insert_with(HashSet::new).insert(name.to_string()) {
            return;
        }
    }
    match ActorRef::<WorkMsg>::where_is(name.to_string()) {
        Some(a) => {
            let _ = a.cast(WorkMsg::Poke);
        }
        None => clear(name), // restarting: it drains its queue when it starts
    }
}

/// Forgets a queued poke (the actor is about to look at its queue anyway).
pub fn clear_poke(name: &str) {
    clear(name)
}

fn clear(name: &str) {
    let mut p = POKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(set) = p.as_mut() {
        set.remove(name);
    }
}

/// Makes the named worker panic (fault injection).
pub fn inject_panic(name: &str) -> Result<(), String> {
    let a = ActorRef::<WorkMsg>::where_is(name.to_string())
        .ok_or_else(|| format!("no running actor named {name:?}"))?;
    a.cast(WorkMsg::Panic).map_err(|e| e.to_string())
}

/// What processing one message led to.
pub enum Outcome {
    /// Done with this stage; the record carries the next stage.
    Advance(MessageRecord),
    /// Cannot be done now (a service is down); leave it queued, retry later.
    /// Transient, counted toward the limit (an error known only by text).
    Retry { error: String, after: Duration },
    /// Could not be done, for a reason that knows its class.
    Failed(Failure),
    /// Done with this stage except for work that waits on its own: the
    /// message goes on (the record carries the next stage) and also waits in
    /// the calendar backlog, which the stage retries apart.
    Defer(MessageRecord, Failure),
}

/// One stage of the pipeline.
pub trait StageWork: Send + Sync + 'static {
    /// The actor's registered name.
    const NAME: &'static str;
    /// The queue it takes from.
    const INPUT: Stage;
    /// The actor poked after an advance.
    const NEXT: Option<&'static str>;
    /// Whether it also works the calendar backlog (see [`Outcome::Defer`]).
    const BACKLOG: bool = false;

    fn process(&self, ctx: &Ctx, rec: MessageRecord) -> impl Future<Output = Outcome> + Send;

    /// Retries the deferred work of one message in the backlog: `Advance`
    /// takes it out, `Retry`/`Failed` keep it (to its limit).
    fn process_backlog(
        &self,
        _ctx: &Ctx,
        rec: MessageRecord,
    ) -> impl Future<Output = Outcome> + Send {
        async move { Outcome::Advance(rec) }
    }
}

/// Generic actor around a [`StageWork`].
pub struct StageActor<W: StageWork>(pub W);

pub struct StageState {
    ctx: Ctx,
    policy: RetryPolicy,
    /// When the earliest wake-up poke already scheduled fires, so that
    /// pokes from upstream do not pile up timers.
    wake_at: Option<Instant>,
}

/// Messages processed per poke before the actor lets other mail in.
const BATCH: usize = 16;

impl<W: StageWork> Actor for StageActor<W> {
    type Msg = WorkMsg;
    type State = StageState;
    type Arguments = Ctx;

    async fn pre_start(
        &self,
        me: ActorRef<WorkMsg>,
        ctx: Ctx,
    ) -> Result<StageState, ActorProcessingErr> {
        // Whatever was left in our queue by a crash is done first.
        clear(W::NAME);
        let _ = me.cast(WorkMsg::Poke);
        Ok(StageState {
            policy: RetryPolicy::from_config(&ctx.cfg),
            ctx,
            wake_at: None,
        })
    }

    async fn handle(
        &self,
        me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        st: &mut StageState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: {} was asked to panic", W::NAME),
            WorkMsg::Done(_) => {}
            WorkMsg::Poke => {
                clear(W::NAME);
                if st.ctx.is_stopping() {
                    return Ok(()); // parked: the queue is on disk
                }
                if st.wake_at.is_some_and(|t| t <= Instant::now()) {
                    st.wake_at = None;
                }
                let mut lanes = vec![Lane::Stage(W::INPUT)];
                if W::BACKLOG {
                    lanes.push(Lane::CalendarBacklog);
                }
                let mut budget = BATCH;
                let mut earliest: Option<chrono::DateTime<chrono::Utc>> = None;
                for lane in lanes {
                    match self.work_lane(st, lane, &mut budget, &mut earliest).await? {
                        LaneEnd::Drained => {}
                        LaneEnd::Stopping => return Ok(()),
                        LaneEnd::BudgetSpent => {
                            poke(W::NAME);
                            return Ok(());
                        }
                    }
                }
                if let Some(at) = earliest {
                    let wait = (at - chrono::Utc::now())
                        .to_std()
                        .unwrap_or_default()
                        .max(Duration::from_millis(20));
                    let when = Instant::now() + wait;
                    if st.wake_at.is_none_or(|t| when < t) {
                        st.wake_at = Some(when);
                        let _ = me.send_after(wait, || WorkMsg::Poke);
                    }
                }
            }
        }
        Ok(())
    }
}

/// How working one lane ended.
enum LaneEnd {
    Drained,
    BudgetSpent,
    Stopping,
}

impl<W: StageWork> StageActor<W> {
    /// Takes every message of `lane` that is due, in arrival order, and
    /// skips those that wait (noting the earliest wait in `earliest`).
    async fn work_lane(
        &self,
        st: &mut StageState,
        lane: Lane,
        budget: &mut usize,
        earliest: &mut Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<LaneEnd, ActorProcessingErr> {
        let ctx = st.ctx.clone();
        for key in ctx.store.queued(lane)? {
            let Some(rec) = ctx.store.message(&key)? else {
                continue;
            };
            let state = match lane {
                Lane::Stage(_) => rec.retry.as_ref(),
                Lane::CalendarBacklog => rec.calendar_retry.as_ref(),
            };
            if let Some(at) = RetryState::wait_until(state, chrono::Utc::now()) {
                *earliest = Some(earliest.map_or(at, |e| e.min(at)));
                continue;
            }
            if *budget == 0 {
                return Ok(LaneEnd::BudgetSpent);
            }
            *budget -= 1;
            let prev = state.cloned();
            let took = std::time::Instant::now();
            let outcome = match lane {
                Lane::Stage(_) => self.0.process(&ctx, rec.clone()).await,
                Lane::CalendarBacklog => self.0.process_backlog(&ctx, rec.clone()).await,
            };
            let stage = match lane {
                Lane::Stage(_) => W::NAME,
                Lane::CalendarBacklog => "calendar_backlog",
            };
            ctx.health.time_stage(stage, took.elapsed());
            let failure = match outcome {
                Outcome::Advance(_) if lane == Lane::CalendarBacklog => {
                    ctx.store.leave_backlog(&key)?;
                    crate::control::attention::on_success(&ctx, &key, "calendar_backlog");
                    None
                }
                Outcome::Advance(next) => {
                    ctx.store.advance(W::INPUT, &next)?;
                    crate::control::attention::on_success(&ctx, &key, W::NAME);
                    if next.stage != Stage::Failed {
                        if let Some(n) = W::NEXT {
                            poke(n);
                        }
                    }
                    None
                }
                Outcome::Defer(next, f) => {
                    ctx.store.advance_leaving_backlog(W::INPUT, &next)?;
                    crate::control::attention::on_success(&ctx, &key, W::NAME);
                    if let Some(n) = W::NEXT {
                        poke(n);
                    }
                    // The backlog's first failure is this one.
                    self.setback(st, &key, Lane::CalendarBacklog, None, &f, earliest)?;
                    None
                }
                Outcome::Retry { error, after } => Some(Failure::transient(error, after)),
                Outcome::Failed(f) => Some(f),
            };
            if let Some(f) = failure {
                self.setback(st, &key, lane, prev.as_ref(), &f, earliest)?;
            }
            if ctx.is_stopping() {
                return Ok(LaneEnd::Stopping);
            }
        }
        Ok(LaneEnd::Drained)
    }

    /// Applies the retry policy to a failure: the message waits (and the
    /// stage goes on with the next one), or it is given up with the reason.
    fn setback(
        &self,
        st: &StageState,
        key: &str,
        lane: Lane,
        prev: Option<&RetryState>,
        f: &Failure,
        earliest: &mut Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), ActorProcessingErr> {
        let ctx = &st.ctx;
        let stage = match lane {
            Lane::Stage(_) => W::NAME,
            Lane::CalendarBacklog => "calendar_backlog",
        };
        match st.policy.after(prev, f, chrono::Utc::now()) {
            Verdict::Again(state) => {
                tracing::warn!(stage, message = %key, error = %f.error, attempts = state.attempts, next_attempt = ?state.next_attempt, "Stage could not finish; will retry");
                if let Some(at) = state.next_attempt {
                    *earliest = Some(earliest.map_or(at, |e| e.min(at)));
                }
                ctx.store.note_retry(key, lane, &state)?;
                crate::control::attention::on_retry(ctx, key, stage, &f.error);
            }
            Verdict::GiveUp { reason, attempts } => {
                tracing::error!(stage, message = %key, %reason, attempts, "Message given up");
                match lane {
                    Lane::CalendarBacklog => ctx.store.fail_backlog(key, &reason)?,
                    Lane::Stage(from) => {
                        if let Some(mut rec) = ctx.store.message(key)? {
                            rec.stage = Stage::Failed;
                            rec.errors.push(reason.clone());
                            ctx.store.advance(from, &rec)?;
                        }
                    }
                }
                crate::control::attention::on_given_up(ctx, key, stage, attempts, &reason);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ctx::HealthBoard;
    use crate::runtime::failure::ErrorClass;
    use std::sync::Arc;

    /// A stage at `parsed` that fails "stuck" every time (transient) and
    /// "refused" once for good (permanent), and advances everything else.
    struct Flaky;

    impl StageWork for Flaky {
        const NAME: &'static str = "test.flaky";
        const INPUT: Stage = Stage::Parsed;
        const NEXT: Option<&'static str> = None;

        async fn process(&self, _ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
            match rec.key.as_str() {
                "stuck" => Outcome::Retry {
                    error: "server down".into(),
                    after: Duration::from_millis(1),
                },
                "refused" => Outcome::Failed(Failure {
                    class: ErrorClass::Permanent,
                    error: "the server refused it (400)".into(),
                    retry_after: None,
                    counts: true,
                }),
                _ => {
                    rec.stage = Stage::Planned;
                    Outcome::Advance(rec)
                }
            }
        }
    }

    /// A daemon context on a fresh store; the sender keeps it running.
    fn ctx(dir: &std::path::Path) -> (Ctx, tokio::sync::watch::Sender<bool>) {
        let text = mp2::config::DEMO_TOML.replace(
            "fault_injection = true",
            "fault_injection = false\nretry_limit = 3\nretry_first = \"100ms\"\nretry_max = \"200ms\"",
        );
        let cfg = mp2::config::Config::from_str_at(&text, &dir.join("mp2.toml")).unwrap();
        let (tx, stopping) = tokio::sync::watch::channel(false);
        let ctx = Ctx {
            cfg: Arc::new(cfg),
            store: mp2::store::Store::open(dir).unwrap(),
            health: Arc::new(HealthBoard::default()),
            stopping,
        };
        (ctx, tx)
    }

    fn enqueue(ctx: &Ctx, key: &str) {
        let rec = MessageRecord {
            key: key.into(),
            message_id: format!("<{key}@test>"),
            origin: format!("test:{key}"),
            from: "a@b".into(),
            subject: key.into(),
            received: "2024-01-01T00:00:00Z".into(),
            matched: true,
            verdict: "accepted".into(),
            reason: String::new(),
            stage: Stage::Seen,
            errors: vec![],
            days: vec![],
            seq: 0,
            retry: None,
            calendar_retry: None,
            date: None,
        };
        let rec = ctx
            .store
            .accept_message(rec, key, b"", true)
            .unwrap()
            .unwrap();
        let mut parsed = rec.clone();
        parsed.stage = Stage::Parsed;
        ctx.store.advance(Stage::Seen, &parsed).unwrap();
    }

    fn stage_of(ctx: &Ctx, key: &str) -> Stage {
        ctx.store.message(key).unwrap().unwrap().stage
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_message_is_skipped_and_failures_end_failed_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _running) = ctx(dir.path());
        // The stuck one arrived first, so it heads the queue.
        for k in ["stuck", "refused", "fine"] {
            enqueue(&ctx, k);
        }
        let (actor, handle) =
            Actor::spawn(Some(Flaky::NAME.into()), StageActor(Flaky), ctx.clone())
                .await
                .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while stage_of(&ctx, "stuck") != Stage::Failed && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            stage_of(&ctx, "fine"),
            Stage::Planned,
            "not held behind the stuck one"
        );
        let refused = ctx.store.message("refused").unwrap().unwrap();
        assert_eq!(refused.stage, Stage::Failed);
        assert!(
            refused
                .errors
                .iter()
                .any(|e| e.contains("refused it (400)")),
            "{:?}",
            refused.errors
        );
        let stuck = ctx.store.message("stuck").unwrap().unwrap();
        assert_eq!(stuck.stage, Stage::Failed, "given up within the deadline");
        assert!(
            stuck
                .errors
                .iter()
                .any(|e| e == "gave up after 3 attempts: server down"),
            "{:?}",
            stuck.errors
        );
        assert!(ctx.store.pending(Stage::Parsed, 10).unwrap().is_empty());
        let c = ctx.store.counts().unwrap();
        assert_eq!((c.failed, c.in_flight), (2, 1), "{c:?}");
        actor.stop(None);
        let _ = handle.await;
    }
}
