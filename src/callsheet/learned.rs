//! Reading rules that people's corrections taught.
//!
//! A production office uses one layout for months, so a field the reader
//! misses on one sheet it misses on every sheet. When a person corrects a
//! field and the corrected value is printed on the sheet, [`learn`] records
//! where: the label near it (folded text), in which direction the value lies
//! from the label (in the same cell after it, in the next cell to the right,
//! or under it) and the page region. The rule belongs to the sender and the
//! layout's [`fingerprint`] (a hash of the sheet's fixed labels). The next
//! sheet from that sender in that layout is read with the rules first:
//! [`apply`] runs after the reader and its values win, a person having
//! stated them. "That layout" is the same fingerprint, or labels alike
//! enough ([`SAME_LAYOUT`]): one template's sheets print some values in
//! bold (a set's name, a scene heading) and some rows only on some days (a
//! third contact), which changes the hash but not the template.
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
    /// The sheet's fixed-looking labels ([`layout_labels`]), to know the
    /// layout again when the fingerprint moved. Empty in rules stored
    /// before it was kept: those match their fingerprint only.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// The share of two sheets' labels ([`layout_labels`]) they have in common
/// (shared ÷ all) from which they are one layout. The world families' sheets
/// of one template share 0.69–0.83; a different template a small part.
pub const SAME_LAYOUT: f64 = 0.6;

/// The fields a rule can be learned for (dates and lists are read by shape,
/// not by label).
pub fn learnable(t: &Target) -> bool {
    matches!(
        t,
        Target::CallTime
            | Target::WrapTime
            | Target::ShootDay
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

/// The labels that look fixed: text before a colon, and bold cells in
/// capitals (a heading, a card's label), without digits, with a
/// parenthesis dropped (`Baza (parking marketu)` → `baza`). Bold text in
/// ordinary case is left out: on the sheets studied it is a value (a
/// person's or set's name, the production's title).
pub fn layout_labels(doc: &TextDoc) -> std::collections::BTreeSet<String> {
    let shape = |s: &str| {
        let cut = match s.find('(') {
            Some(i) => &s[..i],
            None => s,
        };
        clean_label(cut)
    };
    let mut labels = std::collections::BTreeSet::new();
    for page in doc.pages.iter().take(1) {
        for line in &page.lines {
            for c in &line.cells {
                let l = if let Some((before, _)) = c.text.split_once(':') {
                    is_label(before).then(|| shape(before))
                } else {
                    let caps = !c.text.chars().any(char::is_lowercase);
                    (c.bold && caps && is_label(&c.text)).then(|| shape(&c.text))
                };
                labels.extend(l.filter(|l| !l.is_empty()));
            }
        }
    }
    labels
}

/// How alike a rule's layout is to a document's: 1 for the same
/// fingerprint, else the share of labels in common (see [`SAME_LAYOUT`]).
fn likeness(rule: &Rule, fp: &str, labels: &std::collections::BTreeSet<String>) -> f64 {
    if rule.fingerprint == fp {
        return 1.0;
    }
    if rule.labels.is_empty() || labels.is_empty() {
        return 0.0;
    }
    let shared = rule.labels.iter().filter(|l| labels.contains(*l)).count();
    let all = rule.labels.len() + labels.len() - shared;
    shared as f64 / all as f64
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

/// A printed time: `7:15`, `07.15`, `7h15`, `0715` (UK and Irish sheets),
/// each with an optional `am`/`pm`/`a`/`p` (US sheets).
static TIME: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)(\d{1,2})[:.h](\d{2})(\s?([ap])\.?m?\.?)?|(\d{2})(\d{2})").ok()
});

/// Every time printed in a text, normalised to 24 hours, with its folded
/// start offset. Four digits count only standing alone (not in a date, a
/// phone number or a longer number).
fn times_in(text: &str) -> Vec<(usize, String)> {
    let Some(re) = TIME.as_ref() else {
        return vec![];
    };
    let before = |i: usize| text[..i].chars().next_back();
    let after = |i: usize| text[i..].chars().next();
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let Some(all) = c.get(0) else { continue };
        let (h, m, end, half) = if let (Some(h), Some(m)) = (c.get(1), c.get(2)) {
            // A suffix run into a word (`7:00 and`) is no suffix.
            let half = c
                .get(3)
                .filter(|s| !after(s.end()).is_some_and(char::is_alphanumeric))
                .and_then(|_| c.get(4))
                .map(|x| x.as_str().to_ascii_lowercase());
            let end = match &half {
                Some(_) => all.end(),
                None => m.end(),
            };
            (h.as_str(), m.as_str(), end, half)
        } else if let (Some(h), Some(m)) = (c.get(5), c.get(6)) {
            let joined =
                |ch: Option<char>| ch.is_some_and(|ch| ch.is_ascii_digit() || "/-.:+".contains(ch));
            if joined(before(all.start())) || joined(after(all.end())) {
                continue;
            }
            (h.as_str(), m.as_str(), all.end(), None)
        } else {
            continue;
        };
        if before(all.start()).is_some_and(|ch| ch.is_ascii_digit())
            || after(end).is_some_and(|ch| ch.is_ascii_digit())
        {
            continue;
        }
        let (Ok(mut hour), Ok(min)) = (h.parse::<u32>(), m.parse::<u32>()) else {
            continue;
        };
        match half.as_deref() {
            Some("p") if (1..12).contains(&hour) => hour += 12,
            Some("a") if hour == 12 => hour = 0,
            Some(_) if !(1..=12).contains(&hour) => continue,
            _ => {}
        }
        if let Some(t) = normalise_time(&format!("{hour}:{min:02}")) {
            out.push((all.start(), t));
        }
    }
    out
}

