//! One named test per input that ever broke the reader (STYLE: every bad
//! call sheet becomes a regression test). Each must parse without a panic
//! and give sensible output.

use mp2::layout::{Cell, Line, Page, TextDoc};

fn doc(lines: &[&[&str]]) -> TextDoc {
    let lines = lines
        .iter()
        .enumerate()
        .map(|(i, cells)| Line {
            y: 40.0 + 14.0 * i as f32,
            cells: cells
                .iter()
                .enumerate()
                .map(|(j, t)| Cell {
                    x0: 40.0 + 150.0 * j as f32,
                    x1: 180.0 + 150.0 * j as f32,
                    size: 10.0,
                    bold: false,
                    text: t.to_string(),
                })
                .collect(),
        })
        .collect();
    TextDoc {
        pages: vec![Page {
            width: 595.0,
            height: 842.0,
            lines,
        }],
        ocr: false,
        warnings: vec![],
    }
}

/// Found by the call-sheet proptest: slicing a label match inside a
/// multi-byte dash ("—") panicked.
#[test]
fn em_dashes_around_labels_do_not_split_a_char() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY — MP2", "piątek, 15 marca 2024"],
        &["Zbiórka—", "—07:00—"],
        &["Sc.—12—", "—INT—"],
        &["—", "— —", "Koniec zdjęć —19:00"],
        &["Lokacja —", "ul. Długa 5—7, 00-238 Warszawa"],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].date, "2024-03-15");
}

/// Multi-byte text right where a time or a scene number is expected.
#[test]
fn polish_letters_where_digits_are_expected() {
    let d = doc(&[
        &["Dzień zdjęciowy ąę z ść", "15.03.2024"],
        &["Zbiórka", "ąę:óż"],
        &["Sceny", "ż1, 2ą, ść3"],
        &["Kamera", "ł:ł"],
    ]);
    let days = mp2::callsheet::read(&d);
    assert!(days.iter().all(|d| d.call_time.is_none()), "{days:?}");
}

/// Nothing at all, and pages of blank cells.
#[test]
fn empty_and_blank_documents_give_no_days() {
    assert!(mp2::callsheet::read(&TextDoc::default()).is_empty());
    assert!(mp2::callsheet::read(&doc(&[&["", " "], &["\t"]])).is_empty());
}

// ---- Issue 10: what the reader got wrong on sheets it had never seen. ----

fn one(d: &TextDoc) -> mp2::model::ShootDay {
    let days = mp2::callsheet::read(d);
    assert_eq!(days.len(), 1, "{days:#?}");
    days.into_iter().next().unwrap_or_default()
}

fn call(d: &TextDoc) -> Option<String> {
    one(d).call_time
}

/// `Zbiórka ekipy (call) 7:00`: a label glossed in brackets gave no call.
#[test]
fn call_label_glossed_in_brackets() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "poniedziałek, 15.04.2024"],
        &["Zbiórka ekipy (call) 7:00"],
        &["Śniadanie 6:30"],
    ]);
    assert_eq!(call(&d).as_deref(), Some("07:00"));
}

/// `CALL — ZBIÓRKA CAŁEJ EKIPY` with the time on the next line.
#[test]
fn call_heading_with_the_time_on_the_next_line() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "wtorek, 16.04.2024"],
        &["CALL — ZBIÓRKA CAŁEJ EKIPY"],
        &["07:30"],
        &["Obiad 13:00"],
    ]);
    assert_eq!(call(&d).as_deref(), Some("07:30"));
}

/// `6:00 PM` was read as 06:00, also when the PDF split "PM" into a cell of
/// its own.
#[test]
fn pm_times_are_evening_times() {
    let d = doc(&[
        &["CALL SHEET", "Friday, June 7, 2024"],
        &["Crew Call", "7:00 AM"],
        &["Est. Wrap", "6:00", "PM"],
    ]);
    let day = one(&d);
    assert_eq!(day.call_time.as_deref(), Some("07:00"));
    assert_eq!(day.wrap_time.as_deref(), Some("18:00"));
}

/// A "published 10/16/2024" stamp was taken for the shooting date.
#[test]
fn published_stamp_is_not_the_shooting_date() {
    let d = doc(&[
        &["Published 10/16/2024"],
        &["CALL SHEET", "Thursday, October 17, 2024"],
        &["General Call 7:00 AM"],
    ]);
    assert_eq!(one(&d).date, "2024-10-17");
}

