//! The `route_planner` stage: `parsed` → `planned`.
//!
//! Contract: for every shooting day a message stated and every crew member,
//! computes the drive (home → base → location, or straight there) and the
//! day plan of CONTRACT §5, stores it keyed by date and crew at the day's
//! version (a day version already planned is not planned again), then moves
//! the message to `planned` and pokes `calendar_syncer`. Leg durations come
//! through the `routes` guard; when the provider cannot answer, the
//! estimate is used and the plan says so.
//!
//! Healing: a plan whose legs fell back to the estimate because the
//! provider failed is made again whenever its message passes here (a
//! `reprocess`, or [`start_healing`], which puts the messages of such plans
//! back at `parsed` once the `routes` breaker lets calls through again — the
//! first call is the half-open probe). Made again at the same day version,
//! it keeps its side-effect keys unless its departure or wake-up moved; then
//! its revision is bumped, so the calendar syncer rewrites the event in
//! place and the notifier sends one change message.

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
                if old
                    .as_ref()
                    .is_some_and(|p| p.day_version == day.version && !p.fell_back)
                {
                    continue;
                }
                let (route, mut warnings, fell_back) =
                    route_for(ctx, &guard, &day.schedule, crew).await;
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
                        let r = replanned(old, day.version, p, fell_back, date.clone());
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

/// The plan record for a plan just made, after `old`: at the same day
/// version (healing), its times unchanged keep the old keys and stamp (no
/// calendar write, no message); moved, it is the next revision.
fn replanned(
    old: Option<PlanRecord>,
    version: u64,
    plan: mp2::plan::CrewPlan,
    fell_back: bool,
    date: String,
) -> PlanRecord {
    let now = Some(chrono::Utc::now().to_rfc3339());
    let crew = plan.crew.clone();
    match old {
        Some(o) if o.day_version == version => {
            let moved = o.plan.departure != plan.departure || o.plan.wake_up != plan.wake_up;
            PlanRecord {
                date,
                crew,
                day_version: version,
                revision: o.revision + u32::from(moved),
                previous: if moved { Some(o.plan) } else { o.previous },
                planned_at: if moved { now } else { o.planned_at },
                plan,
                fell_back,
            }
        }
        old => PlanRecord {
            date,
            crew,
            day_version: version,
            plan,
            previous: old.map(|o| o.plan),
            planned_at: now,
            fell_back,
            revision: 0,
        },
    }
}

/// Starts the healing loop (see the module doc): every `breaker_reset` of
/// the `routes` integration, while some plan fell back to the estimate and
/// the breaker is not open, the messages that stated those days go back to
/// `parsed`. It ends when the daemon stops.
pub fn start_healing(ctx: &Ctx) {
    if ctx.cfg.routes.provider == mp2::config::RouteProvider::Estimate {
        return;
    }
    let ctx = ctx.clone();
    let every = ctx
        .cfg
        .integration("routes")
        .breaker_reset
        .max(std::time::Duration::from_secs(1));
    tokio::spawn(async move {
        let mut stop = ctx.stopping.clone();
        while !ctx.is_stopping() {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
            if ctx.health.breaker_of("routes") == Some("open") {
                continue;
            }
            match heal(&ctx) {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(
                        messages = n,
                        "Plans made on estimates are planned again with the route provider"
                    );
                    crate::runtime::pipeline::poke(RoutePlanner::NAME);
                }
                Err(e) => tracing::warn!(error = %e, "Could not look for plans made on estimates"),
            }
        }
    });
}

