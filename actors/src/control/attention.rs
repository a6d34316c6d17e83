//! Asking a person for help: raising "needs attention" items at the points
//! where the pipeline meets something it cannot do alone, and telling the
//! production coordinators (`production.coordinators`) once per item.
//!
//! Contract: [`raise`] stores the item (a problem's key makes raising it again
//! a no-op, so a retry, a restart or a reprocess raises nothing new) and then
//! starts [`tell`]. `tell` sends each untold item to each coordinator through
//! the `smtp` guard, at most once: per recipient an intent is flushed before
//! the send and completion after; an intent found after a crash is not sent
//! again (a lost e-mail is better than a coordinator's inbox filling up), a
//! refused send is tried again later. Once every coordinator has it, the
//! item is marked told (flushed). At start-up `tell` picks up whatever was
//! not told before a stop.

use crate::integrations::email::{Email, Mailer};
use crate::runtime::ctx::Ctx;
use crate::runtime::guard::Guard;
use crate::stages::notifier::Message;
use crate::stages::outbox::file_stem;
use mp2::attention::{self, Source};
use mp2::config::CrewMember;
use mp2::store::{Effect, MessageRecord, NewAttention, OutboxEntry, Stage};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How often a stage may fail on one message before a person is asked.
pub const RETRY_LIMIT: u32 = 5;

/// One `tell` at a time, so two raises never send the same item twice.
static TELLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Failed attempts per (stage, message), since start.
static ATTEMPTS: Mutex<Option<HashMap<(String, String), u32>>> = Mutex::new(None);

/// What the reason sentences say about a message.
pub fn source(rec: &MessageRecord, files: &[String]) -> Source {
    let pdfs: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| f.to_ascii_lowercase().ends_with(".pdf"))
        .collect();
    Source {
        key: rec.key.clone(),
        message_id: rec.message_id.clone(),
        subject: rec.subject.clone(),
        file: if pdfs.is_empty() {
            match rec.subject.is_empty() {
                true => rec.message_id.clone(),
                false => format!("„{}”", rec.subject),
            }
        } else {
            pdfs.join(", ")
        },
    }
}

/// Stores a problem and, when it is new, tells the coordinators.
pub fn raise(ctx: &Ctx, new: NewAttention) {
    match ctx.store.raise_attention(new) {
        Ok(Some(item)) => {
            tracing::warn!(id = item.id, date = ?item.date, message_id = %item.message_id, reason = %item.reason, "Needs attention");
            tell_soon(ctx);
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "Could not record an attention item"),
    }
}

/// Raises what the newest version of `date` lacks, and closes that day's
/// items it no longer lacks (a correction, a revised sheet).
pub fn check_day(ctx: &Ctx, src: &Source, date: &str) {
    let Ok(Some(day)) = ctx.store.day(date) else {
        return;
    };
    let problems = attention::day_problems(
        &day.schedule,
        &ctx.cfg.crew,
        src,
        ctx.cfg.production.language,
    );
    let keys: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
    if let Err(e) = ctx.store.resolve_day_attention(date, &keys) {
        tracing::warn!(error = %e, %date, "Could not close attention items");
    }
    for p in problems {
        raise(ctx, p);
    }
}

/// The parser finished with a message: a failed schedule e-mail is an item;
/// a read one closes its message's items and has its days checked.
pub fn after_parse(ctx: &Ctx, rec: &MessageRecord, files: &[String]) {
    let src = source(rec, files);
    let lang = ctx.cfg.production.language;
    if rec.stage == Stage::Failed {
        raise(ctx, attention::unreadable(&src, &rec.errors, lang));
        return;
    }
    if let Err(e) = ctx.store.resolve_message_attention(&rec.message_id) {
        tracing::warn!(error = %e, "Could not close attention items");
    }
    for date in &rec.days {
        check_day(ctx, &src, date);
    }
}