/// `Jutro (dzień 19) zbiórka 8:00` was chosen over the day's own call.
#[test]
fn tomorrows_call_is_not_todays() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY — dzień 18", "środa, 17.04.2024"],
        &["Zbiórka 7:00"],
        &["Uwaga: jutro (dzień 19) zbiórka 8:00"],
        &["Jutro (dzień 19) zbiórka 8:00, czwartek 18.04.2024"],
    ]);
    assert_eq!(call(&d).as_deref(), Some("07:00"));
}

/// A next-day call line became an extra shooting day.
#[test]
fn next_day_call_line_is_not_a_day() {
    let d = doc(&[
        &["CALL SHEET", "Friday 26 September 2025"],
        &["Crew call 07:00"],
        &["Tomorrow's call 18:00, Sat 27 Sep 2025"],
    ]);
    let day = one(&d);
    assert_eq!(day.date, "2025-09-26");
    assert_eq!(day.call_time.as_deref(), Some("07:00"));
}

/// A French sheet (`mardi 16 avril 2024`) gave no schedule and no error.
#[test]
fn french_dates_are_dates() {
    let d = doc(&[
        &["FEUILLE DE SERVICE", "mardi 16 avril 2024"],
        &["Call 8:00"],
    ]);
    assert_eq!(one(&d).date, "2024-04-16");
}

/// `Tuesday November 3/20`, `August 14th, 2018`, `2026.06.15 (MON)`.
#[test]
fn us_and_dotted_dates() {
    for (printed, iso) in [
        ("Tuesday November 3/20", "2020-11-03"),
        ("August 14th, 2018", "2018-08-14"),
        ("2026.06.15 (MON)", "2026-06-15"),
    ] {
        let d = doc(&[&["CALL SHEET", "DATE", printed], &["General Call 7:00 AM"]]);
        assert_eq!(one(&d).date, iso, "{printed}");
    }
}

/// `0730`, `7:30am` and `GENERAL CALL 7:00 AM` were missed.
#[test]
fn four_digit_and_twelve_hour_calls() {
    for (line, hm) in [
        ("GENERAL CALL 0730", "07:30"),
        ("Crew call: 7:30am", "07:30"),
        ("GENERAL CALL 7:00 AM", "07:00"),
    ] {
        let d = doc(&[&["CALL SHEET", "Monday, March 2, 2026"], &[line]]);
        assert_eq!(call(&d).as_deref(), Some(hm), "{line}");
    }
}

/// Irish mobiles were given Poland's country code (`087 330 1201` → +4887…).
#[test]
fn phones_take_the_country_of_the_sheets_addresses() {
    let d = doc(&[
        &["CALL SHEET", "Thursday, 20 June 2024"],
        &["CREW CALL 06:30"],
        &["LOCATION", "James Larkin Road, Raheny, Dublin 5, Ireland"],
        &["CONTACTS"],
        &["Production Manager", "Sinead Farrell", "087 330 1201"],
    ]);
    let phones: Vec<String> = one(&d)
        .contacts
        .into_iter()
        .filter_map(|c| c.phone)
        .collect();
    assert_eq!(phones, ["+353873301201"]);
}

/// A day the sheet calls off is kept and marked, not dropped or planned.
#[test]
fn cancelled_day_is_marked() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "piątek, 19.04.2024"],
        &["DZIEŃ ODWOŁANY"],
        &["Zbiórka 7:00"],
    ]);
    assert!(one(&d).cancelled);
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "piątek, 19.04.2024"],
        &["Zbiórka 7:00"],
        &["Sc. 12 odwołana — przeniesiona na jutro"],
    ]);
    assert!(!one(&d).cancelled);
}

/// `WN.`/`PL.` (wnętrze / plener) were read as INT for both.
#[test]
fn wn_and_pl_markers() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "sobota, 20.04.2024"],
        &["Zbiórka 7:00"],
        &["Sc.", "Opis", "Pora"],
        &["23", "WN. MIESZKANIE — KUCHNIA", "D"],
        &["12:30 - OBIAD (30 min)"],
        &["31", "PL. POLE MOKOTOWSKIE — ALEJKA", "D"],
    ]);
    let day = one(&d);
    assert_eq!(day.scenes, ["23", "31"]);
    assert_eq!(day.set_type, Some(mp2::model::SetType::IntExt));
}

