//! The `notifier` stage: `synced` → `notified`.
//!
//! Contract: for every day a message stated, every crew member and every
//! channel they chose, puts their day summary (or what changed, for a new
//! version; or the cancellation) in the outbox as one entry keyed
//! `notify:CREW:DATE:vVERSION:CHANNEL` (`vVERSIONrN` for a plan made again
//! with moved times, see the route planner's healing; flushed), then has the outbox
//! deliver it (see [`crate::stages::outbox`] for sending, retries and what a kill
//! mid-send means). The message becomes `notified` only when every entry is
//! `sent`; while one is waiting for its provider, the stage asks to be
//! retried when it is due (not counted against the message's own retry
//! limit: the outbox limits its attempts); when one is `dead`, the message
//! is `failed` with
//! the reason (and the notification is a "needs attention" item). Days whose
//! call has passed are skipped unless `notify.past_days`.

use crate::runtime::ctx::Ctx;
use crate::runtime::failure::{ErrorClass, Failure};
use crate::runtime::pipeline::{Outcome, StageWork};
use crate::stages::outbox;
use mp2::config::{Channel, CrewMember, SmsProvider};
use mp2::store::{MessageRecord, Notification, OutboxEntry, OutboxState, Stage};
use mp2::summary;
use std::time::Duration;

pub struct Notifier;

impl StageWork for Notifier {
    const NAME: &'static str = "notifier";
    const INPUT: Stage = Stage::Synced;
    const NEXT: Option<&'static str> = None;

    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
        let mut keys = Vec::new();
        for date in rec.days.clone() {
            let Ok(Some(day)) = ctx.store.day(&date) else {
                continue;
            };
            for crew in &ctx.cfg.crew {
                let Ok(Some(plan)) = ctx.store.plan(&date, &crew.id) else {
                    continue;
                };
                if !ctx.cfg.notify.past_days && is_past(&plan.plan.call) {
                    continue;
                }
                if day.cancelled {
                    if let Err(e) = queue_cancelled(ctx, crew, &day, &rec.key, &mut keys) {
                        return retry(e);
                    }
                    continue;
                }
                let production = day
                    .schedule
                    .production
                    .clone()
                    .unwrap_or_else(|| ctx.cfg.production.name.clone());
                // A plan made again on the provider's answer moved its times.
                let changed = day.version > 1 || plan.revision > 0;
                let msg = Message {
                    subject: summary::subject(&production, &day.schedule, changed, crew.language),
                    body: summary::body(
                        &day.schedule,
                        &plan.plan,
                        day.previous.as_ref(),
                        plan.previous.as_ref(),
                        crew.language,
                    ),
                    sms: summary::sms(
                        &production,
                        &day.schedule,
                        &plan.plan,
                        changed,
                        crew.language,
                    ),
                };
                let msg = crate::control::attention::mark_tentative(msg, &day.schedule, crew);
                let msg = crate::stages::calendar_syncer::mark_calendar_follows(
                    ctx,
                    msg,
                    crew,
                    &date,
                    &plan.version_tag(),
                );
                for channel in &crew.channels {
                    let key = format!(
                        "notify:{}:{}:{}:{}",
                        crew.id,
                        date,
                        plan.version_tag(),
                        channel_name(*channel)
                    );
                    let slot = Slot {
                        key: &key,
                        date: &date,
                        message: Some(&rec.key),
                        day_version: Some(plan.day_version),
                    };
                    match queue(ctx, crew, *channel, &slot, &msg) {
                        Ok(true) => keys.push(key),
                        Ok(false) => {}
                        Err(e) => return retry(e),
                    }
                }
            }
        }
        let mut waiting: Vec<OutboxEntry> = Vec::new();
        let mut dead = Vec::new();
        for key in &keys {
            if let Ok(Some(e)) = ctx.store.outbox_entry(key) {
                if let Err(err) = outbox::supersede_older(ctx, &e).await {
                    return retry(err);
                }
            }
            let e = match outbox::deliver(ctx, key).await {
                Ok(e) => e,
                Err(e) => return retry(e),
            };
            match e.state {
                OutboxState::Sent => {}
                // A newer version of the day was sent in its place.
                OutboxState::Dead if e.superseded_by.is_some() => {}
                OutboxState::Dead => dead.push(format!(
                    "{} notification to {} about {} given up: {}",
                    e.channel,
                    e.crew,
                    e.date,
                    e.last_error.as_deref().unwrap_or("no reason recorded")
                )),
                _ => waiting.push(e),
            }
        }
        if let Some(first) = waiting.iter().min_by_key(|e| e.next_attempt_ms) {
            // The outbox counts and limits its own attempts; waiting for it
            // must not use up the message's.
            return Outcome::Failed(Failure {
                class: ErrorClass::Transient,
                error: format!(
                    "{} notification(s) not sent yet; {}",
                    waiting.len(),
                    first
                        .last_error
                        .as_deref()
                        .unwrap_or("waiting for its turn")
                ),
                retry_after: Some(outbox::wait_of(first).max(Duration::from_millis(500))),
                counts: false,
            });
        }
        if dead.is_empty() {
            rec.stage = Stage::Notified;
        } else {
            rec.stage = Stage::Failed;
            rec.errors.extend(dead);
        }
        Outcome::Advance(rec)
    }
}