/// A stage failed on a message; past [`RETRY_LIMIT`] attempts a person is
/// asked (once: the item's key is per message and stage).
pub fn on_retry(ctx: &Ctx, key: &str, stage: &str, error: &str) {
    let n = {
        let mut a = ATTEMPTS.lock().unwrap_or_else(|e| e.into_inner());
        let n = a
            .get_or_insert_with(HashMap::new)
            .entry((stage.to_string(), key.to_string()))
            .or_insert(0);
        *n += 1;
        *n
    };
    if n < RETRY_LIMIT {
        return;
    }
    if let Ok(Some(rec)) = ctx.store.message(key) {
        let src = source(&rec, &[]);
        raise(
            ctx,
            attention::stuck(&src, stage, n, error, ctx.cfg.production.language),
        );
    }
}

/// A stage gave a message up (`failed` with `reason`): a person is asked,
/// once per message and stage.
pub fn on_given_up(ctx: &Ctx, key: &str, stage: &str, attempts: u32, reason: &str) {
    {
        let mut a = ATTEMPTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = a.as_mut() {
            m.remove(&(stage.to_string(), key.to_string()));
        }
    }
    let _ = ctx
        .store
        .resolve_attention(&attention::stuck_key(key, stage));
    if let Ok(Some(rec)) = ctx.store.message(key) {
        let src = source(&rec, &[]);
        raise(
            ctx,
            attention::failed(&src, stage, attempts, reason, ctx.cfg.production.language),
        );
    }
}

/// The stage finished the message: its count starts again, and a "stuck"
/// item about it is closed (the cause went away).
pub fn on_success(ctx: &Ctx, key: &str, stage: &str) {
    {
        let mut a = ATTEMPTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = a.as_mut() {
            m.remove(&(stage.to_string(), key.to_string()));
        }
    }
    // Also after a restart, when the count was lost: one lookup by key.
    let _ = ctx
        .store
        .resolve_attention(&attention::stuck_key(key, stage));
}

/// Starts [`tell`] in the background, and tries again every 30 s while a
/// coordinator's e-mail is refused.
pub fn tell_soon(ctx: &Ctx) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        while !tell(&ctx).await && !ctx.is_stopping() {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
}

/// Sends every untold item to every coordinator (see the module doc).
/// False when some send was refused (to be tried again).
pub async fn tell(ctx: &Ctx) -> bool {
    let _one = TELLING.lock().await;
    let items = match ctx.store.attention_untold() {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "Could not read attention items");
            return true;
        }
    };
    let coordinators = &ctx.cfg.production.coordinators;
    let mut again = false;
    for item in items {
        let mut all = true;
        for to in coordinators {
            let key = format!("tell:{}:{to}", item.id);
            match ctx.store.effect(&key).ok().flatten() {
                Some(Effect::Done) => continue,
                Some(Effect::Intent) => {
                    tracing::warn!(%key, "A coordinator e-mail was interrupted by a stop; not sending it again");
                    let _ = ctx.store.effect_done(&key);
                    continue;
                }
                None => {}
            }
            if ctx.store.effect_intent(&key).is_err() {
                all = false;
                continue;
            }
            let (subject, body) = attention::coordinator_mail(
                &ctx.cfg.production.name,
                &item,
                ctx.cfg.production.language,
            );
            match send(ctx, to, &key, &subject, &body).await {
                Ok(()) => {
                    let _ = ctx.store.effect_done(&key);
                    tracing::info!(id = item.id, %to, "Coordinator told");
                }
                Err(e) => {
                    // Refused: it did not go out, so it may be tried again.
                    let _ = ctx.store.clear_effect(&key);
                    tracing::warn!(id = item.id, %to, error = %e, "Could not tell a coordinator; will try again");
                    all = false;
                }
            }
        }
        if all {
            if let Err(e) = ctx.store.mark_attention_told(&item.key) {
                tracing::error!(error = %e, "Could not mark an attention item told");
            }
        } else {
            again = true;
        }
    }
    !again
}