/// The first item of an inline department list was dropped.
#[test]
fn inline_department_list_keeps_its_first_item() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "niedziela, 21.04.2024"],
        &["Zbiórka 7:00"],
        &["Godziny zbiórki pionów: Charakteryzacja 6:00, Kostiumy 6:15, Kamera 6:30"],
    ]);
    let calls = one(&d).department_calls;
    let names: Vec<&str> = calls.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["Charakteryzacja", "Kamera", "Kostiumy"],
        "{calls:?}"
    );
}

/// `Location: Ashcombe Manor - Ashcombe Lane, Little Marlow, Buckinghamshire
/// SL7`: a UK address was not found.
#[test]
fn uk_location_address() {
    let d = doc(&[
        &["CALL SHEET", "Wednesday 4 June 2025"],
        &["Unit call 07:00"],
        &["Location: Ashcombe Manor - Ashcombe Lane, Little Marlow, Buckinghamshire SL7 2QR"],
    ]);
    let day = one(&d);
    let loc = day.locations.first().and_then(|l| l.address.clone());
    assert_eq!(
        loc.as_deref(),
        Some("Ashcombe Lane, Little Marlow, Buckinghamshire SL7 2QR"),
        "{day:#?}"
    );
}

/// `LOCATION 1 - CALL: 07:00` with the address on the next line.
#[test]
fn numbered_location_with_its_call_and_the_address_below() {
    let d = doc(&[
        &["CALL SHEET", "Thursday, May 8, 2025"],
        &["GENERAL CALL 7:00 AM"],
        &["LOCATION 1 - CALL: 07:00"],
        &["Griffith Observatory, 2800 E Observatory Rd, Los Angeles, CA 90027"],
    ]);
    let day = one(&d);
    let loc = day.locations.first().and_then(|l| l.address.clone());
    assert_eq!(
        loc.as_deref(),
        Some("2800 E Observatory Rd, Los Angeles, CA 90027"),
        "{day:#?}"
    );
}

/// The base address was returned as the shooting location: the crew would
/// have driven to the base.
#[test]
fn the_base_is_never_the_shooting_location() {
    let d = doc(&[
        &["PLAN ZDJĘCIOWY", "poniedziałek, 22.04.2024"],
        &["Zbiórka 7:00"],
        &["Baza: Panavision, ul. Wyczółki 89, 02-820 Warszawa"],
        &["Parking: ul. Wyczółki 91, 02-820 Warszawa"],
    ]);
    let day = one(&d);
    assert_eq!(
        day.base.as_ref().and_then(|b| b.address.as_deref()),
        Some("ul. Wyczółki 89, 02-820 Warszawa")
    );
    assert!(
        day.locations
            .iter()
            .all(|l| l.address.as_deref() != Some("ul. Wyczółki 89, 02-820 Warszawa")),
        "{day:#?}"
    );
}

/// A contract ("umowa") from a listed sender was read as a schedule.
#[test]
fn a_contract_is_not_a_schedule() {
    let d = doc(&[
        &["UMOWA O DZIEŁO nr 14/2024"],
        &["zawarta w dniu 15.03.2024 w Warszawie pomiędzy:"],
        &["Kadr Film Sp. z o.o., ul. Chełmska 21, 00-724 Warszawa"],
        &["a Panią Anną Nowak, zam. ul. Długa 5, 00-238 Warszawa"],
        &["§ 1. Przedmiotem umowy jest wykonanie charakteryzacji w dniach 18-22.03.2024."],
        &["§ 2. Wynagrodzenie wynosi 4 000 zł brutto."],
    ]);
    assert!(mp2::callsheet::read(&d).is_empty());
}

