//! Hand-built sheets in layouts and wordings the corpus does not have: a
//! Polish sheet with inline labels, an English sheet with row labels, a
//! five-day grid, the Polish sheet flattened as a scan reads it, and random
//! documents that must never make the reader panic.

use crate::callsheet::devtext::from_layout_text;
use crate::callsheet::read;
use crate::layout::{Cell, Line, Page, TextDoc};
use crate::model::{SetType, ShootDay};
use proptest::prelude::*;

const POLISH: &str = "\
KRÓLOWA ŚNIEGU                                   PLAN ZDJĘCIOWY — wersja 3
Data: piątek, 15 marca 2024                      Dzień zdjęciowy 23/40
Zbiórka ekipy: godz. 7                           Wschód słońca 5:58   Zachód 17:44
Śniadanie 6:30      Obiad 13:00      Koniec zdjęć ok. 19.30

Baza techniczna: Panavision, ul. Wyczółki 89, 02-820 Warszawa
Miejsce zdjęć: Plac Zamkowy — Plac Zamkowy 4, 00-277 Warszawa · 52°14'52.1\"N 21°00'49.0\"E
Parking ekipy: ul. Mostowa 2, 00-260 Warszawa

SCENY
Scena   Wn/Pl      Opis                              Obsada
45      PLENER     Spotkanie na placu                1, 2
46      PLENER     Pościg przez most                 3
47A     WNĘTRZE    Kawiarnia, rozmowa                1

WEZWANIA PIONÓW
Kamera  06:30    Charakteryzacja  05:30    Dźwięk  06:45

Uwagi BHP
- Praca z dziećmi, efekty w sc. 46

KONTAKTY
Reżyser            Anna Nowak            601 234 567
Kierownik planu    Jan Kowalski          +48 602-345-678
Produkcja          Biuro                 (22) 123 45 67
Szpital            SOR Banacha           tel. alarmowy 112

Wydano: 14.03.2024, godz. 18:00
";

fn only(days: &[ShootDay]) -> &ShootDay {
    assert_eq!(days.len(), 1, "{days:#?}");
    &days[0]
}

fn phones(d: &ShootDay) -> Vec<&str> {
    let mut p: Vec<&str> = d
        .contacts
        .iter()
        .filter_map(|c| c.phone.as_deref())
        .collect();
    p.sort();
    p
}

fn check_polish(d: &ShootDay) {
    assert_eq!(d.date, "2024-03-15");
    assert_eq!(d.shoot_day, Some(23));
    assert_eq!(d.revision, Some(3));
    assert_eq!(d.call_time.as_deref(), Some("07:00"));
    assert_eq!(d.wrap_time.as_deref(), Some("19:30"));
    assert_eq!(
        d.base.as_ref().and_then(|b| b.address.as_deref()),
        Some("ul. Wyczółki 89, 02-820 Warszawa")
    );
    assert_eq!(d.locations.len(), 1, "{:?}", d.locations);
    assert_eq!(
        d.locations[0].address.as_deref(),
        Some("Plac Zamkowy 4, 00-277 Warszawa")
    );
    assert!((d.locations[0].lat.unwrap_or(0.0) - 52.2478).abs() < 0.001);
    assert!((d.locations[0].lon.unwrap_or(0.0) - 21.0136).abs() < 0.001);
    assert_eq!(d.set_type, Some(SetType::IntExt));
    assert_eq!(d.scenes, ["45", "46", "47A"]);
    let depts: Vec<(&str, &str)> = d
        .department_calls
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        depts,
        [
            ("Charakteryzacja", "05:30"),
            ("Dźwięk", "06:45"),
            ("Kamera", "06:30")
        ]
    );
    assert_eq!(phones(d), ["+48221234567", "+48601234567", "+48602345678"]);
}

#[test]
fn polish_sheet_with_inline_labels() {
    let days = read(&from_layout_text(POLISH));
    let d = only(&days);
    check_polish(d);
    assert_eq!(d.safety_notes, ["Praca z dziećmi, efekty w sc. 46"]);
    assert!(d.confidence > 0.8, "{}", d.confidence);
}

