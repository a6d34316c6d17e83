//! Layout patterns built cell by cell (geometry and bold as a PDF gives
//! them), one per general capability of the reader: boxes side by side
//! under a header row, a week grid split over two header rows, a places
//! table, a page body set in two columns, lists and values wrapped across
//! lines, page numbers inside a table.

use crate::callsheet::read;
use crate::layout::{Cell, Line, Page, TextDoc};
use crate::model::ShootDay;

/// A cell at `x0` in a 10 pt font (5 pt per character).
fn c(x0: f32, text: &str) -> Cell {
    Cell {
        x0,
        x1: x0 + text.chars().count() as f32 * 5.0,
        size: 10.0,
        bold: false,
        text: text.into(),
    }
}

fn b(x0: f32, text: &str) -> Cell {
    Cell {
        bold: true,
        ..c(x0, text)
    }
}

/// One page from (y, cells) lines.
fn page(lines: Vec<(f32, Vec<Cell>)>) -> Page {
    Page {
        width: 842.0,
        height: 595.0,
        lines: lines
            .into_iter()
            .map(|(y, cells)| Line { y, cells })
            .collect(),
    }
}

fn doc(pages: Vec<Page>) -> TextDoc {
    TextDoc {
        pages,
        ..Default::default()
    }
}

fn one(days: &[ShootDay]) -> &ShootDay {
    assert_eq!(days.len(), 1, "{days:#?}");
    &days[0]
}

fn base_address(d: &ShootDay) -> Option<&str> {
    d.base.as_ref().and_then(|b| b.address.as_deref())
}

fn addresses(d: &ShootDay) -> Vec<&str> {
    d.locations
        .iter()
        .filter_map(|l| l.address.as_deref())
        .collect()
}

/// Boxes side by side under a row of bold labels, each box's name and
/// address wrapped over several lines; one label is a qualified one
/// ("Basecamp / Trucks") and the boxes are narrower than their text.
#[test]
fn boxes_side_by_side_under_a_header_row() {
    let d = doc(vec![page(vec![
        (
            40.0,
            vec![b(40.0, "THE LONG NIGHT"), b(400.0, "Fri 7 Jun 2024")],
        ),
        (60.0, vec![b(40.0, "CREW CALL 7:00 AM")]),
        (
            90.0,
            vec![
                b(40.0, "Set Location"),
                b(180.0, "Basecamp / Trucks"),
                b(320.0, "Crew Parking"),
                b(460.0, "Nearest Hospital"),
            ],
        ),
        (
            102.0,
            vec![
                c(40.0, "Stara Papiernia"),
                c(180.0, "Hala nr 3"),
                c(320.0, "ul. Polna 1, 05-800"),
                c(460.0, "Szpital Powiatowy"),
            ],
        ),
        (
            114.0,
            vec![
                c(40.0, "(dawna suszarnia)"),
                c(180.0, "ul. Fabryczna 9,"),
                c(320.0, "Pruszków"),
                c(460.0, "ul. Zdrowa 4, 05-800"),
            ],
        ),
        (
            126.0,
            vec![
                c(40.0, "ul. Młyńska 7, 05-825"),
                c(180.0, "05-800 Pruszków"),
                c(460.0, "Pruszków"),
            ],
        ),
        (138.0, vec![c(40.0, "Grodzisk Mazowiecki")]),
        (165.0, vec![b(40.0, "SCENES")]),
        (177.0, vec![c(40.0, "Sc. 4 INT MILL — NIGHT")]),
    ])]);
    let days = read(&d);
    let day = one(&days);
    assert_eq!(
        base_address(day),
        Some("ul. Fabryczna 9, 05-800 Pruszków"),
        "{day:#?}"
    );
    assert_eq!(
        addresses(day),
        ["ul. Młyńska 7, 05-825 Grodzisk Mazowiecki"],
        "{day:#?}"
    );
    assert_eq!(
        day.locations[0].name.as_deref(),
        Some("Stara Papiernia (dawna suszarnia)")
    );
}

