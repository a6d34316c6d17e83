//! Which stated fields of a day the reader is not sure of (CONTRACT §1
//! `uncertain`). A field goes here when the evidence for it is weak or two
//! readings disagree, so that a person confirms it before a crew member
//! relies on it: a wrong value stated as sure is the worst thing the reader
//! can do. Each doubt also leaves a warning saying why.
//!
//! The checks are the ones a production coordinator makes reading a sheet:
//! is this the crew call or some other call, is the set the base, does the
//! call come before the wrap, are these department calls or people's calls,
//! is every number on the sheet accounted for.

use super::times::Hm;
use crate::model::{Field, ShootDay};

/// What the readers saw besides the values they chose.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Distinct times printed against a crew-call label.
    pub call_times: usize,
    /// The call came from outside the day's own rows (a week's shared header).
    pub call_shared: bool,
    /// Department calls came from a section or list that says it holds them.
    pub departments_labelled: bool,
    /// A crew list printing a call per person is on the sheet.
    pub crew_list: bool,
    /// Phones on the sheet that are neither a contact nor plainly someone
    /// else's (a hospital, a service, the cast).
    pub stray_phones: usize,
    /// The date was printed where a sheet prints its date (a header), not
    /// only somewhere in its text.
    pub date_prominent: bool,
    /// The text came from OCR.
    pub ocr: bool,
}

/// Marks the fields of `day` the reader is not sure of, with a warning each.
pub fn assess(day: &mut ShootDay, ev: &Evidence) {
    let mut why: Vec<(Field, String)> = Vec::new();
    if !ev.date_prominent {
        why.push((
            Field::Date,
            "the date is not printed in the sheet's header; check it".into(),
        ));
    }
    let call = day.call_time.as_deref().and_then(super::times::value_only);
    let wrap = day.wrap_time.as_deref().and_then(super::times::value_only);
    if let Some(c) = call {
        if ev.call_times > 1 {
            why.push((
                Field::CallTime,
                format!("{} different crew calls printed", ev.call_times),
            ));
        } else if ev.call_shared {
            why.push((
                Field::CallTime,
                format!("the call {c} is the week's, not the day's own"),
            ));
        }
        if ev.ocr {
            why.push((Field::CallTime, format!("the call {c} was read by OCR")));
        }
    }
    if let (Some(c), Some(w)) = (call, wrap) {
        if before_call(c, w) {
            why.push((
                Field::WrapTime,
                format!("the wrap {w} is not after the call {c}"),
            ));
            why.push((
                Field::CallTime,
                format!("the call {c} is not before the wrap {w}"),
            ));
        }
    }
    let base_address = day.base.as_ref().and_then(|b| b.address.clone());
    if let Some(first) = day.locations.first() {
        if first.address.is_some() && first.address == base_address {
            why.push((
                Field::Locations,
                "the shooting location has the base's address; check which is the set".into(),
            ));
        }
        if first.lat.is_none() && !first.address.as_deref().is_some_and(has_number) {
            why.push((
                Field::Locations,
                "the shooting location has no street number or postal code".into(),
            ));
        }
    }
    if base_address.as_deref().is_some_and(|a| !has_number(a)) {
        why.push((
            Field::Base,
            "the base has no street number or postal code".into(),
        ));
    }
    if !day.department_calls.is_empty() && (!ev.departments_labelled || ev.crew_list) {
        why.push((
            Field::DepartmentCalls,
            "department calls read from rows that do not say they are department calls".into(),
        ));
    }
    if !day.contacts.is_empty() && ev.stray_phones > 0 {
        why.push((
            Field::Contacts,
            format!(
                "{} phone number(s) on the sheet could not be told apart as crew or not",
                ev.stray_phones
            ),
        ));
    }
    for (field, reason) in why {
        if !day.uncertain.contains(&field) {
            day.warnings.push(format!("{}: {reason}", field.as_str()));
        }
        day.doubt(field);
    }
    // Confidence follows what is in doubt: a day whose call or place is
    // unsure is one a person must look at.
    let weight = |f: Field| match f {
        Field::Date | Field::CallTime | Field::Locations => 0.15,
        _ => 0.04,
    };
    let loss: f64 = day.uncertain.iter().map(|f| weight(*f)).sum();
    day.confidence = ((day.confidence - loss).clamp(0.05, 1.0) * 100.0).round() / 100.0;
}

/// The wrap is not after the call (a night shoot's wrap after midnight is:
/// a call from 14:00 may wrap the next morning).
fn before_call(call: Hm, wrap: Hm) -> bool {
    wrap <= call && call.h < 14
}

fn has_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Place};

    fn day() -> ShootDay {
        ShootDay {
            date: "2024-03-15".into(),
            call_time: Some("07:00".into()),
            wrap_time: Some("19:00".into()),
            confidence: 0.97,
            ..Default::default()
        }
    }

    fn sure() -> Evidence {
        Evidence {
            call_times: 1,
            departments_labelled: true,
            date_prominent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_day_is_sure() {
        let mut d = day();
        assess(&mut d, &sure());
        assert!(d.uncertain.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn the_base_as_the_set_is_doubted() {
        let mut d = day();
        let a = Some("ul. Wyczółki 89, 02-820 Warszawa".to_string());
        d.base = Some(Place {
            name: None,
            address: a.clone(),
        });
        d.locations = vec![Location {
            address: a,
            ..Default::default()
        }];
        assess(&mut d, &sure());
        assert!(d.is_uncertain(Field::Locations));
        assert!(!d.is_uncertain(Field::Base));
    }

    #[test]
    fn competing_calls_and_a_wrap_before_the_call() {
        let mut d = day();
        assess(
            &mut d,
            &Evidence {
                call_times: 2,
                ..sure()
            },
        );
        assert!(d.is_uncertain(Field::CallTime));
        let mut d = day();
        d.wrap_time = Some("06:00".into());
        assess(&mut d, &sure());
        assert!(d.is_uncertain(Field::WrapTime));
        let mut night = day();
        night.call_time = Some("18:00".into());
        night.wrap_time = Some("04:00".into());
        assess(&mut night, &sure());
        assert!(!night.is_uncertain(Field::WrapTime));
    }
}