/// The same sheet as a scan reads it: one cell per line (no column gaps),
/// no diacritics on some words.
#[test]
fn polish_sheet_flattened_like_ocr() {
    let lines: Vec<Line> = POLISH
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let text = l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("Zbiórka", "Zbiorka");
            Line {
                y: 12.0 * (i + 1) as f32,
                cells: vec![Cell {
                    x0: 30.0,
                    x1: 30.0 + 5.0 * text.len() as f32,
                    size: 10.0,
                    bold: false,
                    text,
                }],
            }
        })
        .collect();
    let doc = TextDoc {
        pages: vec![Page {
            width: 600.0,
            height: 850.0,
            lines,
        }],
        ocr: true,
        warnings: vec![],
    };
    let days = read(&doc);
    let d = only(&days);
    check_polish(d);
    assert!(d.warnings.iter().any(|w| w.contains("OCR")));
    assert!(d.confidence < 0.9);
}

const ENGLISH: &str = "\
THE LONG NIGHT — CALL SHEET                                  REVISION 2
Friday, March 15th, 2024                                     Shoot Day 7 of 30
Crew Call        7:00 AM          Shooting Call     8:00 AM
Breakfast        6:30 AM          Lunch             1:00 PM
Wrap             7:30 PM          Sunrise 6:02 AM   Sunset 5:45 PM

Unit Base: Panavision, ul. Wyczółki 89, 02-820 Warszawa
Location 1: Old Town Square — Rynek Starego Miasta 1, 00-272 Warszawa — GPS 52.2497 N 21.0122 E
Location 2: Café Bristol — Krakowskie Przedmieście 42/44, 00-325 Warszawa

SC        SET                          D/N     PAGES     CAST
12        INT. CAFE - DAY              D       1 2/8     1, 3
14B       EXT. SQUARE - DAY            D       3/8       2
12B/13    EXT. SQUARE - DAY            D       1         1, 2

CREW CALLS
Camera        6:30 AM       Grip          6:00 AM
Make-up       5:30 AM       Wardrobe      5:45 AM

CONTACTS
1st AD         Tom Smith         +44 7700 900123
Producer       Ann Lee           601-234-567

ADVANCE SCHEDULE
Saturday, March 16th, 2024 — Crew Call 6:00 AM — Sc. 20, 21
";

#[test]
fn english_sheet_with_row_labels() {
    let days = read(&from_layout_text(ENGLISH));
    let d = only(&days);
    assert_eq!(d.date, "2024-03-15");
    assert_eq!(d.shoot_day, Some(7));
    assert_eq!(d.revision, Some(2));
    assert_eq!(d.call_time.as_deref(), Some("07:00"));
    assert_eq!(d.wrap_time.as_deref(), Some("19:30"));
    assert_eq!(
        d.base.as_ref().and_then(|b| b.address.as_deref()),
        Some("ul. Wyczółki 89, 02-820 Warszawa")
    );
    let addrs: Vec<&str> = d
        .locations
        .iter()
        .filter_map(|l| l.address.as_deref())
        .collect();
    assert_eq!(
        addrs,
        [
            "Rynek Starego Miasta 1, 00-272 Warszawa",
            "Krakowskie Przedmieście 42/44, 00-325 Warszawa"
        ]
    );
    assert_eq!(d.locations[0].name.as_deref(), Some("Old Town Square"));
    assert!((d.locations[0].lat.unwrap_or(0.0) - 52.2497).abs() < 0.001);
    assert_eq!(d.locations[1].lat, None);
    assert_eq!(d.scenes, ["12", "14B", "12B/13"]);
    assert_eq!(d.set_type, Some(SetType::IntExt));
    let depts: Vec<String> = d
        .department_calls
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        depts,
        [
            "Camera=06:30",
            "Grip=06:00",
            "Make-up=05:30",
            "Wardrobe=05:45"
        ]
    );
    assert_eq!(phones(d), ["+447700900123", "+48601234567"]);
    assert_eq!(d.production, None);
    let named = crate::callsheet::read_with(
        &from_layout_text(ENGLISH),
        &crate::callsheet::Options {
            production: Some("TLN".into()),
            ..Default::default()
        },
    );
    assert_eq!(named[0].production.as_deref(), Some("TLN"));
}

const GRID: &str = "\
DRABINKA — TYDZIEŃ 3 (11–15.03.2024)
                 Pon 11.03          Wt 12.03           Śr 13.03           Czw 14.03          Pt 15.03
DZ               11                 12                 13                 -                  14
Call             07:00              7.30               8:00               DZIEŃ WOLNY        18:00
Koniec           19:00              19:30              20:00                                 6:00
Lokacja          Hala Wólczyńska    Park Skaryszewski  Dom Ady                               Rynek
Adres            ul. Wólczyńska     al. Zieleniecka    ul. Leśna 3,                          ul. Rynek 4,
                 133, 01-919        2, 03-901          05-500                                00-004 Warszawa
                 Warszawa           Warszawa           Piaseczno
