//! Contacts: role, name and an E.164 phone.
//!
//! Read from the contacts section (any phone in its rows, the other cells
//! giving role and name), and elsewhere only from cells that are nothing but
//! a phone number (a header's "Director: Anna Nowak" / "601 234 567"). Phones
//! inside a place (hospital, parking, office) or next to an emergency word
//! are not crew contacts.

use super::phones::{self, Region};
use super::sheet::{gap, Row};
use super::text::{fold, longest_prefix, squash, trim_punct};
use super::vocab::{Section, EMERGENCY_WORDS, ROLES};
use crate::model::Contact;
use std::collections::HashSet;

fn role_table() -> Vec<(&'static str, ())> {
    ROLES.iter().map(|r| (*r, ())).collect()
}

/// Splits "Reżyser Anna Nowak" / "Director: Anna Nowak" into role and name.
fn role_and_name(text: &str) -> (Option<String>, Option<String>) {
    let text = trim_punct(text);
    if text.is_empty() {
        return (None, None);
    }
    if let Some((r, n)) = text.split_once(':') {
        let (r, n) = (trim_punct(r), trim_punct(n));
        return (
            (!r.is_empty()).then(|| squash(r)),
            (!n.is_empty()).then(|| squash(n)),
        );
    }
    let f = fold(text);
    if let Some(((), len)) = longest_prefix(&f, &role_table()) {
        let chars = f[..len].chars().count();
        let split = text
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i);
        let (r, n) = text.split_at(split);
        let n = trim_punct(n);
        return (Some(squash(r)), (!n.is_empty()).then(|| squash(n)));
    }
    (None, Some(squash(text)))
}

fn emergency(f: &str) -> bool {
    EMERGENCY_WORDS.iter().any(|w| super::text::has_word(f, w))
}

/// The digits on the line after cell `ci` of row `ri`, when they are all that
/// line holds, sit under the cell and the cell ends with digits: the tail of
/// a phone number that did not fit the column.
fn wrapped_digits(rows: &[Row], ri: usize, ci: usize) -> Option<String> {
    let cell = rows.get(ri)?.cells.get(ci)?;
    // The cell under this one on the next line of its column: lines of
    // other columns may come between (a box of times beside the contacts).
    let only = column_neighbour(rows, ri, ci, (ri + 1..rows.len()).take(3))?;
    let t = only.text.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let ok = (1..=6).contains(&digits)
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        && cell.text.trim_end().ends_with(|c: char| c.is_ascii_digit());
    ok.then(|| t.to_string())
}

/// The first cell above or below cell `ci` of row `ri` in its column, among
/// `rows_to_try` (nearest first), on the same page and within two lines.
fn column_neighbour<'r>(
    rows: &'r [Row],
    ri: usize,
    ci: usize,
    rows_to_try: impl Iterator<Item = usize>,
) -> Option<&'r crate::layout::Cell> {
    let row = rows.get(ri)?;
    let cell = row.cells.get(ci)?;
    for k in rows_to_try {
        let other = rows.get(k)?;
        if other.page != row.page || (other.y - row.y).abs() > 2.5 * row.spacing.max(1.0) {
            return None;
        }
        if let Some(c) = other.cells.iter().find(|c| gap(c, cell) == 0.0) {
            return Some(c);
        }
    }
    None
}

/// A known role printed alone on the line above a person's name in the same
/// column ("Kierownik produkcji:" / "Agnieszka Pawlak 503 428 551").
fn role_above(rows: &[Row], ri: usize, ci: usize) -> Option<String> {
    let c = column_neighbour(rows, ri, ci, (ri.saturating_sub(3)..ri).rev())?;
    let t = trim_punct(&c.text);
    let f = fold(t);
    ROLES.iter().any(|k| f == *k).then(|| squash(t))
}

