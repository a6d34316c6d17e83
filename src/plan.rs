//! The day-plan arithmetic of CONTRACT §5: from a shooting day, a crew member
//! and the legs of their drive, when they leave and when they wake up.
//!
//! Pure: the route planner fetches the legs (Google, OSRM or an estimate) and
//! hands them here, so the arithmetic is the same whatever answered, and it is
//! tested without a network. All sums are done on instants and converted back
//! to the production's zone, which is what keeps a plan right across a DST
//! change at night.

use crate::config::{Buffers, CrewMember, Site};
use crate::crew_text::{say, Say};
use crate::model::ShootDay;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Where a leg starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    Home,
    Base,
    Location,
}

/// Who answered for a leg's duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegSource {
    Google,
    Osrm,
    Estimate,
}

/// One drive of the morning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub from: Stop,
    pub to: Stop,
    pub minutes: u32,
    pub km: Option<f64>,
    pub source: LegSource,
}

/// Arrival times on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrivals {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base: Option<String>,
    pub location: String,
}

/// One crew member's plan for one shooting day (CONTRACT §4a `plans[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrewPlan {
    pub crew: String,
    /// ISO 8601 local with offset.
    pub call: String,
    pub wake_up: String,
    pub departure: String,
    pub arrivals: Arrivals,
    pub legs: Vec<Leg>,
    pub warnings: Vec<String>,
    pub checklist: Vec<String>,
    /// When the day ends (wrap, else call + 10 h): the calendar event's end.
    pub end: String,
}

/// The drive a crew member makes: straight there, or via the base.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Direct {
        home_to_location: Leg,
    },
    ViaBase {
        home_to_base: Leg,
        base_to_location: Leg,
    },
}

impl Route {
    pub fn legs(&self) -> Vec<Leg> {
        match self {
            Route::Direct { home_to_location } => vec![home_to_location.clone()],
            Route::ViaBase {
                home_to_base,
                base_to_location,
            } => {
                vec![home_to_base.clone(), base_to_location.clone()]
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("the schedule has no usable date ({0:?})")]
    BadDate(String),
    #[error("no call time for {crew} on {date}: the sheet gives no general call{dept}")]
    NoCall {
        crew: String,
        date: String,
        dept: String,
    },
    #[error("bad time {0:?} on the sheet")]
    BadTime(String),
    #[error("{0} does not exist in {1} (a DST gap); check the sheet")]
    Nonexistent(String, String),
}

/// Where a crew member's call comes from, most specific first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSource {
    /// Their own row in the sheet's crew list, matched by name.
    Own,
    /// Their department's call (`crew.department`).
    Department(String),
    /// The general call.
    General,
}

/// The crew member's call and where it comes from: their own row in the
/// sheet's crew list (matched by name), else their department's call when
/// the sheet gives one, else the general call.
pub fn call_for(day: &ShootDay, crew: &CrewMember) -> Option<(String, CallSource)> {
    if let Some(row) = own_row(day, &crew.name) {
        return Some((row.call.clone(), CallSource::Own));
    }
    if let Some(dept) = &crew.department {
        let want = fold(dept);
        if let Some((k, t)) = day.department_calls.iter().find(|(k, _)| fold(k) == want) {
            return Some((t.clone(), CallSource::Department(k.clone())));
        }
    }
    day.call_time.clone().map(|c| (c, CallSource::General))
}

/// The call alone (see [`call_for`]).
pub fn call_time_for(day: &ShootDay, crew: &CrewMember) -> Option<String> {
    call_for(day, crew).map(|(c, _)| c)
}

/// The one crew-list row that names this person: the same words in any
/// order ("Kowalska Anna"), or the same surname with the first name's
/// initial ("A. Kowalska"). Two rows that match are no match: guessing
/// between two people's calls is worse than the department's call.
pub fn own_row<'d>(day: &'d ShootDay, name: &str) -> Option<&'d crate::model::CrewCall> {
    let me = name_words(name);
    let (first, last) = (me.first()?, me.last()?);
    let mut rows = day.crew_calls.iter().filter(|r| {
        let them = name_words(&r.name);
        let mut a = me.clone();
        let mut b = them.clone();
        a.sort();
        b.sort();
        a == b
            || (them.len() == 2
                && them.iter().any(|w| w == last)
                && them
                    .iter()
                    .any(|w| w.len() == 1 && first.starts_with(w.as_str())))
    });
    let row = rows.next()?;
    rows.next().is_none().then_some(row)
}

