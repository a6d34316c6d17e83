//! The human listings of `mp2ctl` (and `mp2d --demo`): a shooting day with
//! every field it has, a crew member's plan, the mail counts.
//!
//! A field the sheet does not state reads `? (not on the sheet)`, or the
//! reader's own warning about it when it gave one, so a person can tell
//! "mp2 could not read it" from "the office did not write it". A stated
//! value the reader is not sure of is printed with `(uncertain: WHY)`.
//! Every value that came with a mail passes through
//! [`crate::terminal::printable`].

use crate::control::ScheduleEntry;
use crate::model::{Field, ShootDay};
use crate::plan::CrewPlan;
use crate::store::MessageCounts;
use crate::terminal::printable;
use std::fmt::Write;

/// Width of the field names, so values line up.
const LABEL: usize = 12;

/// `7 seen: 5 schedule e-mails done, 2 rejected by the filter, …` — the
/// rejected ones apart from the done ones, though the JSON's `done` holds both.
pub fn message_line(m: &MessageCounts) -> String {
    let done = m.done.saturating_sub(m.rejected);
    format!(
        "{} seen: {} matched the filter ({} done, {} in flight, {} failed), {} rejected by the filter (not schedule e-mails)",
        m.seen, m.matched, done, m.in_flight, m.failed, m.rejected
    )
}

/// The words a warning about `field` uses, for finding why it is unsure or empty.
fn words(field: Field) -> &'static [&'static str] {
    match field {
        Field::Date => &["date"],
        Field::CallTime => &["call", "zbiórk"],
        Field::WrapTime => &["wrap"],
        Field::ShootDay => &["shoot day", "day number"],
        Field::Revision => &["version", "revis", "wersj"],
        Field::Base => &["base"],
        Field::Locations => &["location", "address"],
        Field::SetType => &["set type", "interior", "exterior"],
        Field::Scenes => &["scene"],
        Field::DepartmentCalls => &["department"],
        Field::CrewCalls => &["crew call", "crew list"],
        Field::Contacts => &["contact", "phone"],
    }
}

/// The reader's warning about `field`: one it prefixed with the field's
/// name (`call_time: …`), else the first that speaks of it.
fn warning_about(d: &ShootDay, field: Field) -> Option<&str> {
    let prefix = format!("{}: ", field.as_str());
    if let Some(w) = d.warnings.iter().find(|w| w.starts_with(&prefix)) {
        return Some(&w[prefix.len()..]);
    }
    d.warnings
        .iter()
        .find(|w| {
            let lower = w.to_lowercase();
            words(field)
                .iter()
                .any(|k| lower.contains(&k.to_lowercase()))
        })
        .map(String::as_str)
}

/// What to print for a field the day does not state.
fn missing(d: &ShootDay, field: Field) -> String {
    match warning_about(d, field) {
        Some(w) => format!("? ({})", printable(w)),
        None => "? (not on the sheet)".into(),
    }
}

/// A stated value, with the reader's doubt when it has one.
fn stated(d: &ShootDay, field: Field, value: &str) -> String {
    let value = printable(value);
    if d.is_uncertain(field) {
        let why = warning_about(d, field).unwrap_or("the reader is not sure of it");
        format!("{value} (uncertain: {})", printable(why))
    } else {
        value.into_owned()
    }
}

fn line(out: &mut String, indent: &str, label: &str, value: &str) {
    let _ = writeln!(out, "{indent}{:<LABEL$} {value}", format!("{label}:"));
}

fn field_line(
    out: &mut String,
    indent: &str,
    d: &ShootDay,
    f: Field,
    label: &str,
    v: Option<String>,
) {
    let shown = match v {
        Some(v) if !v.is_empty() => stated(d, f, &v),
        _ => missing(d, f),
    };
    line(out, indent, label, &shown);
}

