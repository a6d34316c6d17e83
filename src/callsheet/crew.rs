//! Per-person calls: a crew list whose header names a person column and a
//! call column ("DEPT | ROLE | NAME | CALL | CONTACT", "Pion | Funkcja |
//! Imię i nazwisko | Godz."). Each row under it is one person's own call
//! (CONTRACT §1 `crew_calls`); these rows are never department calls.

use super::sheet::{em, gap, Row};
use super::text::{squash, trim_punct};
use super::times;
use crate::model::CrewCall;

const NAME: &[&str] = &[
    "name",
    "imie i nazwisko",
    "nazwisko",
    "osoba",
    "crew member",
    "crew",
];
const CALL: &[&str] = &[
    "call",
    "call time",
    "godz.",
    "godz",
    "godzina",
    "zbiorka",
    "wezwanie",
    "in",
];
const ROLE: &[&str] = &["role", "position", "title", "funkcja", "stanowisko", "job"];
const DEPT: &[&str] = &["dept", "dept.", "department", "pion", "dzial"];

/// Column positions of a crew list's header row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    row: usize,
    name: usize,
    call: usize,
    role: Option<usize>,
    dept: Option<usize>,
}

fn is(f: &str, words: &[&str]) -> bool {
    let t = trim_punct(f.trim()).trim_end_matches(':');
    words.contains(&t)
}

fn header(rows: &[Row], ri: usize) -> Option<Columns> {
    let r = &rows[ri];
    if r.cells.len() < 2 {
        return None;
    }
    let find = |w: &[&str]| r.folded.iter().position(|f| is(f, w));
    let name = find(NAME)?;
    let call = find(CALL)?;
    // A cast list ("NAME | CHARACTER | CALL") is the cast's, not the crew's.
    let cast = r
        .folded
        .iter()
        .any(|f| is(f, &["character", "rola", "postac", "role / character"]));
    (!cast && name != call).then(|| Columns {
        row: ri,
        name,
        call,
        role: find(ROLE),
        dept: find(DEPT),
    })
}

/// The cell of `row` under header cell `hi` of `head`.
fn under<'a>(row: &'a Row, head: &Row, hi: usize) -> Option<usize> {
    let h = &head.cells[hi];
    row.cells
        .iter()
        .enumerate()
        .filter(|(_, c)| gap(c, h) <= em(h) * 1.5)
        .min_by(|(_, a), (_, b)| {
            let d = |c: &crate::layout::Cell| ((c.x0 + c.x1) / 2.0 - (h.x0 + h.x1) / 2.0).abs();
            d(a).total_cmp(&d(b))
        })
        .map(|(i, _)| i)
}

/// Every crew list of the rows, and the rows that belong to them.
pub fn read(rows: &[Row]) -> (Vec<CrewCall>, Vec<usize>) {
    let mut out = Vec::new();
    let mut taken = Vec::new();
    let mut ri = 0;
    while ri < rows.len() {
        let Some(cols) = header(rows, ri) else {
            ri += 1;
            continue;
        };
        let head = &rows[cols.row];
        taken.push(ri);
        ri += 1;
        while ri < rows.len() {
            let r = &rows[ri];
            if r.page != head.page && ri > cols.row + 1 && header(rows, ri).is_some() {
                break;
            }
            if r.is_heading() || r.section().is_some() || header(rows, ri).is_some() {
                break;
            }
            let cell = |hi: Option<usize>| {
                hi.and_then(|h| under(r, head, h))
                    .map(|i| squash(trim_punct(&r.cells[i].text)))
                    .filter(|t| !t.is_empty())
            };
            let call = under(r, head, cols.call).and_then(|i| times::value_only(&r.folded[i]));
            let name = cell(Some(cols.name));
            // "Crew | everyone | 7:00": not a person's row.
            let name = name.filter(|n| n.starts_with(char::is_uppercase));
            match (name, call) {
                (Some(name), Some(call)) => {
                    taken.push(ri);
                    out.push(CrewCall {
                        name,
                        role: cell(cols.role),
                        department: cell(cols.dept),
                        call: call.to_string(),
                    });
                }
                // A row for everyone ("Crew | everyone | 7:00") stays in the
                // list but is nobody's own call.
                (None, Some(_)) => {}
                // A wrapped line of the row above (a long role or a phone).
                _ if r.cells.len() <= 2 && out.last().is_some() => taken.push(ri),
                _ => break,
            }
            ri += 1;
        }
    }
    (out, taken)
}
