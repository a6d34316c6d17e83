//! The `calendar_syncer` stage: `planned` → `synced`.
//!
//! Contract: for every day a message stated and every crew member with a
//! plan, makes that crew member's event true in the configured calendar
//! ([`crate::integrations::calendar`]: ICS files, CalDAV or Google), through the
//! `calendar` guard. One event per shooting day: its identity is crew +
//! date, so a revision updates it in place; a cancelled day removes it.
//! Each write is keyed `cal:CREW:DATE:vVERSION` (a removal
//! `cal:CREW:DATE:vVERSION:removed`); the intent is flushed before the write
//! and the completion after, so a replay rewrites nothing already written,
//! and a write whose outcome a crash hid is simply made again (every
//! provider's write is idempotent). Then moves the message to `synced` and
//! pokes `notifier`.
//!
//! A failed write does not hold the message: it moves on to `synced` (its
//! e-mail says the calendar will follow) and also waits in the calendar
//! backlog, which this actor retries on its own, one message at a time in
//! arrival order, with the message's own attempt count and next-attempt
//! time ([`crate::runtime::failure`]): after the server's `Retry-After` when it sent
//! one (held for every message), backing off otherwise. A refusal waiting
//! cannot fix (a 4xx, an event that cannot be built) or the retry limit
//! makes the message `failed` with the reason. A failure only a person can
//! fix (credentials, a token, a setting) is also shown in `status` until a
//! write succeeds. One actor does both the first writes and the backlog, so
//! two writes of one crew member's calendar never run at once.

use crate::integrations::calendar::{CalendarError, Change, DayEvent, Provider};
use crate::runtime::ctx::Ctx;
use crate::runtime::failure::{ErrorClass, Failure};
use crate::runtime::guard::{Guard, GuardError};
use crate::runtime::pipeline::{Outcome, StageWork};
use mp2::store::{Effect, MessageRecord, Stage};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct CalendarSyncer;

/// Until when the server asked us to wait (`Retry-After`), and the error it
/// came with. Upstream stages poke this one whenever they advance a message,
/// so the stage's own retry delay alone would not keep us quiet that long.
static HOLD: Mutex<Option<(Instant, String)>> = Mutex::new(None);

fn held() -> Option<(Duration, String)> {
    let mut h = HOLD.lock().unwrap_or_else(|e| e.into_inner());
    match h.as_ref() {
        Some((until, error)) if *until > Instant::now() => {
            Some((*until - Instant::now(), error.clone()))
        }
        Some(_) => {
            *h = None;
            None
        }
        None => None,
    }
}

fn hold(after: Duration, error: &str) {
    let mut h = HOLD.lock().unwrap_or_else(|e| e.into_inner());
    *h = Some((Instant::now() + after, error.to_string()));
}

impl StageWork for CalendarSyncer {
    const NAME: &'static str = "calendar_syncer";
    const INPUT: Stage = Stage::Planned;
    const NEXT: Option<&'static str> = Some("notifier");
    const BACKLOG: bool = true;

    /// The calendar never holds the crew's notifications back: when a write
    /// fails the message goes on to `synced` (the notifier tells the crew
    /// their calendar will follow) and waits in the backlog for the writes.
    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
        let result = write_days(ctx, &rec).await;
        rec.stage = Stage::Synced;
        match result {
            Ok(()) => Outcome::Advance(rec),
            Err(Stop::Store(e)) => Outcome::Failed(Failure::of("store", &e)),
            Err(Stop::Calendar(f)) => Outcome::Defer(rec, f),
        }
    }

    /// The backlog writes whatever is current for the message's days (a
    /// later version written meanwhile is not written again: its effect key
    /// is done), so a late retry never puts an old version back.
    async fn process_backlog(&self, ctx: &Ctx, rec: MessageRecord) -> Outcome {
        match write_days(ctx, &rec).await {
            Ok(()) => {
                tracing::info!(message = %rec.key, "Calendar backlog of a message written");
                Outcome::Advance(rec)
            }
            Err(Stop::Store(e)) => Outcome::Failed(Failure::of("store", &e)),
            Err(Stop::Calendar(f)) => Outcome::Failed(f),
        }
    }
}

/// Why writing a message's days stopped.
enum Stop {
    Store(mp2::store::StoreError),
    Calendar(Failure),
}