/// Contacts of the whole sheet, first mention of each phone kept.
pub fn read(rows: &[Row], claimed: &HashSet<(usize, usize)>, region: Region) -> Vec<Contact> {
    // The contacts table first: its role and name columns are the most
    // reliable reading of a number also printed elsewhere.
    let mut table: Vec<Contact> = Vec::new();
    let mut elsewhere: Vec<Contact> = Vec::new();
    let mut in_contacts = false;
    for (ri, row) in rows.iter().enumerate() {
        match row.section() {
            Some(Section::Contacts) => in_contacts = true,
            Some(_) if row.is_heading() => in_contacts = false,
            _ if row.is_issued() => in_contacts = false,
            _ => {}
        }
        for (ci, cell) in row.cells.iter().enumerate() {
            if emergency(&row.folded[ci]) {
                continue;
            }
            // A place's own lines (its address, its parking, a hospital's
            // number) are not contacts, but a person named there with a
            // role is: "Contact: Niamh Byrne (Dublin City Council) - 087 …"
            // under a location.
            let in_place = claimed.contains(&(ri, ci));
            // A number printed alone under an address is that place's (a
            // hospital's, an office's), not a person's.
            let under_address = || {
                !in_contacts
                    && column_neighbour(rows, ri, ci, (ri.saturating_sub(2)..ri).rev()).is_some_and(
                        |c| {
                            super::postcodes::address_end(&c.text).is_some()
                                || super::postcodes::pl_from(&c.text, 0).is_some()
                        },
                    )
            };
            if let Some(phone) = phones::phone_only_in(&cell.text, region).filter(|_| !in_place) {
                if under_address() {
                    continue;
                }
                // In the table, role and name are the cells to the left;
                // elsewhere (a header box) the text printed above it.
                let left: Vec<&str> = row.cells[..ci]
                    .iter()
                    .enumerate()
                    .filter(|(j, c)| {
                        phones::phone_only_in(&c.text, region).is_none()
                            && !claimed.contains(&(ri, *j))
                    })
                    .map(|(_, c)| c.text.as_str())
                    .collect();
                let (role, name) = match (in_contacts, left.as_slice()) {
                    (false, _) | (true, []) => above(rows, ri, ci, region),
                    (true, [one]) => role_and_name(one),
                    (true, [.., r, n]) => (Some(squash(r)), Some(squash(n))),
                };
                let c = Contact {
                    role,
                    name,
                    phone: Some(phone),
                };
                if in_contacts {
                    table.push(c)
                } else {
                    elsewhere.push(c)
                }
                continue;
            }
            // A number wrapped onto the next line ("+48 577 401" / "180").
            let text = match wrapped_digits(rows, ri, ci) {
                Some(more) => format!("{} {more}", cell.text),
                None => cell.text.clone(),
            };
            if !in_contacts || in_place {
                // Outside the contacts table only a person with a role
                // counts: "Role: Name, tel. …" with a known role, or a
                // person's name with their role ("Ricky Kim (Safety) 661…",
                // "Unit medic: Ciara Doyle 086…"), never a hospital's,
                // a service's or an office's number.
                for hit in phones::find_all_in(&text, region) {
                    let before = last_clause(&text[..hit.start]);
                    let (mut role, name) =
                        person_before(before).unwrap_or_else(|| role_and_name(before));
                    if role.is_none() && name.as_deref().is_some_and(looks_like_person) {
                        role = role_above(rows, ri, ci);
                    }
                    let known = role.as_deref().is_some_and(|r| {
                        let f = fold(r);
                        ROLES.iter().any(|k| f.trim() == *k)
                    }) || (role.is_some()
                        && name.as_deref().is_some_and(looks_like_person)
                        && !service(&fold(before)));
                    if known {
                        let name = name.map(|n| strip_phone_word(&n));
                        elsewhere.push(Contact {
                            role,
                            name,
                            phone: Some(hit.e164),
                        });
                    }
                }
                continue;
            }
            // A flattened row: "Reżyser Anna Nowak 601 234 567".
            for hit in phones::find_all_in(&text, region) {
                let before = &text[..hit.start];
                let (role, name) = if trim_punct(before).is_empty() {
                    let others: Vec<&str> =
                        row.cells[..ci].iter().map(|c| c.text.as_str()).collect();
                    role_and_name(&others.join(" "))
                } else {
                    role_and_name(before)
                };
                table.push(Contact {
                    role,
                    name: name.map(|n| strip_phone_word(&n)),
                    phone: Some(hit.e164),
                });
            }
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    table
        .into_iter()
        .chain(elsewhere)
        .filter(|c| c.phone.as_ref().is_some_and(|p| seen.insert(p.clone())))
        .collect()
}

/// The clause of `text` that ends where a phone starts: "Baza: …, 00-724
/// Warszawa. Kierownik planu: Paweł Kozłowski, tel. " → "Kierownik planu:
/// Paweł Kozłowski, tel. ".
fn last_clause(text: &str) -> &str {
    let sentence_end = text
        .match_indices(". ")
        .filter(|(i, _)| {
            // "Warszawa. Kierownik", not "tel. 601" or "ul. Hoża".
            let word = text[..*i]
                .rsplit(|c: char| !c.is_alphabetic())
                .next()
                .unwrap_or("");
            word.chars().count() > 3 && text[i + 2..].starts_with(char::is_uppercase)
        })
        .map(|(i, _)| i + 2)
        .last();
    let cut = ["; ", " | ", "\n", " · "]
        .iter()
        .filter_map(|b| text.rfind(b).map(|i| i + b.len()))
        .chain(sentence_end)
        .max()
        .unwrap_or(0);
    &text[cut..]
}

/// "Ricky Kim (Safety) " / "Niamh Byrne (Dublin City Council) - ": a
/// person's name and, in brackets, their role or organisation.
fn person_before(text: &str) -> Option<(Option<String>, Option<String>)> {
    let t = trim_punct(text)
        .trim_end_matches(['-', '–', '—', ','])
        .trim();
    let open = t.rfind('(')?;
    if !t.ends_with(')') {
        return None;
    }
    let inside = t[open + 1..t.len() - 1].trim();
    let head = t[..open].trim();
    // "Contact: Niamh Byrne": the role before a colon wins over the bracket.
    let (role, name) = match head.rsplit_once(':') {
        Some((r, n)) => (trim_punct(r).to_string(), trim_punct(n).to_string()),
        None => (inside.to_string(), head.to_string()),
    };
    looks_like_person(&name).then(|| (Some(squash(&role)), Some(squash(&name))))
}

/// Two to four capitalised words: a person's name ("Ciara Doyle"), not a
/// service ("Emergency services").
fn looks_like_person(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.starts_with(|c: char| c.is_uppercase())
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.'))
        })
}

