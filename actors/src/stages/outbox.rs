//! Delivering the outbox: every crew notification is a store entry
//! (`mp2::store::OutboxEntry`) and is sent from here, through the `smtp` or
//! `sms` guard.
//!
//! ## Contract
//! - [`deliver`] sends one entry if it is due: it marks it `sending`
//!   (flushed) before the request, and `sent` (with Twilio's `sid`),
//!   `failed_retrying` (with the next attempt time) or `dead` (with the
//!   reason) after. One entry is never sent by two tasks at once (a lock per
//!   key), so an entry found `sending` while its lock is free was cut off by
//!   a kill between request and record.
//! - What a failure means comes from the error's class
//!   ([`crate::runtime::failure::Classify`], judged by the pipeline's
//!   [`RetryPolicy`] with the outbox's own limits): transient → retried
//!   with backoff, never before a provider's `Retry-After` (which holds the
//!   whole channel, since it is the provider asking); operator (refused
//!   credentials) → retried slowly, not counted; permanent → `dead` at once;
//!   after [`ATTEMPT_LIMIT`] counted attempts → `dead`. A call an open
//!   breaker refused does not count. A dead entry is a "needs attention"
//!   item.
//! - Only an unknown outcome (found `sending`, or a timeout / cut
//!   connection) is judged by the provider: Twilio is asked for the message
//!   (`GET Messages.json`) before it is sent again; an SMTP server cannot be
//!   asked, so the e-mail is sent again with the same `Message-ID` (mail
//!   clients show one) and counted in `status` as a possible duplicate; a
//!   file is simply written again.
//! - [`start`] runs the retries: a loop that delivers whatever is due and
//!   pokes the `notifier` when an entry its message waits for is settled.

