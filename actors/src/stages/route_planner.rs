//! The `route_planner` stage: `parsed` → `planned`.
//!
//! Contract: for every shooting day a message stated and every crew member,
//! computes the drive (home → base → location, or straight there) and the
//! day plan of CONTRACT §5, stores it keyed by date and crew at the day's
//! version (a day version already planned is not planned again), then moves
//! the message to `planned` and pokes `calendar_syncer`. Leg durations come
//! through the `routes` guard; when the provider cannot answer, the
//! estimate is used and the plan says so.

use crate::integrations::routes::{self, End};
use crate::runtime::ctx::Ctx;
use crate::runtime::guard::Guard;
use crate::runtime::pipeline::{Outcome, StageWork};
use mp2::config::{CrewMember, Site};
use mp2::model::ShootDay;
use mp2::plan::{self, PlanInput, Route, Stop};
use mp2::store::{MessageRecord, PlanRecord, Stage};

pub struct RoutePlanner;

/// Stated coordinates, else the postal district's centre.
fn coords(s: &Site) -> Option<(f64, f64)> {
    s.lat
        .zip(s.lon)
        .or_else(|| mp2::geo::approx_coords(&s.address))
}

impl StageWork for RoutePlanner {
    const NAME: &'static str = "route_planner";
    const INPUT: Stage = Stage::Parsed;
    const NEXT: Option<&'static str> = Some("calendar_syncer");

    async fn process(&self, ctx: &Ctx, mut rec: MessageRecord) -> Outcome {
        let guard = Guard::new(ctx, "routes");
        for date in rec.days.clone() {
            let day = match ctx.store.day(&date) {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    return Outcome::Retry {
                        error: e.to_string(),
                        after: std::time::Duration::from_secs(5),
                    }
                }
            };
            // A cancelled day is not planned; its events are removed.
            if day.cancelled {
                continue;
            }
            for crew in &ctx.cfg.crew {
                let old = ctx.store.plan(&date, &crew.id).ok().flatten();
                if old.as_ref().is_some_and(|p| p.day_version == day.version) {
                    continue;
                }
                let (route, mut warnings) = route_for(ctx, &guard, &day.schedule, crew).await;
                let input = PlanInput {
                    day: &day.schedule,
                    crew,
                    buffers: &ctx.cfg.buffers,
                    tz: ctx.cfg.tz(),
                };
                match plan::plan(&input, &route) {
                    Ok(mut p) => {
                        warnings.append(&mut p.warnings);
                        p.warnings = warnings;
                        p.checklist = checklist(&day.schedule, crew.language);
                        let r = PlanRecord {
                            date: date.clone(),
                            crew: crew.id.clone(),
                            day_version: day.version,
                            plan: p,
                            previous: old.map(|o| o.plan),
                            planned_at: Some(chrono::Utc::now().to_rfc3339()),
                        };
                        if let Err(e) = ctx.store.put_plan(&r) {
                            return Outcome::Retry {
                                error: e.to_string(),
                                after: std::time::Duration::from_secs(5),
                            };
                        }
                    }
                    Err(e) => {
                        let msg = format!("{date}: no plan for {}: {e}", crew.id);
                        if !rec.errors.contains(&msg) {
                            rec.errors.push(msg);
                        }
                    }
                }
            }
        }
        rec.stage = Stage::Planned;
        // New days want a forecast now, not at the next regular poll.
        crate::runtime::pipeline::poke("weather_poller");
        Outcome::Advance(rec)
    }
}

/// The legs for one crew member on one day.
async fn route_for(
    ctx: &Ctx,
    guard: &Guard,
    day: &ShootDay,
    crew: &CrewMember,
) -> (Route, Vec<String>) {
    let site = |s: &Site| End {
        address: Some(s.address.clone()),
        point: coords(s),
    };
    let home = site(&crew.home);
    let loc = day
        .locations
        .first()
        .map(|l| End {
            address: l.address.clone().or(l.name.clone()),
            point: l
                .lat
                .zip(l.lon)
                .or_else(|| l.address.as_deref().and_then(mp2::geo::approx_coords)),
        })
        .unwrap_or(End {
            address: None,
            point: None,
        });
    let departure = rough_departure(ctx, day);
    let mut warnings = Vec::new();
    let base = plan::base_for(day, ctx.cfg.production.base.as_ref());
    let route = match (crew.via_base, &base) {
        (true, Some(b)) => {
            let b = site(b);
            let (l1, w1) = routes::leg(
                ctx,
                guard,
                Stop::Home,
                Stop::Base,
                &home,
                &b,
                departure,
                crew.language,
            )
            .await;
            let (l2, w2) = routes::leg(
                ctx,
                guard,
                Stop::Base,
                Stop::Location,
                &b,
                &loc,
                departure,
                crew.language,
            )
            .await;
            warnings.extend(w1.into_iter().chain(w2));
            Route::ViaBase {
                home_to_base: l1,
                base_to_location: l2,
            }
        }
        _ => {
            let (l, w) = routes::leg(
                ctx,
                guard,
                Stop::Home,
                Stop::Location,
                &home,
                &loc,
                departure,
                crew.language,
            )
            .await;
            warnings.extend(w);
            Route::Direct {
                home_to_location: l,
            }
        }
    };
    (route, warnings)
}

/// Two hours before the general call: close enough for traffic.
fn rough_departure(ctx: &Ctx, day: &ShootDay) -> chrono::DateTime<chrono::Utc> {
    let at = chrono::NaiveDate::parse_from_str(&day.date, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            let t = day
                .call_time
                .as_deref()
                .and_then(|c| plan::parse_hhmm(c).ok())?;
            plan::local(ctx.cfg.tz(), d, t).ok()
        });
    at.map(|t| t.with_timezone(&chrono::Utc) - chrono::Duration::hours(2))
        .unwrap_or_else(chrono::Utc::now)
}

/// Kit and clothing reminders from what the sheet says.
fn checklist(day: &ShootDay, lang: mp2::config::Language) -> Vec<String> {
    use mp2::crew_text::{say, Say};
    let mut c = Vec::new();
    if matches!(
        day.set_type,
        Some(mp2::model::SetType::Ext) | Some(mp2::model::SetType::IntExt)
    ) {
        c.push(say(lang, &Say::OutdoorKit));
    }
    if !day.safety_notes.is_empty() {
        c.push(say(lang, &Say::ReadSafety));
    }
    c
}
