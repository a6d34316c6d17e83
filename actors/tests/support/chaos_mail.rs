//! The chaos run's mail stream: a seeded mix of schedules for many dates,
//! revisions of days sent earlier, decoys the filter turns away, and hostile
//! messages built to break readers. Every message has its own Message-ID,
//! so "lost" can be told from history by id alone.
#![allow(dead_code)]

use chrono::{Duration as Days, NaiveDate, NaiveTime};
use mp2::fixtures::hostile;
use mp2::fixtures::{
    decoy_mail, render, sample_days, schedule_mail, Attachment, Client, Decoy, FontSetup, Lang,
    Layout,
};
use mp2::model::ShootDay;
use std::collections::{BTreeMap, BTreeSet};

/// splitmix64: the run's one source of chance, so a seed replays a run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..hi` (`lo < hi`).
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo))
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// What a message is, for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Schedule,
    Revision,
    Decoy,
    Hostile(&'static str),
}

pub struct Mail {
    pub raw: Vec<u8>,
    /// Without angle brackets, as `history` shows it.
    pub message_id: String,
    pub kind: Kind,
}

/// The hostile kinds, one of each in turn.
pub const HOSTILE: [&str; 5] = [
    "oversize",
    "flate-bomb",
    "deep-mime",
    "page-tree-cycle",
    "random-pdf",
];

/// `n` messages, in the order they are to be appended. `cap` is the
/// daemon's `filter.max_message_bytes` (the oversize ones are one byte
/// over). Dates spread from `max(40, n / 4)` days ago to 20 days ahead of
/// `today`, so some days are inside the weather horizon.
pub fn stream(seed: u64, n: usize, cap: usize, today: NaiveDate) -> Vec<Mail> {
    let mut rng = Rng::new(seed ^ 0x6d70_3263_6861_6f73);
    let back = (n / 4).max(40) as i64;
    let mut free: Vec<NaiveDate> = (-back..20).map(|d| today + Days::days(d)).collect();
    // The stream's state: each date's sheet as last sent.
    let mut sent: BTreeMap<NaiveDate, ShootDay> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    // One bomb for all: deflating 1 GiB takes a while.
    let mut bomb: Option<Vec<u8>> = None;
    let mut hostile_turn = 0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let tag = seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
        let roll = rng.below(100);
        let mail = if roll < 12 {
            let kind = HOSTILE[hostile_turn % HOSTILE.len()];
            hostile_turn += 1;
            hostile_mail(kind, i, tag, cap, &mut bomb)
        } else if roll < 27 {
            let date = today + Days::days(rng.below(back as usize + 20) as i64 - back);
            let day = fresh_day(tag, date);
            let att = attachment(&day, None);
            let decoy = Decoy::ALL[rng.below(Decoy::ALL.len())];
            let m = decoy_mail(decoy, &[att], tag);
            mail_of(m.raw, &m.message_id, Kind::Decoy)
        } else if roll < 50 && !sent.is_empty() || free.is_empty() {
            // A revision of a day already sent: every call 20 minutes later,
            // so the crew's times change and a stale notice shows.
            let dates: Vec<NaiveDate> = sent.keys().copied().collect();
            let date = dates[rng.below(dates.len())];
            let mut day = sent[&date].clone();
            day.revision = Some(day.revision.unwrap_or(1) + 1);
            day.call_time = day.call_time.as_deref().map(|t| later(t, 20));
            for t in day.department_calls.values_mut() {
                *t = later(t, 20);
            }
            let att = attachment(&day, day.revision);
            sent.insert(date, day);
            let m = schedule_mail(client(&mut rng), &[att], tag);
            mail_of(m.raw, &m.message_id, Kind::Revision)
        } else {
            let date = free.swap_remove(rng.below(free.len()));
            let day = fresh_day(tag, date);
            let att = attachment(&day, None);
            sent.insert(date, day);
            let m = schedule_mail(client(&mut rng), &[att], tag);
            mail_of(m.raw, &m.message_id, Kind::Schedule)
        };
        let mail = if ids.contains(&mail.message_id) {
            rewrite_id(mail, &format!("chaos-{i}-again@produkcja-mp2.pl"))
        } else {
            mail
        };
        ids.insert(mail.message_id.clone());
        out.push(mail);
    }
    out
}