Sceny            1, 2               3A, 4              5                                     6, 7
INT/EXT          INT                EXT                INT/EXT                               EXT
Baza (cały tydzień): Panavision, ul. Wyczółki 89, 02-820 Warszawa
KONTAKTY
Kierownik planu     Jan Kowalski     601 234 567
";

#[test]
fn five_day_grid() {
    let days = read(&from_layout_text(GRID));
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(
        dates,
        ["2024-03-11", "2024-03-12", "2024-03-13", "2024-03-15"],
        "{days:#?}"
    );
    let calls: Vec<Option<&str>> = days.iter().map(|d| d.call_time.as_deref()).collect();
    assert_eq!(
        calls,
        [Some("07:00"), Some("07:30"), Some("08:00"), Some("18:00")]
    );
    let wraps: Vec<Option<&str>> = days.iter().map(|d| d.wrap_time.as_deref()).collect();
    assert_eq!(
        wraps,
        [Some("19:00"), Some("19:30"), Some("20:00"), Some("06:00")]
    );
    let sd: Vec<Option<u32>> = days.iter().map(|d| d.shoot_day).collect();
    assert_eq!(sd, [Some(11), Some(12), Some(13), Some(14)]);
    let addr: Vec<Option<&str>> = days
        .iter()
        .map(|d| d.locations.first().and_then(|l| l.address.as_deref()))
        .collect();
    assert_eq!(
        addr,
        [
            Some("ul. Wólczyńska 133, 01-919 Warszawa"),
            Some("al. Zieleniecka 2, 03-901 Warszawa"),
            Some("ul. Leśna 3, 05-500 Piaseczno"),
            Some("ul. Rynek 4, 00-004 Warszawa")
        ]
    );
    assert_eq!(
        days[0].locations[0].name.as_deref(),
        Some("Hala Wólczyńska")
    );
    let scenes: Vec<Vec<String>> = days.iter().map(|d| d.scenes.clone()).collect();
    assert_eq!(
        scenes,
        [vec!["1", "2"], vec!["3A", "4"], vec!["5"], vec!["6", "7"]]
    );
    let sets: Vec<Option<SetType>> = days.iter().map(|d| d.set_type).collect();
    assert_eq!(
        sets,
        [
            Some(SetType::Int),
            Some(SetType::Ext),
            Some(SetType::IntExt),
            Some(SetType::Ext)
        ]
    );
    for d in &days {
        assert_eq!(
            d.base.as_ref().and_then(|b| b.address.as_deref()),
            Some("ul. Wyczółki 89, 02-820 Warszawa")
        );
        assert_eq!(phones(d), ["+48601234567"]);
    }
}

const STACKED: &str = "\
HARMONOGRAM TYGODNIOWY · tydzień 12 · 2025
Baza: Studio Łubinowa, ul. Łubinowa 4a, 03-878 Warszawa

Pon. 17.03 · DZ 5 · Call 06:00 · Wrap 18:00
Lokacja: Dworzec Centralny — al. Jerozolimskie 54, 00-024 Warszawa
Sceny: 10, 11A, 12 (EXT)

Wt. 18.03 · DZ 6 · Zbiórka 7:15
Lokacja: Hala Koszyki — ul. Koszykowa 63, 00-667 Warszawa
Baza: Parking Koszyki, ul. Koszykowa 60, 00-667 Warszawa
Sceny: 14, 15

Śr. 19.03 — dzień wolny
";

#[test]
fn stacked_days_with_week_wide_base() {
    let days = read(&from_layout_text(STACKED));
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, ["2025-03-17", "2025-03-18"], "{days:#?}");
    assert_eq!(days[0].call_time.as_deref(), Some("06:00"));
    assert_eq!(days[0].wrap_time.as_deref(), Some("18:00"));
    assert_eq!(days[1].call_time.as_deref(), Some("07:15"));
    assert_eq!(days[0].shoot_day, Some(5));
    assert_eq!(days[1].shoot_day, Some(6));
    assert_eq!(days[0].scenes, ["10", "11A", "12"]);
    assert_eq!(days[1].scenes, ["14", "15"]);
    assert_eq!(
        days[0].base.as_ref().and_then(|b| b.address.as_deref()),
        Some("ul. Łubinowa 4a, 03-878 Warszawa")
    );
    assert_eq!(
        days[1].base.as_ref().and_then(|b| b.address.as_deref()),
        Some("ul. Koszykowa 60, 00-667 Warszawa")
    );
    assert_eq!(
        days[1].locations[0].address.as_deref(),
        Some("ul. Koszykowa 63, 00-667 Warszawa")
    );
}

