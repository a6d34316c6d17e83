//! A crew member's shooting day as an iCalendar (RFC 5545) event.
//!
//! One event per crew member per shooting day: its UID is derived from the
//! crew id and the date only, so every revision of the day replaces the same
//! event (SEQUENCE grows with the day's version) and a replay after a crash
//! writes the very same event again instead of a second one.

use crate::config::Language;
use chrono::{DateTime, Duration, FixedOffset, Utc};

/// What goes into the event.
#[derive(Debug, Clone)]
pub struct EventSpec<'a> {
    pub crew: &'a str,
    pub date: &'a str,
    pub production: &'a str,
    pub location_name: &'a str,
    pub location_address: Option<&'a str>,
    /// ISO 8601 with offset.
    pub departure: &'a str,
    pub end: &'a str,
    pub wake_up: &'a str,
    pub sequence: u64,
    pub description: &'a str,
    pub language: Language,
    /// What the four departure reminders and the three wake-up alarms say
    /// (`summary::alarm_texts`).
    pub alarms: &'a ([String; 4], [String; 3]),
}

/// The stable UID of a crew member's shooting day.
pub fn uid(crew: &str, date: &str) -> String {
    format!("mp2-{crew}-{date}@mp2")
}

/// The title of CONTRACT §5.
pub fn title(production: &str, location: &str, lang: Language) -> String {
    match lang {
        Language::Pl => format!("{production} — Dzień zdjęciowy ({location})"),
        Language::En => format!("{production} — Shoot day ({location})"),
    }
}

fn utc(iso: &str) -> Result<DateTime<Utc>, String> {
    DateTime::<FixedOffset>::parse_from_rfc3339(iso)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("bad time {iso:?}: {e}"))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 TEXT escaping.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds content lines at 75 octets without splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for ch in line.chars() {
        let w = ch.len_utf8();
        if len + w > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(ch);
        len += w;
    }
    out.push_str("\r\n");
    out
}

/// The VEVENT, with reminders 12 h, 3 h, 1 h before and at departure, and
/// three wake-up alarms (wake-up − 10 min, wake-up, wake-up + 5 min).
pub fn event(e: &EventSpec<'_>, now: DateTime<Utc>) -> Result<String, String> {
    let start = utc(e.departure)?;
    let end = utc(e.end)?;
    let wake = utc(e.wake_up)?;
    let mut lines = vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", uid(e.crew, e.date)),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(start)),
        format!("DTEND:{}", stamp(end.max(start + Duration::minutes(1)))),
        format!("SEQUENCE:{}", e.sequence),
        format!(
            "SUMMARY:{}",
            escape(&title(e.production, e.location_name, e.language))
        ),
        format!("DESCRIPTION:{}", escape(e.description)),
    ];
    if let Some(a) = e.location_address {
        lines.push(format!("LOCATION:{}", escape(a)));
    }
    let (reminders, wakes) = e.alarms;
    for (before, text) in ["-PT12H", "-PT3H", "-PT1H", "PT0S"].iter().zip(reminders) {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:DISPLAY".to_string(),
            format!("DESCRIPTION:{}", escape(text)),
            format!("TRIGGER;RELATED=START:{before}"),
            "END:VALARM".to_string(),
        ]);
    }
    for (at, text) in [
        wake - Duration::minutes(10),
        wake,
        wake + Duration::minutes(5),
    ]
    .iter()
    .zip(wakes)
    {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:AUDIO".to_string(),
            format!("DESCRIPTION:{}", escape(text)),
            format!("TRIGGER;VALUE=DATE-TIME:{}", stamp(*at)),
            "END:VALARM".to_string(),
        ]);
    }
    lines.push("END:VEVENT".to_string());
    Ok(lines.iter().map(|l| fold(l)).collect())
}

/// A whole calendar around some events.
pub fn calendar(events: &[String]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mp2//plan zdjęciowy//PL\r\nCALSCALE:GREGORIAN\r\n");
    for e in events {
        s.push_str(e);
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarms() -> ([String; 4], [String; 3]) {
        let plan = crate::plan::CrewPlan {
            crew: "anna".into(),
            call: "2024-03-15T07:00:00+01:00".into(),
            wake_up: "2024-03-15T04:55:00+01:00".into(),
            departure: "2024-03-15T05:40:00+01:00".into(),
            arrivals: crate::plan::Arrivals {
                base: None,
                location: String::new(),
            },
            legs: vec![],
            warnings: vec![],
            checklist: vec![],
            end: String::new(),
        };
        crate::summary::alarm_texts(&plan, Language::Pl)
    }

    #[test]
    fn every_alarm_says_what_it_is_for() {
        let a = alarms();
        let e = EventSpec {
            crew: "anna",
            date: "2024-03-15",
            production: "MP2",
            location_name: "Plac Zamkowy",
            location_address: None,
            departure: "2024-03-15T05:40:00+01:00",
            end: "2024-03-15T19:00:00+01:00",
            wake_up: "2024-03-15T04:55:00+01:00",
            sequence: 1,
            description: "",
            language: Language::Pl,
            alarms: &a,
        };
        let s = event(&e, Utc::now()).unwrap();
        let said: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("DESCRIPTION:") && !l.starts_with("DESCRIPTION:\r"))
            .skip(1)
            .collect();
        assert_eq!(
            said,
            [
                "DESCRIPTION:Wyjazd o 05:40 (jutro)",
                "DESCRIPTION:Wyjazd o 05:40",
                "DESCRIPTION:Wyjazd o 05:40",
                "DESCRIPTION:Wyjazd teraz (05:40)",
                "DESCRIPTION:Pobudka za 10 min (04:55)",
                "DESCRIPTION:Pobudka 04:55",
                "DESCRIPTION:Pobudka 04:55 — wyjazd o 05:40",
            ]
        );
    }

    #[test]
    fn event_has_alarms_and_stable_uid() {
        let a = alarms();
        let e = EventSpec {
            alarms: &a,
            crew: "anna",
            date: "2024-03-15",
            production: "MP2",
            location_name: "Plac Zamkowy",
            location_address: Some("Plac Zamkowy 4, 00-277 Warszawa"),
            departure: "2024-03-15T05:40:00+01:00",
            end: "2024-03-15T19:00:00+01:00",
            wake_up: "2024-03-15T04:55:00+01:00",
            sequence: 2,
            description: "Call 07:00",
            language: Language::Pl,
        };
        let s = event(&e, Utc::now()).unwrap();
        assert!(s.contains("UID:mp2-anna-2024-03-15@mp2\r\n"));
        assert!(s.contains("DTSTART:20240315T044000Z"));
        assert!(s.contains("SUMMARY:MP2 — Dzień zdjęciowy (Plac Zamkowy)"));
        assert_eq!(s.matches("BEGIN:VALARM").count(), 7);
        assert!(s.contains("TRIGGER;VALUE=DATE-TIME:20240315T034500Z"));
        assert!(s.contains("TRIGGER;VALUE=DATE-TIME:20240315T040000Z"));
        assert!(s.lines().all(|l| l.len() <= 76));
    }
}
