//! Scene numbers and interior/exterior per scene.
//!
//! A scene table is found by its header row (a scene-number column such as
//! `Sc.`/`Scene` next to another scene column such as `INT/EXT`, `Obiekt`,
//! `Set`); its rows are the lines whose cell under the scene column starts
//! with a scene number (`45`, `47A`, `12B/13`). Description lines wrapped
//! under a row, group rows ("LOKACJA 1: …") and totals are skipped. Without a
//! table, an inline list (`Sceny: 38, 39, 40`, `Sc. 44, 47`) is read.
//! Page numbers, times and cast numbers are never scenes because they are not
//! under the scene column.

use super::sheet::{em, gap, nearest, Row};
use super::text::{longest_prefix, trim_punct};
use super::vocab::{
    Section, PLACE_LABELS, SCENE_COLUMN, SCENE_TABLE_COLUMNS, SCENE_TOTALS, SET_BOTH, SET_EXT,
    SET_INT,
};
use crate::model::SetType;
use regex::Regex;
use std::sync::LazyLock;

static SCENE_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"^(?:sc\.?\s*|scena\s+|scene\s+)?([a-z]?\d{1,4}[a-z]{0,2}(?:\s?[/+]\s?[a-z]?\d{1,4}[a-z]{0,2})*)(?:$|[\s.,;:|)])",
    )
});
static INLINE_LIST: LazyLock<Regex> = LazyLock::new(|| {
    super::text::static_regex(
        r"(?:^|[·|;(—]\s*|\s{2})(?:(?:nr|no|numery|numbers?)\.?\s+(?:of\s+)?)?(?:sceny|scena|scen|scenes|scene|sc\.?)\s*(?:nr\.?|no\.?|#)?\s*:?\s*((?:[a-z]?\d{1,4}[a-z]{0,2}(?:/\d{1,4}[a-z]?)?(?:\s*(?:,|&|and|i|\+)\s*|\s*$|\s+))+)",
    )
});

/// A scene number at the start of folded `s`, as printed (upper-cased).
pub fn scene_at_start(s: &str) -> Option<(String, usize)> {
    let c = SCENE_TOKEN.captures(s.trim_start())?;
    let m = c.get(1)?;
    let lead = s.len() - s.trim_start().len();
    // `7:30`, `7.30`: a time, not a scene.
    let after = &s.trim_start()[m.end()..];
    if after.starts_with([':', '.']) && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((m.as_str().replace(' ', "").to_uppercase(), lead + m.end()))
}

/// Interior/exterior from a word or cell (`INT`, `EXT.`, `I/E`, `WNĘTRZE`,
/// `PLENER`), folded input.
pub fn set_type_of(word: &str) -> Option<SetType> {
    let w = word.trim().trim_end_matches([',', ';', ':']);
    if SET_BOTH.contains(&w) {
        Some(SetType::IntExt)
    } else if SET_INT.contains(&w) {
        Some(SetType::Int)
    } else if SET_EXT.contains(&w) {
        Some(SetType::Ext)
    } else {
        None
    }
}

/// The set type at the start of a description ("INT. KITCHEN — DAY").
fn set_type_prefix(s: &str) -> Option<SetType> {
    let first = s.split_whitespace().next()?;
    let first = first.trim_end_matches(['.', ',', '-', '—']);
    let with_dot = format!("{first}.");
    set_type_of(first).or_else(|| set_type_of(&with_dot))
}

fn is_scene_column(f: &str) -> bool {
    let t = f.trim().trim_end_matches(':');
    SCENE_COLUMN.contains(&t) || SCENE_COLUMN.contains(&t.trim_end_matches('.'))
}

fn is_table_column(f: &str) -> bool {
    let t = f.trim().trim_end_matches(':');
    SCENE_TABLE_COLUMNS.contains(&t) || SET_BOTH.contains(&t)
}

struct Header {
    row: usize,
    scene_cell: usize,
    set_cell: Option<usize>,
}