fn client(rng: &mut Rng) -> Client {
    Client::ALL[rng.below(Client::ALL.len())]
}

fn mail_of(raw: Vec<u8>, message_id: &str, kind: Kind) -> Mail {
    Mail {
        raw,
        message_id: message_id.trim_matches(['<', '>']).to_string(),
        kind,
    }
}

/// A sample day moved to `date`, an original (no revision).
fn fresh_day(seed: u64, date: NaiveDate) -> ShootDay {
    let mut d = sample_days(seed, 1, date, Lang::Pl).remove(0);
    d.date = date.format("%Y-%m-%d").to_string();
    d.revision = None;
    d.cancelled = false;
    if d.call_time.is_none() {
        d.call_time = Some("07:00".into());
    }
    d
}

fn attachment(day: &ShootDay, revision: Option<u32>) -> Attachment {
    let name = match revision {
        Some(r) => format!("MP2_plan_{}_v{r}.pdf", day.date),
        None => format!("MP2_plan_{}.pdf", day.date),
    };
    Attachment {
        filename: name,
        pdf: render(
            std::slice::from_ref(day),
            Layout::PlanPl,
            FontSetup::SimpleWinAnsi,
        ),
        days: vec![day.clone()],
    }
}

/// `HH:MM` plus `minutes`, kept within the day (a revision never crosses
/// midnight).
fn later(t: &str, minutes: i64) -> String {
    let Ok(x) = NaiveTime::parse_from_str(t, "%H:%M") else {
        return t.to_string();
    };
    let y = x + Days::minutes(minutes);
    if y < x {
        return t.to_string();
    }
    y.format("%H:%M").to_string()
}

fn hostile_mail(
    kind: &'static str,
    i: usize,
    tag: u64,
    cap: usize,
    bomb: &mut Option<Vec<u8>>,
) -> Mail {
    let id = format!("chaos-{i}-{kind}@produkcja-mp2.pl");
    let with_pdf = |name: &str, pdf: Vec<u8>| {
        let att = Attachment {
            filename: name.to_string(),
            pdf,
            days: Vec::new(),
        };
        let m = schedule_mail(Client::Gmail, &[att], tag);
        rewrite_id(mail_of(m.raw, &m.message_id, Kind::Hostile(kind)), &id)
    };
    match kind {
        "oversize" => rewrite_id(
            mail_of(
                hostile::oversize_message(cap),
                "oversize@produkcja-mp2.pl",
                Kind::Hostile(kind),
            ),
            &id,
        ),
        "flate-bomb" => {
            let pdf = bomb
                .get_or_insert_with(|| hostile::flate_bomb((1 << 30) + 1))
                .clone();
            with_pdf("plan_bomba.pdf", pdf)
        }
        "deep-mime" => rewrite_id(
            mail_of(
                hostile::mime_bomb(200),
                "bomb@produkcja-mp2.pl",
                Kind::Hostile(kind),
            ),
            &id,
        ),
        "page-tree-cycle" => with_pdf("plan_petla.pdf", hostile::page_tree_cycle()),
        _ => with_pdf("plan.pdf", hostile::random_bytes(tag, 50_000)),
    }
}

/// The same message under another Message-ID (the header's first
/// occurrence; the oversize message keeps its exact size class).
fn rewrite_id(m: Mail, id: &str) -> Mail {
    let old = format!("<{}>", m.message_id);
    let new = format!("<{id}>");
    let Some(at) = find(&m.raw, old.as_bytes()) else {
        panic!("no Message-ID {old} in the message");
    };
    let mut raw = Vec::with_capacity(m.raw.len() + new.len());
    raw.extend_from_slice(&m.raw[..at]);
    raw.extend_from_slice(new.as_bytes());
    raw.extend_from_slice(&m.raw[at + old.len()..]);
    Mail {
        raw,
        message_id: id.to_string(),
        kind: m.kind,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
