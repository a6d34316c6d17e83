//! Reading rules that people's corrections taught.
//!
//! A production office uses one layout for months, so a field the reader
//! misses on one sheet it misses on every sheet. When a person corrects a
//! field and the corrected value is printed on the sheet, [`learn`] records
//! where: the label near it (folded text), in which direction the value lies
//! from the label (in the same cell after it, in the next cell to the right,
//! or under it) and the page region. The rule belongs to the sender and the
//! layout's [`fingerprint`] (a hash of the sheet's fixed labels). The next
//! sheet from that sender with that fingerprint is read with the rules
//! first: [`apply`] runs after the reader and its values win, a person having
//! stated them.
//!
//! Pure: the rules live in the store (`Store::layout_rules_for`); the parser
//! worker hands this sender's rules to `parse` in `ParseOptions::learned`.

use crate::correction::{normalise_time, Edit, Target};
use crate::layout::{Cell, TextDoc};
use crate::model::ShootDay;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where the value lies from its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `Stawiennictwo: 7:15` — in the label's own cell, after it.
    SameCell,
    /// The next cell on the label's line.
    Right,
    /// The first cell under the label that overlaps it.
    Below,
}

/// One learned rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Short and stable: a hash of sender, fingerprint and field.
    pub id: String,
    /// The `From:` address the sheets come from.
    pub sender: String,
    pub fingerprint: String,
    /// The `correct` field name (`call_time`, `location.address`, …).
    pub field: String,
    /// The label's folded text (`stawiennictwo`).
    pub label: String,
    pub direction: Direction,
    /// Page index (0 = first).
    pub page: usize,
    /// The label's region on the page: column and row of a 3 × 3 grid.
    pub region: (u8, u8),
    /// The message whose correction taught it, and when (ISO 8601).
    pub message_id: String,
    pub learned_at: String,
}

/// The fields a rule can be learned for (dates and lists are read by shape,
/// not by label).
pub fn learnable(t: &Target) -> bool {
    matches!(
        t,
        Target::CallTime
            | Target::WrapTime
            | Target::DepartmentCall(_)
            | Target::LocationAddress
            | Target::LocationName
            | Target::BaseAddress
            | Target::BaseName
    )
}

fn is_time_field(t: &Target) -> bool {
    matches!(
        t,
        Target::CallTime | Target::WrapTime | Target::DepartmentCall(_)
    )
}

/// Folded text with, for each folded char, the index of the printed char it
/// came from (so a value found in folded text is cut from the printed one).
fn fold_map(s: &str) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut map = Vec::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_whitespace() {
            out.push(' ');
            map.push(i);
            continue;
        }
        for f in crate::mail::fold(&c.to_string()).chars() {
            out.push(f);
            map.push(i);
        }
    }
    (out, map)
}

fn fold(s: &str) -> String {
    fold_map(s).0
}

