//! The `calendar_syncer` stage: `planned` → `synced`.
//!
//! Contract: for every day a message stated and every crew member with a
//! plan, makes that crew member's event true in the configured calendar
//! ([`crate::calendar`]: ICS files, CalDAV or Google), through the
//! `calendar` guard. One event per shooting day: its identity is crew +
//! date, so a revision updates it in place; a cancelled day removes it.
//! Each write is keyed `cal:CREW:DATE:vVERSION` (a removal
//! `cal:CREW:DATE:vVERSION:removed`); the intent is flushed before the write
//! and the completion after, so a replay rewrites nothing already written,
//! and a write whose outcome a crash hid is simply made again (every
//! provider's write is idempotent). Then moves the message to `synced` and
//! pokes `notifier`.
//!
//! A failure leaves the message queued and retries it later: after the
//! server's `Retry-After` when it sent one, else after the breaker's reset
//! time (at most 10 s). A failure only a person can fix (credentials, a
//! token, a setting) is also shown in `status` until a write succeeds.

use crate::calendar::{CalendarError, Change, DayEvent, Provider};
use crate::ctx::Ctx;
use crate::guard::{Guard, GuardError};
use crate::pipeline::{Outcome, StageWork};
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

    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
        if let Some((wait, error)) = held() {
            return retry(error, wait);
        }
        let guard = Guard::new(ctx, "calendar");
        let provider = match Provider::from_config(&ctx.cfg) {
            Ok(p) => p,
            Err(e) => return fail(ctx, &GuardError::Failed(e)),
        };
        for date in rec.days.clone() {
            let day = match ctx.store.day(&date) {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => return retry(e.to_string(), Duration::from_secs(10)),
            };
            for crew in &ctx.cfg.crew {
                let (key, event) = if day.cancelled {
                    let key = format!("cal:{}:{}:v{}:removed", crew.id, date, day.version);
                    (key, None)
                } else {
                    let Ok(Some(plan)) = ctx.store.plan(&date, &crew.id) else {
                        continue;
                    };
                    let key = format!("cal:{}:{}:v{}", crew.id, date, plan.day_version);
                    match DayEvent::build(ctx, crew, &day, &plan) {
                        Ok(e) => (key, Some(e)),
                        Err(e) => return fail(ctx, &GuardError::Failed(CalendarError::Event(e))),
                    }
                };
                if ctx.store.effect(&key).ok().flatten() == Some(Effect::Done) {
                    continue;
                }
                if let Err(e) = ctx.store.effect_intent(&key) {
                    return retry(e.to_string(), Duration::from_secs(10));
                }
                let change = match &event {
                    Some(e) => Change::Put(e),
                    None => Change::Remove {
                        crew: &crew.id,
                        date: &date,
                    },
                };
                match guard.call(provider.apply(ctx, crew, change)).await {
                    Ok(()) => {
                        if let Err(e) = ctx.store.effect_done(&key) {
                            return retry(e.to_string(), Duration::from_secs(10));
                        }
                        ctx.health.condition("calendar", None);
                        if event.is_some() {
                            tracing::info!(crew = %crew.id, %date, version = day.version, "Calendar event written");
                        } else {
                            tracing::info!(crew = %crew.id, %date, "Calendar event of a cancelled day removed");
                        }
                    }
                    Err(e) => {
                        tracing::debug!(crew = %crew.id, %date, error = %e, "Calendar write failed");
                        return fail(ctx, &e);
                    }
                }
            }
        }
        rec.stage = Stage::Synced;
        Outcome::Advance(rec)
    }
}

/// The retry for a failed write, and the `status` note when a person must act.
fn fail(ctx: &Ctx, e: &GuardError<CalendarError>) -> Outcome {
    let reset = ctx.cfg.integration("calendar").breaker_reset;
    // Retrying before the breaker half-opens only collects refusals.
    let mut after = reset.clamp(Duration::from_secs(1), Duration::from_secs(10));
    let error = format!("calendar write failed: {e}");
    if let GuardError::Failed(inner) = e {
        if let Some(asked) = inner.retry_after() {
            after = asked.clamp(Duration::from_secs(1), Duration::from_secs(300));
            hold(after, &error);
        }
        if inner.needs_operator() {
            ctx.health.condition("calendar", Some(inner.to_string()));
        }
    }
    retry(error, after)
}

fn retry(error: String, after: Duration) -> Outcome {
    Outcome::Retry { error, after }
}