fn header_of(rows: &[Row], ri: usize) -> Option<Header> {
    let row = &rows[ri];
    if row.cells.len() >= 2 {
        let scene_cell = row.folded.iter().position(|f| is_scene_column(f))?;
        let others = row
            .folded
            .iter()
            .enumerate()
            .filter(|(i, f)| *i != scene_cell && is_table_column(f))
            .count();
        if others == 0 {
            return None;
        }
        let set_cell = row.folded.iter().position(|f| {
            let t = f.trim();
            SET_BOTH.contains(&t)
                || matches!(
                    t,
                    "int/ext" | "int./ext." | "int / ext" | "wn./pl." | "wn/pl"
                )
                || t == "wnetrze/plener"
                || t == "plener/wnetrze"
        });
        return Some(Header {
            row: ri,
            scene_cell,
            set_cell,
        });
    }
    // A flattened header ("Sc. INT/EXT Obiekt Pora Opis"): scene column first.
    let words: Vec<&str> = row.folded[0].split_whitespace().collect();
    if words.len() >= 3
        && is_scene_column(words[0])
        && words[1..].iter().filter(|w| is_table_column(w)).count() >= 2
    {
        return Some(Header {
            row: ri,
            scene_cell: 0,
            set_cell: None,
        });
    }
    None
}

/// Scenes of a block (as printed, first occurrence order) and the day's set
/// type combined from the scenes.
pub fn read(rows: &[Row]) -> (Vec<String>, Option<SetType>) {
    let mut scenes: Vec<String> = Vec::new();
    let mut set: Option<SetType> = None;
    let mut ri = 0;
    let mut found_table = false;
    while ri < rows.len() {
        let Some(h) = header_of(rows, ri) else {
            ri += 1;
            continue;
        };
        found_table = true;
        ri = read_table(rows, &h, &mut scenes, &mut set);
    }
    if !found_table {
        // A heading "SCENY" straight above rows that start with numbers.
        for (i, r) in rows.iter().enumerate() {
            if r.section() == Some(Section::Scenes) && r.is_heading() {
                if let Some(next) = rows.get(i + 1) {
                    let h = Header {
                        row: i,
                        scene_cell: 0,
                        set_cell: None,
                    };
                    let _ = next;
                    let before = scenes.len();
                    read_table(rows, &h, &mut scenes, &mut set);
                    found_table = scenes.len() > before;
                }
            }
        }
    }
    if !found_table {
        for r in rows {
            if r.section() == Some(Section::Safety) || r.section() == Some(Section::Notes) {
                continue;
            }
            // Cells joined with two spaces: a label may sit in one cell and
            // its list in the next (a grid row "Sceny | 12, 13A").
            let joined = r.folded_text();
            {
                let f = &joined;
                // The next list may start right after this one's last
                // number: its separator (two spaces between grid cells,
                // "SC 44 | SC 46 | SC 48") must not be eaten by this one.
                let mut from = 0;
                // Every form of the label holds "sc": without it the
                // pattern is neither compiled nor run.
                while let Some(c) = f
                    .contains("sc")
                    .then(|| INLINE_LIST.captures_at(f, from))
                    .flatten()
                {
                    let Some(list) = c.get(1) else { break };
                    // Never empty: the search moves on.
                    from = list.start() + list.as_str().trim_end().len().max(1);
                    for tok in list
                        .as_str()
                        .split(|c: char| c == ',' || c == '&' || c == '+' || c.is_whitespace())
                    {
                        let tok = trim_punct(tok);
                        if tok.is_empty() || tok == "and" || tok == "i" {
                            continue;
                        }
                        if let Some((s, _)) = scene_at_start(tok) {
                            push_unique(&mut scenes, s);
                        }
                    }
                }
            }
        }
    }
    if set.is_none() {
        set = labelled_set_type(rows);
    }
    if set.is_none() && !scenes.is_empty() {
        set = scene_line_set_types(rows);
    }
    (scenes, set)
}

/// The set types of scene lines in running text ("Sc. 47 — WN. MIESZKANIE",
/// "SC 44 — EXT. AIRFIELD"), for a schedule that lists scenes without a
/// scene table.
fn scene_line_set_types(rows: &[Row]) -> Option<SetType> {
    let mut set = None;
    for f in rows.iter().flat_map(|r| r.folded.iter()) {
        let mut from = 0;
        while let Some(i) = f[from..].find("sc") {
            let at = from + i;
            from = at + 2;
            if at > 0 && f[..at].ends_with(char::is_alphanumeric) {
                continue;
            }
            let Some((_, used)) = scene_at_start(&f[at..]) else {
                continue;
            };
            // Further scene numbers ("Sc. 48, 49 —"), then the set type.
            let rest = f[at + used..].trim_start_matches(|c: char| {
                c.is_ascii_digit() || c.is_whitespace() || matches!(c, ',' | '—' | '–' | '-' | ':')
            });
            if let Some(t) = set_type_prefix(rest) {
                set = Some(SetType::combine(set, t));
            }
        }
    }
    set
}

