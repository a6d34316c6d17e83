//! What a chaos run counts, from the daemon's own state (`status`,
//! `history`, `schedules` over its control socket, as `mp2ctl --json`
//! prints them) and from what the outside servers received: messages lost,
//! events duplicated, missing or stale, notifications lost, duplicated or
//! dead.
#![allow(dead_code)]

use super::chaos_mail::{Kind, Mail};
use super::chaos_world::World;
use super::support::Daemon;
use mp2::control::{Command, ScheduleEntry};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Who gets what (the config's `[[crew]]`): crew id, address, phone.
pub const CREW: [(&str, &str, Option<&str>); 2] = [
    ("anna", "anna@example.org", Some("+48601234567")),
    ("tomek", "tomek@example.org", None),
];

/// What a run measured.
#[derive(Debug, Default)]
pub struct Figures {
    /// SIGKILLs, the power cut's included.
    pub kills: usize,
    pub power_cuts: usize,
    pub appended: usize,
    pub in_history: usize,
    /// Appended, never in `history`.
    pub lost_messages: Vec<String>,
    pub failed_messages: usize,
    /// Hostile messages in history but not `failed` (kind and stage).
    pub hostile_not_failed: Vec<String>,
    /// Per crew member and date, events beyond the first in Radicale.
    pub duplicate_events: usize,
    /// (crew, date) of a final schedule with no event in Radicale.
    pub missing_events: Vec<String>,
    /// (crew, date) whose event does not state the final plan's times.
    pub stale_events: Vec<String>,
    /// SMTP messages received plus Twilio messages taken.
    pub notifications_sent: usize,
    /// crew × day × channel whose final times never reached the server.
    pub lost_notifications: Vec<String>,
    /// How many crew × day × channel the final schedules ask for.
    pub notifications_due: usize,
    /// Copies beyond the first of one Message-ID, and of one Twilio
    /// request (same number and text).
    pub duplicated_emails: usize,
    pub duplicated_sms: usize,
    /// What the daemon itself counts as sent twice, possibly.
    pub possible_duplicates: u64,
    pub dead: u64,
    pub peak_rss_kb: u64,
    pub drained: bool,
    pub drain: Duration,
}

impl Figures {
    pub fn print(&self, seed: u64, mails: usize, kills: usize) {
        let shown = |v: &[String]| -> String {
            if v.is_empty() {
                String::new()
            } else {
                format!(" {:?}", &v[..v.len().min(10)])
            }
        };
        println!(
            "chaos: seed {} (MP2_CHAOS_SEED to replay), {} mails, {} kills",
            seed, mails, kills
        );
        println!(
            "  kills:                      {} (SIGKILL; {} of them a power cut)",
            self.kills, self.power_cuts
        );
        println!("  messages appended:          {}", self.appended);
        println!(
            "  messages in history:        {} ({} failed; hostile not failed: {}{})",
            self.in_history,
            self.failed_messages,
            self.hostile_not_failed.len(),
            shown(&self.hostile_not_failed)
        );
        println!(
            "  messages lost:              {}{}",
            self.lost_messages.len(),
            shown(&self.lost_messages)
        );
        println!("  duplicate events:           {}", self.duplicate_events);
        println!(
            "  missing events:             {}{}",
            self.missing_events.len(),
            shown(&self.missing_events)
        );
        println!(
            "  stale events:               {}{}",
            self.stale_events.len(),
            shown(&self.stale_events)
        );
        println!("  notifications sent:         {}", self.notifications_sent);
        println!(
            "  notifications lost:         {} of {} crew × day × channel{}",
            self.lost_notifications.len(),
            self.notifications_due,
            shown(&self.lost_notifications)
        );
        println!(
            "  notifications duplicated:   {} ({} e-mail, {} SMS; the daemon counts {} possible)",
            self.duplicated_emails + self.duplicated_sms,
            self.duplicated_emails,
            self.duplicated_sms,
            self.possible_duplicates
        );
        println!("  notifications dead:         {}", self.dead);
        println!("  peak RSS of mp2d (VmHWM):   {} kB", self.peak_rss_kb);
        println!(
            "  time to drain:              {:.1} s{}",
            self.drain.as_secs_f64(),
            if self.drained {
                ""
            } else {
                " (NOT drained: gave up)"
            }
        );
    }
}

pub fn status(d: &Daemon) -> Option<Value> {
    d.call(Command::Status).ok()
}

pub fn history(d: &Daemon) -> Vec<Value> {
    d.call(Command::History)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

pub fn count(v: &Value, path: &[&str]) -> u64 {
    path.iter().fold(v, |v, k| &v[*k]).as_u64().unwrap_or(0)
}

pub fn measure(d: &Daemon, world: &World, mails: &[Mail], f: &mut Figures) {
    let hist = history(d);
    let seen: BTreeMap<String, &Value> = hist
        .iter()
        .filter_map(|h| {
            Some((
                h["message_id"]
                    .as_str()?
                    .trim_matches(['<', '>'])
                    .to_string(),
                h,
            ))
        })
        .collect();
    for (i, m) in mails.iter().enumerate() {
        match seen.get(&m.message_id) {
            Some(h) => {
                f.in_history += 1;
                f.failed_messages += usize::from(h["stage"] == "failed");
                if matches!(m.kind, Kind::Hostile(_)) && h["stage"] != "failed" {
                    f.hostile_not_failed
                        .push(format!("#{i} {:?} {}", m.kind, h["stage"]));
                }
            }
            None => f
                .lost_messages
                .push(format!("#{i} {} ({:?})", m.message_id, m.kind)),
        }
    }
    if let Some(s) = status(d) {
        f.dead = count(&s, &["outbox", "dead"]);
        f.possible_duplicates = count(&s, &["outbox", "possible_duplicates"]);
    }
    let schedules: Vec<ScheduleEntry> = d
        .call(Command::Schedules)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();

    // Calendar: one event per crew member and date.
    let mut events: BTreeMap<(String, String), usize> = BTreeMap::new();
    // The event's own DESCRIPTION (unfolded), which states the crew
    // member's times.
    let mut described: BTreeMap<(String, String), String> = BTreeMap::new();
    for (crew, _, _) in CREW {
        for e in world.calendar.events(crew) {
            let uid = e.prop("UID").unwrap_or_default();
            let date = uid
                .strip_prefix(&format!("mp2-{crew}-"))
                .and_then(|u| u.strip_suffix("@mp2"))
                .unwrap_or(&uid)
                .to_string();
            described.insert(
                (crew.to_string(), date.clone()),
                e.prop("DESCRIPTION").unwrap_or_default(),
            );
            *events.entry((crew.to_string(), date)).or_default() += 1;
        }
    }
    f.duplicate_events = events.values().map(|n| n.saturating_sub(1)).sum();

    // Notifications as the servers received them.
    let parser = mail_parser::MessageParser::default();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    // (address, text) of every e-mail: subject and decoded body.
    let mut emails: Vec<(String, String)> = Vec::new();
    for raw in world.mails() {
        let Some(m) = parser.parse(&raw) else {
            continue;
        };
        if let Some(id) = m.message_id() {
            *by_id.entry(id.to_string()).or_default() += 1;
        }
        let to: String = m
            .to()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.address())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let text = format!(
            "{}\n{}",
            m.subject().unwrap_or_default(),
            m.body_text(0).unwrap_or_default()
        );
        emails.push((to, text));
    }
    let taken = world.twilio.taken();
    let mut by_request: BTreeMap<(String, String), usize> = BTreeMap::new();
    for t in &taken {
        *by_request
            .entry((t.to.clone(), t.body.clone()))
            .or_default() += 1;
    }
    f.notifications_sent = emails.len() + taken.len();
    let extra = |n: &usize| n.saturating_sub(1);
    f.duplicated_emails = by_id.values().map(extra).sum();
    f.duplicated_sms = by_request.values().map(extra).sum();

    for e in &schedules {
        for p in &e.plans {
            let Some((crew, addr, phone)) = CREW.iter().find(|c| c.0 == p.crew) else {
                continue;
            };
            let times = [&p.wake_up, &p.departure, &p.call];
            match described.get(&(crew.to_string(), e.date.clone())) {
                None => f.missing_events.push(format!("{crew} {}", e.date)),
                Some(text) if !times.iter().all(|t| text.contains(hhmm(t))) => {
                    f.stale_events.push(format!("{crew} {}", e.date))
                }
                Some(_) => {}
            }
            let told = |text: &str| {
                text.contains(&e.date)
                    && [&p.wake_up, &p.departure, &p.call]
                        .iter()
                        .all(|t| text.contains(hhmm(t)))
            };
            f.notifications_due += 1 + usize::from(phone.is_some());
            if !emails
                .iter()
                .any(|(to, text)| to.contains(addr) && told(text))
            {
                f.lost_notifications
                    .push(format!("{crew} {} email", e.date));
            }
            if let Some(phone) = phone {
                if !taken.iter().any(|t| t.to == *phone && told(&t.body)) {
                    f.lost_notifications.push(format!("{crew} {} sms", e.date));
                }
            }
        }
    }
}

/// `HH:MM` of an ISO 8601 local time.
fn hhmm(iso: &str) -> &str {
    iso.split_once('T')
        .map_or(iso, |(_, t)| &t[..t.len().min(5)])
}

pub fn assert_nothing_lost(f: &Figures) {
    assert!(f.drained, "the daemon did not drain");
    // A run that planned nothing would lose nothing.
    assert!(
        f.notifications_due > 0 && f.in_history > 0,
        "nothing was handled"
    );
    assert!(
        f.lost_messages.is_empty(),
        "lost messages: {:?}",
        f.lost_messages
    );
    assert_eq!(f.duplicate_events, 0, "duplicate events");
    assert!(
        f.missing_events.is_empty(),
        "missing events: {:?}",
        f.missing_events
    );
    assert!(
        f.stale_events.is_empty(),
        "events not on their final version: {:?}",
        f.stale_events
    );
    assert!(
        f.lost_notifications.is_empty(),
        "lost notifications: {:?}",
        f.lost_notifications
    );
}
