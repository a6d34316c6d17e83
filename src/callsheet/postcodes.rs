//! Postal codes, found by code rather than by regex: `00-724` (Polish),
//! `CA 90210` (a US state and ZIP), `M6N 3A7` (Canadian), `SL7 2QR` (UK),
//! `Dublin 5`, `Co. Wicklow` or an Eircode `D05 X2Y3` (Irish).
//!
//! Every sheet is asked for its addresses and its country, and `mp2ctl
//! parse` is one short process per file: compiling these patterns as
//! regexes cost more than reading them. Each recogniser matches exactly what
//! its pattern in the doc comment matches (`\b`, `\d`, `\s` in their ASCII
//! sense) and returns the leftmost match's byte span.

/// US state and territory codes a ZIP follows.
const US_STATES: &[&[u8; 2]] = &[
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"DC", b"FL", b"GA", b"HI", b"ID",
    b"IL", b"IN", b"IA", b"KS", b"KY", b"LA", b"ME", b"MD", b"MA", b"MI", b"MN", b"MS", b"MO",
    b"MT", b"NE", b"NV", b"NH", b"NJ", b"NM", b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA",
    b"RI", b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA", b"WV", b"WI", b"WY",
];

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// `\b` before byte `i`, for a match that starts with a word char.
fn starts_word(s: &[u8], i: usize) -> bool {
    i == 0 || !word(s[i - 1])
}

/// `\b` after byte `i` (exclusive end), for a match that ends with a word char.
fn ends_word(s: &[u8], i: usize) -> bool {
    s.get(i).is_none_or(|&b| !word(b))
}

fn digits(s: &[u8], at: usize, n: usize) -> bool {
    s.get(at..at + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

fn byte_in(s: &[u8], at: usize, set: &[u8]) -> bool {
    s.get(at).is_some_and(|b| set.contains(b))
}

/// The leftmost start at or after `from` where `at` matches.
fn leftmost(
    s: &str,
    from: usize,
    at: impl Fn(&[u8], usize) -> Option<usize>,
) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    (from..b.len()).find_map(|i| at(b, i).map(|end| (i, end)))
}

/// `\b\d{2}\s?-\s?\d{3}\b` at `i`.
fn pl_at(s: &[u8], i: usize) -> Option<usize> {
    if !(starts_word(s, i) && digits(s, i, 2)) {
        return None;
    }
    let mut j = i + 2;
    if s.get(j).is_some_and(|&b| space(b)) {
        j += 1;
    }
    if s.get(j) != Some(&b'-') {
        return None;
    }
    j += 1;
    if s.get(j).is_some_and(|&b| space(b)) {
        j += 1;
    }
    (digits(s, j, 3) && ends_word(s, j + 3)).then_some(j + 3)
}

/// A Polish postal code (`02-507`, `02 - 507`): the first at or after `from`.
pub fn pl_from(s: &str, from: usize) -> Option<(usize, usize)> {
    leftmost(s, from, pl_at)
}

/// Every Polish postal code in `s`, left to right, not overlapping.
pub fn pl_all(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let (a, b) = pl_from(s, from)?;
        from = b.max(a + 1);
        Some((a, b))
    })
}

/// `\b\d{2}-\d{3}\s+\p{Lu}\p{Ll}+`: a Polish code and the capitalised town
/// after it (`02-820 Warszawa`).
pub fn pl_town(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        // Digits first: then `i` is a char boundary.
        let code = digits(b, i, 2)
            && b.get(i + 2) == Some(&b'-')
            && digits(b, i + 3, 3)
            && starts_word(b, i)
            && !s[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        if !code {
            return false;
        }
        let rest = &s[i + 6..];
        let town = rest.trim_start();
        let mut c = town.chars();
        town.len() < rest.len()
            && c.next().is_some_and(char::is_uppercase)
            && c.next().is_some_and(char::is_lowercase)
    })
}

