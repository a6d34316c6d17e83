//! Telephone numbers → E.164.
//!
//! Polish numbers are printed as `601 234 567`, `601-234-567`, `601234567`,
//! `+48 601 234 567`, `(22) 123 45 67`, `22 123 45 67`, `0048 …`; without a
//! country code they are `+48`. A run of digits is a phone only when its
//! grouping looks like one, so postal codes, dates, scene and cast lists are
//! never taken for phones.

/// The country a sheet's numbers without a country code belong to: the
/// country its own addresses are in when they agree, else the production's
/// `phone_region` (CONTRACT §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// Polish numbers, read by the rules above without the numbering plan
    /// database (most sheets, and the fast path).
    #[default]
    Pl,
    /// Any other country, read with libphonenumber's numbering plan.
    Country(phonenumber::country::Id),
}

impl Region {
    /// From an ISO 3166 code ("PL", "US", "IE"); `None` when unknown.
    pub fn from_code(code: &str) -> Option<Region> {
        let id: phonenumber::country::Id = code.trim().to_ascii_uppercase().parse().ok()?;
        Some(if id == phonenumber::country::Id::PL {
            Region::Pl
        } else {
            Region::Country(id)
        })
    }
}

/// A national number of `region` (no `+`, no `00`) → E.164, by the numbering
/// plan: valid numbers, and in the North American plan any ten digits (film
/// sheets print the fictional 555 range).
fn national(raw: &str, id: phonenumber::country::Id) -> Option<String> {
    use phonenumber::country::Id;
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !(7..=12).contains(&digits.len()) {
        return None;
    }
    let nanp = matches!(id, Id::US | Id::CA);
    if nanp {
        let ten = digits
            .strip_prefix('1')
            .filter(|d| d.len() == 10)
            .unwrap_or(&digits);
        return (ten.len() == 10 && !ten.starts_with(['0', '1'])).then(|| format!("+1{ten}"));
    }
    // Where a national number is the trunk zero and 8 to 10 digits, E.164
    // is the country code and those digits, valid or not (the rule below):
    // no need to load the numbering-plan database, which costs a short
    // `mp2ctl parse` more than the rest of the sheet.
    if let (Some(code), Some(rest)) = (trunk_zero_code(id), digits.strip_prefix('0')) {
        if (8..=10).contains(&rest.len()) {
            return Some(format!("+{code}{rest}"));
        }
    }
    let number = phonenumber::parse(Some(id), &digits).ok()?;
    if number.is_valid() {
        return Some(number.format().mode(phonenumber::Mode::E164).to_string());
    }
    // A number the plan does not know yet, with the trunk zero most of
    // Europe prints: country code + the rest.
    let rest = digits.strip_prefix('0')?;
    (8..=10)
        .contains(&rest.len())
        .then(|| format!("+{}{rest}", number.code().value()))
}

/// The calling code of a country whose national numbers start with a
/// trunk zero that E.164 drops (Ireland, the UK, most of western Europe,
/// Australia, New Zealand).
fn trunk_zero_code(id: phonenumber::country::Id) -> Option<u16> {
    use phonenumber::country::Id;
    Some(match id {
        Id::IE => 353,
        Id::GB => 44,
        Id::DE => 49,
        Id::FR => 33,
        Id::NL => 31,
        Id::BE => 32,
        Id::AT => 43,
        Id::CH => 41,
        Id::SE => 46,
        Id::AU => 61,
        Id::NZ => 64,
        _ => return None,
    })
}

/// A phone found in text: byte range and E.164 form.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneHit {
    pub start: usize,
    pub end: usize,
    pub e164: String,
}

fn is_run_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+' | '\u{a0}')
}

/// Normalises one candidate (already cut out of the text) to E.164, Polish
/// when no country code is printed.
pub fn normalise(raw: &str) -> Option<String> {
    normalise_in(raw, Region::Pl)
}