/// A header box with the call printed large under its label, next to other
/// boxes holding times (sunrise, first shot) that must not be taken.
#[test]
fn call_under_its_label_in_a_header_box() {
    let c = |x0: f32, x1: f32, size: f32, t: &str| Cell {
        x0,
        x1,
        size,
        bold: false,
        text: t.into(),
    };
    let lines = vec![
        Line {
            y: 40.0,
            cells: vec![
                c(40.0, 160.0, 14.0, "MATKI PINGWINÓW 2"),
                c(270.0, 330.0, 10.0, "CALL EKIPY"),
                c(360.0, 420.0, 10.0, "03.02.2025"),
            ],
        },
        Line {
            y: 52.0,
            cells: vec![c(360.0, 470.0, 9.0, "Wschód słońca: 7:20")],
        },
        Line {
            y: 60.0,
            cells: vec![c(40.0, 150.0, 14.0, "PLAN ZDJĘCIOWY")],
        },
        Line {
            y: 66.0,
            cells: vec![c(262.0, 338.0, 24.0, "06:45")],
        },
        Line {
            y: 80.0,
            cells: vec![c(250.0, 345.0, 9.0, "Start zdjęć: 08:00")],
        },
        Line {
            y: 120.0,
            cells: vec![
                c(40.0, 80.0, 10.0, "BAZA"),
                c(120.0, 200.0, 10.0, "Panavision"),
                c(240.0, 420.0, 10.0, "ul. Wyczółki 89, 02-820 Warszawa"),
            ],
        },
        Line {
            y: 132.0,
            cells: vec![
                c(40.0, 90.0, 10.0, "LOKACJA"),
                c(120.0, 200.0, 10.0, "Park"),
                c(240.0, 420.0, 10.0, "al. Zieleniecka 2, 03-901"),
                c(450.0, 520.0, 10.0, "GPS: 52.2410,"),
            ],
        },
        Line {
            y: 142.0,
            cells: vec![
                c(240.0, 300.0, 10.0, "Warszawa"),
                c(450.0, 500.0, 10.0, "21.0500"),
            ],
        },
    ];
    let doc = TextDoc {
        pages: vec![Page {
            width: 595.0,
            height: 842.0,
            lines,
        }],
        ocr: false,
        warnings: vec![],
    };
    let days = read(&doc);
    let d = only(&days);
    assert_eq!(d.date, "2025-02-03");
    assert_eq!(d.call_time.as_deref(), Some("06:45"));
    assert_eq!(
        d.locations[0].address.as_deref(),
        Some("al. Zieleniecka 2, 03-901 Warszawa")
    );
    assert!((d.locations[0].lon.unwrap_or(0.0) - 21.05).abs() < 0.001);
    assert_eq!(
        d.base.as_ref().and_then(|b| b.name.as_deref()),
        Some("Panavision")
    );
}