use crate::integrations::email::{Email, Mailer};
use crate::integrations::sms::Texter;
use crate::runtime::ctx::Ctx;
use crate::runtime::failure::{Classify, ErrorClass, Failure, RetryPolicy, Verdict};
use crate::runtime::guard::{Guard, GuardError};
use mp2::store::{OutboxEntry, OutboxState, RetryState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts before a notification is given up (with backoff from 2 s
/// doubling to 5 min, about half an hour of a provider refusing).
pub const ATTEMPT_LIMIT: u32 = 12;
const POLICY: RetryPolicy = RetryPolicy {
    limit: ATTEMPT_LIMIT,
    first: Duration::from_secs(2),
    max: Duration::from_secs(300),
};

/// One lock per entry key being delivered.
static LOCKS: Mutex<Option<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = Mutex::new(None);

/// Per channel, the instant before which its provider asked not to be
/// called (`Retry-After`).
static HOLDS: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn key_lock(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut l = lock(&LOCKS);
    let map = l.get_or_insert_with(HashMap::new);
    // Forget the locks nobody holds or waits for, so the map stays small.
    map.retain(|_, m| Arc::strong_count(m) > 1);
    map.entry(key.to_string()).or_default().clone()
}

fn hold_until(channel: &str) -> Option<Instant> {
    let h = lock(&HOLDS);
    h.as_ref()?
        .get(channel)
        .copied()
        .filter(|t| *t > Instant::now())
}

fn hold(channel: &str, d: Duration) {
    let mut h = lock(&HOLDS);
    let until = Instant::now() + d;
    let m = h.get_or_insert_with(HashMap::new);
    let cur = m.entry(channel.to_string()).or_insert(until);
    if *cur < until {
        *cur = until;
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How long until an open entry is due (zero when due now).
pub fn wait_of(e: &OutboxEntry) -> Duration {
    Duration::from_millis((e.next_attempt_ms - now_ms()).max(0) as u64)
}

/// The `file_stem` of an entry for the file transports (as before the
/// outbox, so a demo's folder keeps its names).
pub fn file_stem(key: &str) -> String {
    key.replace(':', "_")
}

/// Sends the entry `key` if it is due (see the module doc); returns it as
/// it now stands.
pub async fn deliver(ctx: &Ctx, key: &str) -> Result<OutboxEntry, String> {
    let l = key_lock(key);
    let _held = l.lock().await;
    let mut e = ctx
        .store
        .outbox_entry(key)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no outbox entry {key}"))?;
    if !e.open() {
        return Ok(e);
    }
    if e.state == OutboxState::Sending {
        // We hold its lock, so no send of this process is in hand.
        tracing::warn!(%key, "A send was cut off between request and record; its outcome is unknown");
        e.in_doubt = true;
    } else if e.next_attempt_ms > now_ms() {
        return Ok(e);
    }
    if let Some(until) = hold_until(&e.channel) {
        e.next_attempt_ms = now_ms() + until.duration_since(Instant::now()).as_millis() as i64;
        if e.state == OutboxState::Sending {
            e.state = OutboxState::FailedRetrying;
        }
        put(ctx, &e)?;
        return Ok(e);
    }
    let Some(crew) = ctx.cfg.crew.iter().find(|c| c.id == e.crew) else {
        return give_up(
            ctx,
            e,
            "the crew member is no longer in the configuration".into(),
        );
    };
    let sms_guard = Guard::new(ctx, "sms");
    if e.in_doubt && e.channel == "sms" {
        match Texter::new(&ctx.cfg) {
            Ok(Texter::Twilio(t)) => {
                let to = crew.phone.clone().unwrap_or_default();
                let since = e.sending_since_ms.unwrap_or(0);
                let found = guarded(&sms_guard, t.find(&to, &e.content.sms, since)).await;
                match found {
                    Ok(Some(sid)) => {
                        tracing::info!(%key, %sid, "Twilio has the message from the cut-off send; not sending it again");
                        e.state = OutboxState::Sent;
                        e.provider_id = Some(sid);
                        e.in_doubt = false;
                        put(ctx, &e)?;
                        return Ok(e);
                    }
                    Ok(None) => {
                        tracing::info!(%key, "Twilio does not have the message from the cut-off send; sending it");
                    }
                    Err(err) => {
                        let r = Refusal::of("looking the message up at Twilio", &err);
                        return failed(ctx, e, r, false);
                    }
                }
            }
            Ok(_) => {}
            Err(err) => return failed(ctx, e, Refusal::of("sms", &err), false),
        }
    }
    if e.in_doubt && e.channel == "email" && smtp(ctx) {
        tracing::warn!(%key, message_id = %e.message_id, "Sending again with the same Message-ID; the crew member may get it twice");
        e.possible_duplicate = true;
    }
    e.state = OutboxState::Sending;
    e.attempts += 1;
    e.sending_since_ms = Some(now_ms());
    e.in_doubt = false;
    put(ctx, &e)?;
    let sent = match e.channel.as_str() {
        "email" => send_email(ctx, crew, &e).await.map(|()| None),
        _ => send_sms(ctx, crew, &e, &sms_guard).await,
    };
    match sent {
        Ok(id) => {
            e.state = OutboxState::Sent;
            e.provider_id = id;
            e.last_error = None;
            put(ctx, &e)?;
            tracing::info!(crew = %crew.id, %key, channel = %e.channel, attempts = e.attempts, "Notification sent");
            Ok(e)
        }
        Err(r) => failed(ctx, e, r, true),
    }
}

fn smtp(ctx: &Ctx) -> bool {
    ctx.cfg
        .notify
        .email
        .as_ref()
        .is_some_and(|m| m.transport == mp2::config::EmailTransportKind::Smtp)
}

fn put(ctx: &Ctx, e: &OutboxEntry) -> Result<(), String> {
    ctx.store.outbox_put(e).map_err(|e| e.to_string())
}

/// A failed call: what the policy makes of it, and whether the request may
/// have reached the provider.
struct Refusal {
    failure: Failure,
    in_doubt: bool,
}

impl Refusal {
    fn of<E: Classify + ?Sized>(context: &str, e: &E) -> Refusal {
        Refusal {
            failure: Failure::of(context, e),
            in_doubt: e.in_doubt(),
        }
    }
}

/// Records a failed attempt by its class. `started`: the attempt was
/// counted when its send began (a lookup before a send was not).
fn failed(ctx: &Ctx, mut e: OutboxEntry, r: Refusal, started: bool) -> Result<OutboxEntry, String> {
    if r.in_doubt {
        e.in_doubt = true;
    }
    let f = &r.failure;
    let prev = RetryState {
        attempts: e.attempts.saturating_sub(u32::from(started)),
        next_attempt: None,
        last_error: String::new(),
    };
    match POLICY.after(Some(&prev), f, chrono::Utc::now()) {
        Verdict::GiveUp { reason, attempts } => {
            e.attempts = attempts;
            give_up(ctx, e, reason)
        }
        Verdict::Again(state) => {
            if let Some(d) = f.retry_after {
                hold(&e.channel, d);
            }
            e.attempts = state.attempts;
            e.state = OutboxState::FailedRetrying;
            e.next_attempt_ms = state
                .next_attempt
                .map_or_else(now_ms, |t| t.timestamp_millis());
            e.last_error = Some(f.error.clone());
            put(ctx, &e)?;
            tracing::warn!(key = %e.key, attempts = e.attempts, retry_in = ?wait_of(&e), error = %f.error, "Notification not sent; will retry");
            Ok(e)
        }
    }
}

fn give_up(ctx: &Ctx, mut e: OutboxEntry, why: String) -> Result<OutboxEntry, String> {
    e.state = OutboxState::Dead;
    e.last_error = Some(why.clone());
    put(ctx, &e)?;
    tracing::error!(key = %e.key, attempts = e.attempts, reason = %why, "Notification given up");
    crate::control::attention::notification_given_up(ctx, &e, &why);
    Ok(e)
}

async fn send_email(
    ctx: &Ctx,
    crew: &mp2::config::CrewMember,
    e: &OutboxEntry,
) -> Result<(), Refusal> {
    let context = format!("email to {}", crew.id);
    let mailer = Mailer::new(&ctx.cfg).map_err(|x| Refusal::of(&context, &x))?;
    let to = crew.email.clone().unwrap_or_default();
    let stem = file_stem(&e.key);
    let what = format!("crew {} email", crew.id);
    let mail = Email {
        to_name: Some(&crew.name),
        to: &to,
        to_what: &what,
        subject: &e.content.subject,
        body: &e.content.body,
        message_id: &e.message_id,
        file_stem: &stem,
    };
    guarded(&Guard::new(ctx, "smtp"), mailer.send(&mail))
        .await
        .map_err(|x| Refusal::of(&context, &x))
}

async fn send_sms(
    ctx: &Ctx,
    crew: &mp2::config::CrewMember,
    e: &OutboxEntry,
    guard: &Guard,
) -> Result<Option<String>, Refusal> {
    let context = format!("sms to {}", crew.id);
    let texter = Texter::new(&ctx.cfg).map_err(|x| Refusal::of(&context, &x))?;
    let to = crew.phone.clone().unwrap_or_default();
    let stem = file_stem(&e.key);
    guarded(guard, texter.send(&to, &e.content.sms, &stem))
        .await
        .map_err(|x| Refusal::of(&context, &x))
}

/// Either the guard's refusal or the provider's.
enum Refused<E: std::fmt::Display> {
    Guard(GuardError<E>),
    Provider(E),
}

impl<E: Classify> std::fmt::Display for Refused<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Guard(g) => g.fmt(f),
            Refused::Provider(e) => e.fmt(f),
        }
    }
}

impl<E: Classify> Classify for Refused<E> {
    fn class(&self) -> ErrorClass {
        match self {
            Refused::Guard(g) => g.class(),
            Refused::Provider(e) => e.class(),
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Refused::Guard(g) => g.retry_after(),
            Refused::Provider(e) => e.retry_after(),
        }
    }
    fn counts(&self) -> bool {
        match self {
            Refused::Guard(g) => g.counts(),
            Refused::Provider(e) => e.counts(),
        }
    }
    fn in_doubt(&self) -> bool {
        match self {
            Refused::Guard(g) => g.in_doubt(),
            Refused::Provider(e) => e.in_doubt(),
        }
    }
}

/// Runs `f` through `guard`; a refusal for good (an invalid number) says
/// nothing about the provider's health, so the breaker hears of it as a
/// call that worked and one bad address cannot open it for everyone.
async fn guarded<T, E: Classify>(
    guard: &Guard,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, Refused<E>> {
    let r = guard
        .call(async {
            match f.await {
                Ok(v) => Ok(Ok(v)),
                Err(e) if e.class() == ErrorClass::Permanent => Ok(Err(e)),
                Err(e) => Err(e),
            }
        })
        .await;
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Refused::Provider(e)),
        Err(g) => Err(Refused::Guard(g)),
    }
}