/// Two daily sheets printed into one PDF became one day.
#[test]
fn two_daily_sheets_in_one_pdf_are_two_days() {
    let sheet = |date: &'static str, call: &'static str, addr: &'static str| {
        vec![
            vec!["PLAN ZDJĘCIOWY — MP2", date],
            vec![call],
            vec!["Lokacja:", addr],
            vec!["KONTAKTY"],
            vec!["Reżyser", "Anna Nowak", "601 234 567"],
        ]
    };
    let mut pages = Vec::new();
    for (date, c, addr) in [
        (
            "poniedziałek, 22.04.2024",
            "Zbiórka 7:00",
            "ul. Hoża 51, 00-681 Warszawa",
        ),
        (
            "wtorek, 23.04.2024",
            "Zbiórka 8:00",
            "al. Armii Ludowej 2, 00-632 Warszawa",
        ),
    ] {
        let lines: Vec<Vec<&str>> = sheet(date, c, addr);
        let refs: Vec<&[&str]> = lines.iter().map(Vec::as_slice).collect();
        pages.extend(doc(&refs).pages);
    }
    let d = TextDoc {
        pages,
        ocr: false,
        warnings: vec![],
    };
    let days = mp2::callsheet::read(&d);
    let got: Vec<(String, Option<String>)> = days
        .iter()
        .map(|d| (d.date.clone(), d.call_time.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-04-22".to_string(), Some("07:00".to_string())),
            ("2024-04-23".to_string(), Some("08:00".to_string()))
        ]
    );
}

/// Cells at given columns (150 pt apart), `*text*` bold: a layout whose
/// columns do not line up row by row.
fn doc_at(lines: &[&[(usize, &str)]]) -> TextDoc {
    let lines = lines
        .iter()
        .enumerate()
        .map(|(i, cells)| Line {
            y: 40.0 + 14.0 * i as f32,
            cells: cells
                .iter()
                .map(|&(col, t)| {
                    let bold = t.starts_with('*') && t.ends_with('*') && t.len() > 1;
                    Cell {
                        x0: 40.0 + 150.0 * col as f32,
                        x1: 180.0 + 150.0 * col as f32,
                        size: 10.0,
                        bold,
                        text: t.trim_matches('*').to_string(),
                    }
                })
                .collect(),
        })
        .collect();
    TextDoc {
        pages: vec![Page {
            width: 595.0,
            height: 842.0,
            lines,
        }],
        ocr: false,
        warnings: vec![],
    }
}