/// `\b(?:AL|AK|…|WY)\s+\d{5}(?:-\d{4})?\b` at `i`.
fn us_at(s: &[u8], i: usize) -> Option<usize> {
    let state = s.get(i..i + 2)?;
    if !(starts_word(s, i) && US_STATES.iter().any(|st| &st[..] == state)) {
        return None;
    }
    let mut j = i + 2;
    while s.get(j).is_some_and(|&b| space(b)) {
        j += 1;
    }
    if j == i + 2 || !digits(s, j, 5) {
        return None;
    }
    let k = j + 5;
    if s.get(k) == Some(&b'-') && digits(s, k + 1, 4) && ends_word(s, k + 5) {
        return Some(k + 5);
    }
    ends_word(s, k).then_some(k)
}

/// A US state and ZIP (`CA 90272`, `NY 10001-1234`).
pub fn us_zip(s: &str) -> Option<(usize, usize)> {
    leftmost(s, 0, us_at)
}

const CA_FIRST: &[u8] = b"ABCEGHJKLMNPRSTVXY";
const CA_LATER: &[u8] = b"ABCEGHJKLMNPRSTVWXYZ";

/// `\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b` at `i`.
fn ca_at(s: &[u8], i: usize) -> Option<usize> {
    if !(starts_word(s, i)
        && byte_in(s, i, CA_FIRST)
        && digits(s, i + 1, 1)
        && byte_in(s, i + 2, CA_LATER))
    {
        return None;
    }
    let mut j = i + 3;
    if s.get(j).is_some_and(|&b| space(b)) {
        j += 1;
    }
    (digits(s, j, 1) && byte_in(s, j + 1, CA_LATER) && digits(s, j + 2, 1) && ends_word(s, j + 3))
        .then_some(j + 3)
}

/// A Canadian postal code (`M6N 3A7`).
pub fn ca_postal(s: &str) -> Option<(usize, usize)> {
    leftmost(s, 0, ca_at)
}

const UK_INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// `\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b` at `i`.
fn uk_at(s: &[u8], i: usize) -> Option<usize> {
    let upper = |at: usize| s.get(at).is_some_and(u8::is_ascii_uppercase);
    if !(starts_word(s, i) && upper(i)) {
        return None;
    }
    let mut p = if upper(i + 1) { i + 2 } else { i + 1 };
    if !digits(s, p, 1) {
        return None;
    }
    p += 1;
    let spaced = |at: usize| s.get(at).is_some_and(|&b| space(b));
    if !spaced(p)
        && s.get(p)
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        p += 1;
    }
    if !spaced(p) {
        return None;
    }
    let q = p + 1;
    (digits(s, q, 1)
        && byte_in(s, q + 1, UK_INWARD)
        && byte_in(s, q + 2, UK_INWARD)
        && ends_word(s, q + 3))
    .then_some(q + 3)
}

/// A UK postcode (`SL7 2QR`, `EC1A 1BB`).
pub fn uk_postcode(s: &str) -> Option<(usize, usize)> {
    leftmost(s, 0, uk_at)
}

const EIR: &[u8] = b"ACDEFHKNPRTVWXY";

/// `\bDublin\s+\d{1,2}\b|\bCo\.\s+[A-Z][a-z]+\b|\b[AC-FHKNPRTV-Y]\d{2}\s[AC-FHKNPRTV-Y0-9]{4}\b` at `i`.
fn ie_at(s: &[u8], i: usize) -> Option<usize> {
    if !starts_word(s, i) {
        return None;
    }
    let spaces_from = |mut j: usize| {
        let from = j;
        while s.get(j).is_some_and(|&b| space(b)) {
            j += 1;
        }
        (j > from).then_some(j)
    };
    if s[i..].starts_with(b"Dublin") {
        if let Some(j) = spaces_from(i + 6) {
            let n = s[j..].iter().take_while(|b| b.is_ascii_digit()).count();
            if (1..=2).contains(&n) && ends_word(s, j + n) {
                return Some(j + n);
            }
        }
    }
    if s[i..].starts_with(b"Co.") {
        if let Some(j) = spaces_from(i + 3) {
            if s.get(j).is_some_and(u8::is_ascii_uppercase) {
                let n = s[j + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_lowercase())
                    .count();
                if n > 0 && ends_word(s, j + 1 + n) {
                    return Some(j + 1 + n);
                }
            }
        }
    }
    let eir = byte_in(s, i, EIR)
        && digits(s, i + 1, 2)
        && s.get(i + 3).is_some_and(|&b| space(b))
        && s.get(i + 4..i + 8)
            .is_some_and(|t| t.iter().all(|b| b.is_ascii_digit() || EIR.contains(b)))
        && ends_word(s, i + 8);
    eir.then_some(i + 8)
}