/// A week grid printed as two grids (the week does not fit one, the second
/// holding a single day), dates written month first with the weekday ("Thu 6/13"), rows whose values wrap
/// onto lines with an empty label column (department calls, a numbered list
/// of two places with coordinates), and labels the corpus never used.
#[test]
fn week_grid_in_two_parts_with_wrapped_rows() {
    let grid = |y: f32, heads: &[&str], extra: Vec<(f32, Vec<Cell>)>| {
        let mut lines = vec![(
            y,
            std::iter::once(b(40.0, "Day"))
                .chain(
                    heads
                        .iter()
                        .enumerate()
                        .map(|(i, h)| b(150.0 + 200.0 * i as f32, h)),
                )
                .collect::<Vec<_>>(),
        )];
        lines.extend(extra);
        lines
    };
    let mut lines = vec![(30.0, vec![b(40.0, "NIGHT FERRY — WEEKLY SCHEDULE 2024")])];
    lines.extend(grid(
        50.0,
        &["Wed 6/12", "Thu 6/13"],
        vec![
            (
                62.0,
                vec![b(40.0, "Crew call"), c(150.0, "6:00"), c(350.0, "7:15")],
            ),
            (
                74.0,
                vec![
                    b(40.0, "Obiekt / adres"),
                    c(150.0, "Port — nabrzeże"),
                    c(350.0, "1) Latarnia —"),
                ],
            ),
            (
                86.0,
                vec![
                    c(150.0, "ul. Portowa 2, 81-001 Gdynia"),
                    c(350.0, "punkt widokowy"),
                ],
            ),
            (98.0, vec![c(350.0, "ul. Morska 5, 84-120 Hel")]),
            (110.0, vec![c(350.0, "54.60861, 18.80111")]),
            (122.0, vec![c(350.0, "2) Plaża Wschodnia")]),
            (134.0, vec![c(350.0, "ul. Leśna 1, 84-120 Hel")]),
            (
                150.0,
                vec![b(40.0, "Nr scen"), c(150.0, "3, 4A"), c(350.0, "7, 8")],
            ),
            (
                166.0,
                vec![
                    b(40.0, "Wezwania"),
                    c(150.0, "Kamera 5:30"),
                    c(350.0, "Dźwięk 6:45"),
                ],
            ),
            (
                178.0,
                vec![c(150.0, "Rekwizyty 5:00"), c(350.0, "Grip 6:30")],
            ),
            (190.0, vec![c(350.0, "Catering 6:00")]),
        ],
    ));
    // The last part holds one day: its header repeats the grid's row label.
    // (December 6 is a Friday too; the sheet's year puts it in June.)
    lines.extend(grid(
        230.0,
        &["Fri 6/14"],
        vec![(242.0, vec![b(40.0, "Crew call"), c(150.0, "8:00")])],
    ));
    let days = read(&doc(vec![page(lines)]));
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(
        dates,
        ["2024-06-12", "2024-06-13", "2024-06-14"],
        "{days:#?}"
    );
    let (wed, thu, fri) = (&days[0], &days[1], &days[2]);
    assert_eq!(wed.call_time.as_deref(), Some("06:00"));
    assert_eq!(fri.call_time.as_deref(), Some("08:00"));
    assert_eq!(addresses(wed), ["ul. Portowa 2, 81-001 Gdynia"]);
    assert_eq!(
        addresses(thu),
        ["ul. Morska 5, 84-120 Hel", "ul. Leśna 1, 84-120 Hel"],
        "{thu:#?}"
    );
    assert!((thu.locations[0].lat.unwrap_or(0.0) - 54.60861).abs() < 1e-4);
    assert_eq!(thu.scenes, ["7", "8"]);
    let depts = |d: &ShootDay| -> Vec<String> {
        d.department_calls
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect()
    };
    assert_eq!(depts(wed), ["Kamera 05:30", "Rekwizyty 05:00"]);
    assert_eq!(depts(thu), ["Catering 06:00", "Dźwięk 06:45", "Grip 06:30"]);
}

