//! What the weather means for a shooting day: a summary over the working
//! hours, warnings, the kit to bring, and whether a new forecast is worse
//! than the last one (which is what deserves an alert).
//!
//! Pure: the weather poller fetches hourly samples from a provider and hands
//! them here; thresholds are data, in one table.

use serde::{Deserialize, Serialize};

/// One forecast sample (an hour, or OpenWeatherMap's 3-hour step).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Unix seconds, UTC.
    pub ts: i64,
    pub temp_c: f64,
    /// Precipitation within the sample's step.
    pub precip_mm: f64,
    pub wind_ms: f64,
    /// The provider's words ("light rain") or a WMO code translated.
    pub description: String,
    /// A thunderstorm in this sample (WMO 95–99, OpenWeatherMap's 2xx):
    /// told apart from the words, which rarely win the shift's summary.
    pub thunder: bool,
}

/// CONTRACT §4a `weather`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub summary: String,
    pub temp_min_c: f64,
    pub temp_max_c: f64,
    pub precip_mm: f64,
    pub wind_max_ms: f64,
    pub source: String,
    pub fetched_at: String,
    pub warnings: Vec<String>,
    /// Kit to bring because of the weather.
    #[serde(default)]
    pub checklist: Vec<String>,
    /// A thunderstorm is forecast for some sample of the shift.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thunderstorm: bool,
}

/// A condition worth a warning, and what to bring for it.
struct Rule {
    /// Applies when this says so.
    test: fn(&Summary) -> bool,
    /// Polish (what the store keeps) and English.
    warning: [&'static str; 2],
    kit: [&'static str; 2],
}

/// A stored warning or kit line (Polish, as the summary keeps it) in
/// `lang`; text that is not one of the table's is returned as it is.
pub fn in_language(text: &str, lang: crate::config::Language) -> String {
    let i = match lang {
        crate::config::Language::Pl => return text.to_string(),
        crate::config::Language::En => 1,
    };
    RULES
        .iter()
        .flat_map(|r| [r.warning, r.kit])
        .chain(WMO_CODES.iter().map(|c| wmo(*c)))
        .find(|t| t[0] == text)
        .map(|t| t[i].to_string())
        .unwrap_or_else(|| text.to_string())
}

const RULES: &[Rule] = &[
    Rule {
        test: |s| s.thunderstorm,
        warning: [
            "burza w godzinach zdjęć: przerwij pracę na otwartym terenie, na masztach i dźwigach",
            "thunderstorm during the shoot: stop work in the open, on masts and cranes",
        ],
        kit: [
            "plan schronienia (pojazdy, budynek), osłony na sprzęt, bez statywów i wysięgników w burzy",
            "a shelter plan (vehicles, a building), covers for the kit, no stands or booms up in the storm",
        ],
    },
    Rule {
        test: |s| s.precip_mm >= 5.0,
        warning: [
            "ulewa: ≥ 5 mm opadu w godzinach zdjęć",
            "downpour: ≥ 5 mm of rain during the shoot",
        ],
        kit: [
            "osłony przeciwdeszczowe na kamerę i światło, namioty, plandeki",
            "rain covers for camera and lights, tents, tarpaulins",
        ],
    },
    Rule {
        test: |s| s.precip_mm >= 0.5 && s.precip_mm < 5.0,
        warning: ["deszcz w godzinach zdjęć", "rain during the shoot"],
        kit: [
            "peleryny, osłony przeciwdeszczowe na sprzęt",
            "rain capes, rain covers for the kit",
        ],
    },
    Rule {
        test: |s| s.wind_max_ms >= 14.0,
        warning: [
            "silny wiatr (≥ 14 m/s): zabezpiecz statywy i namioty",
            "strong wind (≥ 14 m/s): secure stands and tents",
        ],
        kit: [
            "worki z piaskiem, obciążniki do statywów",
            "sandbags, stand weights",
        ],
    },
    Rule {
        test: |s| s.wind_max_ms >= 9.0 && s.wind_max_ms < 14.0,
        warning: ["wiatr (≥ 9 m/s)", "wind (≥ 9 m/s)"],
        kit: ["obciążniki do statywów", "stand weights"],
    },
    Rule {
        test: |s| s.temp_min_c <= 0.0,
        warning: ["mróz: temperatura ≤ 0 °C", "frost: temperature ≤ 0 °C"],
        kit: [
            "ciepła odzież, ogrzewacze, zapasowe akumulatory (zimno je rozładowuje)",
            "warm clothing, heaters, spare batteries (the cold drains them)",
        ],
    },
    Rule {
        test: |s| s.temp_max_c >= 30.0,
        warning: ["upał: ≥ 30 °C", "heat: ≥ 30 °C"],
        kit: [
            "woda, nakrycia głowy, parasole przeciwsłoneczne dla sprzętu",
            "water, hats, sun umbrellas for the kit",
        ],
    },
];

/// Summarises the samples between `from` and `to` (unix seconds; the shift).
/// `None` when the forecast does not reach that far.
pub fn summarise(
    samples: &[Sample],
    from: i64,
    to: i64,
    source: &str,
    fetched_at: &str,
) -> Option<Summary> {
    // A 3-hour sample that starts before the call still covers it.
    let inside: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.ts + 3 * 3600 > from && s.ts <= to)
        .collect();
    if inside.is_empty() {
        return None;
    }
    let temp_min_c = inside
        .iter()
        .map(|s| s.temp_c)
        .fold(f64::INFINITY, f64::min);
    let temp_max_c = inside
        .iter()
        .map(|s| s.temp_c)
        .fold(f64::NEG_INFINITY, f64::max);
    let precip_mm = (inside.iter().map(|s| s.precip_mm).sum::<f64>() * 10.0).round() / 10.0;
    let wind_max_ms = inside.iter().map(|s| s.wind_ms).fold(0.0, f64::max);
    // The most frequent description over the shift.
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in &inside {
        match counts.iter_mut().find(|(d, _)| *d == s.description) {
            Some(c) => c.1 += 1,
            None => counts.push((&s.description, 1)),
        }
    }
    let summary = counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let mut out = Summary {
        summary,
        temp_min_c,
        temp_max_c,
        precip_mm,
        wind_max_ms,
        source: source.to_string(),
        fetched_at: fetched_at.to_string(),
        warnings: vec![],
        checklist: vec![],
        thunderstorm: inside.iter().any(|s| s.thunder),
    };
    for r in RULES {
        if (r.test)(&out) {
            out.warnings.push(r.warning[0].to_string());
            out.checklist.push(r.kit[0].to_string());
        }
    }
    Some(out)
}

/// The warnings of `new` that `old` did not have: what got worse.
pub fn worsened(old: Option<&Summary>, new: &Summary) -> Vec<String> {
    new.warnings
        .iter()
        .filter(|w| old.is_none_or(|o| !o.warnings.contains(w)))
        .cloned()
        .collect()
}

/// WMO weather interpretation codes (Open-Meteo) in Polish.
pub fn wmo_description(code: i64) -> &'static str {
    wmo(code)[0]
}