/// A label's text as kept: folded, without the trailing colon and spaces.
fn clean_label(s: &str) -> String {
    fold(s)
        .trim()
        .trim_end_matches([':', '-', '–', '.'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A label is words, not data.
fn is_label(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= 40 && !t.chars().any(|c| c.is_ascii_digit())
}

/// The layout's fingerprint: a hash of the labels the sheet prints whatever
/// the day (text before a colon, bold cells without digits), so two sheets of
/// one template share it and a different template does not.
pub fn fingerprint(doc: &TextDoc) -> String {
    let mut labels = std::collections::BTreeSet::new();
    for page in doc.pages.iter().take(1) {
        for line in &page.lines {
            for c in &line.cells {
                if let Some((before, _)) = c.text.split_once(':') {
                    if is_label(before) {
                        labels.insert(clean_label(before));
                    }
                } else if c.bold && is_label(&c.text) {
                    labels.insert(clean_label(&c.text));
                }
            }
        }
    }
    let mut h = Sha256::new();
    for l in &labels {
        h.update(l.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// Where a cell sits.
struct Spot<'a> {
    page: usize,
    line: usize,
    cell: usize,
    c: &'a Cell,
}

fn spots(doc: &TextDoc) -> Vec<Spot<'_>> {
    let mut out = Vec::new();
    for (p, page) in doc.pages.iter().enumerate() {
        for (l, line) in page.lines.iter().enumerate() {
            for (i, c) in line.cells.iter().enumerate() {
                out.push(Spot {
                    page: p,
                    line: l,
                    cell: i,
                    c,
                });
            }
        }
    }
    out
}

fn region(doc: &TextDoc, s: &Spot<'_>) -> (u8, u8) {
    let page = &doc.pages[s.page];
    let y = page.lines[s.line].y;
    let third = |v: f32, of: f32| {
        if of <= 0.0 {
            0
        } else {
            ((v / of) * 3.0).clamp(0.0, 2.0) as u8
        }
    };
    (third(s.c.x0, page.width), third(y, page.height))
}

/// Every time printed in a text, normalised, with its folded start offset.
fn times_in(text: &str) -> Vec<(usize, String)> {
    let re = regex::Regex::new(r"(?:^|[^\d])(\d{1,2})[:.h](\d{2})(?:$|[^\d])").ok();
    let Some(re) = re else { return vec![] };
    re.captures_iter(text)
        .filter_map(|c| {
            let m = c.get(1)?;
            let t = normalise_time(&format!("{}:{}", &c[1], &c[2]))?;
            Some((m.start(), t))
        })
        .collect()
}

/// The cell under `s` on a following line of the same page that overlaps it.
fn below<'a>(doc: &'a TextDoc, s: &Spot<'_>) -> Option<(usize, &'a Cell)> {
    let page = &doc.pages[s.page];
    page.lines
        .iter()
        .enumerate()
        .skip(s.line + 1)
        .take(3)
        .find_map(|(l, line)| {
            line.cells
                .iter()
                .find(|c| c.x0 < s.c.x1 && c.x1 > s.c.x0)
                .map(|c| (l, c))
        })
}

/// Where `value` (as a person stated it) is printed, and its label: what a
/// rule for `target` should say. `None` when it is not printed, or not near
/// anything that reads as a label.
pub fn learn(
    doc: &TextDoc,
    target: &Target,
    value: &str,
) -> Option<(String, Direction, usize, (u8, u8))> {
    if !learnable(target) {
        return None;
    }
    let want = fold(value);
    let all = spots(doc);
    for s in &all {
        let (folded, _) = fold_map(&s.c.text);
        // Where the value starts in this cell's folded text.
        let at = if is_time_field(target) {
            times_in(&folded)
                .into_iter()
                .find(|(_, t)| *t == value)
                .map(|(i, _)| i)
        } else {
            folded.find(&want)
        };
        let Some(at) = at else { continue };
        let before = &folded[..at];
        let r = region(doc, s);
        if is_label(before) && !clean_label(before).is_empty() {
            return Some((clean_label(before), Direction::SameCell, s.page, r));
        }
        if !before.trim().is_empty() {
            continue;
        }
        let line = &doc.pages[s.page].lines[s.line];
        if s.cell > 0 {
            let left = &line.cells[s.cell - 1];
            if is_label(&left.text) {
                let l = Spot {
                    c: left,
                    cell: s.cell - 1,
                    ..*s
                };
                return Some((
                    clean_label(&left.text),
                    Direction::Right,
                    s.page,
                    region(doc, &l),
                ));
            }
        }
        // A label above: the nearest earlier line with a cell over this one.
        let page = &doc.pages[s.page];
        let above = (0..s.line).rev().take(3).find_map(|l| {
            page.lines[l]
                .cells
                .iter()
                .enumerate()
                .find(|(_, c)| c.x0 < s.c.x1 && c.x1 > s.c.x0)
                .map(|(i, c)| (l, i, c))
        });
        if let Some((l, i, c)) = above {
            if is_label(&c.text) {
                let spot = Spot {
                    page: s.page,
                    line: l,
                    cell: i,
                    c,
                };
                return Some((
                    clean_label(&c.text),
                    Direction::Below,
                    s.page,
                    region(doc, &spot),
                ));
            }
        }
    }
    None
}

/// The value a rule points at in this document, as text to set.
fn read_rule(doc: &TextDoc, rule: &Rule, target: &Target) -> Option<String> {
    let all = spots(doc);
    let mut found: Vec<(bool, String)> = Vec::new();
    for s in all.iter().filter(|s| s.page == rule.page) {
        let (folded, map) = fold_map(&s.c.text);
        let raw: Vec<char> = s.c.text.chars().collect();
        let text = match rule.direction {
            Direction::SameCell => {
                let Some(at) = folded.find(&rule.label) else {
                    continue;
                };
                if !is_label(&folded[..at]) && !folded[..at].trim().is_empty() {
                    continue;
                }
                let end = at + rule.label.len();
                let from = folded[..end].chars().count();
                let start = map.get(from).copied().unwrap_or(raw.len());
                raw[start..].iter().collect::<String>()
            }
            Direction::Right | Direction::Below => {
                if clean_label(&s.c.text) != rule.label {
                    continue;
                }
                let line = &doc.pages[s.page].lines[s.line];
                let next = match rule.direction {
                    Direction::Right => line.cells.get(s.cell + 1),
                    _ => below(doc, s).map(|(_, c)| c),
                };
                let Some(next) = next else { continue };
                next.text.clone()
            }
        };
        let value = if is_time_field(target) {
            times_in(&fold(&text)).into_iter().next().map(|(_, t)| t)
        } else {
            let v = text.trim().trim_start_matches([':', '-', '–']).trim();
            (!v.is_empty()).then(|| v.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        if let Some(v) = value {
            found.push((region(doc, s) == rule.region, v));
        }
    }
    // The label where it was learned first; elsewhere on the page after.
    found.sort_by_key(|(same, _)| !*same);
    found.into_iter().next().map(|(_, v)| v)
}

/// Reads the fields the rules know from a document whose layout they were
/// learned on, over what the reader found. Only for a sheet of one shooting
/// day: a weekly schedule's cells belong to different days.
pub fn apply(doc: &TextDoc, rules: &[Rule], days: &mut [ShootDay]) {
    if rules.is_empty() || days.len() != 1 {
        return;
    }
    let fp = fingerprint(doc);
    for rule in rules.iter().filter(|r| r.fingerprint == fp) {
        let Ok(target) = Target::from_name(&rule.field) else {
            continue;
        };
        let Some(value) = read_rule(doc, rule, &target) else {
            continue;
        };
        let Ok(e) = Edit::parse(&format!("{}={value}", rule.field)) else {
            continue;
        };
        let day = &mut days[0];
        if e.target.get(day) != e.value {
            day.warnings.push(format!(
                "{} read as {} by the rule learned from a correction (layout {fp}, rule {})",
                rule.field, e.value, rule.id
            ));
        }
        e.apply(day);
    }
}

/// A new rule from a correction (see [`learn`]); `None` when the value is
/// not printed on the sheet.
pub fn rule_from(
    doc: &TextDoc,
    sender: &str,
    target: &Target,
    value: &str,
    message_id: &str,
) -> Option<Rule> {
    let (label, direction, page, region) = learn(doc, target, value)?;
    let fingerprint = fingerprint(doc);
    let field = target.name();
    let mut h = Sha256::new();
    h.update(format!("{}\0{fingerprint}\0{field}", sender.to_lowercase()).as_bytes());
    Some(Rule {
        id: hex::encode(&h.finalize()[..4]),
        sender: sender.to_lowercase(),
        fingerprint,
        field,
        label,
        direction,
        page,
        region,
        message_id: message_id.to_string(),
        learned_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