/// Gives up, without asking anyone, the older day notifications of
/// `newer`'s crew member, day and channel that have not gone out: sent
/// after the newer one they would be wrong, and the newer one says it all.
pub async fn supersede_older(ctx: &Ctx, newer: &OutboxEntry) -> Result<(), String> {
    let Some(version) = newer.day_version else {
        return Ok(());
    };
    let prefix = format!("notify:{}:{}:", newer.crew, newer.date);
    let older = ctx
        .store
        .outbox_prefixed(&prefix)
        .map_err(|e| e.to_string())?;
    for e in older {
        let stale = e.open()
            && e.key != newer.key
            && e.channel == newer.channel
            && e.day_version.is_some_and(|v| v < version);
        if !stale {
            continue;
        }
        let l = key_lock(&e.key);
        let _held = l.lock().await;
        let Some(mut e) = ctx.store.outbox_entry(&e.key).map_err(|e| e.to_string())? else {
            continue;
        };
        if !e.open() {
            continue;
        }
        e.state = OutboxState::Dead;
        e.superseded_by = Some(newer.key.clone());
        e.last_error = Some(format!(
            "superseded by {} before it could be sent",
            newer.key
        ));
        put(ctx, &e)?;
        tracing::info!(key = %e.key, by = %newer.key, "Notification superseded by a newer version before it went out");
    }
    Ok(())
}