/// Every whole number printed in a text, with its start offset (a shooting
/// day's number: `14 of 40`, `Dzień 23`, `5/40`); not the parts of a date
/// or a time (`14/04/2026`, `14.04`, `7:15`).
fn numbers_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let token = |c: char| c.is_ascii_digit() || "/.:-".contains(c);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && token(chars[i].1) {
            i += 1;
        }
        let run: String = chars[start..i].iter().map(|(_, c)| c).collect();
        let run = run.trim_end_matches(|c: char| !c.is_ascii_digit());
        let seps = run.chars().filter(|c| !c.is_ascii_digit()).count();
        if run.contains([':', '.']) || seps > 1 {
            continue;
        }
        let n = run.split(['/', '-']).next().unwrap_or_default();
        let n = n.trim_start_matches('0');
        out.push((
            chars[start].0,
            if n.is_empty() { "0" } else { n }.to_string(),
        ));
    }
    out
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

/// What [`learn`] finds: the label, where the value lies from it, the page
/// and the label's region.
pub type Place = (String, Direction, usize, (u8, u8));

/// Where `value` (as a person stated it) is printed, and its label: what a
/// rule for `target` should say. `None` when it is not printed, or not near
/// anything that reads as a label. A value printed in several places (two
/// departments called at one time) is taken where its label names the
/// field: a department's call under that department's name, else, for a
/// department, nowhere; other fields where it is printed first.
pub fn learn(doc: &TextDoc, target: &Target, value: &str) -> Option<Place> {
    if !learnable(target) {
        return None;
    }
    let want = fold(value);
    let found: Vec<Place> = spots(doc)
        .iter()
        .filter_map(|s| labelled(doc, s, target, value, &want))
        .collect();
    match target {
        Target::DepartmentCall(name) => {
            let name = clean_label(name);
            found
                .iter()
                .find(|(label, ..)| label.contains(&name))
                .cloned()
                .or_else(|| (found.len() == 1).then(|| found[0].clone()))
        }
        _ => found.into_iter().next(),
    }
}

/// The label of `value` when the cell at `s` prints it.
fn labelled(
    doc: &TextDoc,
    s: &Spot<'_>,
    target: &Target,
    value: &str,
    want: &str,
) -> Option<Place> {
    let (folded, _) = fold_map(&s.c.text);
    // Where the value starts in this cell's folded text.
    let at = if is_time_field(target) {
        times_in(&folded)
            .into_iter()
            .find(|(_, t)| *t == value)
            .map(|(i, _)| i)
    } else if *target == Target::ShootDay {
        numbers_in(&folded)
            .into_iter()
            .find(|(_, n)| *n == value)
            .map(|(i, _)| i)
    } else {
        folded.find(want)
    }?;
    let before = &folded[..at];
    let r = region(doc, s);
    if is_label(before) && !clean_label(before).is_empty() {
        return Some((clean_label(before), Direction::SameCell, s.page, r));
    }
    if !before.trim().is_empty() {
        return None;
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
    let (l, i, c) = (0..s.line).rev().take(3).find_map(|l| {
        page.lines[l]
            .cells
            .iter()
            .enumerate()
            .find(|(_, c)| c.x0 < s.c.x1 && c.x1 > s.c.x0)
            .map(|(i, c)| (l, i, c))
    })?;
    if !is_label(&c.text) {
        return None;
    }
    let spot = Spot {
        page: s.page,
        line: l,
        cell: i,
        c,
    };
    Some((
        clean_label(&c.text),
        Direction::Below,
        s.page,
        region(doc, &spot),
    ))
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
        } else if *target == Target::ShootDay {
            numbers_in(&text).into_iter().next().map(|(_, n)| n)
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
    let labels = layout_labels(doc);
    // Per field, the rule of the most alike layout (the newest on a tie):
    // a template corrected twice has a rule for each sheet's fingerprint.
    let mut best: std::collections::BTreeMap<&str, (f64, &Rule)> = Default::default();
    for rule in rules {
        let like = likeness(rule, &fp, &labels);
        if like < SAME_LAYOUT {
            continue;
        }
        let better = best
            .get(rule.field.as_str())
            .is_none_or(|(l, r)| like > *l || (like == *l && rule.learned_at >= r.learned_at));
        if better {
            best.insert(&rule.field, (like, rule));
        }
    }
    for (_, rule) in best.into_values() {
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
                "{} read as {} by the rule learned from a correction (layout {}, rule {})",
                rule.field, e.value, rule.fingerprint, rule.id
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
        labels: layout_labels(doc).into_iter().collect(),
    })
}
