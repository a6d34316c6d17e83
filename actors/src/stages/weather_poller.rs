//! The `weather_poller` actor: forecasts for upcoming shooting days.
//!
//! Contract: every `weather.poll_interval` (and when poked, e.g. after new
//! days were planned, and once more 24 h before each call) it fetches the
//! forecast for each upcoming day's first location through the `weather`
//! guard, summarises it over the shift (call → wrap), stores it on the day
//! (`schedules` shows it, with warnings and a kit checklist), and when a
//! new forecast carries a warning the previous one did not, alerts the crew
//! once per new warning set (idempotency key `weather:CREW:DATE:HASH`). The
//! alerts are outbox entries, queued (flushed) before the new forecast is
//! stored, so a failed or cut-off send is retried by the outbox rather than
//! lost behind a forecast that no longer looks new.
//! Days beyond the provider's horizon, or past, keep `weather: null`.

use crate::integrations::weather as weather_api;
use crate::runtime::ctx::Ctx;
use crate::runtime::guard::Guard;
use crate::runtime::pipeline::WorkMsg;
use crate::stages::notifier::{queue, Message, Slot};
use chrono::{Duration as Dur, NaiveDate, TimeZone, Utc};
use mp2::config::WeatherProvider;
use mp2::crew_text::{say, Say};
use mp2::store::DayRecord;
use mp2::weather::{self, Summary};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::time::Duration;

pub struct WeatherPoller;

impl Actor for WeatherPoller {
    type Msg = WorkMsg;
    type State = Ctx;
    type Arguments = Ctx;

    async fn pre_start(&self, me: ActorRef<WorkMsg>, ctx: Ctx) -> Result<Ctx, ActorProcessingErr> {
        if ctx.cfg.weather.provider != WeatherProvider::None {
            me.send_interval(ctx.cfg.weather.poll_interval, || WorkMsg::Poke);
            let _ = me.send_after(Duration::from_secs(1), || WorkMsg::Poke);
        }
        Ok(ctx)
    }

    async fn handle(
        &self,
        me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        ctx: &mut Ctx,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: weather_poller was asked to panic"),
            WorkMsg::Done(_) => {}
            WorkMsg::Poke => {
                crate::runtime::pipeline::clear_poke("weather_poller");
                if ctx.cfg.weather.provider == WeatherProvider::None || ctx.is_stopping() {
                    return Ok(());
                }
                if let Some(next) = poll(ctx).await {
                    let _ = me.send_after(next, || WorkMsg::Poke);
                }
            }
        }
        Ok(())
    }
}

/// How many days ahead each provider forecasts.
fn horizon_days(p: WeatherProvider) -> i64 {
    match p {
        WeatherProvider::Openweathermap => 5,
        WeatherProvider::OpenMeteo => 15,
        WeatherProvider::None => 0,
    }
}

/// One round over the upcoming days. Returns when to look again if a
/// day's 24-hours-before check comes sooner than the next regular poll.
async fn poll(ctx: &Ctx) -> Option<Duration> {
    let tz = ctx.cfg.tz();
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let horizon = today + Dur::days(horizon_days(ctx.cfg.weather.provider));
    let guard = Guard::new(ctx, "weather");
    let mut next: Option<Duration> = None;
    let Ok(days) = ctx.store.days() else {
        return None;
    };
    for mut day in days {
        let Ok(date) = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d") else {
            continue;
        };
        if day.cancelled || date < today || date > horizon {
            continue;
        }
        let Some((from, to)) = shift(ctx, &day) else {
            continue;
        };
        let before = from - 24 * 3600;
        if before > now.timestamp() {
            let d = Duration::from_secs((before - now.timestamp()) as u64 + 5);
            if d < ctx.cfg.weather.poll_interval {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        let Some((lat, lon)) = place_of(ctx, &day) else {
            continue;
        };
        let fetched = guard.call(weather_api::fetch(&ctx.cfg, lat, lon)).await;
        let samples = match fetched {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(date = %day.date, error = %e, "Forecast not fetched; will retry at the next poll");
                continue;
            }
        };
        let source = match ctx.cfg.weather.provider {
            WeatherProvider::OpenMeteo => "open-meteo",
            _ => "openweathermap",
        };
        let fetched_at = now
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        let Some(summary) = weather::summarise(&samples, from, to, source, &fetched_at) else {
            continue;
        };
        let old: Option<Summary> = day
            .weather
            .clone()
            .and_then(|v| serde_json::from_value(v).ok());
        let worse = weather::worsened(old.as_ref(), &summary);
        let alerts = match old.is_some() && !worse.is_empty() {
            true => match queue_alerts(ctx, &day, &summary, &worse) {
                Ok(keys) => keys,
                Err(e) => {
                    // Not stored either: the next poll finds it new again.
                    tracing::warn!(date = %day.date, error = %e, "Could not queue the weather alerts");
                    continue;
                }
            },
            false => vec![],
        };
        day.weather = serde_json::to_value(&summary).ok();
        if let Err(e) = ctx.store.update_day(&day) {
            tracing::warn!(error = %e, "Could not store the forecast");
            continue;
        }
        for key in alerts {
            if let Err(e) = crate::stages::outbox::deliver(ctx, &key).await {
                tracing::warn!(%key, error = %e, "Weather alert not delivered; the outbox retries it");
            }
        }
    }
    let _ = ctx.store.flush();
    next
}

