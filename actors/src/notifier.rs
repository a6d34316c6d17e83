//! The `notifier` stage: `synced` → `notified`.
//!
//! Contract: for every day a message stated, every crew member and every
//! channel they chose, sends their day summary (or what changed, for a new
//! version) through the `smtp` or `sms` guard. Each send is keyed
//! `notify:CREW:DATE:vVERSION:CHANNEL`: an intent is flushed before the send
//! and completion after. After a crash between the two, file transports
//! write again (same file name, same bytes), while SMTP and Twilio sends are
//! not repeated — a lost notification is better than the same one twice at
//! 4 am; the log says which. Days whose call has passed are skipped unless
//! `notify.past_days`.

use crate::calendar::ics_file::write_atomic;
use crate::ctx::Ctx;
use crate::guard::Guard;
use crate::pipeline::{Outcome, StageWork};
use mp2::config::{Channel, CrewMember, EmailTransportKind, SmsProvider};
use mp2::store::{Effect, MessageRecord, Stage};
use mp2::summary;
use std::time::Duration;

pub struct Notifier;

impl StageWork for Notifier {
    const NAME: &'static str = "notifier";
    const INPUT: Stage = Stage::Synced;
    const NEXT: Option<&'static str> = None;

    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
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
                    if let Err(e) = notify_cancelled(ctx, crew, &day).await {
                        return retry(e);
                    }
                    continue;
                }
                let production = day
                    .schedule
                    .production
                    .clone()
                    .unwrap_or_else(|| ctx.cfg.production.name.clone());
                let changed = day.version > 1;
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
                let msg = crate::attention::mark_tentative(msg, &day.schedule, crew);
                let msg = crate::calendar_syncer::mark_calendar_follows(
                    ctx,
                    msg,
                    crew,
                    &date,
                    plan.day_version,
                );
                for channel in &crew.channels {
                    let key = format!(
                        "notify:{}:{}:v{}:{}",
                        crew.id,
                        date,
                        plan.day_version,
                        channel_name(*channel)
                    );
                    if let Err(e) = notify_once(ctx, crew, *channel, &key, &msg).await {
                        return retry(e);
                    }
                }
            }
        }
        rec.stage = Stage::Notified;
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

/// Sends `msg` on one channel at most once per idempotency `key`: the intent
/// is flushed before the send and the completion after (see the module doc
/// for what a crash in between means per transport).
pub async fn notify_once(
    ctx: &Ctx,
    crew: &CrewMember,
    channel: Channel,
    key: &str,
    msg: &Message,
) -> Result<(), String> {
    let idempotent_transport = match channel {
        Channel::Email => ctx
            .cfg
            .notify
            .email
            .as_ref()
            .map(|e| e.transport == EmailTransportKind::File),
        Channel::Sms => ctx
            .cfg
            .notify
            .sms
            .as_ref()
            .map(|s| s.provider == SmsProvider::File),
    };
    match ctx.store.effect(key).ok().flatten() {
        Some(Effect::Done) => return Ok(()),
        Some(Effect::Intent) if idempotent_transport != Some(true) => {
            tracing::warn!(%key, "A send was interrupted by a crash; not repeating it (it may or may not have gone out)");
            crate::attention::notification_given_up(ctx, crew, key);
            return ctx.store.effect_done(key).map_err(|e| e.to_string());
        }
        _ => {}
    }
    ctx.store.effect_intent(key).map_err(|e| e.to_string())?;
    let sent = match channel {
        Channel::Email => send_email(ctx, crew, key, &msg.subject, &msg.body).await,
        Channel::Sms => send_sms(ctx, crew, key, &msg.sms).await,
    };
    let ch = channel_name(channel);
    sent.map_err(|e| format!("{ch} to {} failed: {e}", crew.id))?;
    ctx.store.effect_done(key).map_err(|e| e.to_string())?;
    tracing::info!(crew = %crew.id, %key, channel = ch, "Notification sent");
    Ok(())
}