/// A places table: header "No. | Lokacja | Adres | GPS", one place per
/// numbered row, a name and an address wrapped onto a second line.
#[test]
fn places_table_with_wrapped_rows() {
    let d = doc(vec![page(vec![
        (
            30.0,
            vec![b(40.0, "PLAN ZDJĘCIOWY"), b(400.0, "03.09.2025")],
        ),
        (45.0, vec![b(40.0, "Zbiórka ekipy:"), c(150.0, "6:30")]),
        (70.0, vec![b(40.0, "MIEJSCA")]),
        (
            84.0,
            vec![
                b(40.0, "No."),
                b(70.0, "Lokacja"),
                b(240.0, "Adres"),
                b(420.0, "GPS"),
            ],
        ),
        (
            100.0,
            vec![
                c(40.0, "1."),
                c(70.0, "Dom kultury — sala"),
                c(240.0, "ul. Długa 12, 30-001"),
                c(420.0, "—"),
            ],
        ),
        (110.0, vec![c(70.0, "widowiskowa"), c(240.0, "Kraków")]),
        (
            126.0,
            vec![
                c(40.0, "2."),
                c(70.0, "Park Jordana"),
                c(240.0, "al. 3 Maja 11, 30-062 Kraków"),
                c(420.0, "50.0614, 19.9160"),
            ],
        ),
        (150.0, vec![b(40.0, "SCENY")]),
    ])]);
    let days = read(&d);
    let day = one(&days);
    assert_eq!(
        addresses(day),
        [
            "ul. Długa 12, 30-001 Kraków",
            "al. 3 Maja 11, 30-062 Kraków"
        ],
        "{day:#?}"
    );
    assert_eq!(
        day.locations[0].name.as_deref(),
        Some("Dom kultury — sala widowiskowa")
    );
    assert!((day.locations[1].lat.unwrap_or(0.0) - 50.0614).abs() < 1e-4);
}

/// A plain page body in two columns under titles ("LOCATIONS | KEY CONTACTS"):
/// the left column is read before the right one, so a contact's number
/// wrapped onto the next line and a department list interleaved with the
/// right column's lines are read whole; "Locations - 5:00 AM" is a
/// department, not a heading.
#[test]
fn body_in_two_columns() {
    let d = doc(vec![page(vec![
        (30.0, vec![b(40.0, "CALL SHEET — Tue, June 4, 2024")]),
        (45.0, vec![b(40.0, "Crew Call: 6:00 AM")]),
        (70.0, vec![b(40.0, "LOCATIONS"), b(330.0, "KEY CONTACTS")]),
        (
            82.0,
            vec![
                b(40.0, "Set:"),
                c(110.0, "Dworzec Główny"),
                c(330.0, "Director: Ewa Lis +48 601 200"),
            ],
        ),
        (88.0, vec![c(330.0, "300")]),
        (
            94.0,
            vec![
                c(110.0, "ul. Kolejowa 1, 50-001 Wrocław"),
                c(330.0, "Producer: Jan Bór 602 300 400"),
            ],
        ),
        (110.0, vec![b(40.0, "DEPT CALLS"), b(330.0, "SAFETY")]),
        (
            122.0,
            vec![
                c(40.0, "Grip - 5:30 AM"),
                c(330.0, "• Night work — hi-vis vests"),
            ],
        ),
        (128.0, vec![c(330.0, "• Trains — keep off the tracks")]),
        (134.0, vec![c(40.0, "Locations - 5:00 AM")]),
        (146.0, vec![c(40.0, "Sound - 6:15 AM")]),
        (170.0, vec![c(40.0, "Page 1 of 1")]),
    ])]);
    let days = read(&d);
    let day = one(&days);
    assert_eq!(addresses(day), ["ul. Kolejowa 1, 50-001 Wrocław"]);
    let mut phones: Vec<&str> = day
        .contacts
        .iter()
        .filter_map(|c| c.phone.as_deref())
        .collect();
    phones.sort();
    assert_eq!(phones, ["+48601200300", "+48602300400"], "{day:#?}");
    let depts: Vec<&str> = day.department_calls.keys().map(String::as_str).collect();
    assert_eq!(depts, ["Grip", "Locations", "Sound"]);
}