/// Makes every crew member's event of every day the message stated true.
async fn write_days(ctx: &Ctx, rec: &MessageRecord) -> Result<(), Stop> {
    if let Some((wait, error)) = held() {
        return Err(Stop::Calendar(Failure {
            class: ErrorClass::Transient,
            error,
            retry_after: Some(wait),
            counts: false,
        }));
    }
    let guard = Guard::new(ctx, "calendar");
    let provider = match Provider::from_config(&ctx.cfg) {
        Ok(p) => p,
        Err(e) => return Err(fail(ctx, &GuardError::Failed(e))),
    };
    for date in &rec.days {
        let Some(day) = ctx.store.day(date).map_err(Stop::Store)? else {
            continue;
        };
        for crew in &ctx.cfg.crew {
            let (key, event) = if day.cancelled {
                let key = format!("cal:{}:{}:v{}:removed", crew.id, date, day.version);
                (key, None)
            } else {
                let Ok(Some(plan)) = ctx.store.plan(date, &crew.id) else {
                    continue;
                };
                let key = event_key(&crew.id, date, &plan.version_tag());
                match DayEvent::build(ctx, crew, &day, &plan) {
                    Ok(e) => (key, Some(e)),
                    Err(e) => return Err(fail(ctx, &GuardError::Failed(CalendarError::Event(e)))),
                }
            };
            if ctx.store.effect(&key).ok().flatten() == Some(Effect::Done) {
                continue;
            }
            ctx.store.effect_intent(&key).map_err(Stop::Store)?;
            let change = match &event {
                Some(e) => Change::Put(e),
                None => Change::Remove {
                    crew: &crew.id,
                    date,
                },
            };
            match guard.call(provider.apply(ctx, crew, change)).await {
                Ok(()) => {
                    ctx.store.effect_done(&key).map_err(Stop::Store)?;
                    ctx.health.condition("calendar", None);
                    if event.is_some() {
                        tracing::info!(crew = %crew.id, %date, version = day.version, "Calendar event written");
                    } else {
                        tracing::info!(crew = %crew.id, %date, "Calendar event of a cancelled day removed");
                    }
                }
                Err(e) => {
                    tracing::debug!(crew = %crew.id, %date, error = %e, "Calendar write failed");
                    return Err(fail(ctx, &e));
                }
            }
        }
    }
    Ok(())
}

/// The idempotency key of a crew member's event at a plan's version tag
/// ([`mp2::store::PlanRecord::version_tag`]: `v3`, or `v3r1` once healing
/// moved its times).
fn event_key(crew: &str, date: &str, tag: &str) -> String {
    format!("cal:{crew}:{date}:{tag}")
}

/// Whether the crew member's event for this day version is still to be
/// written (the notifier then tells them their calendar will follow).
pub fn event_pending(ctx: &Ctx, crew: &str, date: &str, tag: &str) -> bool {
    ctx.store.effect(&event_key(crew, date, tag)).ok().flatten() != Some(Effect::Done)
}

/// Adds [`Say::CalendarFollows`](mp2::crew_text::Say) to a crew member's e-mail when
/// their event for this day version is still in the backlog.
pub fn mark_calendar_follows(
    ctx: &Ctx,
    msg: crate::stages::notifier::Message,
    crew: &mp2::config::CrewMember,
    date: &str,
    tag: &str,
) -> crate::stages::notifier::Message {
    if !event_pending(ctx, &crew.id, date, tag) {
        return msg;
    }
    let line = mp2::crew_text::say(crew.language, &mp2::crew_text::Say::CalendarFollows);
    crate::stages::notifier::Message {
        body: format!("{}\n{line}\n", msg.body.trim_end()),
        ..msg
    }
}

/// The failure of a write, a server's `Retry-After` held for every message,
/// and the `status` note when a person must act.
fn fail(ctx: &Ctx, e: &GuardError<CalendarError>) -> Stop {
    let f = Failure::of("calendar write failed", e);
    if let Some(asked) = f.retry_after {
        hold(
            asked.clamp(Duration::from_secs(1), Duration::from_secs(300)),
            &f.error,
        );
    }
    if let GuardError::Failed(inner) = e {
        if f.class == ErrorClass::Operator {
            ctx.health.condition("calendar", Some(inner.to_string()));
        }
    }
    Stop::Calendar(f)
}
