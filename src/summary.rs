//! A crew member's personal day summary, and what changed since the last
//! version, in Polish (default) or English: the text of every notification.

use crate::config::Language;
use crate::model::ShootDay;
use crate::plan::CrewPlan;

fn hhmm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

struct Words {
    subject_new: &'static str,
    subject_changed: &'static str,
    day: &'static str,
    wake: &'static str,
    leave: &'static str,
    call: &'static str,
    wrap: &'static str,
    base: &'static str,
    location: &'static str,
    scenes: &'static str,
    safety: &'static str,
    changes: &'static str,
    revision: &'static str,
}

const PL: Words = Words {
    subject_new: "Plan na",
    subject_changed: "ZMIANA planu na",
    day: "Dzień zdjęciowy",
    wake: "Pobudka",
    leave: "Wyjazd",
    call: "Zbiórka",
    wrap: "Koniec",
    base: "Baza",
    location: "Lokacja",
    scenes: "Sceny",
    safety: "BHP",
    changes: "Zmiany",
    revision: "wersja",
};

const EN: Words = Words {
    subject_new: "Schedule for",
    subject_changed: "CHANGED schedule for",
    day: "Shoot day",
    wake: "Wake up",
    leave: "Leave",
    call: "Call",
    wrap: "Wrap",
    base: "Base",
    location: "Location",
    scenes: "Scenes",
    safety: "Safety",
    changes: "Changes",
    revision: "revision",
};

fn words(l: Language) -> &'static Words {
    match l {
        Language::Pl => &PL,
        Language::En => &EN,
    }
}

/// Subject line of the e-mail.
pub fn subject(production: &str, day: &ShootDay, changed: bool, lang: Language) -> String {
    let w = words(lang);
    let head = if changed {
        w.subject_changed
    } else {
        w.subject_new
    };
    let rev = day
        .revision
        .map(|r| format!(" ({} {r})", w.revision))
        .unwrap_or_default();
    format!("{production}: {head} {}{rev}", day.date)
}

/// The full text: times first (what a tired person needs at 4 am), then
/// places, scenes and safety, then what changed.
pub fn body(
    day: &ShootDay,
    plan: &CrewPlan,
    previous: Option<&ShootDay>,
    lang: Language,
) -> String {
    let w = words(lang);
    let mut s = String::new();
    let num = day.shoot_day.map(|n| format!(" {n}")).unwrap_or_default();
    s.push_str(&format!("{}{num} — {}\n\n", w.day, day.date));
    s.push_str(&format!("{}: {}\n", w.wake, hhmm(&plan.wake_up)));
    s.push_str(&format!("{}: {}\n", w.leave, hhmm(&plan.departure)));
    s.push_str(&format!("{}: {}\n", w.call, hhmm(&plan.call)));
    if let Some(wrap) = &day.wrap_time {
        s.push_str(&format!("{}: {wrap}\n", w.wrap));
    }
    if let Some(b) = &day.base {
        s.push_str(&format!(
            "{}: {}\n",
            w.base,
            [b.name.as_deref(), b.address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for l in &day.locations {
        s.push_str(&format!(
            "{}: {}\n",
            w.location,
            [l.name.as_deref(), l.address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !day.scenes.is_empty() {
        s.push_str(&format!("{}: {}\n", w.scenes, day.scenes.join(", ")));
    }
    for n in &day.safety_notes {
        s.push_str(&format!("{}: {n}\n", w.safety));
    }
    for n in plan.warnings.iter().chain(plan.checklist.iter()) {
        s.push_str(&format!("! {n}\n"));
    }
    if let Some(prev) = previous {
        let d = diff(prev, day, lang);
        if !d.is_empty() {
            s.push_str(&format!("\n{}:\n", w.changes));
            for line in d {
                s.push_str(&format!("- {line}\n"));
            }
        }
    }
    s
}

/// A short SMS.
pub fn sms(
    production: &str,
    day: &ShootDay,
    plan: &CrewPlan,
    changed: bool,
    lang: Language,
) -> String {
    let w = words(lang);
    let loc = day
        .locations
        .first()
        .and_then(|l| l.name.clone().or(l.address.clone()))
        .unwrap_or_default();
    format!(
        "{production} {}{}: {} {}, {} {}, {} {}. {loc}",
        day.date,
        if changed { " ZMIANA" } else { "" },
        w.wake,
        hhmm(&plan.wake_up),
        w.leave,
        hhmm(&plan.departure),
        w.call,
        hhmm(&plan.call)
    )
}

/// Field-by-field changes between two versions of a day.
pub fn diff(old: &ShootDay, new: &ShootDay, lang: Language) -> Vec<String> {
    let w = words(lang);
    let mut out = Vec::new();
    let mut cmp = |label: &str, a: Option<String>, b: Option<String>| {
        if a != b {
            out.push(format!(
                "{label}: {} → {}",
                a.unwrap_or_else(|| "—".into()),
                b.unwrap_or_else(|| "—".into())
            ));
        }
    };
    cmp(w.call, old.call_time.clone(), new.call_time.clone());
    cmp(w.wrap, old.wrap_time.clone(), new.wrap_time.clone());
    cmp(
        w.base,
        old.base.as_ref().and_then(|b| b.address.clone()),
        new.base.as_ref().and_then(|b| b.address.clone()),
    );
    cmp(
        w.location,
        old.locations.first().and_then(|l| l.address.clone()),
        new.locations.first().and_then(|l| l.address.clone()),
    );
    cmp(
        w.scenes,
        Some(old.scenes.join(", ")),
        Some(new.scenes.join(", ")),
    );
    for (dept, t) in &new.department_calls {
        cmp(
            dept,
            old.department_calls.get(dept).cloned(),
            Some(t.clone()),
        );
    }
    out
}

/// What a crew member is told once when a day they had a plan for is
/// cancelled: subject, body and SMS.
pub fn cancelled(production: &str, day: &ShootDay, lang: Language) -> (String, String, String) {
    let d = &day.date;
    match lang {
        Language::Pl => (
            format!("{production}: ODWOŁANY dzień zdjęciowy {d}"),
            format!("Dzień zdjęciowy {d} jest odwołany.\nWydarzenie usunięto z Twojego kalendarza; budzik z planu nie obowiązuje.\n"),
            format!("{production} {d}: dzień zdjęciowy ODWOŁANY."),
        ),
        Language::En => (
            format!("{production}: shoot day {d} CANCELLED"),
            format!("The shoot day {d} is cancelled.\nIts event was removed from your calendar; the plan's alarms no longer apply.\n"),
            format!("{production} {d}: shoot day CANCELLED."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields() {
        let a = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            ..Default::default()
        };
        let b = ShootDay {
            call_time: Some("06:30".into()),
            revision: Some(2),
            ..a.clone()
        };
        assert_eq!(
            diff(&a, &b, Language::Pl),
            vec!["Zbiórka: 07:00 → 06:30".to_string()]
        );
        assert!(subject("MP2", &b, true, Language::En).contains("CHANGED"));
    }
}