/// Values wrapped where a line ran out: an inline department list broken
/// between a name and its time, a base address broken after its postal code
/// inside the right box of a two-box header, a department table continued
/// after a page number on the next page.
#[test]
fn values_wrapped_across_lines_and_pages() {
    let d = doc(vec![
        page(vec![
            (
                30.0,
                vec![
                    b(40.0, "Data:"),
                    c(120.0, "wtorek, 8 lipca 2025"),
                    c(300.0, "Baza: Studio Nord, ul. Portowa 8, 80-001"),
                ],
            ),
            (
                42.0,
                vec![
                    b(40.0, "Zbiórka ekipy:"),
                    c(120.0, "7:00"),
                    c(380.0, "Gdańsk"),
                ],
            ),
            (
                60.0,
                vec![c(40.0, "Wezwania: Kamera 6:30 · Dźwięk 6:45 · Scenografia")],
            ),
            (72.0, vec![c(40.0, "5:45")]),
            (84.0, vec![c(40.0, "BHP: praca na wysokości")]),
            (100.0, vec![b(40.0, "DEPARTMENT CALLS")]),
            (112.0, vec![c(40.0, "Catering"), c(200.0, "6:00")]),
            (560.0, vec![c(700.0, "Strona 1/2")]),
        ]),
        page(vec![
            (40.0, vec![c(40.0, "Transport"), c(200.0, "6:15")]),
            (70.0, vec![b(40.0, "KONTAKTY")]),
        ]),
    ]);
    let days = read(&d);
    let day = one(&days);
    assert_eq!(base_address(day), Some("ul. Portowa 8, 80-001 Gdańsk"));
    let depts: Vec<String> = day
        .department_calls
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    assert_eq!(
        depts,
        [
            "Catering 06:00",
            "Dźwięk 06:45",
            "Kamera 06:30",
            "Scenografia 05:45",
            "Transport 06:15"
        ],
        "{day:#?}"
    );
}

/// A header row whose labels ran together into one cell (boxes too close
/// for a gap, no bold to tell labels from values): the labels are split and
/// each box read under its own label.
#[test]
fn header_labels_run_together() {
    let d = doc(vec![page(vec![
        (30.0, vec![c(40.0, "CALL SHEET"), c(400.0, "12.05.2025")]),
        (45.0, vec![c(40.0, "Crew call: 8:00")]),
        (
            70.0,
            vec![c(40.0, "Set Location"), c(180.0, "Unit Base Crew Parking")],
        ),
        (
            82.0,
            vec![
                c(40.0, "Zajezdnia"),
                c(180.0, "Plac Bema"),
                c(240.0, "ul. Łąkowa 2, 90-001 Łódź"),
            ],
        ),
        (
            94.0,
            vec![c(40.0, "ul. Tramwajowa 4,"), c(180.0, "ul. Kilińskiego 9,")],
        ),
        (106.0, vec![c(40.0, "90-002 Łódź"), c(180.0, "90-003 Łódź")]),
        (130.0, vec![c(40.0, "SCENES")]),
    ])]);
    let days = read(&d);
    let day = one(&days);
    assert_eq!(
        base_address(day),
        Some("ul. Kilińskiego 9, 90-003 Łódź"),
        "{day:#?}"
    );
    assert_eq!(
        addresses(day),
        ["ul. Tramwajowa 4, 90-002 Łódź"],
        "{day:#?}"
    );
}