/// [`normalise`] for a sheet whose numbers belong to `region`.
pub fn normalise_in(raw: &str, region: Region) -> Option<String> {
    let raw = raw.trim();
    if let Region::Country(id) = region {
        let international = raw.starts_with('+') || raw.starts_with("00");
        if !international {
            let groups: Vec<&str> = raw
                .split(|c: char| !c.is_ascii_digit())
                .filter(|g| !g.is_empty())
                .collect();
            // "087 214 5590", "(555) 010-2233", "07700 900123": grouped
            // the way phones are, not a long id or a list of small numbers.
            let grouped = groups.len() <= 4
                && groups.iter().all(|g| g.len() <= 7)
                && groups.iter().filter(|g| g.len() == 1).count() <= 1;
            return grouped.then(|| national(raw, id)).flatten();
        }
    }
    let plus = raw.starts_with('+');
    let groups: Vec<String> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    if groups.is_empty() {
        return None;
    }
    let all: String = groups.concat();
    // With a country code the grouping is the country's own business.
    if plus && groups.len() <= 5 {
        return (10..=15).contains(&all.len()).then(|| format!("+{all}"));
    }
    // Long unbroken runs are ids or account numbers unless they are exactly
    // a phone.
    let grouped_ok = groups.len() == 1 || groups.iter().all(|g| g.len() <= 4);
    if !grouped_ok {
        // `+48 601234567`: a country code then the number in one piece.
        let cc_then_number = groups.len() == 2 && groups[0].len() <= 3 && groups[1].len() == 9;
        if !cc_then_number {
            return None;
        }
    }
    if plus {
        return (10..=15).contains(&all.len()).then(|| format!("+{all}"));
    }
    if let Some(rest) = all.strip_prefix("00") {
        return (10..=15).contains(&rest.len()).then(|| format!("+{rest}"));
    }
    if all.len() == 11 && all.starts_with("48") && groups.len() > 1 && groups[0] == "48" {
        return Some(format!("+{all}"));
    }
    if all.len() == 9 && !all.starts_with('0') {
        // One group of nine, or the usual 3-3-3 / 2-3-2-2 / 2-3-4 groupings.
        let lens: Vec<usize> = groups.iter().map(String::len).collect();
        let ok = matches!(
            lens.as_slice(),
            [9] | [3, 3, 3] | [2, 3, 2, 2] | [2, 3, 4] | [2, 7] | [3, 2, 2, 2] | [2, 2, 3, 2]
        );
        return ok.then(|| format!("+48{all}"));
    }
    if all.len() == 10 && all.starts_with('0') {
        // `0 22 123 45 67`: old trunk prefix.
        return Some(format!("+48{}", &all[1..]));
    }
    None
}

/// Every phone number in `s`, Polish when no country code is printed.
pub fn find_all(s: &str) -> Vec<PhoneHit> {
    find_all_in(s, Region::Pl)
}

/// North American numbers printed with dots ("310.555.0108").
fn dotted_nanp(s: &str) -> Vec<PhoneHit> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 12 <= b.len() {
        let shape = (0..12).all(|k| {
            if k == 3 || k == 7 {
                b[i + k] == b'.'
            } else {
                digit(i + k)
            }
        });
        let free = (i == 0 || !(digit(i - 1) || b[i - 1] == b'.')) && !digit(i + 12);
        if shape && free && !(b.get(i + 12) == Some(&b'.') && digit(i + 13)) {
            let d: String = s[i..i + 12].chars().filter(char::is_ascii_digit).collect();
            if !d.starts_with(['0', '1']) {
                out.push(PhoneHit {
                    start: i,
                    end: i + 12,
                    e164: format!("+1{d}"),
                });
            }
            i += 12;
        } else {
            i += 1;
        }
    }
    out
}

/// [`find_all`] for a sheet whose numbers belong to `region`.
pub fn find_all_in(s: &str, region: Region) -> Vec<PhoneHit> {
    use phonenumber::country::Id;
    let mut out = match region {
        Region::Country(Id::US | Id::CA) => dotted_nanp(s),
        _ => Vec::new(),
    };
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !(c.is_ascii_digit() || c == '+' || c == '(') {
            continue;
        }
        // Must not continue a word or a number glued with other punctuation.
        let prev = s[..i].chars().next_back();
        if prev.is_some_and(|p| p.is_alphanumeric() || matches!(p, '.' | ':' | '/' | ',' | '°'))
            && c != '+'
        {
            skip_run(&mut iter);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = iter.peek() {
            if !is_run_char(d) {
                break;
            }
            end = j + d.len_utf8();
            iter.next();
        }
        let run = s[i..end].trim_end_matches(|c: char| !c.is_ascii_digit());
        let next = s[i + run.len()..].chars().next();
        if next.is_some_and(|n| {
            matches!(n, '.' | ':' | '/' | ',')
                && s[i + run.len() + 1..].starts_with(|c: char| c.is_ascii_digit())
        }) {
            continue;
        }
        if let Some(e164) = normalise_in(run, region) {
            out.push(PhoneHit {
                start: i,
                end: i + run.len(),
                e164,
            });
        } else if let Some(hit) = split_run(s, i, run, region) {
            out.extend(hit);
        }
    }
    out
}

fn skip_run(iter: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    while let Some(&(_, d)) = iter.peek() {
        if !d.is_ascii_digit() {
            break;
        }
        iter.next();
    }
}

/// A run such as `112 601 234 567` may hold a short number glued to a phone:
/// try dropping leading groups.
fn split_run(s: &str, start: usize, run: &str, region: Region) -> Option<Vec<PhoneHit>> {
    let mut offs = start;
    let mut rest = run;
    for _ in 0..3 {
        let cut = rest.find(' ')?;
        offs += cut + 1;
        rest = &rest[cut + 1..];
        if let Some(e164) = normalise_in(rest, region) {
            let _ = s;
            return Some(vec![PhoneHit {
                start: offs,
                end: offs + rest.len(),
                e164,
            }]);
        }
    }
    None
}

/// The cell is nothing but a phone number (optionally `tel.` before it).
pub fn phone_only(cell: &str) -> Option<String> {
    phone_only_in(cell, Region::Pl)
}

