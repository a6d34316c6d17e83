//! "Needs attention": which problems of a shooting day or a message a person
//! must look at, and the sentences that tell a coordinator what to do, in
//! Polish or English (`production.language`).
//!
//! Pure: the daemon raises what [`day_problems`] finds through
//! `Store::raise_attention`, and e-mails the coordinators once per item.

use crate::config::{CrewMember, Language};
use crate::model::{Field, ShootDay};
use crate::plan::{call_for, call_time_for, CallSource};
use crate::store::{AttentionItem, AttentionKind, NewAttention};

/// What the message looked like, for the reason sentences.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// Our message key (stable per message).
    pub key: String,
    pub message_id: String,
    pub subject: String,
    /// The attached PDF(s) the day was read from, for "in plan_12.pdf".
    pub file: String,
}

/// Whether a crew member's call comes from their department's line (the
/// rule of `plan::call_time_for`).
fn uses_department_call(day: &ShootDay, crew: &CrewMember) -> bool {
    matches!(call_for(day, crew), Some((_, CallSource::Department(_))))
}

fn uses_general_call(day: &ShootDay, crew: &CrewMember) -> bool {
    matches!(call_for(day, crew), Some((_, CallSource::General)))
}

/// The problems of one day (its newest, corrected version): a missing or
/// uncertain date, call time (general, or the department call a crew member
/// relies on) or first location. Nothing for a cancelled day.
pub fn day_problems(
    day: &ShootDay,
    crew: &[CrewMember],
    src: &Source,
    lang: Language,
) -> Vec<NewAttention> {
    let mut out = Vec::new();
    if day.cancelled {
        return out;
    }
    let item = |kind, field: &str, reason: String| NewAttention {
        key: format!(
            "day:{}:{}:{}:{}",
            day.date,
            field,
            match kind {
                AttentionKind::Missing => "missing",
                _ => "uncertain",
            },
            src.key
        ),
        kind,
        date: Some(day.date.clone()),
        message_id: src.message_id.clone(),
        subject: src.subject.clone(),
        reason,
        fields: vec![field.to_string()],
    };
    let date = &day.date;
    let file = &src.file;
    let pl = lang == Language::Pl;
    // The call: missing when some crew member has no call at all.
    let no_call: Vec<&CrewMember> = crew
        .iter()
        .filter(|c| call_time_for(day, c).is_none())
        .collect();
    if !no_call.is_empty() || (crew.is_empty() && day.call_time.is_none()) {
        let fix = format!("mp2ctl correct {date} call_time=HH:MM");
        out.push(item(
            AttentionKind::Missing,
            "call_time",
            if pl {
                format!("Nie znaleziono godziny zbiórki w {file} (dzień {date}): popraw: {fix}; do tego czasu ekipa nie dostaje planu na ten dzień")
            } else {
                format!("No call time found in {file} (day {date}): fix it with: {fix}; until then the crew get no plan for that day")
            },
        ));
    } else {
        let general_doubted =
            day.is_uncertain(Field::CallTime) && crew.iter().any(|c| uses_general_call(day, c));
        if general_doubted || (crew.is_empty() && day.is_uncertain(Field::CallTime)) {
            let t = day.call_time.as_deref().unwrap_or("?");
            let fix = format!("mp2ctl correct {date} call_time=HH:MM");
            out.push(item(
                AttentionKind::Uncertain,
                "call_time",
                if pl {
                    format!("Niepewna godzina zbiórki {t} w {file} (dzień {date}): sprawdź; jeśli błędna, popraw: {fix} (jeśli dobra: mp2ctl correct {date} call_time={t}); ekipa dostała plan z dopiskiem „godzina do potwierdzenia”")
                } else {
                    format!("Call time {t} in {file} (day {date}) is uncertain: check it; if wrong, fix it with: {fix} (if right: mp2ctl correct {date} call_time={t}); the crew got their plan marked \"time to be confirmed\"")
                },
            ));
        }
        if day.is_uncertain(Field::DepartmentCalls) {
            for c in crew.iter().filter(|c| uses_department_call(day, c)) {
                let dept = c.department.as_deref().unwrap_or_default();
                let t = call_time_for(day, c).unwrap_or_default();
                let fix = format!("mp2ctl correct {date} department_calls.{dept}=HH:MM");
                out.push(item(
                    AttentionKind::Uncertain,
                    &format!("department_calls.{dept}"),
                    if pl {
                        format!("Niepewna godzina zbiórki działu {dept} {t} w {file} (dzień {date}): sprawdź; jeśli błędna, popraw: {fix}")
                    } else {
                        format!("The {dept} call {t} in {file} (day {date}) is uncertain: check it; if wrong, fix it with: {fix}")
                    },
                ));
            }
        }
    }
    let first = day.locations.first();
    if first.is_none_or(|l| l.address.is_none() && l.name.is_none() && l.lat.is_none()) {
        let fix = format!("mp2ctl correct {date} location.address=\"ADRES\"");
        out.push(item(
            AttentionKind::Missing,
            "locations",
            if pl {
                format!("Nie znaleziono miejsca zdjęć w {file} (dzień {date}): popraw: {fix}")
            } else {
                format!(
                    "No shooting location found in {file} (day {date}): fix it with: {}",
                    fix.replace("ADRES", "ADDRESS")
                )
            },
        ));
    } else if day.is_uncertain(Field::Locations) {
        let here = first
            .and_then(|l| l.address.clone().or(l.name.clone()))
            .unwrap_or_default();
        let fix = format!("mp2ctl correct {date} location.address=\"ADRES\"");
        out.push(item(
            AttentionKind::Uncertain,
            "locations",
            if pl {
                format!("Niepewne miejsce zdjęć „{here}” w {file} (dzień {date}): sprawdź; jeśli błędne, popraw: {fix}")
            } else {
                format!("The shooting location \"{here}\" in {file} (day {date}) is uncertain: check it; if wrong, fix it with: {}", fix.replace("ADRES", "ADDRESS"))
            },
        ));
    }
    if day.is_uncertain(Field::Date) {
        let fix = format!("mp2ctl correct {date} date=YYYY-MM-DD");
        out.push(item(
            AttentionKind::Uncertain,
            "date",
            if pl {
                format!("Niepewna data dnia zdjęciowego {date} w {file}: sprawdź; jeśli błędna, popraw: {fix}")
            } else {
                format!("The date {date} of a shoot day in {file} is uncertain: check it; if wrong, fix it with: {fix}")
            },
        ));
    }
    out
}

