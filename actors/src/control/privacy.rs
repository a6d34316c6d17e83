//! Personal data that goes: `mp2ctl purge --crew ID` (the store's records,
//! the crew member's calendar events, the file transports' copies of what
//! they were sent) and the hourly sweep that cuts old raw mail to its
//! headers (`daemon.retain_raw`).

use crate::integrations::calendar::{Change, Provider};
use crate::runtime::ctx::Ctx;
use crate::runtime::guard::Guard;
use mp2::config::CalendarProvider;
use serde_json::{json, Value};
use std::time::Duration;

/// Removes everything mp2 keeps about one crew member. Calendar events are
/// removed first: if the calendar refuses, nothing else is gone and the
/// purge can simply be run again.
pub async fn purge_crew(ctx: &Ctx, id: &str) -> Result<Value, String> {
    let crew = ctx.cfg.crew.iter().find(|c| c.id == id);
    let dates: Vec<String> = ctx
        .store
        .days()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|d| ctx.store.plan(&d.date, id).ok().flatten().is_some())
        .map(|d| d.date)
        .collect();
    let mut events = 0;
    let mut calendar_note = None;
    match (crew, ctx.cfg.calendar.provider) {
        (Some(_), CalendarProvider::Ics) => {}
        (Some(crew), _) => {
            let provider = Provider::from_config(&ctx.cfg).map_err(|e| e.to_string())?;
            let guard = Guard::new(ctx, "calendar");
            for date in &dates {
                let change = Change::Remove {
                    crew: &crew.id,
                    date,
                };
                guard
                    .call(provider.apply(ctx, crew, change))
                    .await
                    .map_err(|e| {
                        format!("the calendar did not remove {id}'s event of {date} ({e}); nothing was purged, run the purge again")
                    })?;
                events += 1;
            }
        }
        (None, _) => {
            calendar_note = Some(format!(
                "{id} is not in the configuration: its calendar is unknown, remove events by hand"
            ))
        }
    }
    let purged = ctx.store.purge_crew(id).map_err(|e| e.to_string())?;
    // The ICS file and the file transports' copies are the person's data too.
    let mut files = 0;
    if let Some(dir) = &ctx.cfg.calendar.dir {
        if std::fs::remove_file(dir.join(format!("{id}.ics"))).is_ok() {
            files += 1;
            events += dates.len();
        }
    }
    let dirs = [
        ctx.cfg.notify.email.as_ref().and_then(|e| e.dir.clone()),
        ctx.cfg.notify.sms.as_ref().and_then(|s| s.dir.clone()),
    ];
    for dir in dirs.into_iter().flatten() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // File names are the idempotency key with ':' as '_':
            // notify_CREW_DATE_…, weather_CREW_DATE_….
            if name.split('_').nth(1) == Some(id) && std::fs::remove_file(e.path()).is_ok() {
                files += 1;
            }
        }
    }
    tracing::info!(crew = %id, plans = purged.plans, notifications = purged.notifications, events, files, "Crew member's data purged");
    Ok(json!({
        "crew": id,
        "dates": purged.dates,
        "plans": purged.plans,
        "notifications": purged.notifications,
        "calendar_events": events,
        "files": files,
        "note": calendar_note,
    }))
}

/// Cuts finished mail older than `daemon.retain_raw` to its headers, now
/// and every hour.
pub fn spawn_retention(ctx: Ctx) {
    tokio::spawn(async move {
        loop {
            if ctx.is_stopping() {
                return;
            }
            let keep = chrono::Duration::from_std(ctx.cfg.daemon.retain_raw)
                .unwrap_or(chrono::Duration::days(30));
            // The format `received` is written in, so the strings compare as times.
            let cutoff =
                (chrono::Utc::now() - keep).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            match ctx.store.expire_raw(&cutoff) {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    messages = n,
                    "Raw mail past daemon.retain_raw cut to headers"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "Retention sweep failed; will try again in an hour")
                }
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}