/// Puts back at `parsed` the settled messages whose days have plans on
/// the estimate; returns how many.
fn heal(ctx: &Ctx) -> Result<usize, mp2::store::StoreError> {
    let now = chrono::Utc::now();
    let mut ids = std::collections::BTreeSet::new();
    for p in ctx.store.plans()? {
        if !p.fell_back {
            continue;
        }
        let past = chrono::DateTime::parse_from_rfc3339(&p.plan.call).is_ok_and(|t| t < now);
        if past {
            continue;
        }
        if let Some(day) = ctx.store.day(&p.date)? {
            if !day.cancelled && day.version == p.day_version {
                ids.insert(day.message_id);
            }
        }
    }
    let mut n = 0;
    for id in ids {
        let Some(m) = ctx.store.find_message(&id)? else {
            continue;
        };
        // One in flight passes here anyway, or already did and waits for
        // the next round.
        if m.stage == Stage::Notified && ctx.store.requeue_at(&m.key, Stage::Parsed)? {
            n += 1;
        }
    }
    Ok(n)
}

/// The legs for one crew member on one day, their warnings, and whether
/// some leg fell back to the estimate because the provider failed.
async fn route_for(
    ctx: &Ctx,
    guard: &Guard,
    day: &ShootDay,
    crew: &CrewMember,
) -> (Route, Vec<String>, bool) {
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
    let fell_back;
    let base = plan::base_for(day, ctx.cfg.production.base.as_ref());
    let route = match (crew.via_base, &base) {
        (true, Some(b)) => {
            let b = site(b);
            let (l1, w1, f1) = routes::leg(
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
            let (l2, w2, f2) = routes::leg(
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
            fell_back = f1 || f2;
            Route::ViaBase {
                home_to_base: l1,
                base_to_location: l2,
            }
        }
        _ => {
            let (l, w, f) = routes::leg(
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
            fell_back = f;
            Route::Direct {
                home_to_location: l,
            }
        }
    };
    (route, warnings, fell_back)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(departure: &str, wake_up: &str, warning: &str) -> mp2::plan::CrewPlan {
        mp2::plan::CrewPlan {
            crew: "anna".into(),
            call: "2030-03-15T07:00:00+01:00".into(),
            wake_up: wake_up.into(),
            departure: departure.into(),
            arrivals: mp2::plan::Arrivals {
                base: None,
                location: "2030-03-15T06:35:00+01:00".into(),
            },
            legs: vec![],
            warnings: vec![warning.into()],
            checklist: vec![],
            end: String::new(),
        }
    }

    fn record(p: mp2::plan::CrewPlan) -> PlanRecord {
        PlanRecord {
            date: "2030-03-15".into(),
            crew: "anna".into(),
            day_version: 1,
            plan: p,
            previous: None,
            planned_at: Some("2030-03-01T00:00:00+00:00".into()),
            fell_back: true,
            revision: 0,
        }
    }

    /// Healed with the same times: the plan is replaced (real legs, no
    /// estimate warning) but keeps its keys and stamp, so nothing is sent
    /// or rewritten; moved times are the next revision, after the old plan.
    #[test]
    fn finding5_a_healed_plan_is_a_new_revision_only_when_its_times_moved() {
        let old = record(plan("05:40", "04:55", "estimated"));
        let same = replanned(
            Some(old.clone()),
            1,
            plan("05:40", "04:55", ""),
            false,
            old.date.clone(),
        );
        assert_eq!((same.revision, same.fell_back), (0, false));
        assert_eq!(same.version_tag(), "v1");
        assert_eq!(same.planned_at, old.planned_at);
        assert_eq!(same.plan.warnings, [""]);
        let moved = replanned(
            Some(old.clone()),
            1,
            plan("05:20", "04:35", ""),
            false,
            old.date.clone(),
        );
        assert_eq!(moved.revision, 1);
        assert_eq!(moved.version_tag(), "v1r1");
        assert_eq!(moved.previous.as_ref(), Some(&old.plan));
        assert_ne!(moved.planned_at, old.planned_at);
        // A new day version starts its revisions again.
        let next = replanned(Some(moved), 2, plan("06:00", "05:15", ""), false, old.date);
        assert_eq!((next.revision, next.version_tag().as_str()), (0, "v2"));
    }
}