/// Starts the retry loop (see the module doc); it ends when the daemon
/// stops.
pub fn start(ctx: &Ctx) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        while !ctx.is_stopping() {
            // A round runs as its own task, so a panic in one costs a round.
            let c = ctx.clone();
            let next = match tokio::spawn(async move { round(&c).await }).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "Outbox round failed; going on");
                    Duration::from_secs(1)
                }
            };
            let mut stop = ctx.stopping.clone();
            tokio::select! {
                _ = tokio::time::sleep(next) => {}
                _ = stop.changed() => {}
            }
        }
    });
}

/// Delivers every due entry, email and SMS side by side; returns when to
/// look again.
async fn round(ctx: &Ctx) -> Duration {
    let open = match ctx.store.outbox_open() {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "Cannot read the outbox");
            return Duration::from_secs(5);
        }
    };
    let mut next = Duration::from_secs(1);
    let mut by_channel: HashMap<String, Vec<String>> = HashMap::new();
    for e in open {
        let wait = wait_of(&e);
        if e.state == OutboxState::Sending || wait.is_zero() {
            by_channel.entry(e.channel.clone()).or_default().push(e.key);
        } else {
            next = next.min(wait);
        }
    }
    let mut tasks = Vec::new();
    for (_, keys) in by_channel {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut settled = false;
            for key in keys {
                if ctx.is_stopping() {
                    break;
                }
                match deliver(&ctx, &key).await {
                    Ok(e) if !e.open() && e.message.is_some() => settled = true,
                    Ok(_) => {}
                    Err(err) => tracing::error!(%key, error = %err, "Outbox entry not delivered"),
                }
            }
            settled
        }));
    }
    let mut settled = false;
    for t in tasks {
        settled |= t.await.unwrap_or(false);
    }
    if settled {
        crate::runtime::pipeline::poke("notifier");
    }
    next.max(Duration::from_millis(200))
}
