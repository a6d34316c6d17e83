//! The `parser_pool` actor: a pool of `parser.workers` parser workers.
//!
//! Contract: receives `Poke` when messages wait at `seen`; hands each to an
//! idle worker (never the same message to two). A worker parses in a
//! blocking task (PDF text, OCR child processes) with a timeout, stores the
//! shooting days and moves the message to `parsed` (or `failed` with the
//! reason) in one commit, then pokes `route_planner`. A worker that panics is
//! replaced by the pool; a message that crashes workers three times is
//! failed with that reason instead of taking the pool down forever.

use crate::runtime::ctx::Ctx;
use crate::runtime::pipeline::{poke, WorkMsg};
use mp2::model::SourceKind;
use mp2::parse::{parse_bytes, ParseOptions};
use mp2::store::Stage;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

pub struct ParserPool;

pub struct PoolState {
    ctx: Ctx,
    workers: Vec<ActorRef<ParseJob>>,
    idle: VecDeque<usize>,
    /// Message key → worker index.
    in_flight: HashMap<String, usize>,
    /// Crashes per message key.
    crashes: HashMap<String, u32>,
}

/// One message for a worker to parse.
pub struct ParseJob(pub String);

impl Actor for ParserPool {
    type Msg = WorkMsg;
    type State = PoolState;
    type Arguments = Ctx;

    async fn pre_start(
        &self,
        me: ActorRef<WorkMsg>,
        ctx: Ctx,
    ) -> Result<PoolState, ActorProcessingErr> {
        let n = ctx.cfg.parser.workers;
        let mut workers = Vec::with_capacity(n);
        for i in 0..n {
            workers.push(spawn_worker(&ctx, i, &me).await?);
        }
        let _ = me.cast(WorkMsg::Poke);
        Ok(PoolState {
            ctx,
            workers,
            idle: (0..n).collect(),
            in_flight: HashMap::new(),
            crashes: HashMap::new(),
        })
    }

    async fn handle(
        &self,
        me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        st: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: parser_pool was asked to panic"),
            WorkMsg::Done(key) => {
                if let Some(i) = st.in_flight.remove(&key) {
                    st.idle.push_back(i);
                }
                st.crashes.remove(&key);
                dispatch(&me, st)?;
            }
            WorkMsg::Poke => dispatch(&me, st)?,
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        me: ActorRef<WorkMsg>,
        evt: SupervisionEvent,
        st: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        let cell: ActorCell = match evt {
            SupervisionEvent::ActorFailed(c, _) | SupervisionEvent::ActorTerminated(c, _, _) => c,
            _ => return Ok(()),
        };
        let Some(i) = st.workers.iter().position(|w| w.get_id() == cell.get_id()) else {
            return Ok(());
        };
        if st.ctx.is_stopping() {
            return Ok(());
        }
        st.ctx.health.count_restart("parser_pool.worker");
        if let Some(key) = st
            .in_flight
            .iter()
            .find(|(_, w)| **w == i)
            .map(|(k, _)| k.clone())
        {
            st.in_flight.remove(&key);
            let n = st.crashes.entry(key.clone()).or_insert(0);
            *n += 1;
            if *n >= 3 {
                tracing::error!(message = %key, "Parser crashed three times on this message; marking it failed");
                if let Ok(Some(mut rec)) = st.ctx.store.message(&key) {
                    rec.stage = Stage::Failed;
                    rec.errors.push(
                        "the parser crashed three times on this message; see the daemon log".into(),
                    );
                    st.ctx.store.advance(Stage::Seen, &rec)?;
                    crate::control::attention::after_parse(&st.ctx, &rec, &[]);
                }
                st.crashes.remove(&key);
            }
        }
        st.workers[i] = spawn_worker(&st.ctx, i, &me).await?;
        st.ctx.health.set_part(
            "parser_pool.worker",
            crate::runtime::ctx::PartState::Running,
            None,
        );
        st.idle.push_back(i);
        dispatch(&me, st)?;
        Ok(())
    }
}

async fn spawn_worker(
    ctx: &Ctx,
    i: usize,
    pool: &ActorRef<WorkMsg>,
) -> Result<ActorRef<ParseJob>, ActorProcessingErr> {
    let (w, _) = Actor::spawn_linked(
        None,
        ParserWorker { index: i },
        (ctx.clone(), pool.clone()),
        pool.get_cell(),
    )
    .await?;
    Ok(w)
}