/// A row labelled with the set type ("INT/EXT | EXT", "Plener/wnętrze:
/// plener") when no scene says it.
fn labelled_set_type(rows: &[Row]) -> Option<SetType> {
    const LABELS: &[&str] = &[
        "int/ext",
        "i/e",
        "wn/pl",
        "wnetrze/plener",
        "plener/wnetrze",
        "set type",
        "typ planu",
    ];
    for r in rows {
        for (i, f) in r.folded.iter().enumerate() {
            let t = f.trim();
            for l in LABELS {
                if let Some(rest) = t.strip_prefix(l) {
                    let rest = trim_punct(rest);
                    let value = if rest.is_empty() {
                        r.folded.get(i + 1).map(|n| n.trim()).unwrap_or("")
                    } else {
                        rest
                    };
                    if let Some(st) = set_type_of(value) {
                        return Some(st);
                    }
                }
            }
        }
    }
    None
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// Reads rows under header `h`; returns the index after the table.
fn read_table(
    rows: &[Row],
    h: &Header,
    scenes: &mut Vec<String>,
    set: &mut Option<SetType>,
) -> usize {
    let head = &rows[h.row];
    let sc_cell = &head.cells[h.scene_cell];
    let mut ri = h.row + 1;
    while ri < rows.len() {
        let row = &rows[ri];
        if row.page != head.page && ri > h.row + 1 && header_of(rows, ri).is_some() {
            return ri;
        }
        let flat = head.cells.len() == 1;
        // In a flattened table an upper-case wrapped line ("SALON") looks
        // like a heading; only a known section ends it there.
        let ends = if flat {
            row.section().is_some()
        } else {
            row.is_heading()
        };
        if ends || (ri > h.row + 1 && header_of(rows, ri).is_some()) {
            return ri;
        }
        let first = row.folded.first().map(String::as_str).unwrap_or("");
        if SCENE_TOTALS
            .iter()
            .any(|t| first.trim_start().starts_with(t))
        {
            ri += 1;
            continue;
        }
        // The cell under the scene column (left edge within a few chars).
        let cand = row
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.x0 <= sc_cell.x1 + em(c) * 2.0 && gap(c, sc_cell) <= em(c) * 3.0)
            .map(|(i, _)| i)
            .next();
        let mut scene = cand.and_then(|i| scene_at_start(&row.folded[i]).map(|s| (i, s)));
        if flat
            && scene
                .as_ref()
                .is_some_and(|(i, (_, used))| !flat_scene_evidence(&row.folded[*i][*used..]))
        {
            scene = None;
        }
        match scene {
            Some((i, (num, used))) => {
                push_unique(scenes, num);
                if let Some(t) = row_set_type(row, head, h, i, used) {
                    *set = Some(SetType::combine(*set, t));
                }
            }
            None if flat => {
                // A scan's flattened table: wrapped descriptions start at the
                // left edge too, so only a new part of the sheet ends it.
                let opens_other = row.section().is_some()
                    || longest_prefix(first.trim_start(), super::vocab::TIME_LABELS).is_some();
                if opens_other {
                    return ri;
                }
            }
            None => {
                let starts_left = row
                    .cells
                    .first()
                    .is_some_and(|c| c.x0 <= sc_cell.x1 + em(c));
                if starts_left && head.cells.len() > 1 {
                    // A line at the left edge that is not a scene: a group
                    // row ("LOKACJA 1: …") continues the table, anything else
                    // (sunrise, meals, calls) ends it.
                    let is_group = longest_prefix(first.trim_start(), PLACE_LABELS).is_some();
                    // A break row ("12:30 - OBIAD", "Company move at
                    // 13:00") inside the table: scenes follow it.
                    let scenes_follow = (ri + 1..rows.len().min(ri + 4)).any(|k| {
                        let r = &rows[k];
                        !r.is_heading()
                            && r.section().is_none()
                            && r.cells.iter().zip(&r.folded).any(|(c, f)| {
                                c.x0 <= sc_cell.x1 + em(c) * 2.0
                                    && gap(c, sc_cell) <= em(c) * 3.0
                                    && scene_at_start(f).is_some()
                                    && r.cells.len() > 2
                            })
                    });
                    if !is_group && !scenes_follow {
                        return ri;
                    }
                } else if starts_left && row.cells.len() == 1 && scene_at_start(first).is_none() {
                    return ri;
                }
            }
        }
        ri += 1;
    }
    ri
}