/// The working hours of a day as unix seconds: call → wrap (else + 10 h).
fn shift(ctx: &Ctx, day: &DayRecord) -> Option<(i64, i64)> {
    let tz = ctx.cfg.tz();
    let date = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").ok()?;
    let call = mp2::plan::parse_hhmm(day.schedule.call_time.as_deref()?).ok()?;
    let from = tz
        .from_local_datetime(&date.and_time(call))
        .earliest()?
        .timestamp();
    let to = day
        .schedule
        .wrap_time
        .as_deref()
        .and_then(|w| mp2::plan::parse_hhmm(w).ok())
        .and_then(|w| tz.from_local_datetime(&date.and_time(w)).earliest())
        .map(|t| t.timestamp())
        .filter(|t| *t > from)
        .unwrap_or(from + 10 * 3600);
    Some((from, to))
}

/// Where to ask about: the first location, else the base, else the
/// production's base.
fn place_of(ctx: &Ctx, day: &DayRecord) -> Option<(f64, f64)> {
    let s = &day.schedule;
    s.locations
        .first()
        .and_then(|l| {
            l.lat
                .zip(l.lon)
                .or_else(|| l.address.as_deref().and_then(mp2::geo::approx_coords))
        })
        .or_else(|| {
            s.base
                .as_ref()
                .and_then(|b| b.address.as_deref())
                .and_then(mp2::geo::approx_coords)
        })
        .or_else(|| {
            ctx.cfg
                .production
                .base
                .as_ref()
                .and_then(|b| b.lat.zip(b.lon))
        })
}

/// Queues, for each crew member once, the alert about warnings that are
/// new; returns the outbox keys.
fn queue_alerts(
    ctx: &Ctx,
    day: &DayRecord,
    w: &Summary,
    worse: &[String],
) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut hash = 0u64;
    for b in worse.join("|").bytes() {
        hash = hash.wrapping_mul(0x100000001b3).wrapping_add(b as u64);
    }
    for crew in &ctx.cfg.crew {
        let lang = crew.language;
        let (head, intro) = (say(lang, &Say::WeatherWorse), say(lang, &Say::WeatherIntro));
        let wind = say(lang, &Say::WindUpTo { ms: w.wind_max_ms });
        let worse: Vec<String> = worse
            .iter()
            .map(|x| weather::in_language(x, lang))
            .collect();
        let kit: Vec<String> = w
            .checklist
            .iter()
            .map(|x| weather::in_language(x, lang))
            .collect();
        let msg = Message {
            subject: format!("{}: {head} — {}", ctx.cfg.production.name, day.date),
            body: format!(
                "{intro} {}: {}, {:.0}–{:.0} °C, {:.1} mm, {wind}\n\n{}\n\n{}\n",
                day.date,
                weather::in_language(&w.summary, lang),
                w.temp_min_c,
                w.temp_max_c,
                w.precip_mm,
                worse
                    .iter()
                    .map(|x| format!("! {x}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                kit.iter()
                    .map(|x| format!("- {x}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            sms: format!(
                "{} {}: {}",
                ctx.cfg.production.name,
                day.date,
                worse.join("; ")
            ),
        };
        for ch in &crew.channels {
            let key = format!("weather:{}:{}:{hash:016x}:{ch:?}", crew.id, day.date);
            let slot = Slot {
                key: &key,
                date: &day.date,
                message: None,
                day_version: None,
            };
            if queue(ctx, crew, *ch, &slot, &msg)? {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}