/// What to tell one crew member.
pub struct Message {
    pub subject: String,
    pub body: String,
    /// The short form for SMS.
    pub sms: String,
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}

/// Whether `crew` can be reached on `channel` with what is configured (a
/// member without a phone gets no SMS, as before the outbox).
fn reachable(ctx: &Ctx, crew: &CrewMember, channel: Channel) -> bool {
    match channel {
        Channel::Email => ctx.cfg.notify.email.is_some() && crew.email.is_some(),
        Channel::Sms => {
            ctx.cfg
                .notify
                .sms
                .as_ref()
                .is_some_and(|s| s.provider != SmsProvider::None)
                && crew.phone.is_some()
        }
    }
}

/// Where a notification goes in the outbox.
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    /// The idempotency key (see the module doc).
    pub key: &'a str,
    pub date: &'a str,
    /// The message whose stage waits for it (`None`: a weather alert).
    pub message: Option<&'a str>,
    /// The day version it is about, so a newer one can supersede it.
    pub day_version: Option<u64>,
}

/// Puts one notification in the outbox (once per `key`; flushed). `message`
/// is the message whose stage waits for it.
pub fn queue(
    ctx: &Ctx,
    crew: &CrewMember,
    channel: Channel,
    slot: &Slot<'_>,
    msg: &Message,
) -> Result<bool, String> {
    let Slot {
        key,
        date,
        message,
        day_version,
    } = *slot;
    if !reachable(ctx, crew, channel) {
        return Ok(false);
    }
    let content = Notification {
        subject: msg.subject.clone(),
        body: msg.body.clone(),
        // Marks and alerts are added after the summary: fit the whole once more.
        sms: mp2::summary::fit_sms(&msg.sms),
    };
    let mut entry = OutboxEntry::new(key, &crew.id, date, channel_name(channel), message, content);
    entry.day_version = day_version;
    ctx.store
        .outbox_enqueue(entry)
        .map(|_| true)
        .map_err(|e| e.to_string())
}

/// Queues the news that a day a crew member had a plan for is cancelled
/// (keyed `notify:CREW:DATE:cancelled:CHANNEL`: a later version of the
/// cancelled day tells nobody again).
fn queue_cancelled(
    ctx: &Ctx,
    crew: &CrewMember,
    day: &mp2::store::DayRecord,
    message: &str,
    keys: &mut Vec<String>,
) -> Result<(), String> {
    let production = day
        .schedule
        .production
        .clone()
        .unwrap_or_else(|| ctx.cfg.production.name.clone());
    let (subject, body, sms) = summary::cancelled(&production, &day.schedule, crew.language);
    let msg = Message { subject, body, sms };
    for channel in &crew.channels {
        let key = format!(
            "notify:{}:{}:cancelled:{}",
            crew.id,
            day.date,
            channel_name(*channel)
        );
        let slot = Slot {
            key: &key,
            date: &day.date,
            message: Some(message),
            day_version: Some(day.version),
        };
        if queue(ctx, crew, *channel, &slot, &msg)? {
            keys.push(key);
        }
    }
    Ok(())
}

fn retry(error: String) -> Outcome {
    Outcome::Retry {
        error,
        after: Duration::from_secs(15),
    }
}

fn is_past(iso: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(iso)
        .map(|t| t < chrono::Utc::now())
        .unwrap_or(false)
}