/// In a flattened row, what follows a leading number must look like a scene
/// (INT/EXT, day/night, or a page count in eighths), not a cast member.
fn flat_scene_evidence(rest: &str) -> bool {
    static EIGHTHS: LazyLock<Regex> = LazyLock::new(|| super::text::static_regex(r"\b[1-7]/8\b"));
    const DAY_NIGHT: &[&str] = &[
        "dzien", "noc", "swit", "zmierzch", "wieczor", "rano", "day", "night", "dawn", "dusk",
        "evening", "morning",
    ];
    let words: Vec<&str> = rest.split_whitespace().take(6).collect();
    words.iter().any(|w| {
        set_type_of(w).is_some()
            || set_type_prefix(w).is_some()
            || DAY_NIGHT.contains(&w.trim_matches(|c: char| !c.is_alphanumeric()))
    }) || (rest.contains("/8") && EIGHTHS.is_match(rest))
}

fn row_set_type(
    row: &Row,
    head: &Row,
    h: &Header,
    scene_cell: usize,
    used: usize,
) -> Option<SetType> {
    if let Some(sc) = h.set_cell {
        let hc = &head.cells[sc];
        if let Some(i) = row
            .cells
            .iter()
            .position(|c| nearest(head, c) == Some(sc) && gap(c, hc) < em(c) * 4.0)
        {
            if let Some(t) = set_type_of(&row.folded[i]) {
                return Some(t);
            }
        }
    }
    for (i, f) in row.folded.iter().enumerate() {
        if i == scene_cell {
            continue;
        }
        if let Some(t) = set_type_of(f) {
            return Some(t);
        }
    }
    // Merged with the scene number ("127A INT") or leading the set name
    // ("INT. KITCHEN").
    let rest = row.folded[scene_cell].get(used..).unwrap_or("");
    set_type_prefix(rest)
        .or_else(|| {
            row.folded
                .get(scene_cell + 1)
                .and_then(|f| set_type_prefix(f))
        })
        .or_else(|| {
            // A flattened row: the set type is one of the first few words.
            (row.cells.len() == 1)
                .then(|| rest.split_whitespace().take(8).find_map(set_type_of))
                .flatten()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_tokens() {
        assert_eq!(scene_at_start("45").map(|s| s.0).as_deref(), Some("45"));
        assert_eq!(scene_at_start("47a").map(|s| s.0).as_deref(), Some("47A"));
        assert_eq!(
            scene_at_start("12b/13 int").map(|s| s.0).as_deref(),
            Some("12B/13")
        );
        assert_eq!(
            scene_at_start("127a int").map(|s| s.0).as_deref(),
            Some("127A")
        );
        assert_eq!(scene_at_start("a12").map(|s| s.0).as_deref(), Some("A12"));
        assert_eq!(scene_at_start("razem"), None);
        assert_eq!(
            scene_at_start("sc. 45 int. kitchen")
                .map(|s| s.0)
                .as_deref(),
            Some("45")
        );
        assert_eq!(scene_at_start("7:30"), None);
        assert_eq!(scene_at_start("1 3/8").map(|s| s.0).as_deref(), Some("1"));
    }

    #[test]
    fn set_types() {
        assert_eq!(set_type_of("int"), Some(SetType::Int));
        assert_eq!(set_type_of("ext."), Some(SetType::Ext));
        assert_eq!(set_type_of("int/ext"), Some(SetType::IntExt));
        assert_eq!(set_type_of("i/e"), Some(SetType::IntExt));
        assert_eq!(set_type_of("plener"), Some(SetType::Ext));
        assert_eq!(set_type_of("wnetrze"), Some(SetType::Int));
        assert_eq!(set_type_of("dzien"), None);
        assert_eq!(set_type_prefix("int. kitchen - day"), Some(SetType::Int));
    }

    #[test]
    fn inline_lists() {
        let c: Vec<String> = INLINE_LIST
            .captures_iter("lokacja x — sceny: 38, 39, 40a, 41  efekty w sc. 24")
            .filter_map(|c| c.get(1).map(|m| m.as_str().trim().to_string()))
            .collect();
        assert_eq!(c, ["38, 39, 40a, 41"]);
        // A row label in the genitive ("Nr scen | 17, 18").
        let c: Vec<String> = INLINE_LIST
            .captures_iter("nr scen  17, 18a")
            .filter_map(|c| c.get(1).map(|m| m.as_str().trim().to_string()))
            .collect();
        assert_eq!(c, ["17, 18a"]);
    }
}