/// Words of services and places whose numbers are not crew contacts.
fn service(folded: &str) -> bool {
    const SERVICES: &[&str] = &[
        "hospital",
        "szpital",
        "police",
        "policja",
        "garda",
        "fire",
        "straz",
        "ambulance",
        "coast guard",
        "emergency services",
        "taxi",
        "hotel",
        "restaurant",
        "pharmacy",
        "apteka",
        "clinic",
        "przychodnia",
        "sor",
        "a&e",
        "er",
    ];
    SERVICES.iter().any(|w| super::text::has_word(folded, w))
}

/// Phones on the sheet that are neither one of `contacts` nor plainly
/// someone else's: not in a place's text (hospital, parking, office), not
/// next to an emergency or service word, not in the cast's section.
pub fn stray(
    rows: &[Row],
    claimed: &HashSet<(usize, usize)>,
    region: Region,
    contacts: &[Contact],
) -> usize {
    let mut n = 0;
    let mut in_cast = false;
    for (ri, row) in rows.iter().enumerate() {
        match row.section() {
            Some(Section::Cast) => in_cast = true,
            Some(_) => in_cast = false,
            None if row.is_heading() => in_cast = false,
            None => {}
        }
        let row_text = row.folded_text();
        if in_cast || emergency(&row_text) || service(&row_text) {
            continue;
        }
        for (ci, cell) in row.cells.iter().enumerate() {
            if claimed.contains(&(ri, ci)) {
                continue;
            }
            for hit in phones::find_all_in(&cell.text, region) {
                if !contacts
                    .iter()
                    .any(|c| c.phone.as_deref() == Some(hit.e164.as_str()))
                {
                    n += 1;
                }
            }
        }
    }
    n
}

/// "Anna Nowak, tel." → "Anna Nowak".
fn strip_phone_word(n: &str) -> String {
    let mut t = trim_punct(n).to_string();
    for w in [
        "tel.", "tel:", "tel", "kom.", "kom", "mob.", "mob", "phone:", "phone", "t.",
    ] {
        let cut = t.len().saturating_sub(w.len());
        if cut > 0 && t.is_char_boundary(cut) && t[cut..].eq_ignore_ascii_case(w) {
            t.truncate(cut);
            break;
        }
    }
    trim_punct(&t).to_string()
}

/// Role and name printed just above a phone-only cell.
fn above(rows: &[Row], ri: usize, ci: usize, region: Region) -> (Option<String>, Option<String>) {
    let cell = &rows[ri].cells[ci];
    let mut parts: Vec<String> = Vec::new();
    for k in (ri.saturating_sub(2)..ri).rev() {
        let Some(c) = rows[k]
            .cells
            .iter()
            .find(|c| gap(c, cell) <= 0.0 && (c.x0 - cell.x0).abs() < 20.0)
        else {
            break;
        };
        if phones::phone_only_in(&c.text, region).is_some() {
            break;
        }
        parts.insert(0, c.text.clone());
        if c.text.contains(':') {
            break;
        }
    }
    role_and_name(&parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(
            role_and_name("Reżyser Anna Nowak"),
            (Some("Reżyser".into()), Some("Anna Nowak".into()))
        );
        assert_eq!(
            role_and_name("Director: Ewa Sęk"),
            (Some("Director".into()), Some("Ewa Sęk".into()))
        );
        assert_eq!(
            role_and_name("Kierownik produkcji Piotr Gołębiowski")
                .0
                .as_deref(),
            Some("Kierownik produkcji")
        );
    }

    #[test]
    fn inline_role_phones_outside_the_table() {
        let row = Row::new(
            0,
            10.0,
            vec![crate::layout::Cell {
                x0: 0.0,
                x1: 300.0,
                size: 10.0,
                bold: false,
                text: "Reżyser: Anna Nowak, tel. 601 234 567".into(),
            }],
            12.0,
            0.0,
        );
        let office = Row::new(
            0,
            22.0,
            vec![crate::layout::Cell {
                x0: 0.0,
                x1: 300.0,
                size: 10.0,
                bold: false,
                text: "Biuro produkcji: ul. Puławska 61, tel. 22 123 45 67".into(),
            }],
            12.0,
            0.0,
        );
        let c = read(&[row, office], &HashSet::new(), Region::Pl);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].phone.as_deref(), Some("+48601234567"));
        assert_eq!(c[0].role.as_deref(), Some("Reżyser"));
        assert_eq!(c[0].name.as_deref(), Some("Anna Nowak"));
        assert_eq!(strip_phone_word("Jan Kowalski"), "Jan Kowalski");
    }
}