/// A schedule e-mail none of whose PDFs gave a shooting day.
pub fn unreadable(src: &Source, errors: &[String], lang: Language) -> NewAttention {
    let why = if errors.is_empty() {
        match lang {
            Language::Pl => "nie ma w nim dnia zdjęciowego".to_string(),
            Language::En => "it holds no shooting day".to_string(),
        }
    } else {
        errors.join("; ")
    };
    let (id, subject, file) = (&src.message_id, &src.subject, &src.file);
    NewAttention {
        key: format!("msg:{}:unreadable", src.key),
        kind: AttentionKind::Unreadable,
        date: None,
        message_id: id.clone(),
        subject: subject.clone(),
        reason: match lang {
            // No day came of it, so there is none `correct` could set: the
            // way out is a readable sheet (a new message is read by itself)
            // or, once the cause is gone, reading this one again.
            Language::Pl => format!("Nie udało się odczytać planu {file} z wiadomości „{subject}” ({why}); ekipa nie dostała z niego planu: poproś biuro o czytelny PDF (nowa wiadomość zostanie odczytana sama) albo, gdy przyczyna zniknie, ponów: mp2ctl reprocess {id}"),
            Language::En => format!("Could not read the schedule {file} in \"{subject}\" ({why}); the crew got no plan from it: ask the office for a readable PDF (a new message is read by itself) or, once the cause is gone, retry: mp2ctl reprocess {id}"),
        },
        fields: vec![],
    }
}

