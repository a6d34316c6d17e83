//! Every word a crew member reads that is not the sheet's own text, in
//! Polish and in English, chosen by the crew member's `language` so a
//! message never mixes the two: the labels of the summary, the event and
//! its alarms ([`Words`], one table per language) and the sentences with
//! data in them ([`Say`]). Weather warnings and kit live beside their
//! thresholds in `weather`, in the same two languages.
//!
//! The match in [`say`] is exhaustive per language: a new sentence cannot be
//! added to one language and forgotten in the other.

use crate::config::Language;
use crate::plan::Stop;

/// The labels of the day summary, the calendar event and its alarms.
pub struct Words {
    pub subject_new: &'static str,
    pub subject_changed: &'static str,
    pub day: &'static str,
    pub wake: &'static str,
    pub leave: &'static str,
    pub call: &'static str,
    pub wrap: &'static str,
    pub base: &'static str,
    pub location: &'static str,
    pub scenes: &'static str,
    pub safety: &'static str,
    pub changes: &'static str,
    pub revision: &'static str,
    /// The SMS's mark for a new version.
    pub changed: &'static str,
    pub arrive_base: &'static str,
    pub arrive_set: &'static str,
    pub weather: &'static str,
    pub kit: &'static str,
    pub contacts: &'static str,
    pub alarm_tomorrow: &'static str,
    pub alarm_leave_at: &'static str,
    pub alarm_leave_now: &'static str,
    pub alarm_wake_in: &'static str,
    pub alarm_then_leave_at: &'static str,
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
    changed: "ZMIANA",
    arrive_base: "Przyjazd do bazy",
    arrive_set: "Przyjazd na plan",
    weather: "Pogoda",
    kit: "Zabierz",
    contacts: "Kontakty",
    alarm_tomorrow: " (jutro)",
    alarm_leave_at: "Wyjazd o",
    alarm_leave_now: "Wyjazd teraz",
    alarm_wake_in: "Pobudka za 10 min",
    alarm_then_leave_at: "wyjazd o",
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
    changed: "CHANGED",
    arrive_base: "Arrive at base",
    arrive_set: "Arrive on set",
    weather: "Weather",
    kit: "Bring",
    contacts: "Contacts",
    alarm_tomorrow: " (tomorrow)",
    alarm_leave_at: "Leave at",
    alarm_leave_now: "Leave now",
    alarm_wake_in: "Wake-up in 10 min",
    alarm_then_leave_at: "leave at",
};

/// The label table of `l`.
pub fn words(l: Language) -> &'static Words {
    match l {
        Language::Pl => &PL,
        Language::En => &EN,
    }
}

/// One thing mp2 tells a crew member, with its data.
#[derive(Debug, Clone, PartialEq)]
pub enum Say<'a> {
    /// The wake-up falls before 04:00 (or on the day before).
    EarlyWake {
        wake: &'a str,
    },
    /// The plan uses the crew member's own row in the sheet's crew list.
    OwnCall {
        call: &'a str,
    },
    /// The plan uses the department's call, not the general one.
    DepartmentCall {
        call: &'a str,
        department: &'a str,
    },
    /// The route service failed; the drive is an estimate.
    RouteEstimated {
        minutes: u32,
    },
    /// No coordinates for a drive: 45 minutes assumed.
    NoCoordinates {
        from: Stop,
        to: Stop,
    },
    /// An exterior set: dress and protect the kit for the outside.
    OutdoorKit,
    /// The sheet has safety notes.
    ReadSafety,
    /// The calendar could not be written yet; the event follows.
    CalendarFollows,
    /// Weather alert: subject head and the body's first words.
    WeatherWorse,
    WeatherIntro,
    /// "wind up to N m/s" in the weather line.
    WindUpTo {
        ms: f64,
    },
}

/// `s` in `lang`.
pub fn say(lang: Language, s: &Say<'_>) -> String {
    match lang {
        Language::Pl => pl(s),
        Language::En => en(s),
    }
}

