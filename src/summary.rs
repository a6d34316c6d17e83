//! A crew member's personal day summary, and what changed since the last
//! version, in Polish (default) or English: the text of every notification.

use crate::config::Language;
use crate::crew_text::words;
use crate::model::ShootDay;
use crate::plan::CrewPlan;

fn hhmm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
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
    previous_plan: Option<&CrewPlan>,
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
        let mut d = Vec::new();
        // What the crew member does differently first: when to get up and go.
        if let Some(pp) = previous_plan {
            for (label, a, b) in [
                (w.wake, &pp.wake_up, &plan.wake_up),
                (w.leave, &pp.departure, &plan.departure),
            ] {
                if a != b {
                    d.push(format!("{label}: {} → {}", hhmm(a), hhmm(b)));
                }
            }
            if pp.call != plan.call
                && prev.call_time == day.call_time
                && prev.department_calls == day.department_calls
            {
                // Their own row in the crew list moved (the sheet-wide
                // calls are listed below).
                d.push(format!(
                    "{}: {} → {}",
                    w.call,
                    hhmm(&pp.call),
                    hhmm(&plan.call)
                ));
            }
        }
        d.extend(diff(prev, day, lang));
        if !d.is_empty() {
            s.push_str(&format!("\n{}:\n", w.changes));
            for line in d {
                s.push_str(&format!("- {line}\n"));
            }
        }
    }
    s
}