/// A notification to a crew member that was given up on.
pub fn notification_given_up(
    src: &Source,
    crew: &str,
    date: &str,
    channel: &str,
    why: &str,
    lang: Language,
) -> NewAttention {
    NewAttention {
        key: format!("notify:{}:{crew}:{date}:{channel}", src.key),
        kind: AttentionKind::NotificationGivenUp,
        date: Some(date.to_string()),
        message_id: src.message_id.clone(),
        subject: src.subject.clone(),
        reason: match lang {
            Language::Pl => format!("Nie wysłano powiadomienia ({channel}) do {crew} o dniu {date}: {why}; przekaż plan osobiście (mp2ctl schedules) i zamknij: mp2ctl attention dismiss N"),
            Language::En => format!("The {channel} notification to {crew} about {date} was not sent: {why}; pass the plan on in person (mp2ctl schedules), then: mp2ctl attention dismiss N"),
        },
        fields: vec![],
    }
}

/// The problem key of a message stuck at a stage.
pub fn stuck_key(message_key: &str, stage: &str) -> String {
    format!("msg:{message_key}:stuck:{stage}")
}

/// A message that kept failing at one stage past its retry limit.
pub fn stuck(
    src: &Source,
    stage: &str,
    attempts: u32,
    error: &str,
    lang: Language,
) -> NewAttention {
    let (id, subject) = (&src.message_id, &src.subject);
    NewAttention {
        key: stuck_key(&src.key, stage),
        kind: AttentionKind::Stuck,
        date: None,
        message_id: id.clone(),
        subject: subject.clone(),
        reason: match lang {
            Language::Pl => format!("Wiadomość „{subject}” utknęła na etapie {stage} po {attempts} próbach ({error}); mp2 próbuje dalej; po usunięciu przyczyny: mp2ctl reprocess {id}"),
            Language::En => format!("The message \"{subject}\" is stuck at {stage} after {attempts} attempts ({error}); mp2 keeps trying; once the cause is fixed: mp2ctl reprocess {id}"),
        },
        fields: vec![],
    }
}

/// A message given up on at a stage: its error cannot be fixed by waiting
/// (`attempts` is 1), or it kept coming back past the retry limit.
pub fn failed(
    src: &Source,
    stage: &str,
    attempts: u32,
    error: &str,
    lang: Language,
) -> NewAttention {
    let (id, subject) = (&src.message_id, &src.subject);
    NewAttention {
        key: format!("msg:{}:failed:{stage}", src.key),
        kind: AttentionKind::Stuck,
        date: None,
        message_id: id.clone(),
        subject: subject.clone(),
        reason: match lang {
            Language::Pl => format!("Wiadomość „{subject}” nie przeszła etapu {stage} ({attempts} prób: {error}); mp2 już nie próbuje; po usunięciu przyczyny: mp2ctl reprocess {id}"),
            Language::En => format!("The message \"{subject}\" failed at {stage} ({attempts} attempts: {error}); mp2 has stopped trying; once the cause is fixed: mp2ctl reprocess {id}"),
        },
        fields: vec![],
    }
}

/// The marks a crew member's plan carries when it rests on a field the
/// reader is not sure of ("godzina do potwierdzenia").
pub fn tentative_marks(day: &ShootDay, crew: &CrewMember, lang: Language) -> Vec<&'static str> {
    let mut out = Vec::new();
    let call_doubted = match call_for(day, crew) {
        Some((_, CallSource::Own)) => day.is_uncertain(Field::CrewCalls),
        Some((_, CallSource::Department(_))) => day.is_uncertain(Field::DepartmentCalls),
        _ => day.is_uncertain(Field::CallTime),
    };
    if call_doubted {
        out.push(match lang {
            Language::Pl => "godzina do potwierdzenia",
            Language::En => "time to be confirmed",
        });
    }
    if day.is_uncertain(Field::Locations) {
        out.push(match lang {
            Language::Pl => "miejsce do potwierdzenia",
            Language::En => "location to be confirmed",
        });
    }
    if day.is_uncertain(Field::Date) {
        out.push(match lang {
            Language::Pl => "data do potwierdzenia",
            Language::En => "date to be confirmed",
        });
    }
    out
}