fn pl(s: &Say<'_>) -> String {
    match s {
        Say::EarlyWake { wake } => format!("pobudka o {wake}, przed 04:00"),
        Say::OwnCall { call } => format!("zbiórka {call} to Twoja godzina z listy ekipy"),
        Say::DepartmentCall { call, department } => {
            format!("zbiórka {call} to godzina pionu {department}")
        }
        Say::RouteEstimated { minutes } => {
            format!("czas dojazdu szacunkowy ({minutes} min): serwis tras nie odpowiedział")
        }
        Say::NoCoordinates { from, to } => format!(
            "brak współrzędnych dla dojazdu {} → {}: przyjęto 45 min",
            stop_pl(*from),
            stop_pl(*to)
        ),
        Say::OutdoorKit => "plener: odzież na zewnątrz, ochrona sprzętu przed deszczem".into(),
        Say::ReadSafety => "przeczytaj uwagi BHP".into(),
        Say::CalendarFollows => {
            "Kalendarz nie przyjął jeszcze wydarzenia; pojawi się, gdy tylko będzie to możliwe."
                .into()
        }
        Say::WeatherWorse => "Pogoda się pogarsza".into(),
        Say::WeatherIntro => "Nowa prognoza na dzień zdjęciowy".into(),
        Say::WindUpTo { ms } => format!("wiatr do {ms:.0} m/s"),
    }
}

fn en(s: &Say<'_>) -> String {
    match s {
        Say::EarlyWake { wake } => format!("wake-up at {wake}, before 04:00"),
        Say::OwnCall { call } => format!("call {call} is your own call from the crew list"),
        Say::DepartmentCall { call, department } => {
            format!("call {call} is the {department} call")
        }
        Say::RouteEstimated { minutes } => {
            format!("drive time estimated ({minutes} min): the route service did not answer")
        }
        Say::NoCoordinates { from, to } => format!(
            "no coordinates for the {} → {} drive; assumed 45 min",
            stop_en(*from),
            stop_en(*to)
        ),
        Say::OutdoorKit => "exterior: outdoor clothing, rain protection for the kit".into(),
        Say::ReadSafety => "read the safety notes".into(),
        Say::CalendarFollows => {
            "The calendar has not taken the event yet; it will follow as soon as it can.".into()
        }
        Say::WeatherWorse => "Weather getting worse".into(),
        Say::WeatherIntro => "New forecast for the shoot day".into(),
        Say::WindUpTo { ms } => format!("wind up to {ms:.0} m/s"),
    }
}

fn stop_pl(s: Stop) -> &'static str {
    match s {
        Stop::Home => "dom",
        Stop::Base => "baza",
        Stop::Location => "plan",
    }
}

fn stop_en(s: Stop) -> &'static str {
    match s {
        Stop::Home => "home",
        Stop::Base => "base",
        Stop::Location => "set",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every sentence (the exhaustive matches keep this honest: a new
    /// variant without a line here still renders, but is not checked).
    pub(crate) fn every() -> Vec<Say<'static>> {
        vec![
            Say::EarlyWake { wake: "03:40" },
            Say::OwnCall { call: "06:10" },
            Say::DepartmentCall {
                call: "06:30",
                department: "Kamera",
            },
            Say::RouteEstimated { minutes: 42 },
            Say::NoCoordinates {
                from: Stop::Home,
                to: Stop::Base,
            },
            Say::OutdoorKit,
            Say::ReadSafety,
            Say::CalendarFollows,
            Say::WeatherWorse,
            Say::WeatherIntro,
            Say::WindUpTo { ms: 12.0 },
        ]
    }

    #[test]
    fn every_sentence_exists_in_both_languages_and_they_differ() {
        // English words that must not appear in Polish text, and Polish
        // letters that must not appear in English text.
        let english = ["the ", " is ", "call ", "wake", "weather", "before"];
        for s in every() {
            let (p, e) = (say(Language::Pl, &s), say(Language::En, &s));
            assert!(!p.is_empty() && !e.is_empty(), "{s:?}");
            assert_ne!(p, e, "{s:?} is not translated");
            for w in english {
                assert!(
                    !p.to_lowercase().contains(w),
                    "Polish {s:?} has English {w:?}: {p}"
                );
            }
            assert!(
                !e.chars().any(|c| "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ".contains(c)),
                "English {s:?} has Polish letters: {e}"
            );
        }
    }
}