fn place(name: Option<&str>, address: Option<&str>) -> Option<String> {
    match (name, address) {
        (Some(n), Some(a)) => Some(format!("{n} — {a}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

/// Every field of one shooting day, one per line, under `indent`.
pub fn day_fields(out: &mut String, indent: &str, d: &ShootDay) {
    let opt = |s: &Option<String>| s.clone();
    field_line(out, indent, d, Field::Date, "date", Some(d.date.clone()));
    if let Some(p) = &d.production {
        line(out, indent, "production", &printable(p));
    }
    field_line(
        out,
        indent,
        d,
        Field::ShootDay,
        "shoot day",
        d.shoot_day.map(|n| n.to_string()),
    );
    let revision = match d.revision {
        Some(r) => stated(d, Field::Revision, &r.to_string()),
        None => "original (the sheet states no version)".into(),
    };
    line(out, indent, "version", &revision);
    if d.cancelled {
        line(
            out,
            indent,
            "cancelled",
            "yes: the sheet calls this day off",
        );
    }
    field_line(out, indent, d, Field::CallTime, "call", opt(&d.call_time));
    field_line(out, indent, d, Field::WrapTime, "wrap", opt(&d.wrap_time));
    let base = d
        .base
        .as_ref()
        .and_then(|b| place(b.name.as_deref(), b.address.as_deref()));
    field_line(out, indent, d, Field::Base, "base", base);
    if d.locations.is_empty() {
        line(out, indent, "location", &missing(d, Field::Locations));
    }
    for l in &d.locations {
        let mut v = place(l.name.as_deref(), l.address.as_deref()).unwrap_or_else(|| "?".into());
        if let (Some(lat), Some(lon)) = (l.lat, l.lon) {
            let _ = write!(v, " ({lat:.4}, {lon:.4})");
        }
        line(out, indent, "location", &stated(d, Field::Locations, &v));
    }
    let set = d.set_type.map(|s| match s {
        crate::model::SetType::Int => "INT".to_string(),
        crate::model::SetType::Ext => "EXT".to_string(),
        crate::model::SetType::IntExt => "INT/EXT".to_string(),
    });
    field_line(out, indent, d, Field::SetType, "set", set);
    field_line(
        out,
        indent,
        d,
        Field::Scenes,
        "scenes",
        Some(d.scenes.join(", ")),
    );
    let departments = d
        .department_calls
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    field_line(
        out,
        indent,
        d,
        Field::DepartmentCalls,
        "departments",
        Some(departments),
    );
    if d.crew_calls.is_empty() {
        line(out, indent, "crew calls", &missing(d, Field::CrewCalls));
    }
    for c in &d.crew_calls {
        let who = [c.role.as_deref(), c.department.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let v = if who.is_empty() {
            format!("{} {}", c.name, c.call)
        } else {
            format!("{} ({who}) {}", c.name, c.call)
        };
        line(out, indent, "crew call", &stated(d, Field::CrewCalls, &v));
    }
    if d.contacts.is_empty() {
        line(out, indent, "contacts", &missing(d, Field::Contacts));
    }
    for c in &d.contacts {
        let v = [c.role.as_deref(), c.name.as_deref(), c.phone.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        line(out, indent, "contact", &stated(d, Field::Contacts, &v));
    }
    for s in &d.safety_notes {
        line(out, indent, "safety", &printable(s));
    }
    for n in &d.notes {
        line(out, indent, "note", &printable(n));
    }
    line(
        out,
        indent,
        "confidence",
        &format!("{:.2} (the reader's own estimate, 0–1)", d.confidence),
    );
    for w in &d.warnings {
        let _ = writeln!(out, "{indent}! {}", printable(w));
    }
}

fn hhmm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

/// A crew member's plan: the times, the drive leg by leg, warnings and kit.
pub fn plan_lines(out: &mut String, indent: &str, p: &CrewPlan) {
    let mut times = format!("wake {}  leave {}", hhmm(&p.wake_up), hhmm(&p.departure));
    if let Some(b) = &p.arrivals.base {
        let _ = write!(times, "  at base {}", hhmm(b));
    }
    let _ = write!(
        times,
        "  on set {}  call {}  ends {}",
        hhmm(&p.arrivals.location),
        hhmm(&p.call),
        hhmm(&p.end)
    );
    let _ = writeln!(out, "{indent}{:<10} {times}", printable(&p.crew));
    let inner = format!("{indent}{:<10} ", "");
    let legs = p
        .legs
        .iter()
        .map(|l| {
            let km = l.km.map(|k| format!(", {k:.1} km")).unwrap_or_default();
            let source = serde_json::to_value(l.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let stop = |s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            format!(
                "{}→{} {} min{km} ({source})",
                stop(l.from),
                stop(l.to),
                l.minutes
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if !legs.is_empty() {
        let _ = writeln!(out, "{inner}drive: {legs}");
    }
    for w in &p.warnings {
        let _ = writeln!(out, "{inner}! {}", printable(w));
    }
    if !p.checklist.is_empty() {
        let kit: Vec<_> = p.checklist.iter().map(|c| printable(c)).collect();
        let _ = writeln!(out, "{inner}bring: {}", kit.join(", "));
    }
}

/// The forecast of a day, as the store keeps it (`null` until there is one).
fn weather_line(w: Option<&serde_json::Value>) -> String {
    let Some(w) = w else {
        return "? (no forecast: the day is past or beyond the forecast's reach)".into();
    };
    let num = |k: &str| {
        w[k].as_f64()
            .map(|v| format!("{v:.1}"))
            .unwrap_or_else(|| "?".into())
    };
    let mut s = format!(
        "{}, {}–{} °C, {} mm, wind up to {} m/s ({}, {})",
        printable(w["summary"].as_str().unwrap_or("?")),
        num("temp_min_c"),
        num("temp_max_c"),
        num("precip_mm"),
        num("wind_max_ms"),
        printable(w["source"].as_str().unwrap_or("?")),
        printable(w["fetched_at"].as_str().unwrap_or("?")),
    );
    for x in w["warnings"].as_array().into_iter().flatten() {
        let _ = write!(s, "; ! {}", printable(x.as_str().unwrap_or("")));
    }
    s
}

/// The human listing of `mp2ctl schedules` (also printed by `mp2d --demo`).
pub fn schedules(days: &[ScheduleEntry]) -> String {
    let mut out = String::new();
    if days.is_empty() {
        out.push_str("no shooting days known yet\n");
    }
    for e in days {
        let s = &e.schedule;
        let loc = s
            .locations
            .first()
            .and_then(|l| l.name.as_deref().or(l.address.as_deref()))
            .unwrap_or("?");
        let _ = writeln!(
            out,
            "{} — call {} — {}",
            printable(&e.date),
            printable(s.call_time.as_deref().unwrap_or("?")),
            printable(loc)
        );
        line(&mut out, "  ", "from", &printable(&e.message_id));
        day_fields(&mut out, "  ", s);
        line(&mut out, "  ", "weather", &weather_line(e.weather.as_ref()));
        if e.plans.is_empty() {
            out.push_str("  no crew plans yet\n");
        }
        for p in &e.plans {
            plan_lines(&mut out, "  ", p);
        }
        out.push('\n');
    }
    out
}

/// One line per day and per crew member: what `mp2d --demo` prints, with
/// `mp2ctl schedules` for every field.
pub fn schedules_brief(days: &[ScheduleEntry]) -> String {
    let mut out = String::new();
    if days.is_empty() {
        out.push_str("no shooting days known yet\n");
    }
    for d in days {
        let s = &d.schedule;
        let rev = d
            .revision
            .map(|r| format!(", version {r}"))
            .unwrap_or_default();
        let loc = s.locations.first();
        let _ = writeln!(
            out,
            "{} (day {}{}) call {} — {}",
            printable(&d.date),
            s.shoot_day
                .map(|n| n.to_string())
                .unwrap_or_else(|| "? (not on the sheet)".into()),
            rev,
            printable(s.call_time.as_deref().unwrap_or("?")),
            printable(
                loc.and_then(|l| l.name.as_deref().or(l.address.as_deref()))
                    .unwrap_or("?")
            )
        );
        for p in &d.plans {
            let _ = writeln!(
                out,
                "  {:<10} wake {}  leave {}  call {}{}",
                printable(&p.crew),
                hhmm(&p.wake_up),
                hhmm(&p.departure),
                hhmm(&p.call),
                if p.warnings.is_empty() {
                    String::new()
                } else {
                    format!("  ! {}", printable(&p.warnings.join("; ")))
                }
            );
        }
    }
    out
}