/// Tells a crew member once that a day they had a plan for is cancelled
/// (keyed `notify:CREW:DATE:cancelled:CHANNEL`: a later version of the
/// cancelled day tells nobody again).
async fn notify_cancelled(
    ctx: &Ctx,
    crew: &CrewMember,
    day: &mp2::store::DayRecord,
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
        notify_once(ctx, crew, *channel, &key, &msg).await?;
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

/// A file transport's send: the same name for the same key, so a repeat
/// overwrites instead of adding.
pub(crate) async fn write_file(
    guard: &Guard,
    path: std::path::PathBuf,
    bytes: Vec<u8>,
) -> Result<(), String> {
    guard
        .call(async move {
            tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
                .await
                .map_err(|e| e.to_string())?
        })
        .await
        .map_err(|e| e.to_string())
}

pub(crate) fn file_name(key: &str) -> String {
    key.replace(':', "_")
}

async fn send_email(
    ctx: &Ctx,
    crew: &CrewMember,
    key: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
    let Some(cfg) = ctx.cfg.notify.email.clone() else {
        return Ok(());
    };
    let Some(to) = crew.email.clone() else {
        return Ok(());
    };
    let msg = lettre::Message::builder()
        .from(
            cfg.from
                .parse()
                .map_err(|e| format!("notify.email.from: {e}"))?,
        )
        .to(format!("{} <{}>", crew.name, to)
            .parse()
            .map_err(|e| format!("crew {} email: {e}", crew.id))?)
        .subject(subject.to_string())
        .message_id(Some(format!("<{}@mp2>", file_name(key))))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| e.to_string())?;
    let guard = Guard::new(ctx, "smtp");
    match cfg.transport {
        EmailTransportKind::File => {
            let dir = cfg.dir.clone().ok_or("notify.email.dir is not set")?;
            let path = dir.join(format!("{}.eml", file_name(key)));
            write_file(&guard, path, msg.formatted()).await
        }
        EmailTransportKind::Smtp => {
            use lettre::AsyncTransport;
            let transport = smtp_transport(ctx, &cfg)?;
            guard
                .call(async move {
                    transport
                        .send(msg)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())
        }
    }
}

pub(crate) fn smtp_transport(
    ctx: &Ctx,
    cfg: &mp2::config::EmailTransport,
) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, String> {
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let host = cfg.host.clone().ok_or("notify.email.host is not set")?;
    let mut b = match cfg.tls {
        mp2::config::Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
        mp2::config::Tls::Starttls | mp2::config::Tls::Implicit => {
            let mut tp = TlsParameters::builder(host.clone());
            if let Some(ca) = &cfg.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| format!("notify.email.ca_file {}: {e}", ca.display()))?;
                let cert = lettre::transport::smtp::client::Certificate::from_pem(&pem)
                    .map_err(|e| e.to_string())?;
                tp = tp.add_root_certificate(cert);
            }
            let tp = tp.build().map_err(|e| e.to_string())?;
            let tls = if cfg.tls == mp2::config::Tls::Implicit {
                Tls::Wrapper(tp)
            } else {
                Tls::Required(tp)
            };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host).tls(tls)
        }
    };
    if let Some(p) = cfg.port {
        b = b.port(p);
    }
    if let (Some(u), Some(pf)) = (&cfg.username, &cfg.password_file) {
        let pw = ctx.cfg.read_secret(pf)?;
        b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
            u.clone(),
            pw,
        ));
    }
    Ok(b.timeout(Some(ctx.cfg.integration("smtp").timeout)).build())
}

async fn send_sms(ctx: &Ctx, crew: &CrewMember, key: &str, text: &str) -> Result<(), String> {
    let Some(cfg) = ctx.cfg.notify.sms.clone() else {
        return Ok(());
    };
    let Some(to) = crew.phone.clone() else {
        return Ok(());
    };
    // Marks and alerts are added after the summary: fit the whole once more.
    let text = mp2::summary::fit_sms(text);
    let guard = Guard::new(ctx, "sms");
    match cfg.provider {
        SmsProvider::None => Ok(()),
        SmsProvider::File => {
            let dir = cfg.dir.clone().ok_or("notify.sms.dir is not set")?;
            let path = dir.join(format!("{}.json", file_name(key)));
            let doc = serde_json::json!({"to": to, "from": cfg.from, "body": text});
            let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
            write_file(&guard, path, bytes).await
        }
        SmsProvider::Twilio => {
            let endpoint = cfg
                .endpoint
                .clone()
                .unwrap_or_else(|| "https://api.twilio.com".into());
            let sid = cfg
                .account_sid
                .clone()
                .ok_or("notify.sms.account_sid is not set")?;
            let token = ctx.cfg.read_secret(
                cfg.auth_token_file
                    .as_deref()
                    .ok_or("notify.sms.auth_token_file is not set")?,
            )?;
            let url = format!(
                "{}/2010-04-01/Accounts/{sid}/Messages.json",
                endpoint.trim_end_matches('/')
            );
            let form = [
                ("To", to),
                ("From", cfg.from.clone().unwrap_or_default()),
                ("Body", text),
            ];
            let client = crate::http::client(cfg.ca_file.as_deref())
                .map_err(|e| format!("notify.sms.{e}"))?;
            guard
                .call(async move {
                    let r = client
                        .post(&url)
                        .basic_auth(&sid, Some(&token))
                        .form(&form)
                        .send()
                        .await
                        .map_err(|e| crate::http::describe("Twilio", e))?;
                    let status = r.status();
                    if status.is_success() {
                        Ok(())
                    } else {
                        let body = r.text().await.unwrap_or_default();
                        // A server may quote the request back, credentials and all.
                        Err(format!(
                            "Twilio answered {status}: {}",
                            mp2::config::redact(&body)
                                .chars()
                                .take(200)
                                .collect::<String>()
                        ))
                    }
                })
                .await
                .map_err(|e| e.to_string())
        }
    }
}