/// Lower-case words without diacritics or dots ("Łukasz Ż." → ["lukasz", "z"]).
fn name_words(s: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'ł' => 'l',
            'Ł' => 'l',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The place the crew member drives to first when going via the base.
pub fn base_for(day: &ShootDay, production_base: Option<&Site>) -> Option<Site> {
    if let Some(b) = &day.base {
        if let Some(addr) = &b.address {
            return Some(
                Site {
                    name: b.name.clone(),
                    address: addr.clone(),
                    lat: None,
                    lon: None,
                }
                .with_known_coords(production_base),
            );
        }
    }
    production_base.cloned()
}

impl Site {
    /// The sheet rarely prints the base's coordinates; when it names the
    /// production's own base, reuse the configured ones.
    fn with_known_coords(mut self, known: Option<&Site>) -> Site {
        if let Some(k) = known {
            if normalise(&k.address) == normalise(&self.address) {
                self.lat = k.lat;
                self.lon = k.lon;
            }
        }
        self
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parses a sheet's `HH:MM`.
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, PlanError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| PlanError::BadTime(s.to_string()))
}

/// A local wall-clock time on `date` as an instant. An ambiguous time (the
/// repeated hour in autumn) takes the earlier instant, so nobody is late.
pub fn local(tz: Tz, date: NaiveDate, t: NaiveTime) -> Result<DateTime<Tz>, PlanError> {
    let naive = date.and_time(t);
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(d) => Ok(d),
        chrono::LocalResult::Ambiguous(a, _) => Ok(a),
        chrono::LocalResult::None => Err(PlanError::Nonexistent(naive.to_string(), tz.to_string())),
    }
}

