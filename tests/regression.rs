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
