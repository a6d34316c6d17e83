//! Which country a sheet's addresses are in, from their postal codes: the
//! country that phone numbers printed without a country code belong to
//! (CONTRACT §1: "+1" for US and Canadian ZIP and postal codes, "+48" for
//! Polish `NN-NNN`, "+44" for UK postcodes, "+353" for Irish addresses).
//!
//! Only a verdict all the sheet's addresses agree on counts; a sheet mixing
//! countries, or printing none, is left to the production's `phone_region`.

use super::phones::Region;
use super::postcodes;
use super::sheet::Row;
use super::text::find_word;
use phonenumber::country::Id;

/// An Irish district, county or Eircode, or the country's name.
fn irish(t: &str) -> bool {
    postcodes::ie_place(t).is_some()
        || find_word(t, "Ireland").is_some()
        || find_word(t, "Éire").is_some()
}

/// The one country the sheet's addresses are in, if they agree.
pub fn of_sheet(rows: &[Row]) -> Option<Region> {
    match seen(rows).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The sheet's addresses are all in the US or Canada (a production there
/// prints "04/08/2026" month first).
pub fn north_american(rows: &[Row]) -> bool {
    let seen = seen(rows);
    !seen.is_empty()
        && seen
            .iter()
            .all(|r| matches!(r, Region::Country(Id::US | Id::CA)))
}

/// The countries the sheet's addresses are in.
fn seen(rows: &[Row]) -> Vec<Region> {
    let mut seen: Vec<Region> = Vec::new();
    for row in rows {
        for c in &row.cells {
            let t = c.text.as_str();
            if !t.bytes().any(|b| b.is_ascii_digit()) && !t.contains("Ireland") {
                continue;
            }
            for (found, region) in [
                (postcodes::pl_town(t), Region::Pl),
                (postcodes::us_zip(t).is_some(), Region::Country(Id::US)),
                (postcodes::ca_postal(t).is_some(), Region::Country(Id::CA)),
                (irish(t), Region::Country(Id::IE)),
                (postcodes::uk_postcode(t).is_some(), Region::Country(Id::GB)),
            ] {
                if found && !seen.contains(&region) {
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
    seen
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