/// WMO codes' words, Polish and English.
fn wmo(code: i64) -> [&'static str; 2] {
    match code {
        0 => ["bezchmurnie", "clear sky"],
        1 | 2 => ["częściowe zachmurzenie", "partly cloudy"],
        3 => ["pochmurno", "overcast"],
        45 | 48 => ["mgła", "fog"],
        51..=57 => ["mżawka", "drizzle"],
        61 | 80 => ["lekki deszcz", "light rain"],
        63 | 81 => ["deszcz", "rain"],
        65 | 82 => ["ulewa", "heavy rain"],
        66 | 67 => ["marznący deszcz", "freezing rain"],
        71..=77 | 85 | 86 => ["śnieg", "snow"],
        95..=99 => ["burza", "thunderstorm"],
        _ => ["—", "—"],
    }
}

const WMO_CODES: [i64; 11] = [0, 1, 3, 45, 51, 61, 63, 65, 66, 71, 95];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_warning_kit_line_and_wmo_word_has_an_english_text() {
        use crate::config::Language;
        let all: Vec<&str> = RULES
            .iter()
            .flat_map(|r| [r.warning[0], r.kit[0]])
            .chain(WMO_CODES.iter().map(|c| wmo(*c)[0]))
            .collect();
        for pl in all {
            let en = in_language(pl, Language::En);
            assert_ne!(en, pl, "{pl} has no English text");
            assert!(!en.chars().any(|c| "ąćęłńóśźż".contains(c)), "{en}");
            assert_eq!(in_language(pl, Language::Pl), pl);
        }
    }

    fn s(h: i64, temp: f64, rain: f64, wind: f64, d: &str) -> Sample {
        Sample {
            ts: h * 3600,
            temp_c: temp,
            precip_mm: rain,
            wind_ms: wind,
            description: d.into(),
            thunder: false,
        }
    }

    #[test]
    fn summary_covers_the_shift_and_warns() {
        let samples = vec![
            s(0, 1.0, 0.0, 3.0, "mgła"),
            s(6, 4.0, 2.0, 10.0, "lekki deszcz"),
            s(9, 9.5, 0.1, 12.0, "lekki deszcz"),
            s(30, -5.0, 9.0, 20.0, "śnieg"),
        ];
        let w = summarise(&samples, 6 * 3600, 18 * 3600, "openweathermap", "t").unwrap();
        assert_eq!(
            (w.temp_min_c, w.temp_max_c, w.precip_mm, w.wind_max_ms),
            (4.0, 9.5, 2.1, 12.0)
        );
        assert_eq!(w.summary, "lekki deszcz");
        assert_eq!(w.warnings.len(), 2, "{:?}", w.warnings);
        assert!(summarise(&samples, 100 * 3600, 110 * 3600, "x", "t").is_none());
        let calm = summarise(&samples[..1], 0, 3600, "x", "t").unwrap();
        assert_eq!(worsened(Some(&calm), &w).len(), 2);
        assert!(worsened(Some(&w), &w).is_empty());
    }

    #[test]
    fn a_thunderstorm_in_one_sample_of_the_shift_is_a_warning() {
        let mut storm = s(9, 15.0, 0.0, 3.0, "burza");
        storm.thunder = true;
        let samples = vec![
            s(6, 14.0, 0.0, 3.0, "bezchmurnie"),
            storm,
            s(12, 16.0, 0.0, 3.0, "bezchmurnie"),
        ];
        let w = summarise(&samples, 6 * 3600, 14 * 3600, "x", "t").unwrap();
        assert_eq!(
            w.summary, "bezchmurnie",
            "the storm is not the shift's summary"
        );
        assert_eq!(w.warnings.len(), 1, "{:?}", w.warnings);
        assert!(w.warnings[0].starts_with("burza"));
        let calm = summarise(&samples[..1], 6 * 3600, 7 * 3600, "x", "t").unwrap();
        assert_eq!(worsened(Some(&calm), &w), w.warnings);
    }
}