/// The calendar event's description, in the order a crew member needs it
/// on the morning: wake-up, departure, arrivals, call, location, weather,
/// checklist, contacts.
pub fn event_description(
    day: &ShootDay,
    plan: &CrewPlan,
    weather: Option<&crate::weather::Summary>,
    lang: Language,
) -> String {
    let w = words(lang);
    let mut s = String::new();
    let mut line = |label: &str, value: &str| s.push_str(&format!("{label}: {value}\n"));
    line(w.wake, hhmm(&plan.wake_up));
    line(w.leave, hhmm(&plan.departure));
    if let Some(b) = &plan.arrivals.base {
        line(w.arrive_base, hhmm(b));
    }
    if !plan.arrivals.location.is_empty() {
        line(w.arrive_set, hhmm(&plan.arrivals.location));
    }
    line(w.call, hhmm(&plan.call));
    if let Some(wrap) = &day.wrap_time {
        line(w.wrap, wrap);
    }
    let place = |name: &Option<String>, addr: &Option<String>| {
        [name.as_deref(), addr.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    };
    for l in &day.locations {
        line(w.location, &place(&l.name, &l.address));
    }
    if let Some(b) = &day.base {
        line(w.base, &place(&b.name, &b.address));
    }
    if let Some(f) = weather {
        let mut t = format!(
            "{}, {:.0}–{:.0} °C, {:.1} mm",
            crate::weather::in_language(&f.summary, lang),
            f.temp_min_c,
            f.temp_max_c,
            f.precip_mm
        );
        for x in &f.warnings {
            t.push_str(&format!("; {}", crate::weather::in_language(x, lang)));
        }
        line(w.weather, &t);
    }
    for n in &plan.warnings {
        line("!", n);
    }
    let mut kit: Vec<String> = plan.checklist.clone();
    if let Some(f) = weather {
        kit.extend(
            f.checklist
                .iter()
                .map(|k| crate::weather::in_language(k, lang)),
        );
    }
    kit.dedup();
    if !kit.is_empty() {
        line(w.kit, &kit.join("; "));
    }
    for n in &day.safety_notes {
        line(w.safety, n);
    }
    if !day.scenes.is_empty() {
        line(w.scenes, &day.scenes.join(", "));
    }
    let contacts: Vec<String> = day
        .contacts
        .iter()
        .filter_map(|c| {
            let who = [c.role.as_deref(), c.name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            c.phone
                .as_ref()
                .map(|p| format!("{who} {p}").trim().to_string())
        })
        .collect();
    if !contacts.is_empty() {
        line(w.contacts, &contacts.join("; "));
    }
    s
}

/// What each alarm of the event says, in the crew member's language:
/// `(departure reminders at -12 h, -3 h, -1 h, 0; wake-up alarms at -10 min,
/// 0, +5 min)`. A reminder that fires the day before says "tomorrow".
pub fn alarm_texts(plan: &CrewPlan, lang: Language) -> ([String; 4], [String; 3]) {
    let dep = hhmm(&plan.departure);
    let wake = hhmm(&plan.wake_up);
    let day_before = |hours: i64| {
        chrono::DateTime::parse_from_rfc3339(&plan.departure)
            .map(|d| (d - chrono::Duration::hours(hours)).date_naive() < d.date_naive())
            .unwrap_or(false)
    };
    let w = words(lang);
    let (tomorrow, leave_at, leave_now, wake_in, wake_now, wake_last) = (
        w.alarm_tomorrow,
        w.alarm_leave_at,
        w.alarm_leave_now,
        w.alarm_wake_in,
        w.wake,
        w.alarm_then_leave_at,
    );
    let at = |h: i64| {
        format!(
            "{leave_at} {dep}{}",
            if day_before(h) { tomorrow } else { "" }
        )
    };
    (
        [at(12), at(3), at(1), format!("{leave_now} ({dep})")],
        [
            format!("{wake_in} ({wake})"),
            format!("{wake_now} {wake}"),
            format!("{wake_now} {wake} — {wake_last} {dep}"),
        ],
    )
}

/// A short SMS: production, date, wake-up, departure and call, then the
/// first location (shortened or dropped to stay within two segments, see
/// [`fit_sms`]).
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
    let text = format!(
        "{production} {}{}: {} {}, {} {}, {} {}. {loc}",
        day.date,
        if changed {
            format!(" {}", w.changed)
        } else {
            String::new()
        },
        w.wake,
        hhmm(&plan.wake_up),
        w.leave,
        hhmm(&plan.departure),
        w.call,
        hhmm(&plan.call)
    );
    fit_sms(text.trim_end())
}

/// SMS segments `text` takes: GSM-7 when every character is in its
/// alphabet (160 alone, 153 per part; the extension characters count
/// twice), else UCS-2 (70 alone, 67 per part, in UTF-16 units) — one Polish
/// letter switches the whole message to UCS-2.
pub fn sms_segments(text: &str) -> usize {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const GSM_EXT: &str = "^{}\\[~]|€\x0c";
    let (units, single, multi) = if text.chars().all(|c| GSM.contains(c) || GSM_EXT.contains(c)) {
        let n: usize = text
            .chars()
            .map(|c| if GSM_EXT.contains(c) { 2 } else { 1 })
            .sum();
        (n, 160, 153)
    } else {
        (text.encode_utf16().count(), 70, 67)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
    }
}

/// At most two segments, by rule: everything up to the last time (`HH:MM`)
/// is kept whole — a time is never cut; what follows (the location, extra
/// warnings) is shortened at a word, with "…", or dropped.
pub fn fit_sms(text: &str) -> String {
    if sms_segments(text) <= 2 {
        return text.to_string();
    }
    let keep = last_time_end(text).unwrap_or_else(|| text.find(": ").map(|i| i + 1).unwrap_or(0));
    let (head, tail) = text.split_at(keep);
    let mut words: Vec<&str> = tail.split(' ').collect();
    while !words.is_empty() {
        words.pop();
        let t = format!(
            "{head}{}…",
            words.join(" ").trim_end_matches([',', '.', ';', ' '])
        );
        if words.iter().all(|w| w.trim().is_empty()) {
            break;
        }
        if sms_segments(&t) <= 2 {
            return t;
        }
    }
    let head = head.trim_end_matches([',', '.', ';', ' ']).to_string();
    if sms_segments(&head) <= 2 {
        return head;
    }
    // Only an absurdly long production name gets here: keep the times, cut
    // the front.
    let chars: Vec<char> = head.chars().collect();
    let mut start = 0;
    while sms_segments(&chars[start..].iter().collect::<String>()) > 2 {
        start += 1;
    }
    chars[start..].iter().collect()
}

/// Where the last `HH:MM` in `s` ends.
fn last_time_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(4))
        .rev()
        .find(|&i| {
            b[i].is_ascii_digit()
                && b[i + 1].is_ascii_digit()
                && b[i + 2] == b':'
                && b[i + 3].is_ascii_digit()
                && b[i + 4].is_ascii_digit()
        })
        .map(|i| i + 5)
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
    fn segments_follow_gsm7_and_ucs2_limits() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        // One Polish letter: UCS-2.
        assert_eq!(sms_segments(&format!("ł{}", "a".repeat(69))), 1);
        assert_eq!(sms_segments(&format!("ł{}", "a".repeat(70))), 2);
        assert_eq!(sms_segments(&format!("ł{}", "a".repeat(133))), 2);
        assert_eq!(sms_segments(&format!("ł{}", "a".repeat(134))), 3);
        // Extension characters count twice.
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn a_long_sms_is_shortened_after_its_times_never_in_them() {
        let loc = "Pałac Kultury i Nauki, plac Defilad 1, sala kongresowa, wejście od ulicy Marszałkowskiej, parking dla ekipy na dziedzińcu";
        let text = format!("Matki Pingwinów 2 2024-03-15 ZMIANA: Pobudka 04:55, Wyjazd 05:40, Zbiórka 06:30. {loc} {loc}");
        let fit = fit_sms(&text);
        assert!(sms_segments(&fit) <= 2, "{fit}");
        assert!(
            fit.starts_with(
                "Matki Pingwinów 2 2024-03-15 ZMIANA: Pobudka 04:55, Wyjazd 05:40, Zbiórka 06:30"
            ),
            "{fit}"
        );
        assert!(fit.ends_with('…'), "{fit}");
        // Short ones are left alone.
        assert_eq!(
            fit_sms("MP2 2024-03-15: Call 06:30. Set"),
            "MP2 2024-03-15: Call 06:30. Set"
        );
    }

    #[test]
    fn the_change_message_lists_wake_up_and_departure_first() {
        let old = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            ..Default::default()
        };
        let new = ShootDay {
            call_time: Some("06:30".into()),
            ..old.clone()
        };
        let p = |wake: &str, dep: &str, call: &str| CrewPlan {
            crew: "anna".into(),
            call: format!("2024-03-15T{call}:00+01:00"),
            wake_up: format!("2024-03-15T{wake}:00+01:00"),
            departure: format!("2024-03-15T{dep}:00+01:00"),
            arrivals: crate::plan::Arrivals {
                base: None,
                location: String::new(),
            },
            legs: vec![],
            warnings: vec![],
            checklist: vec![],
            end: String::new(),
        };
        let (before, after) = (p("05:10", "05:55", "07:00"), p("04:40", "05:25", "06:30"));
        let b = body(&new, &after, Some(&old), Some(&before), Language::Pl);
        let changes = &b[b.find("Zmiany:").unwrap()..];
        assert_eq!(
            changes.lines().skip(1).collect::<Vec<_>>(),
            [
                "- Pobudka: 05:10 → 04:40",
                "- Wyjazd: 05:55 → 05:25",
                "- Zbiórka: 07:00 → 06:30"
            ],
            "{b}"
        );
        let e = body(&new, &after, Some(&old), Some(&before), Language::En);
        assert!(
            e.contains("- Wake up: 05:10 → 04:40") && e.contains("- Leave: 05:55 → 05:25"),
            "{e}"
        );
    }

    #[test]
    fn the_event_description_runs_wake_up_departure_arrivals_call_location_weather_kit_contacts() {
        let day = ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            locations: vec![crate::model::Location {
                name: Some("Plac Zamkowy".into()),
                address: None,
                lat: None,
                lon: None,
            }],
            contacts: vec![crate::model::Contact {
                role: Some("Kierownik planu".into()),
                name: None,
                phone: Some("+48601000000".into()),
            }],
            ..Default::default()
        };
        let plan = CrewPlan {
            crew: "anna".into(),
            call: "2024-03-15T07:00:00+01:00".into(),
            wake_up: "2024-03-15T04:55:00+01:00".into(),
            departure: "2024-03-15T05:40:00+01:00".into(),
            arrivals: crate::plan::Arrivals {
                base: Some("2024-03-15T06:05:00+01:00".into()),
                location: "2024-03-15T06:35:00+01:00".into(),
            },
            legs: vec![],
            warnings: vec![],
            checklist: vec!["plener".into()],
            end: String::new(),
        };
        let weather = crate::weather::Summary {
            summary: "deszcz".into(),
            temp_min_c: 3.0,
            temp_max_c: 8.0,
            precip_mm: 2.0,
            wind_max_ms: 4.0,
            source: "x".into(),
            fetched_at: "x".into(),
            warnings: vec!["deszcz w godzinach zdjęć".into()],
            checklist: vec!["peleryny, osłony przeciwdeszczowe na sprzęt".into()],
            thunderstorm: false,
        };
        let d = event_description(&day, &plan, Some(&weather), Language::En);
        let labels: Vec<&str> = d.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            labels,
            [
                "Wake up",
                "Leave",
                "Arrive at base",
                "Arrive on set",
                "Call",
                "Location",
                "Weather",
                "Bring",
                "Contacts"
            ],
            "{d}"
        );
        assert!(
            d.contains("Weather: rain, 3–8 °C, 2.0 mm; rain during the shoot"),
            "{d}"
        );
        assert!(d.contains("rain capes"), "{d}");
    }

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