/// A header's contact whose number wraps onto the next line of its column,
/// with a line of the box of times beside it printed in between, and whose
/// role stands alone on the line above ("Kierownik produkcji:" /
/// "Agnieszka Pawlak 503 428" / "551"): one contact with its role.
#[test]
fn a_wrapped_phone_under_another_columns_line_and_its_role_above() {
    let d = doc_at(&[
        &[(0, "*PLAN ZDJĘCIOWY*"), (2, "Data: 14.10.2025")],
        &[
            (0, "Reżyser: Marta Zielińska 501 204 318"),
            (2, "Śniadanie: 06:00"),
        ],
        &[(0, "Kierownik produkcji:"), (2, "Charakteryzacja: 05:30")],
        &[(0, "Agnieszka Pawlak 503 428"), (1, "Zbiórka ekipy 06:30")],
        &[(2, "Kamera: 06:00")],
        &[(0, "551"), (2, "Koniec zdjęć: 18:30")],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    let c = days[0]
        .contacts
        .iter()
        .find(|c| c.phone.as_deref() == Some("+48503428551"))
        .unwrap_or_else(|| panic!("wrapped number missing: {:?}", days[0].contacts));
    assert_eq!(c.role.as_deref(), Some("Kierownik produkcji"));
    assert_eq!(c.name.as_deref(), Some("Agnieszka Pawlak"));
}

/// Scene cards side by side ("SC 44 | SC 46 | SC 48 | SC 50"): every card's
/// scene, not every other one (one list's trailing gap was the next one's
/// separator).
#[test]
fn scene_cards_side_by_side_are_all_read() {
    let d = doc_at(&[
        &[(0, "*Cicha Woda*")],
        &[(0, "*DATA*"), (1, "*ZBIÓRKA*")],
        &[(0, "*19.04.2026*"), (1, "*07:30*")],
        &[(0, "*SCENY*")],
        &[
            (0, "*SC 44*"),
            (1, "*SC 46*"),
            (2, "*SC 48*"),
            (3, "*SC 50*"),
        ],
        &[
            (0, "*PL. KUCHNIA*"),
            (1, "*WN. PODWÓRKO*"),
            (2, "*WN. KUCHNIA*"),
            (3, "*PL. PODWÓRKO*"),
        ],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].scenes, ["44", "46", "48", "50"]);
}

/// A grid of department cards whose last row holds one card, bold and alone
/// like a heading ("DŹWIĘK" / "07:00" under four cards): its call is read.
#[test]
fn a_department_grids_last_single_card_is_read() {
    let d = doc_at(&[
        &[(0, "*Cicha Woda*")],
        &[(0, "*DATA*"), (1, "*ZBIÓRKA*")],
        &[(0, "*19.04.2026*"), (1, "*07:30*")],
        &[(0, "*ZBIÓRKI PIONÓW*")],
        &[
            (0, "*KAMERA*"),
            (1, "*OŚWIETLENIE*"),
            (2, "*CHARAKTERYZACJA*"),
            (3, "*KOSTIUMY*"),
        ],
        &[
            (0, "*06:30*"),
            (1, "*07:30*"),
            (2, "*06:30*"),
            (3, "*06:30*"),
        ],
        &[(0, "*DŹWIĘK*")],
        &[(0, "*07:00*")],
        &[(0, "*KONTAKTY*")],
        &[(0, "*KIEROWNIK PRODUKCJI*")],
        &[(0, "*Tomasz Kaczmarek*")],
        &[(0, "880-985-276")],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    let calls: Vec<(String, String)> = days[0]
        .department_calls
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    assert!(
        calls.contains(&("dźwięk".to_string(), "07:00".to_string())),
        "{calls:?}"
    );
    assert_eq!(calls.len(), 5, "{calls:?}");
}

/// A US app's strip of labels over times with one-letter meridiems
/// ("GENERAL CALL | EST. WRAP" / "5:00a | 5:00p"), and an advance block
/// headed with the day it previews ("ADVANCE SCHEDULE — FRIDAY, MARCH 20,
/// 2026" / "Crew call 4:00a …"): today's call and wrap, never the advance
/// day's call.
#[test]
fn one_letter_meridiems_and_an_advance_heading_that_names_its_day() {
    let d = doc_at(&[
        &[(0, "*DRY CREEK ROAD*"), (2, "*CALL SHEET*")],
        &[(0, "*Thu., Mar. 19th, 2026*")],
        &[
            (0, "*GENERAL CALL*"),
            (1, "*BREAKFAST*"),
            (2, "*EST. WRAP*"),
        ],
        &[(0, "*5:00a*"), (1, "4:30a"), (2, "5:00p")],
        &[(0, "*ADVANCE SCHEDULE — FRIDAY, MARCH 20, 2026*")],
        &[(0, "Crew call 4:00a at Union Station Concourse")],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0].date, "2026-03-19");
    assert_eq!(days[0].call_time.as_deref(), Some("05:00"));
    assert_eq!(days[0].wrap_time.as_deref(), Some("17:00"));
}

/// A person named with a role inside a location's block ("Contact: Niamh
/// Byrne (Dublin City Council) - 087 …" under its address) is a contact;
/// the hospital's number in its own block is not.
#[test]
fn a_named_contact_inside_a_locations_block() {
    let d = doc_at(&[
        &[(0, "*CALL SHEET*"), (2, "Thursday 20 June 2024")],
        &[(0, "Crew call 06:30")],
        &[(2, "*LOCATION*")],
        &[(2, "Bull Island - North Beach car park")],
        &[(2, "James Larkin Road, Raheny, Dublin 5, Ireland")],
        &[(
            2,
            "Contact: Niamh Byrne (Dublin City Council) - 087 214 5590",
        )],
        &[(0, "*NEAREST HOSPITAL*")],
        &[(
            0,
            "Beaumont Hospital, Beaumont Road, Dublin 9 - 01 809 3000",
        )],
        &[(0, "*CONTACTS*")],
        &[(0, "Producer"), (1, "Conor Walsh"), (2, "086 441 2301")],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1, "{days:?}");
    let phones: Vec<&str> = days[0]
        .contacts
        .iter()
        .filter_map(|c| c.phone.as_deref())
        .collect();
    assert!(phones.contains(&"+353872145590"), "{phones:?}");
    assert!(phones.contains(&"+353864412301"), "{phones:?}");
    assert!(!phones.contains(&"+35318093000"), "{phones:?}");
}

/// Daily sheets one per page, each headed "DAY n OF 40" over a numeric date
/// with its call in a strip below: one day per sheet, each with its own
/// day number and call (not one day holding all pages).
#[test]
fn daily_sheets_one_per_page_with_the_day_number_above_the_date() {
    let sheet = |day: &'static str, date: &'static str, call: &'static str| {
        doc_at(&[
            &[(0, "HALFMOON PICTURES · 3500 W Olive Ave, Burbank, CA 91505")],
            &[(0, "*WINTERLIGHT*"), (2, "*CALL SHEET*")],
            &[(0, day)],
            &[(0, date)],
            &[
                (0, "*GENERAL CALL*"),
                (1, "*BREAKFAST*"),
                (2, "*EST. WRAP*"),
            ],
            &[(0, call), (1, "6:30 AM"), (2, "6:30 PM")],
            &[(0, "*SCENES*")],
            &[(0, "*SC*"), (1, "*SET / DESCRIPTION*"), (2, "*D/N*")],
            &[(0, "75"), (1, "INT. PIER"), (2, "N")],
        ])
        .pages
    };
    let mut d = doc_at(&[]);
    d.pages = [
        sheet("*DAY 8 OF 40*", "*04/28/2026*", "*7:00 AM*"),
        sheet("*DAY 9 OF 40*", "*04/29/2026*", "*7:30 AM*"),
    ]
    .concat();
    let days = mp2::callsheet::read(&d);
    let got: Vec<(&str, Option<&str>, Option<u32>)> = days
        .iter()
        .map(|d| (d.date.as_str(), d.call_time.as_deref(), d.shoot_day))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-04-28", Some("07:00"), Some(8)),
            ("2026-04-29", Some("07:30"), Some(9))
        ]
    );
}

/// Two daily sheets one per page, each with its own contacts list at the
/// bottom of its page: the second day has its own contacts, not both pages'.
#[test]
fn the_last_daily_sheets_contacts_are_its_own() {
    let sheet = |date: &'static str, call: &'static str, phone: &'static str| {
        doc_at(&[
            &[(0, "*PLAN DNIA ZDJĘCIOWEGO — LATO Z LASEM*")],
            &[(0, date)],
            &[(0, call)],
            &[(0, "*KONTAKTY*")],
            &[(0, phone)],
        ])
        .pages
    };
    let mut d = doc_at(&[]);
    d.pages = [
        sheet(
            "*Data: 03.05.2026 | Dzień zdjęciowy 22 z 40*",
            "*Zbiórka ekipy 6:30*",
            "Kierownik produkcji: Bartosz Dąbrowski, tel. 639-488-272",
        ),
        sheet(
            "*Data: 04.05.2026 | Dzień zdjęciowy 23 z 40*",
            "*Zbiórka ekipy 05:30*",
            "Kierownik produkcji: Małgorzata Duda, tel. 884 550 035",
        ),
    ]
    .concat();
    let days = mp2::callsheet::read(&d);
    let phones: Vec<(&str, Vec<&str>)> = days
        .iter()
        .map(|d| {
            let p = d
                .contacts
                .iter()
                .filter_map(|c| c.phone.as_deref())
                .collect();
            (d.date.as_str(), p)
        })
        .collect();
    assert_eq!(
        phones,
        [
            ("2026-05-03", vec!["+48639488272"]),
            ("2026-05-04", vec!["+48884550035"])
        ]
    );
}

/// A number printed alone under an address in a strip of place boxes (the
/// nearest hospital's, under its street and ZIP, in the generated US
/// studio's three daily sheets) is that place's, not a crew contact.
#[test]
fn a_number_alone_under_an_address_is_not_a_contact() {
    let sheet = mp2::fixtures::world::world_sheets(1)
        .into_iter()
        .find(|s| s.name == "multi_day-1")
        .expect("the generated multi-day sheet");
    let opts = mp2::parse::ParseOptions::default();
    let r = mp2::parse::parse_bytes("m.pdf", mp2::model::SourceKind::Pdf, &sheet.pdf, &opts);
    assert_eq!(r.schedules.len(), 3, "{:?}", r.errors);
    for (day, hospital) in r
        .schedules
        .iter()
        .zip(["+18145052414", "+18806971950", "+18047657584"])
    {
        assert!(
            !day.contacts
                .iter()
                .any(|c| c.phone.as_deref() == Some(hospital)),
            "{}: {:?}",
            day.date,
            day.contacts
        );
    }
}

/// Daily sheets one per page, only the second one revised ("REVISION 3 —
/// supersedes all earlier versions"): the revision is that day's, not the
/// whole PDF's.
#[test]
fn each_daily_sheet_states_its_own_revision() {
    let sheet = |day: &'static str, head: &'static [(usize, &'static str)]| {
        doc_at(&[
            &[(0, "*WINTERLIGHT*"), (2, "*CALL SHEET*")],
            &[(0, day)],
            head,
            &[(0, "*GENERAL CALL*"), (1, "*EST. WRAP*")],
            &[(0, "*7:00 AM*"), (1, "6:30 PM")],
        ])
        .pages
    };
    let mut d = doc_at(&[]);
    d.pages = [
        sheet("*DAY 4 OF 40*", &[(0, "*SUNDAY, OCTOBER 4, 2026*")]),
        sheet(
            "*DAY 5 OF 40*",
            &[
                (0, "*REVISION 3 — supersedes all earlier versions*"),
                (2, "*MONDAY, OCTOBER 5, 2026*"),
            ],
        ),
    ]
    .concat();
    let days = mp2::callsheet::read(&d);
    let got: Vec<(&str, Option<u32>)> =
        days.iter().map(|d| (d.date.as_str(), d.revision)).collect();
    assert_eq!(got, [("2026-10-04", None), ("2026-10-05", Some(3))]);
}

/// An Irish address whose county is followed by its Eircode ("Dalkey, Co.
/// Dublin, A96 X2F6"): the address ends with the Eircode, not the county.
#[test]
fn an_irish_address_ends_with_the_eircode_after_the_county() {
    let d = doc_at(&[
        &[(0, "*CALL SHEET*"), (2, "Friday 5 September 2026")],
        &[(0, "Unit call 07:00")],
        &[
            (0, "*UNIT BASE:*"),
            (1, "223 Coliemore Road, Dalkey, Co. Dublin, A96 X2F6"),
        ],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    let base = days[0].base.as_ref().and_then(|b| b.address.as_deref());
    assert_eq!(
        base,
        Some("223 Coliemore Road, Dalkey, Co. Dublin, A96 X2F6")
    );
}

/// A running order's line naming the base after a few words ("Breakfast at
/// unit base: Raheny GAA car park, All Saints Park, Raheny, Dublin 5"): the
/// base and its address, while "Parking: crew parking at unit base only"
/// (no colon after the label) names none.
#[test]
fn a_base_named_inside_a_running_order_line() {
    let d = doc_at(&[
        &[(0, "*Coastline*"), (2, "*DAY 3 OF 5*")],
        &[(0, "Thursday, 20 June 2024")],
        &[(0, "Crew call 06:30")],
        &[(0, "Parking: Crew parking at unit base only")],
        &[(0, "*SCHEDULE / RUNNING ORDER*")],
        &[
            (0, "*06:00*"),
            (
                1,
                "Breakfast at unit base: Raheny GAA car park, All Saints Park, Raheny, Dublin 5",
            ),
        ],
        &[(0, "*06:30*"), (1, "Crew call - safety briefing")],
    ]);
    let days = mp2::callsheet::read(&d);
    assert_eq!(days.len(), 1);
    let base = days[0].base.as_ref().and_then(|b| b.address.as_deref());
    assert_eq!(base, Some("All Saints Park, Raheny, Dublin 5"));
}

/// A North American sheet (its addresses in the US and Canada) heads its day
/// "04/08/2026": April 8, month first, not 4 August.
#[test]
fn a_north_american_sheets_slash_date_is_month_first() {
    let d = doc_at(&[
        &[(0, "HALFMOON PICTURES · 3500 W Olive Ave, Burbank, CA 91505")],
        &[(0, "*DRY CREEK ROAD*"), (2, "*CALL SHEET*")],
        &[(0, "*DAY 8 OF 40*")],
        &[(0, "*04/08/2026*")],
        &[(0, "*GENERAL CALL*"), (1, "*EST. WRAP*")],
        &[(0, "*6:45 AM*"), (1, "6:15 PM")],
        &[(0, "*SET*")],
        &[(0, "401 Rogers Rd, Toronto, ON M6N 3A7")],
    ]);
    let days = mp2::callsheet::read(&d);
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, ["2026-04-08"]);
}
