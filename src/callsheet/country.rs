//! Which country a sheet's addresses are in, from their postal codes: the
//! country that phone numbers printed without a country code belong to
//! (CONTRACT §1: "+1" for US and Canadian ZIP and postal codes, "+48" for
//! Polish `NN-NNN`, "+44" for UK postcodes, "+353" for Irish addresses).
//!
//! Only a verdict all the sheet's addresses agree on counts; a sheet mixing
//! countries, or printing none, is left to the production's `phone_region`.

use super::phones::Region;
use super::sheet::Row;
use phonenumber::country::Id;
use regex::Regex;
use std::sync::LazyLock;

static PL: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"\b\d{2}-\d{3}\s+\p{Lu}\p{Ll}+"));
/// "CA 90272", "NY 10001-1234" (a state's two capitals, then the ZIP).
static US: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s+\d{5}(?:-\d{4})?\b",
    )
});
/// "ON M6N 3A7", "Toronto, ON" with a postal code.
static CA: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b",
    )
});
/// "SL7 2QR", "EC1A 1BB".
static GB: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b"));
/// "Dublin 5", "Co. Wicklow", an Eircode "D05 X2Y3", or the country's name.
static IE: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"\b(?:Dublin\s+\d{1,2}\b|Co\.\s+[A-Z][a-z]+|Ireland\b|Éire\b|[AC-FHKNPRTV-Y]\d{2}\s[AC-FHKNPRTV-Y0-9]{4}\b)",
    )
});

/// The one country the sheet's addresses are in, if they agree.
pub fn of_sheet(rows: &[Row]) -> Option<Region> {
    let mut seen: Vec<Region> = Vec::new();
    for row in rows {
        for c in &row.cells {
            let t = c.text.as_str();
            if !t.bytes().any(|b| b.is_ascii_digit()) && !t.contains("Ireland") {
                continue;
            }
            for (re, region) in [
                (&*PL, Region::Pl),
                (&*US, Region::Country(Id::US)),
                (&*CA, Region::Country(Id::CA)),
                (&*IE, Region::Country(Id::IE)),
                (&*GB, Region::Country(Id::GB)),
            ] {
                if re.is_match(t) && !seen.contains(&region) {
                    seen.push(region);
                }
            }
        }
    }
    // An Eircode is shaped like a Canadian code's half and a UK postcode:
    // the name of the country or a Dublin district decides for Ireland.
    if seen.contains(&Region::Country(Id::IE)) {
        seen.retain(|r| !matches!(r, Region::Country(Id::GB | Id::CA)));
    }
    match seen.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&str]) -> Vec<Row> {
        lines
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let cell = crate::layout::Cell {
                    x0: 0.0,
                    x1: 300.0,
                    size: 10.0,
                    bold: false,
                    text: t.to_string(),
                };
                Row::new(0, 12.0 * i as f32, vec![cell], 12.0, 0.0)
            })
            .collect()
    }

    #[test]
    fn countries_from_addresses() {
        assert_eq!(
            of_sheet(&rows(&["17000 CA-1, Pacific Palisades, CA 90272"])),
            Some(Region::Country(Id::US))
        );
        assert_eq!(
            of_sheet(&rows(&["James Larkin Road, Raheny, Dublin 5, Ireland"])),
            Some(Region::Country(Id::IE))
        );
        assert_eq!(
            of_sheet(&rows(&["Ashcombe Lane, Little Marlow SL7 2QR"])),
            Some(Region::Country(Id::GB))
        );
        assert_eq!(
            of_sheet(&rows(&["1 Yonge St, Toronto, ON M6N 3A7"])),
            Some(Region::Country(Id::CA))
        );
        assert_eq!(
            of_sheet(&rows(&["ul. Wyczółki 89, 02-820 Warszawa"])),
            Some(Region::Pl)
        );
        assert_eq!(
            of_sheet(&rows(&[
                "ul. Hoża 51, 00-681 Warszawa",
                "Los Angeles, CA 90038"
            ])),
            None
        );
        assert_eq!(of_sheet(&rows(&["Scene 12, 3 pages"])), None);
    }
}
