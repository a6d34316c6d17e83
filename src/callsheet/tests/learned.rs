//! What a correction teaches (`learned`): times as US and UK sheets print
//! them, a department's call where two departments share a time, and a
//! layout known again when its fingerprint moved.

use super::super::devtext::from_layout_text;
use super::super::learned::{apply, fingerprint, learn, rule_from, Direction};
use crate::correction::Target;
use crate::layout::TextDoc;
use crate::model::ShootDay;

fn day(date: &str) -> Vec<ShootDay> {
    vec![ShootDay {
        date: date.into(),
        ..Default::default()
    }]
}

fn read_with(doc: &TextDoc, taught_on: &TextDoc, field: &str, value: &str) -> ShootDay {
    let target = Target::from_name(field).unwrap();
    let rule = rule_from(taught_on, "a@b.pl", &target, value, "<m>").expect("a rule");
    let mut days = day("2026-04-14");
    apply(doc, &[rule], &mut days);
    days.remove(0)
}

#[test]
fn twelve_hour_and_four_digit_times_are_learned_and_read() {
    let us = |call: &str, wrap: &str| {
        from_layout_text(&format!(
            "CALL SHEET\nGENERAL CALL        EST. WRAP\n{call:20}{wrap}\n"
        ))
    };
    let first = us("7:15 AM", "6:15 PM");
    assert_eq!(
        learn(&first, &Target::WrapTime, "18:15").map(|p| (p.0, p.1)),
        Some(("est. wrap".to_string(), Direction::Below))
    );
    let next = us("6:45a", "7:30p");
    assert_eq!(
        read_with(&next, &first, "wrap_time", "18:15")
            .wrap_time
            .as_deref(),
        Some("19:30")
    );
    assert_eq!(
        read_with(&next, &first, "call_time", "07:15")
            .call_time
            .as_deref(),
        Some("06:45")
    );
    let uk = |call: &str| from_layout_text(&format!("Date: 14/04/2026\nUNIT CALL: {call}\n"));
    assert_eq!(
        read_with(&uk("0645"), &uk("0730"), "call_time", "07:30")
            .call_time
            .as_deref(),
        Some("06:45")
    );
    // A year is no time: 2026 is not learned as 20:26.
    assert!(learn(&uk("0730"), &Target::CallTime, "20:26").is_none());
}

#[test]
fn a_department_call_is_learned_under_its_own_name_not_the_first_at_that_time() {
    let doc = from_layout_text("COSTUME        SOUND\n5:45 AM        5:45 AM\n");
    let got = learn(&doc, &Target::DepartmentCall("Sound".into()), "05:45");
    assert_eq!(got.map(|p| p.0), Some("sound".to_string()));
    let doc = from_layout_text("COSTUME        CAMERA\n5:45 AM        5:45 AM\n");
    assert!(
        learn(&doc, &Target::DepartmentCall("Sound".into()), "05:45").is_none(),
        "two places, neither named Sound: nothing to learn"
    );
}

#[test]
fn a_shooting_day_number_is_learned_by_its_label() {
    let sheet = |n: u32| {
        from_layout_text(&format!(
            "SHOOT DATE     SHOOT DAY\n14/04/2026     {n} of 40\n"
        ))
    };
    let d = read_with(&sheet(23), &sheet(14), "shoot_day", "14");
    assert_eq!(d.shoot_day, Some(23));
}

#[test]
fn a_layout_is_known_again_when_an_optional_row_moves_its_fingerprint() {
    let sheet = |call: &str, extra: &str| {
        from_layout_text(&format!(
            "Data: 14.04.2026\nMeldunek ekipy: {call}\nMiejsce zdjęć: Hala 4\nBaza: parking\nKierownik planu: Jan Nowak\nII reżyser: Ewa Lis\n{extra}"
        ))
    };
    let first = sheet("7:15", "");
    let next = sheet("6:30", "Producent wykonawczy: Ola Wrona\n");
    assert_ne!(fingerprint(&first), fingerprint(&next));
    assert_eq!(
        read_with(&next, &first, "call_time", "07:15")
            .call_time
            .as_deref(),
        Some("06:30")
    );
    // Another template from the same sender, sharing one label, is not it.
    let invoice = from_layout_text(
        "FAKTURA\nMeldunek ekipy: 6:30\nNabywca: X\nNIP: 123\nRazem: 100 zł\nTermin: 14 dni\n",
    );
    assert_eq!(
        read_with(&invoice, &first, "call_time", "07:15").call_time,
        None
    );
}
