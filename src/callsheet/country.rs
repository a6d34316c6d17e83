//! Which country a sheet's addresses are in, from their postal codes: the
//! country that phone numbers printed without a country code belong to
//! (CONTRACT §1: "+1" for US and Canadian ZIP and postal codes, "+48" for
//! Polish `NN-NNN`, "+44" for UK postcodes, "+353" for Irish addresses).
//!
//! Only a verdict all the sheet's addresses agree on counts; a sheet mixing
//! countries, or printing none, is left to the production's `phone_region`.

use super::addresses::{CA_POSTAL, IE_PLACE, UK_POSTCODE, US_ZIP};
use super::phones::Region;
use super::sheet::Row;
use phonenumber::country::Id;
use regex::Regex;
use std::sync::LazyLock;

static PL: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(r"\b\d{2}-\d{3}\s+\p{Lu}\p{Ll}+"));
static US: LazyLock<Regex> = LazyLock::new(|| super::text::static_regex(US_ZIP));
static CA: LazyLock<Regex> = LazyLock::new(|| super::text::static_regex(CA_POSTAL));
static GB: LazyLock<Regex> = LazyLock::new(|| super::text::static_regex(UK_POSTCODE));
/// An Irish district, county or Eircode, or the country's name.
static IE: LazyLock<Regex> =
    LazyLock::new(|| super::text::static_regex(&format!(r"{IE_PLACE}|\bIreland\b|\bÉire\b")));

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

    use crate::callsheet::sheet::one_cell_rows as rows;

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