/// One e-mail to one coordinator, through the `smtp` guard.
async fn send(ctx: &Ctx, to: &str, key: &str, subject: &str, body: &str) -> Result<(), String> {
    if ctx.cfg.notify.email.is_none() {
        return Err("notify.email is not configured; coordinators cannot be e-mailed".into());
    }
    let mailer = Mailer::new(&ctx.cfg).map_err(|e| e.to_string())?;
    let stem = file_stem(key);
    let message_id = format!("<{}@mp2>", stem.replace('@', "."));
    let mail = Email {
        to_name: None,
        to,
        to_what: "production.coordinators",
        subject,
        body,
        message_id: &message_id,
        file_stem: &stem,
    };
    Guard::new(ctx, "smtp")
        .call(mailer.send(&mail))
        .await
        .map_err(|e| e.to_string())
}

/// A crew notification was given up (`why`: refused for good, out of
/// attempts): the crew member may not know their day, so a person is asked.
pub fn notification_given_up(ctx: &Ctx, entry: &OutboxEntry, why: &str) {
    let day = ctx.store.day(&entry.date).ok().flatten();
    let rec = match &entry.message {
        Some(k) => ctx.store.message(k).ok().flatten(),
        None => day
            .as_ref()
            .and_then(|d| ctx.store.find_message(&d.message_id).ok().flatten()),
    };
    let src = match &rec {
        Some(r) => source(r, &[]),
        None => Source {
            key: entry.key.clone(),
            message_id: day.map(|d| d.message_id).unwrap_or_default(),
            ..Default::default()
        },
    };
    let mut item = attention::notification_given_up(
        &src,
        &entry.crew,
        &entry.date,
        &entry.channel,
        why,
        ctx.cfg.production.language,
    );
    item.key = format!("{}:given_up", entry.key);
    raise(ctx, item);
}

/// Marks a crew member's message when their plan rests on a field the reader
/// is not sure of ("godzina do potwierdzenia"), in subject, body and SMS.
pub fn mark_tentative(msg: Message, day: &mp2::model::ShootDay, crew: &CrewMember) -> Message {
    let marks = attention::tentative_marks(day, crew, crew.language);
    if marks.is_empty() {
        return msg;
    }
    let note = marks.join(", ");
    let head = match crew.language {
        mp2::config::Language::Pl => "UWAGA",
        mp2::config::Language::En => "NOTE",
    };
    Message {
        subject: format!("[{note}] {}", msg.subject),
        body: format!("{head}: {note}.\n\n{}", msg.body),
        sms: format!("[{note}] {}", msg.sms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp2::config::{Language, Site};
    use mp2::model::{Field, ShootDay};

    fn crew(language: Language) -> CrewMember {
        CrewMember {
            id: "tomek".into(),
            name: "Tomasz".into(),
            email: None,
            phone: None,
            home: Site {
                name: None,
                address: "x".into(),
                lat: None,
                lon: None,
            },
            channels: vec![],
            department: None,
            via_base: false,
            language,
        }
    }

    fn msg() -> Message {
        Message {
            subject: "MP2: Plan na 2024-03-15".into(),
            body: "Pobudka: 05:00\n".into(),
            sms: "MP2 2024-03-15".into(),
        }
    }

    #[test]
    fn a_plan_on_an_uncertain_call_is_sent_marked() {
        let mut day = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            ..Default::default()
        };
        let sure = mark_tentative(msg(), &day, &crew(Language::Pl));
        assert_eq!(sure.subject, msg().subject);
        day.doubt(Field::CallTime);
        let m = mark_tentative(msg(), &day, &crew(Language::Pl));
        assert!(
            m.subject.starts_with("[godzina do potwierdzenia]"),
            "{}",
            m.subject
        );
        assert!(
            m.body.starts_with("UWAGA: godzina do potwierdzenia"),
            "{}",
            m.body
        );
        assert!(m.sms.contains("godzina do potwierdzenia"));
        let en = mark_tentative(msg(), &day, &crew(Language::En));
        assert!(
            en.subject.starts_with("[time to be confirmed]"),
            "{}",
            en.subject
        );
    }
}