fn dispatch(_me: &ActorRef<WorkMsg>, st: &mut PoolState) -> Result<(), ActorProcessingErr> {
    crate::runtime::pipeline::clear_poke("parser_pool");
    if st.ctx.is_stopping() || st.idle.is_empty() {
        return Ok(());
    }
    let want = st.idle.len() + st.in_flight.len();
    for key in st.ctx.store.pending(Stage::Seen, want)? {
        if st.in_flight.contains_key(&key) {
            continue;
        }
        let Some(i) = st.idle.pop_front() else { break };
        st.in_flight.insert(key.clone(), i);
        st.workers[i].cast(ParseJob(key))?;
    }
    Ok(())
}

/// One parser worker.
pub struct ParserWorker {
    index: usize,
}

impl Actor for ParserWorker {
    type Msg = ParseJob;
    type State = (Ctx, ActorRef<WorkMsg>);
    type Arguments = (Ctx, ActorRef<WorkMsg>);

    async fn pre_start(
        &self,
        _me: ActorRef<ParseJob>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        tracing::debug!(worker = self.index, "Parser worker ready");
        Ok(args)
    }

    async fn handle(
        &self,
        _me: ActorRef<ParseJob>,
        ParseJob(key): ParseJob,
        (ctx, pool): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let took = std::time::Instant::now();
        parse_one(ctx, &key).await?;
        ctx.health.time_stage("parser_pool", took.elapsed());
        let _ = pool.cast(WorkMsg::Done(key));
        Ok(())
    }
}

/// Parses one message and commits the result.
async fn parse_one(ctx: &Ctx, key: &str) -> Result<(), ActorProcessingErr> {
    let store = &ctx.store;
    let (Some(mut rec), Some(raw)) = (store.message(key)?, store.raw(key)?) else {
        return Ok(());
    };
    let opts = ParseOptions {
        filter: ctx.cfg.filter.clone(),
        pdf: mp2::pdf::Options {
            ocr: ctx.cfg.parser.ocr,
            // Each OCR child (one page's render, one band's recognition).
            ocr_timeout_secs: ctx.cfg.parser.ocr_timeout.as_secs().max(1),
            ..Default::default()
        },
        production: ctx.cfg.production.name.clone(),
        learned: store.layout_rules_for(&rec.from).unwrap_or_default(),
        ..ParseOptions::default()
    };
    let limit = ctx.cfg.parser.ocr_timeout + Duration::from_secs(30);
    let name = format!("{key}.eml");
    let mut job =
        tokio::task::spawn_blocking(move || parse_bytes(&name, SourceKind::Email, &raw, &opts));
    let result = match tokio::time::timeout(limit, &mut job).await {
        Ok(Ok(r)) => r,
        Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Ok(Err(join)) => return Err(join.into()),
        Err(_) => {
            rec.stage = Stage::Failed;
            rec.errors.push(format!(
                "parsing took longer than {limit:?}; the message was given up"
            ));
            store.advance(Stage::Seen, &rec)?;
            crate::control::attention::after_parse(ctx, &rec, &[]);
            // A blocking parse cannot be cancelled: this worker stays busy
            // until it ends, so that no more parses run than
            // `parser.workers` (its OCR children end at `ocr_timeout`).
            tracing::error!(message = %key, "Parse given up but still running; its worker waits for it");
            let _ = job.await;
            return Ok(());
        }
    };
    if let Some(e) = &result.email {
        rec.matched = e.matched;
        rec.reason = e.reason.clone();
    }
    rec.errors = result.errors.clone();
    if !rec.matched {
        rec.verdict = "rejected".into();
        rec.stage = Stage::Seen;
        // A rejected message waits for nothing: off the queue, stage stays.
        store.settle(Stage::Seen, &rec)?;
        return Ok(());
    }
    if result.schedules.is_empty() {
        rec.stage = Stage::Failed;
        if rec.errors.is_empty() {
            rec.errors
                .push("no shooting day found in the attached PDF(s)".into());
        }
        store.advance(Stage::Seen, &rec)?;
        crate::control::attention::after_parse(ctx, &rec, &attachments(&result));
        tracing::warn!(message_id = %rec.message_id, errors = ?rec.errors, "Schedule e-mail gave no shooting day");
        return Ok(());
    }
    rec.days.clear();
    for day in &result.schedules {
        let (stored, changed) = store.put_day_at(day, &rec.message_id, rec.seq)?;
        tracing::info!(date = %day.date, revision = ?day.revision, version = stored.version, changed, "Shooting day read");
        rec.days.push(stored.date.clone());
    }
    crate::control::corrections::cancel_dropped_days(ctx, &mut rec, &result.schedules);
    rec.stage = Stage::Parsed;
    store.advance(Stage::Seen, &rec)?;
    crate::control::attention::after_parse(ctx, &rec, &attachments(&result));
    poke("route_planner");
    Ok(())
}

fn attachments(r: &mp2::model::ParseResult) -> Vec<String> {
    r.email
        .as_ref()
        .map(|e| e.attachments.clone())
        .unwrap_or_default()
}