/// Rounds down to a whole 5 minutes of local wall-clock time.
fn floor_5(t: DateTime<Tz>) -> DateTime<Tz> {
    let drop = (t.minute() % 5) as i64;
    let t = t - Duration::minutes(drop);
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// ISO 8601 with offset, seconds included (`2024-03-15T07:00:00+01:00`).
pub fn iso(t: DateTime<Tz>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Everything §5 needs besides the legs.
pub struct PlanInput<'a> {
    pub day: &'a ShootDay,
    pub crew: &'a CrewMember,
    pub buffers: &'a Buffers,
    pub tz: Tz,
}

/// The arithmetic itself.
pub fn plan(input: &PlanInput<'_>, route: &Route) -> Result<CrewPlan, PlanError> {
    let PlanInput {
        day,
        crew,
        buffers,
        tz,
    } = input;
    let date = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d")
        .map_err(|_| PlanError::BadDate(day.date.clone()))?;
    let (call_s, source) = call_for(day, crew).ok_or_else(|| PlanError::NoCall {
        crew: crew.id.clone(),
        date: day.date.clone(),
        dept: crew
            .department
            .as_ref()
            .map(|d| format!(" nor a call for {d}"))
            .unwrap_or_default(),
    })?;
    let call = local(*tz, date, parse_hhmm(&call_s)?)?;
    let m = |n: u32| Duration::minutes(n as i64);
    let tail = m(buffers.parking) + m(buffers.entry) + m(buffers.traffic);
    let (drive, arrivals_of): (Duration, Box<dyn Fn(DateTime<Tz>) -> Arrivals>) = match route {
        Route::ViaBase {
            home_to_base,
            base_to_location,
        } => {
            let (a, b, change) = (
                m(home_to_base.minutes),
                m(base_to_location.minutes),
                m(buffers.car_change),
            );
            (
                a + change + b,
                Box::new(move |dep| Arrivals {
                    base: Some(iso(dep + a)),
                    location: iso(dep + a + change + b),
                }),
            )
        }
        Route::Direct { home_to_location } => {
            let a = m(home_to_location.minutes);
            (
                a,
                Box::new(move |dep| Arrivals {
                    base: None,
                    location: iso(dep + a),
                }),
            )
        }
    };
    let departure = floor_5(call - (drive + tail));
    let wake_up = departure - m(buffers.morning_routine);
    let mut warnings = Vec::new();
    let lang = crew.language;
    if wake_up.date_naive() < date
        || wake_up.time() < NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default()
    {
        let wake = wake_up.format("%H:%M").to_string();
        warnings.push(say(lang, &Say::EarlyWake { wake: &wake }));
    }
    // Nothing wrong, but the crew member should know why it differs from
    // the general call.
    match &source {
        CallSource::Own => warnings.push(say(lang, &Say::OwnCall { call: &call_s })),
        CallSource::Department(d) if day.call_time.as_deref() != Some(call_s.as_str()) => warnings
            .push(say(
                lang,
                &Say::DepartmentCall {
                    call: &call_s,
                    department: d,
                },
            )),
        _ => {}
    }
    let end = match day.wrap_time.as_deref().map(parse_hhmm) {
        Some(Ok(w)) => {
            let mut e = local(*tz, date, w)?;
            if e <= call {
                // A wrap after midnight belongs to the next day.
                e = local(*tz, date + Duration::days(1), w)?;
            }
            e
        }
        _ => call + Duration::hours(10),
    };
    Ok(CrewPlan {
        crew: crew.id.clone(),
        call: iso(call),
        wake_up: iso(wake_up),
        departure: iso(departure),
        arrivals: arrivals_of(departure),
        legs: route.legs(),
        warnings,
        checklist: Vec::new(),
        end: iso(end),
    })
}

/// Straight-line estimate when no routing service answers: great-circle
/// distance × 1.35 for the road network, at 28 km/h door to door (Warsaw
/// morning traffic), at least 5 minutes.
pub fn estimate_leg(
    from: Stop,
    to: Stop,
    a: Option<(f64, f64)>,
    b: Option<(f64, f64)>,
) -> (Leg, Option<Say<'static>>) {
    match (a, b) {
        (Some(a), Some(b)) => {
            let km = haversine_km(a, b) * 1.35;
            let minutes = ((km / 28.0 * 60.0).ceil() as u32).max(5);
            (
                Leg {
                    from,
                    to,
                    minutes,
                    km: Some((km * 10.0).round() / 10.0),
                    source: LegSource::Estimate,
                },
                None,
            )
        }
        _ => (
            Leg {
                from,
                to,
                minutes: 45,
                km: None,
                source: LegSource::Estimate,
            },
            Some(Say::NoCoordinates { from, to }),
        ),
    }
}

pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Channel, Language};

    fn crew(dept: Option<&str>, via_base: bool) -> CrewMember {
        CrewMember {
            id: "anna".into(),
            name: "Anna".into(),
            email: None,
            phone: None,
            home: Site {
                name: None,
                address: "x".into(),
                lat: None,
                lon: None,
            },
            channels: vec![Channel::Email],
            department: dept.map(String::from),
            via_base,
            language: Language::Pl,
        }
    }

    fn leg(from: Stop, to: Stop, minutes: u32) -> Leg {
        Leg {
            from,
            to,
            minutes,
            km: None,
            source: LegSource::Google,
        }
    }

    fn day(date: &str, call: &str) -> ShootDay {
        ShootDay {
            date: date.into(),
            call_time: Some(call.into()),
            ..Default::default()
        }
    }

    fn row(name: &str, call: &str) -> crate::model::CrewCall {
        crate::model::CrewCall {
            name: name.into(),
            role: None,
            department: Some("Kamera".into()),
            call: call.into(),
        }
    }

    #[test]
    fn own_crew_list_row_comes_before_the_department_and_the_general_call() {
        let mut d = day("2024-03-15", "07:00");
        d.department_calls.insert("Kamera".into(), "06:30".into());
        let mut c = crew(Some("kamera"), true);
        c.name = "Łucja Żak".into();
        assert_eq!(
            call_for(&d, &c),
            Some(("06:30".into(), CallSource::Department("Kamera".into())))
        );
        // Matched by name in any order, without diacritics, or by initial.
        for listed in ["Żak Łucja", "LUCJA ZAK", "Ł. Żak"] {
            d.crew_calls = vec![row("Piotr Nowak", "05:00"), row(listed, "06:10")];
            assert_eq!(
                call_for(&d, &c),
                Some(("06:10".into(), CallSource::Own)),
                "{listed}"
            );
        }
        // Two rows that could be her: neither is taken.
        d.crew_calls = vec![
            row("Ł. Żak", "06:10"),
            row("Łukasz Żak", "05:50"),
            row("L. Zak", "05:45"),
        ];
        assert_eq!(
            call_for(&d, &c).unwrap().1,
            CallSource::Department("Kamera".into())
        );
        // The plan says why its call differs, in her language.
        d.crew_calls = vec![row("Łucja Żak", "06:10")];
        let p = plan(
            &PlanInput {
                day: &d,
                crew: &c,
                buffers: &Buffers::default(),
                tz: chrono_tz::Europe::Warsaw,
            },
            &Route::Direct {
                home_to_location: leg(Stop::Home, Stop::Location, 20),
            },
        )
        .unwrap();
        assert!(p.call.contains("T06:10"), "{}", p.call);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("Twoja godzina z listy ekipy")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn via_base_matches_the_contract_formula() {
        let d = day("2024-03-15", "07:00");
        let c = crew(None, true);
        let b = Buffers::default();
        let p = plan(
            &PlanInput {
                day: &d,
                crew: &c,
                buffers: &b,
                tz: chrono_tz::Europe::Warsaw,
            },
            &Route::ViaBase {
                home_to_base: leg(Stop::Home, Stop::Base, 25),
                base_to_location: leg(Stop::Base, Stop::Location, 15),
            },
        )
        .unwrap();
        // 07:00 − (25 + 15 + 15 + 10 + 10 + 20 = 95) = 05:25; wake 04:40.
        assert_eq!(p.departure, "2024-03-15T05:25:00+01:00");
        assert_eq!(p.wake_up, "2024-03-15T04:40:00+01:00");
        assert_eq!(
            p.arrivals.base.as_deref(),
            Some("2024-03-15T05:50:00+01:00")
        );
        assert_eq!(p.arrivals.location, "2024-03-15T06:20:00+01:00");
        assert_eq!(p.end, "2024-03-15T17:00:00+01:00");
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn direct_rounds_down_and_warns_early_wake_up() {
        let d = day("2024-03-15", "05:00");
        let c = crew(None, false);
        let b = Buffers::default();
        let p = plan(
            &PlanInput {
                day: &d,
                crew: &c,
                buffers: &b,
                tz: chrono_tz::Europe::Warsaw,
            },
            &Route::Direct {
                home_to_location: leg(Stop::Home, Stop::Location, 33),
            },
        )
        .unwrap();
        // 05:00 − (33 + 40) = 03:47 → 03:45; wake 03:00.
        assert_eq!(p.departure, "2024-03-15T03:45:00+01:00");
        assert_eq!(p.wake_up, "2024-03-15T03:00:00+01:00");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn department_call_wins_and_dst_night_is_right() {
        // 2024-03-31: clocks go 02:00 → 03:00 in Warsaw.
        let mut d = day("2024-03-31", "07:00");
        d.department_calls.insert("Kamera".into(), "05:30".into());
        d.wrap_time = Some("18:00".into());
        let c = crew(Some("kamera"), false);
        let b = Buffers::default();
        let p = plan(
            &PlanInput {
                day: &d,
                crew: &c,
                buffers: &b,
                tz: chrono_tz::Europe::Warsaw,
            },
            &Route::Direct {
                home_to_location: leg(Stop::Home, Stop::Location, 60),
            },
        )
        .unwrap();
        assert_eq!(p.call, "2024-03-31T05:30:00+02:00");
        // 05:30 CEST − 100 min = 03:50 CEST; wake-up 45 min earlier is 03:05
        // CEST, which is 02:05 CET... but 02:xx does not exist: instants do it.
        assert_eq!(p.departure, "2024-03-31T03:50:00+02:00");
        assert_eq!(p.wake_up, "2024-03-31T03:05:00+02:00");
        assert_eq!(p.end, "2024-03-31T18:00:00+02:00");
    }

    #[test]
    fn estimate_has_a_floor_and_warns_without_coordinates() {
        let (l, w) = estimate_leg(
            Stop::Home,
            Stop::Base,
            Some((52.2366, 21.0744)),
            Some((52.1557, 20.9862)),
        );
        assert!(l.minutes >= 5 && w.is_none());
        let (l, w) = estimate_leg(Stop::Home, Stop::Base, None, Some((52.1, 21.0)));
        assert_eq!(l.minutes, 45);
        assert!(w.is_some());
    }
}
