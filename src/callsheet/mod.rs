//! Lines and cells → shooting days.
//!
//! Contract: [`read`] takes the text of a call sheet, a weekly schedule
//! ("drabinka") or a revision, as laid out by the PDF reader or OCR, and
//! returns one [`ShootDay`] per shooting day the document states, ordered by
//! date, with the field rules of CONTRACT §1. It never panics and never
//! guesses silently: what it is unsure of lowers `confidence` and is said in
//! `warnings`; what it cannot find is `null`/empty.
//!
//! ## Layout
//! - [`vocab`]: every word the readers recognise, as data tables.
//! - `text`: diacritic folding with a map back to the printed text.
//! - Recognisers for single values: [`dates`], [`times`], [`phones`],
//!   [`gps`], [`revision`], [`scenes`] (numbers and INT/EXT).
//! - `sheet`: the document as rows, with the geometry questions (what is
//!   under a label); drops next-day previews.
//! - `days`: which rows belong to which day (single sheet, stacked days,
//!   grid of day columns).
//! - `fields`, `places`, `contacts`: the per-day and sheet-wide readers.
//! - `devtext` (tests only): a `TextDoc` from `pdftotext -layout` or
//!   tesseract, a second view of real PDFs; `tests`: hand-built layouts, the
//!   open corpus end to end, and a no-panic property test.
//!
//! Nothing here keys on a particular sheet: every rule is one a production
//! coordinator would state ("the call is the time under or after the CALL
//! label", "an address ends with the postal code and town"), and every word
//! it looks for is in [`vocab`].

pub mod dates;
pub mod gps;
pub mod learned;
pub mod phones;
pub mod revision;
pub mod scenes;
pub mod times;
pub mod vocab;

mod addresses;
mod contacts;
mod country;
mod crew;
mod days;
mod doubt;
mod fields;
mod places;
pub(crate) mod postcodes;
mod sheet;
mod structure;
mod text;

#[cfg(test)]
pub(crate) mod devtext;
#[cfg(test)]
mod tests;

use crate::layout::TextDoc;
use crate::model::{Location, Place, ShootDay};
use days::Shape;
use places::Slot;
use sheet::Row;
use std::collections::HashSet;
use vocab::PlaceLabel;

/// What the caller knows that the sheet may not print.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The production's short name (config `production.name`); used for
    /// `production` instead of the title printed on the sheet.
    pub production: Option<String>,
    /// The country of phone numbers printed without a country code when the
    /// sheet's addresses do not say (config `production.phone_region`).
    pub phone_region: Option<String>,
    /// When the sheet arrived (the e-mail's date): a date printed without a
    /// year, or with two digits, is the one nearest to it.
    pub received: Option<chrono::NaiveDate>,
}

/// Reads every shooting day the document states, ordered by date.
pub fn read(doc: &TextDoc) -> Vec<ShootDay> {
    read_with(doc, &Options::default())
}

/// What a document holds: its shooting days, or why it is not a schedule.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub days: Vec<ShootDay>,
    /// Set when the document has no call-sheet structure at all (a
    /// contract, an invoice): the reason, for a person.
    pub not_a_schedule: Option<String>,
}

/// [`read`] with what the caller knows about the production.
pub fn read_with(doc: &TextDoc, opts: &Options) -> Vec<ShootDay> {
    read_sheet(doc, opts).days
}

/// [`read_with`], saying why when the document is not a schedule.
pub fn read_sheet(doc: &TextDoc, opts: &Options) -> Sheet {
    let (rows, repairs) = sheet::rows_and_repairs(doc);
    if let Some(reason) = structure::not_a_schedule(&rows) {
        return Sheet {
            days: Vec::new(),
            not_a_schedule: Some(reason),
        };
    }
    let days = read_days(doc, &rows, repairs, opts);
    let not_a_schedule = (days.is_empty() && !rows.is_empty())
        .then(|| "no shooting date found: the document states no date of a shooting day".into());
    Sheet {
        days,
        not_a_schedule,
    }
}