/// An Irish district, county or Eircode (`Dublin 5`, `Co. Wicklow`, `D05 X2Y3`).
pub fn ie_place(s: &str) -> Option<(usize, usize)> {
    leftmost(s, 0, ie_at)
}

/// Where an English-speaking country's address ends: the leftmost US ZIP,
/// Canadian, UK or Irish code (at one position, in that order).
pub fn address_end(s: &str) -> Option<(usize, usize)> {
    leftmost(s, 0, |b, i| {
        us_at(b, i)
            .or_else(|| ca_at(b, i))
            .or_else(|| uk_at(b, i))
            .or_else(|| ie_at(b, i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    /// The patterns these recognisers replace, as regexes: the two must
    /// agree on every sample.
    const US_ZIP: &str = r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s+\d{5}(?:-\d{4})?\b";
    const CA_POSTAL: &str = r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b";
    const UK_POSTCODE: &str = r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b";
    const IE_PLACE: &str = r"\bDublin\s+\d{1,2}\b|\bCo\.\s+[A-Z][a-z]+\b|\b[AC-FHKNPRTV-Y]\d{2}\s[AC-FHKNPRTV-Y0-9]{4}\b";

    const SAMPLES: &[&str] = &[
        "17000 CA-1, Pacific Palisades, CA 90272",
        "Los Angeles, CA 90038-1234, USA",
        "NY 100011 and NY 10001-12 and TX  75001",
        "1 Yonge St, Toronto, ON M6N 3A7",
        "M6N3A7 and m6n 3a7 and W6N 3A7",
        "Ashcombe Lane, Little Marlow SL7 2QR",
        "EC1A 1BB, W1 1AA, SW1A 0AA, SL7 2CR",
        "James Larkin Road, Raheny, Dublin 5, Ireland",
        "Dublin 15 Dublin 123 Dublin  8a Co. Wicklow Co.  Kerry2 Co. K",
        "D05 X2Y3 A65 F4E2 B12 3456",
        "ul. Wyczółki 89, 02-820 Warszawa",
        "02 - 820 Warszawa, 02-8201, 102-820, 02-820",
        "Scene 12, 3 pages, 7:00 CA 9027",
        "",
        "CA",
    ];

    #[test]
    fn recognisers_match_their_patterns() {
        let check = |pattern: &str, f: &dyn Fn(&str) -> Option<(usize, usize)>| {
            let re = Regex::new(&format!("(?-u:{pattern})")).unwrap();
            for s in SAMPLES {
                let want = re.find(s).map(|m| (m.start(), m.end()));
                assert_eq!(f(s), want, "{pattern} on {s:?}");
            }
        };
        check(US_ZIP, &us_zip);
        check(CA_POSTAL, &ca_postal);
        check(UK_POSTCODE, &uk_postcode);
        check(IE_PLACE, &ie_place);
        check(
            &[US_ZIP, CA_POSTAL, UK_POSTCODE, IE_PLACE].join("|"),
            &address_end,
        );
        check(r"\b\d{2}\s?-\s?\d{3}\b", &|s| pl_from(s, 0));
        let pl = Regex::new(r"\b\d{2}-\d{3}\s+\p{Lu}\p{Ll}+").unwrap();
        for s in SAMPLES
            .iter()
            .chain(&["05-500 Piaseczno", "05-500 PIASECZNO", "05-500 Łódź"])
        {
            assert_eq!(pl_town(s), pl.is_match(s), "{s:?}");
        }
        assert_eq!(
            pl_all("02-820 i 00-724, 01 - 100").collect::<Vec<_>>(),
            [(0, 6), (9, 15), (17, 25)]
        );
    }
}