/// The coordinators' e-mail about one item.
pub fn coordinator_mail(
    production: &str,
    item: &AttentionItem,
    lang: Language,
) -> (String, String) {
    let date = item.date.as_deref().unwrap_or("");
    match lang {
        Language::Pl => (
            format!("{production}: wymaga uwagi{}{date} (#{})", if date.is_empty() { "" } else { " — " }, item.id),
            format!(
                "{}\n\nWiadomość: {} ({})\nZgłoszono: {}\nLista wszystkich spraw: mp2ctl attention\nZamknięcie bez poprawki: mp2ctl attention dismiss {}\n",
                item.reason, item.subject, item.message_id, item.since, item.id
            ),
        ),
        Language::En => (
            format!("{production}: needs attention{}{date} (#{})", if date.is_empty() { "" } else { " — " }, item.id),
            format!(
                "{}\n\nMessage: {} ({})\nRaised: {}\nEverything open: mp2ctl attention\nClose without a fix: mp2ctl attention dismiss {}\n",
                item.reason, item.subject, item.message_id, item.since, item.id
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Site;
    use crate::model::Location;

    /// A sheet that gave no day leaves nothing for `mp2ctl correct` to set
    /// (it answers "no shooting day … is known"): the advice names only what
    /// works.
    #[test]
    fn an_unreadable_sheet_is_not_answered_with_a_correct_that_has_no_day() {
        for lang in [Language::Pl, Language::En] {
            let item = unreadable(&src(), &[], lang);
            assert!(!item.reason.contains("mp2ctl correct"), "{}", item.reason);
            assert!(
                item.reason.contains("mp2ctl reprocess <m@x>"),
                "{}",
                item.reason
            );
            assert!(item.reason.contains("plan_12.pdf"), "{}", item.reason);
        }
    }

    fn crew(dept: Option<&str>) -> CrewMember {
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
            channels: vec![],
            department: dept.map(Into::into),
            via_base: true,
            language: Language::Pl,
        }
    }

    fn src() -> Source {
        Source {
            key: "k".into(),
            message_id: "<m@x>".into(),
            subject: "Plan".into(),
            file: "plan_12.pdf".into(),
        }
    }

    fn day() -> ShootDay {
        ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            locations: vec![Location {
                address: Some("Plac Zamkowy 4, 00-277 Warszawa".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_missing_call_says_the_exact_command_to_run() {
        let mut d = day();
        d.call_time = None;
        let p = day_problems(&d, &[crew(None)], &src(), Language::Pl);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].fields, ["call_time"]);
        assert!(p[0].reason.starts_with("Nie znaleziono godziny zbiórki w plan_12.pdf (dzień 2024-03-15): popraw: mp2ctl correct 2024-03-15 call_time=HH:MM"), "{}", p[0].reason);
        let en = day_problems(&d, &[crew(None)], &src(), Language::En);
        assert!(
            en[0].reason.contains("No call time found"),
            "{}",
            en[0].reason
        );
    }

    #[test]
    fn a_department_call_covers_a_missing_general_call_for_that_crew_member() {
        let mut d = day();
        d.call_time = None;
        d.department_calls.insert("Kamera".into(), "06:30".into());
        assert!(day_problems(&d, &[crew(Some("Kamera"))], &src(), Language::Pl).is_empty());
        assert_eq!(
            day_problems(
                &d,
                &[crew(Some("Kamera")), crew(None)],
                &src(),
                Language::Pl
            )
            .len(),
            1
        );
    }

    #[test]
    fn uncertain_fields_are_items_and_marks() {
        let mut d = day();
        d.doubt(Field::CallTime);
        d.locations.clear();
        let p = day_problems(&d, &[crew(None)], &src(), Language::Pl);
        let kinds: Vec<_> = p.iter().map(|i| (i.kind, i.fields[0].as_str())).collect();
        assert_eq!(
            kinds,
            [
                (AttentionKind::Uncertain, "call_time"),
                (AttentionKind::Missing, "locations")
            ]
        );
        assert_eq!(
            tentative_marks(&d, &crew(None), Language::Pl),
            ["godzina do potwierdzenia"]
        );
        assert_eq!(
            tentative_marks(&d, &crew(None), Language::En),
            ["time to be confirmed"]
        );
        assert!(tentative_marks(&day(), &crew(None), Language::Pl).is_empty());
    }

    #[test]
    fn a_cancelled_day_needs_nothing() {
        let mut d = day();
        d.call_time = None;
        d.cancelled = true;
        assert!(day_problems(&d, &[crew(None)], &src(), Language::Pl).is_empty());
    }
}