#[test]
fn two_general_calls_are_flagged() {
    let days = read(&from_layout_text(
        "PLAN ZDJĘCIOWY 15.03.2024\nCall ekipy 07:00\nZbiórka 07:30\n",
    ));
    let d = only(&days);
    assert_eq!(d.call_time.as_deref(), Some("07:00"));
    assert!(
        d.warnings.iter().any(|w| w.contains("chose 07:00")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn missing_call_is_null_and_lowers_confidence() {
    let days = read(&from_layout_text(
        "PLAN ZDJĘCIOWY 15.03.2024\nŚniadanie 06:00   Start zdjęć 08:00\n",
    ));
    let d = only(&days);
    assert_eq!(d.call_time, None);
    assert!(d.confidence < 0.7);
    assert!(d
        .warnings
        .iter()
        .any(|w| w.contains("no general crew call")));
}

fn arb_doc() -> impl Strategy<Value = TextDoc> {
    let word = prop_oneof![
        Just("CALL".to_string()),
        Just("07:00".to_string()),
        Just("Baza:".to_string()),
        Just("Lokacja 1:".to_string()),
        Just("ul. Długa 5, 00-950 Warszawa".to_string()),
        Just("15.03.2024".to_string()),
        Just("Sc.".to_string()),
        Just("INT/EXT".to_string()),
        Just("45A".to_string()),
        Just("KONTAKTY".to_string()),
        Just("601 234 567".to_string()),
        Just("WEZWANIA PIONÓW".to_string()),
        Just("pon. 11.03".to_string()),
        Just("52°14'52\"N".to_string()),
        Just("ZMIANA — wersja 2 · v3 (zastępuje wersję 1)".to_string()),
        Just("DZ 4 · pt. 15.03 · CALL 7.00 · koniec ok. 19.00".to_string()),
        Just("Lokacja: Dom — ul. Leśna\u{2009}3, 05-500 Piaseczno · GPS: 52.1,".to_string()),
        Just("Wezwania: Światło 6:00 · Dźwięk 6:30".to_string()),
        Just("BHP: a; b —".to_string()),
        Just("Godzina zbiórki godz. 7".to_string()),
        "[ąęłńóśźż—·:,. 0-9A-Za-z]{0,24}",
        ".{0,12}",
    ];
    let cell = (0.0f32..600.0, 0.0f32..200.0, word).prop_map(|(x0, w, text)| Cell {
        x0,
        x1: x0 + w,
        size: 10.0,
        bold: false,
        text,
    });
    let line =
        (0.0f32..800.0, prop::collection::vec(cell, 0..6)).prop_map(|(y, cells)| Line { y, cells });
    let page = prop::collection::vec(line, 0..30).prop_map(|lines| Page {
        width: 600.0,
        height: 800.0,
        lines,
    });
    (prop::collection::vec(page, 0..3), any::<bool>()).prop_map(|(pages, ocr)| TextDoc {
        pages,
        ocr,
        warnings: vec![],
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn random_documents_never_panic(doc in arb_doc()) {
        let days = read(&doc);
        for d in &days {
            prop_assert!((0.0..=1.0).contains(&d.confidence));
            if let Some(t) = &d.call_time {
                prop_assert!(crate::callsheet::times::value_only(t).is_some());
            }
        }
    }
}

/// A cast table with dotted times (8.12, 9.10) must not be read as a grid of
/// dates.
#[test]
fn dotted_times_are_not_a_grid_of_dates() {
    let text = "\
PLAN ZDJĘCIOWY                    piątek, 15 marca 2024
CALL 7.00
OBSADA
Nr   Aktor            Odbiór    Charakteryzacja   Na planie
1    Jan Nowak        8.12      9.10              10.05
";
    let days = read(&from_layout_text(text));
    let d = only(&days);
    assert_eq!(d.date, "2024-03-15");
    assert_eq!(d.call_time.as_deref(), Some("07:00"));
}

/// Stacked days whose header line is only the date, the call on the next.
#[test]
fn stacked_days_with_bare_date_headers() {
    let text = "\
DRABINKA
29.04.2024
Call: 07:00
Lokacja: Dom — ul. Leśna 3, 05-500 Piaseczno
30.04.2024
Call: 08:00
Lokacja: Park — al. Zieleniecka 2, 03-901 Warszawa
";
    let days = read(&from_layout_text(text));
    let v: Vec<(String, Option<String>)> = days
        .iter()
        .map(|d| (d.date.clone(), d.call_time.clone()))
        .collect();
    assert_eq!(
        v,
        [
            ("2024-04-29".into(), Some("07:00".into())),
            ("2024-04-30".into(), Some("08:00".into()))
        ]
    );
    assert_eq!(
        days[1].locations[0].address.as_deref(),
        Some("al. Zieleniecka 2, 03-901 Warszawa")
    );
}

/// A crew table with a name column between department and call: each row
/// is a person's own call (CONTRACT §1 `crew_calls`), not a department's.
#[test]
fn department_table_with_a_name_column() {
    let text = "\
CALL SHEET                        Friday, March 15, 2024
Crew Call: 7:00 AM
CREW CALLS
Department       Name               Call
Camera           Jan Kowalski       6:30 AM
Crew             everyone           7:00 AM
Sound            Ewa Nowak          7:15 AM
";
    let days = read(&from_layout_text(text));
    let d = only(&days);
    let depts: Vec<String> = d
        .department_calls
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert!(depts.is_empty(), "{depts:?}");
    let people: Vec<String> = d
        .crew_calls
        .iter()
        .map(|c| {
            format!(
                "{}/{}={}",
                c.name,
                c.department.as_deref().unwrap_or("?"),
                c.call
            )
        })
        .collect();
    assert_eq!(
        people,
        ["Jan Kowalski/Camera=06:30", "Ewa Nowak/Sound=07:15"]
    );
    assert_eq!(d.call_time.as_deref(), Some("07:00"));
}
