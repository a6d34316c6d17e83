//! The `calendar_syncer` stage: `planned` → `synced`.
//!
//! Contract: for every day a message stated and every crew member with a
//! plan, writes that crew member's event (one per shooting day: the UID is
//! crew + date, so a revision replaces it in place), through the `calendar`
//! guard. Each write is keyed `cal:CREW:DATE:vVERSION`; the intent is
//! flushed before the write and the completion after, so a replay rewrites
//! nothing already written. Then moves the message to `synced` and pokes
//! `notifier`.
//!
//! The ICS provider keeps one `CREW.ics` per crew member, regenerated whole
//! from the store and swapped in by rename, so a reader never sees half a
//! file and a repeat writes the same bytes.

use crate::ctx::Ctx;
use crate::guard::Guard;
use crate::pipeline::{Outcome, StageWork};
use mp2::config::{CalendarProvider, CrewMember};
use mp2::ics;
use mp2::store::{Effect, MessageRecord, Stage};
use std::path::Path;
use std::time::Duration;

pub struct CalendarSyncer;

impl StageWork for CalendarSyncer {
    const NAME: &'static str = "calendar_syncer";
    const INPUT: Stage = Stage::Planned;
    const NEXT: Option<&'static str> = Some("notifier");

    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
        let guard = Guard::new(ctx, "calendar");
        for date in rec.days.clone() {
            for crew in &ctx.cfg.crew {
                let Ok(Some(plan)) = ctx.store.plan(&date, &crew.id) else {
                    continue;
                };
                let key = format!("cal:{}:{}:v{}", crew.id, date, plan.day_version);
                if ctx.store.effect(&key).ok().flatten() == Some(Effect::Done) {
                    continue;
                }
                if let Err(e) = ctx.store.effect_intent(&key) {
                    return retry(e.to_string());
                }
                let write = write_crew(ctx, crew);
                match guard.call(write).await {
                    Ok(()) => {
                        if let Err(e) = ctx.store.effect_done(&key) {
                            return retry(e.to_string());
                        }
                        tracing::info!(crew = %crew.id, %date, "Calendar event written");
                    }
                    Err(e) => {
                        return retry(format!(
                            "calendar write for {} on {date} failed: {e}",
                            crew.id
                        ))
                    }
                }
            }
        }
        rec.stage = Stage::Synced;
        Outcome::Advance(rec)
    }
}

fn retry(error: String) -> Outcome {
    Outcome::Retry {
        error,
        after: Duration::from_secs(10),
    }
}

/// Writes a crew member's whole calendar with the configured provider.
async fn write_crew(ctx: &Ctx, crew: &CrewMember) -> Result<(), String> {
    match ctx.cfg.calendar.provider {
        CalendarProvider::Ics => {
            let dir = ctx
                .cfg
                .calendar
                .dir
                .clone()
                .ok_or("calendar.dir is not set")?;
            let text = crew_calendar(ctx, crew)?;
            let path = dir.join(format!("{}.ics", crew.id));
            tokio::task::spawn_blocking(move || write_atomic(&path, text.as_bytes()))
                .await
                .map_err(|e| e.to_string())?
        }
        other => Err(format!(
            "calendar provider {other:?} is not available in this build; use provider = \"ics\""
        )),
    }
}

/// Every current event of one crew member, as an iCalendar text.
pub fn crew_calendar(ctx: &Ctx, crew: &CrewMember) -> Result<String, String> {
    let mut events = Vec::new();
    let now = chrono::Utc::now();
    for day in ctx.store.days().map_err(|e| e.to_string())? {
        if day.cancelled {
            continue;
        }
        let Some(p) = ctx
            .store
            .plan(&day.date, &crew.id)
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let s = &day.schedule;
        let loc = s.locations.first();
        let loc_name = loc
            .and_then(|l| l.name.clone().or(l.address.clone()))
            .unwrap_or_else(|| "?".into());
        let description = mp2::summary::body(s, &p.plan, None, crew.language);
        let spec = ics::EventSpec {
            crew: &crew.id,
            date: &day.date,
            production: s.production.as_deref().unwrap_or(&ctx.cfg.production.name),
            location_name: &loc_name,
            location_address: loc.and_then(|l| l.address.as_deref()),
            departure: &p.plan.departure,
            end: &p.plan.end,
            wake_up: &p.plan.wake_up,
            sequence: day.version,
            description: &description,
            language: crew.language,
        };
        // DTSTAMP from the day version, not the clock, so a repeat writes
        // identical bytes.
        let _ = now;
        events.push(ics::event(&spec, stamp_of(&day.date, day.version))?);
    }
    Ok(ics::calendar(&events))
}

fn stamp_of(date: &str, version: u64) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let base = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| chrono::Utc.from_utc_datetime(&d))
        .unwrap_or_else(chrono::Utc::now);
    base - chrono::Duration::days(30) + chrono::Duration::seconds(version as i64)
}

/// Write to a temp file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().ok_or("path has no folder")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f =
        std::fs::File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}