fn read_days(doc: &TextDoc, rows: &[Row], repairs: Vec<String>, opts: &Options) -> Vec<ShootDay> {
    if rows.is_empty() {
        return Vec::new();
    }
    let plan = days::segment(&rows);
    let revision = revision::find(
        rows.iter()
            .flat_map(|r| r.folded.iter().map(String::as_str)),
    );
    let all_slots = places::read(&rows);
    let claimed: HashSet<(usize, usize)> = all_slots
        .iter()
        .flat_map(|s| s.cells.iter().copied())
        .collect();
    let region = country::of_sheet(&rows)
        .or_else(|| {
            opts.phone_region
                .as_deref()
                .and_then(phones::Region::from_code)
        })
        .unwrap_or_default();
    let contacts = contacts::read(&rows, &claimed, region);
    let stray_phones = contacts::stray(&rows, &claimed, region, &contacts);
    let production = opts.production.clone().or_else(|| production_name(&rows));

    let shared_slots = places::read(&plan.shared);
    let shared_base = base_of(&shared_slots);
    let shared_times = fields::labelled_times(&plan.shared);
    let mut sheet_warnings: Vec<String> = doc.warnings.clone();
    sheet_warnings.extend(repairs);
    if doc.ocr && !sheet_warnings.iter().any(|w| w.contains("OCR")) {
        sheet_warnings.push("text recovered by OCR".into());
    }
    if revision.is_none()
        && rows
            .iter()
            .take(6)
            .any(|r| r.folded.iter().any(|f| revised_without_number(f)))
    {
        sheet_warnings.push("sheet is marked as revised but states no version number".into());
    }

    // Several daily sheets in one PDF each state their own version: a day's
    // is the one printed in its block, else one printed outside every day.
    let folded_of = |rows: &[Row]| -> Option<u32> {
        revision::find(
            rows.iter()
                .flat_map(|r| r.folded.iter().map(String::as_str)),
        )
    };
    let shared_revision = folded_of(&plan.shared);
    let mut out: Vec<ShootDay> = Vec::new();
    for day in plan.days.iter().filter(|d| !d.off) {
        let mut warnings = sheet_warnings.clone();
        let block = &day.rows;
        let revision = match plan.shape {
            Shape::Stacked => folded_of(block).or(shared_revision),
            _ => revision,
        };
        let hits = fields::labelled_times(block);
        let mut call = fields::crew_call(&hits, &mut warnings);
        let mut evidence = doubt::Evidence {
            call_times: fields::distinct_calls(&hits),
            stray_phones,
            date_prominent: day.prominent,
            ocr: doc.ocr,
            ..Default::default()
        };
        if call.is_none() && plan.shape != Shape::Single {
            call = fields::crew_call(&shared_times, &mut Vec::new());
            evidence.call_times = fields::distinct_calls(&shared_times);
            evidence.call_shared = call.is_some();
        }
        if call.is_none() {
            match fields::first_shot(&hits) {
                Some(t) => warnings.push(format!("no general crew call found (first shot at {t})")),
                None => warnings.push("no general crew call found".into()),
            }
        }
        let wrap = fields::wrap(&hits);
        let slots = if plan.shape == Shape::Single {
            all_slots.clone()
        } else {
            places::read(block)
        };
        let base = base_of(&slots).or_else(|| shared_base.clone());
        let locations = locations_of(&slots);
        let (scenes, set_type) = scenes::read(block);
        let (crew_calls, crew_rows) = crew::read(block);
        let dept_rows: Vec<Row> = block
            .iter()
            .enumerate()
            .filter(|(i, _)| !crew_rows.contains(i))
            .map(|(_, r)| r.clone())
            .collect();
        let department_calls = fields::department_calls(&dept_rows, doc.ocr);
        evidence.departments_labelled = fields::has_department_section(&dept_rows);
        evidence.crew_list = !crew_calls.is_empty();
        let shoot_day = fields::shoot_day(block).or_else(|| {
            (plan.shape == Shape::Single)
                .then(|| fields::shoot_day(&rows))
                .flatten()
        });
        let safety_notes = fields::safety_notes(block);
        let mut notes = fields::notices(block);
        if plan.shape != Shape::Single {
            notes.extend(fields::notices(&plan.shared));
        }
        if locations.is_empty() {
            warnings.push("no shooting location with an address found".into());
        }
        if doc.ocr {
            validate_ocr(call, &department_calls, &mut warnings);
        }
        let confidence = confidence(
            doc.ocr,
            call.is_some(),
            !locations.is_empty(),
            !scenes.is_empty(),
            warnings.len(),
        );
        out.push(crate::model::ShootDay {
            production: production.clone(),
            date: day.date.format("%Y-%m-%d").to_string(),
            shoot_day,
            revision,
            call_time: call.map(|t| t.to_string()),
            wrap_time: wrap.map(|t| t.to_string()),
            base,
            locations,
            set_type,
            scenes,
            department_calls,
            safety_notes,
            contacts: contacts.clone(),
            notes,
            confidence,
            warnings,
            cancelled: day.cancelled,
            crew_calls,
            ..Default::default()
        });
        // Several daily sheets in one PDF: each day's own contacts list.
        if plan.shape == Shape::Stacked {
            let own = contacts::read(block, &HashSet::new(), region);
            if let (Some(d), false) = (out.last_mut(), own.is_empty()) {
                d.contacts = own;
            }
        }
        if let Some(d) = out.last_mut() {
            doubt::assess(d, &evidence);
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out.dedup_by(|b, a| a.date == b.date);
    out
}

fn revised_without_number(f: &str) -> bool {
    let t = f.trim();
    t == "zmiana" || t == "revised" || t.starts_with("revised ") && !t.contains(char::is_numeric)
}

fn base_of(slots: &[Slot]) -> Option<Place> {
    let bases = || slots.iter().filter(|s| s.kind == Some(PlaceLabel::Base));
    bases()
        .find(|s| s.address.is_some())
        .or_else(|| bases().find(|s| s.name.is_some()))
        .map(|s| Place {
            name: s.name.clone(),
            address: s.address.clone(),
        })
}

fn locations_of(slots: &[Slot]) -> Vec<Location> {
    let mut out: Vec<Location> = Vec::new();
    for s in slots
        .iter()
        .filter(|s| s.kind == Some(PlaceLabel::Location))
    {
        if s.address.is_none() && s.lat.is_none() {
            continue;
        }
        if out
            .iter()
            .any(|l| l.address.is_some() && l.address == s.address)
        {
            continue;
        }
        out.push(Location {
            name: s.name.clone(),
            address: s.address.clone(),
            lat: s.lat,
            lon: s.lon,
        });
    }
    out
}

/// The production's short name as the sheet prints it in brackets after the
/// title ("MATKI PINGWINÓW 2 (MP2)"); otherwise unknown, so that the caller's
/// configured name is used rather than a title that differs from sheet to
/// sheet.
fn production_name(rows: &[Row]) -> Option<String> {
    static ACRONYM: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| text::static_regex(r"\(([A-Z][A-Z0-9]{1,7})\)"));
    rows.iter()
        .take(8)
        .flat_map(|r| r.cells.iter())
        .filter(|c| c.text.contains('('))
        .find_map(|c| {
            ACRONYM
                .captures(&c.text)
                .and_then(|m| m.get(1))
                .map(|m| m.as_str().to_string())
        })
}

/// Scanned sheets misread digits: flag department calls that cannot be
/// right next to the crew call (more than 6 hours apart).
fn validate_ocr(
    call: Option<times::Hm>,
    depts: &std::collections::BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) {
    let Some(call) = call else { return };
    let c = call.h as i32 * 60 + call.m as i32;
    for (name, t) in depts {
        let Some(t) = times::value_only(t) else {
            continue;
        };
        let d = t.h as i32 * 60 + t.m as i32;
        let diff = (d - c).rem_euclid(24 * 60);
        let diff = diff.min(24 * 60 - diff);
        if diff > 6 * 60 {
            warnings.push(format!(
                "OCR: {name} call {t} is far from the crew call {call}; check it"
            ));
        }
    }
}

fn confidence(ocr: bool, call: bool, location: bool, scenes: bool, warnings: usize) -> f64 {
    let mut c: f64 = 0.97;
    if !call {
        c -= 0.3;
    }
    if !location {
        c -= 0.1;
    }
    if !scenes {
        c -= 0.05;
    }
    c -= 0.04 * warnings.min(5) as f64;
    if ocr {
        c *= 0.85;
    }
    (c.clamp(0.05, 1.0) * 100.0).round() / 100.0
}