/// [`phone_only`] for a sheet whose numbers belong to `region`.
pub fn phone_only_in(cell: &str, region: Region) -> Option<String> {
    let t = cell.trim();
    let lower = t.to_lowercase();
    let mut body = t;
    for lead in [
        "tel.:", "tel.", "tel:", "tel", "kom.", "kom:", "mob.", "mob:", "phone:", "phone", "t.",
        "t:",
    ] {
        if lower.starts_with(lead) {
            body = t.get(lead.len()..).unwrap_or("").trim();
            break;
        }
    }
    let body = body.trim_matches(|c: char| {
        matches!(c, '[' | ']' | '|' | '(' | ')' | '.' | ',' | ';') || c.is_whitespace()
    });
    if body.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    let hits = find_all_in(body, region);
    if hits.len() == 1 && hits[0].end - hits[0].start + 2 >= body.len() {
        return Some(hits[0].e164.clone());
    }
    if region != Region::Pl {
        return None;
    }
    // A cell holding nothing but digits is a phone whatever its grouping (a
    // scan's "22439 17 19").
    if hits.is_empty() && body.chars().all(is_run_char) {
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        if body.starts_with('+') && (10..=15).contains(&digits.len()) {
            return Some(format!("+{digits}"));
        }
        if digits.len() == 9 && !digits.starts_with('0') {
            return Some(format!("+48{digits}"));
        }
        if digits.len() == 11 && digits.starts_with("48") {
            return Some(format!("+{digits}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        find_all(s).into_iter().map(|h| h.e164).collect()
    }

    #[test]
    fn formats() {
        assert_eq!(p("601 234 567"), ["+48601234567"]);
        assert_eq!(p("601-234-567"), ["+48601234567"]);
        assert_eq!(p("601234567"), ["+48601234567"]);
        assert_eq!(p("+48 601-234-567"), ["+48601234567"]);
        assert_eq!(p("+48601234567"), ["+48601234567"]);
        assert_eq!(p("(22) 123 45 67"), ["+48221234567"]);
        assert_eq!(p("22 490 14 19"), ["+48224901419"]);
        assert_eq!(p("+48 22 320 46 89"), ["+48223204689"]);
        assert_eq!(p("0048 601 234 567"), ["+48601234567"]);
        assert_eq!(p("+44 20 7946 0958"), ["+442079460958"]);
        assert_eq!(p("+44 7700 900123"), ["+447700900123"]);
        assert_eq!(
            p("tel. 601 234 567, kom. 602 345 678"),
            ["+48601234567", "+48602345678"]
        );
    }

    #[test]
    fn not_phones() {
        assert!(p("02-595 Warszawa").is_empty());
        assert!(p("15.03.2024").is_empty());
        assert!(p("tel. alarmowy 112").is_empty());
        assert!(p("2, 9, 14, 15 2/8").is_empty());
        assert!(p("52.25431, 21.03513").is_empty());
        assert!(p("07:30 08:45 10:00").is_empty());
        assert!(p("ul. Wołoska 137, 02-507 Warszawa").is_empty());
        assert!(p("1 2 3 4 5 6 7 8 9").is_empty());
    }

    #[test]
    fn numbers_of_other_countries() {
        use phonenumber::country::Id;
        let f = |s: &str, id| -> Vec<String> {
            find_all_in(s, Region::Country(id))
                .into_iter()
                .map(|h| h.e164)
                .collect()
        };
        assert_eq!(f("087 330 1201", Id::IE), ["+353873301201"]);
        assert_eq!(f("Tel: 01 809 3000", Id::IE), ["+35318093000"]);
        assert_eq!(f("(555) 010-2233", Id::US), ["+15550102233"]);
        assert_eq!(f("661-555-9001", Id::US), ["+16615559001"]);
        assert_eq!(f("cell 310.555.0108", Id::US), ["+13105550108"]);
        assert!(f("52.229.6760", Id::US).is_empty());
        assert_eq!(f("07700 900123", Id::GB), ["+447700900123"]);
        assert_eq!(f("+48 601 234 567", Id::US), ["+48601234567"]);
        assert!(f("CA 90272", Id::US).is_empty());
        assert!(f("1, 2, 3", Id::US).is_empty());
        assert_eq!(Region::from_code("pl"), Some(Region::Pl));
        assert_eq!(Region::from_code("IE"), Some(Region::Country(Id::IE)));
        assert_eq!(Region::from_code("XX"), None);
    }

    #[test]
    fn phone_cells() {
        assert_eq!(phone_only("[224391719").as_deref(), Some("+48224391719"));
        assert_eq!(
            phone_only("tel. 601 234 567").as_deref(),
            Some("+48601234567")
        );
        assert_eq!(phone_only("Anna 601 234 567"), None);
        assert_eq!(phone_only("22439 17 19").as_deref(), Some("+48224391719"));
        assert_eq!(phone_only("05-520"), None);
    }
}
