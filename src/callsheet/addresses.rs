//! Street addresses of English-speaking countries, found by how they end:
//! a US state and ZIP (`Los Angeles, CA 90027`), a Canadian postal code
//! (`Toronto, ON M6N 3A7`), a UK postcode (`Little Marlow SL7 2QR`) or an Irish
//! district, county or Eircode (`Raheny, Dublin 5, Ireland`). Polish addresses
//! (`NN-NNN Town`) are found in [`super::places`].
//!
//! The address starts after the last strong break before its end (a line
//! break, ` - `, ` — `, `: `, ` · `), at the first comma-separated part that
//! opens with a house number or is a named street ("Ashcombe Lane"); what
//! comes before is the place's name.

use super::postcodes;
use super::text::Folded;
use regex::Regex;
use std::sync::LazyLock;

/// A country name after the code belongs to the address.
static COUNTRY: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"^,?\s*(?:Ireland|USA|U\.S\.A\.|United States|UK|U\.K\.|United Kingdom|England|Scotland|Wales|Canada)\b",
    )
});

/// Street words that make a part of an address a street ("Ashcombe Lane").
const STREET_WORDS: &[&str] = &[
    "Road",
    "Rd",
    "Rd.",
    "Street",
    "St",
    "St.",
    "Lane",
    "Ln",
    "Ln.",
    "Avenue",
    "Ave",
    "Ave.",
    "Drive",
    "Dr",
    "Dr.",
    "Boulevard",
    "Blvd",
    "Blvd.",
    "Way",
    "Place",
    "Pl",
    "Court",
    "Ct",
    "Square",
    "Sq",
    "Terrace",
    "Crescent",
    "Highway",
    "Hwy",
    "Parkway",
    "Pkwy",
    "Park",
    "Row",
    "Close",
    "Mews",
    "Hill",
    "Quay",
    "Wharf",
    "Green",
    "Gardens",
    "Walk",
    "Trail",
];

/// Breaks between a place's name and its address. A line break is not one
/// of them: a narrow column wraps inside a street ("411 N Hollywood" /
/// "Way, Burbank, CA 91505").
const BREAKS: &[&str] = &[" - ", " – ", " — ", ": ", " · ", " | ", "("];

/// The folded byte span of an English-speaking country's address in `fo`.
pub fn span(fo: &Folded) -> Option<(usize, usize)> {
    let orig = fo.orig.as_str();
    // How addresses end, per country: printed text, so capitals count.
    let (m_start, m_end) = postcodes::address_end(orig)?;
    let mut end = m_end;
    // "Co. Dublin, A96 X2F6": a county and then its Eircode (or a state and
    // a ZIP on): the address ends with the last code of the run.
    loop {
        let rest = &orig[end..];
        let skip = rest.len() - rest.trim_start_matches([',', ' ']).len();
        match postcodes::address_end(&rest[skip..]) {
            Some((0, more)) if skip > 0 => end += skip + more,
            _ => break,
        }
    }
    if let Some(c) = COUNTRY.find(&orig[end..]) {
        end += c.end();
    }
    let head = &orig[..m_start];
    let from = BREAKS
        .iter()
        .filter_map(|b| head.rfind(b).map(|i| i + b.len()))
        .max()
        .unwrap_or(0);
    let start = from + street_part(&orig[from..m_start]);
    let start = start + (orig[start..].len() - orig[start..].trim_start().len());
    (start < end).then(|| (fo.folded_at(start), fo.folded_at(end)))
}

/// Where the street begins in `text` (the parts of an address before its
/// town and code): the first comma-separated part that opens with a house
/// number, else the first that ends with a street word; within a part
/// printed over two lines, the line that holds the street. Without either,
/// the last line: what is above it names the place.
fn street_part(text: &str) -> usize {
    let parts: Vec<(usize, &str)> = text
        .split(',')
        .scan(0, |at, part| {
            let start = *at;
            *at += part.len() + 1;
            Some((start, part))
        })
        .collect();
    let numbered = |p: &str| p.trim().starts_with(|c: char| c.is_ascii_digit());
    let street = |p: &str| {
        p.split_whitespace()
            .last()
            .is_some_and(|w| STREET_WORDS.contains(&w))
    };
    let found = parts
        .iter()
        .find(|(_, p)| numbered(p))
        .or_else(|| parts.iter().find(|(_, p)| street(p)));
    match found {
        // A part printed over lines: the line that starts the street
        // ("North Beach car park" / "James Larkin Road", "(555) 010-" /
        // "17000 CA-1"), unless the street itself wrapped ("411 N
        // Hollywood" / "Way").
        Some(&(at, part)) => match part.rfind('\n') {
            Some(nl) => {
                let last = &part[nl + 1..];
                let starts_street =
                    numbered(last) || (street(last) && last.split_whitespace().count() >= 2);
                if starts_street {
                    at + nl + 1
                } else {
                    at
                }
            }
            None => at,
        },
        None => text.rfind('\n').map_or(0, |nl| nl + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Option<String> {
        let fo = Folded::new(s);
        span(&fo).map(|(a, b)| fo.orig_slice(a, b).to_string())
    }

    #[test]
    fn addresses_by_their_end() {
        for (text, want) in [
            (
                "Ashcombe Manor - Ashcombe Lane, Little Marlow, Buckinghamshire SL7 2QR",
                "Ashcombe Lane, Little Marlow, Buckinghamshire SL7 2QR",
            ),
            (
                "Griffith Observatory, 2800 E Observatory Rd, Los Angeles, CA 90027",
                "2800 E Observatory Rd, Los Angeles, CA 90027",
            ),
            (
                "Bull Island - North Beach car park\nJames Larkin Road, Raheny, Dublin 5, Ireland",
                "James Larkin Road, Raheny, Dublin 5, Ireland",
            ),
            (
                "Base Camp — Will Rogers Beach Lot\n17000 CA-1, Pacific Palisades, CA 90272",
                "17000 CA-1, Pacific Palisades, CA 90272",
            ),
            (
                "Casa Loma, 1 Austin Terrace, Toronto, ON M5R 1X8",
                "1 Austin Terrace, Toronto, ON M5R 1X8",
            ),
            (
                "Warner Bros. Ranch, Stage 7 — 411 N Hollywood\nWay, Burbank, CA 91505",
                "411 N Hollywood\nWay, Burbank, CA 91505",
            ),
            (
                "Formby Point, Victoria Road, Formby,\nLiverpool L37 1LJ",
                "Victoria Road, Formby,\nLiverpool L37 1LJ",
            ),
        ] {
            assert_eq!(addr(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(addr("Scene 42 INT. VEHICLE"), None);
        assert_eq!(addr("ul. Hoża 51, 00-681 Warszawa"), None);
    }
}
