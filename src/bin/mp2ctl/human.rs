//! What `mp2ctl` prints for people: one line per stage and integration in
//! `status`, every field of a day in `parse` and `schedules` (through
//! [`mp2::listing`]), the mail's own date in `history`. Every mail-borne value
//! passes through [`printable`].

use mp2::control::{ActorStatus, HistoryEntry, IntegrationStatus, ScheduleEntry, StatusReport};
use mp2::terminal::printable;
use std::borrow::Cow;
use std::fmt::Write;
use std::path::Path;

/// The pipeline's stages, in the order mail goes through them.
const STAGES: [&str; 6] = [
    "mailbox_watcher",
    "parser_pool",
    "route_planner",
    "calendar_syncer",
    "weather_poller",
    "notifier",
];

/// A JSON string value made printable, else `default`.
pub fn text<'a>(v: &'a serde_json::Value, default: &'a str) -> Cow<'a, str> {
    printable(v.as_str().unwrap_or(default))
}

pub fn print_attention(data: &serde_json::Value) {
    let items = data.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        println!("nothing needs attention");
    }
    for i in items {
        println!(
            "#{}  {}  {}",
            i["id"],
            text(&i["date"], "-"),
            text(&i["since"], "")
        );
        println!("    {}", text(&i["reason"], ""));
        if let Some(subject) = i["subject"].as_str() {
            println!("    subject: {}", printable(subject));
        }
    }
}

pub fn print_correction(data: &serde_json::Value) {
    let list = |k: &str| {
        data[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(printable)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    println!(
        "{} corrected by {} (version {}): {}",
        text(&data["date"], "?"),
        text(&data["by"], "?"),
        data["version"],
        list("corrected")
    );
    if let Some(from) = data["moved_from"].as_str() {
        println!(
            "moved from {}: its calendar events are removed",
            printable(from)
        );
    }
    let learned = list("learned");
    if !learned.is_empty() {
        println!("learned rule(s) {learned} for this layout (`mp2ctl layouts`)");
    }
    println!("planning again; the crew get the change");
}

pub fn print_layouts(data: &serde_json::Value) {
    let rules = data.as_array().cloned().unwrap_or_default();
    if rules.is_empty() {
        println!("no rules learned yet");
    }
    for r in rules {
        println!(
            "{}  {}  layout {}  {} ← \"{}\" ({})  learned {}",
            text(&r["id"], "?"),
            text(&r["sender"], "?"),
            text(&r["fingerprint"], "?"),
            text(&r["field"], "?"),
            text(&r["label"], "?"),
            text(&r["direction"], "?"),
            text(&r["learned_at"], "?"),
        );
    }
}

pub fn print_day_history(data: &serde_json::Value) {
    println!("{}", text(&data["date"], "?"));
    for v in data["versions"].as_array().cloned().unwrap_or_default() {
        println!(
            "  v{} {}{}  {} \"{}\" ({})",
            v["version"],
            text(&v["at"], ""),
            if v["cancelled"] == true {
                "  CANCELLED"
            } else {
                ""
            },
            text(&v["message_id"], ""),
            text(&v["subject"], ""),
            text(&v["from"], ""),
        );
        if let Some(n) = v["note"].as_str() {
            println!("      {}", printable(n));
        }
        for c in v["changes"].as_array().cloned().unwrap_or_default() {
            println!("      {}", text(&c, ""));
        }
    }
    for c in data["corrections"].as_array().cloned().unwrap_or_default() {
        println!(
            "  correction {} by {} (uid {}): {}={} (the sheet said \"{}\")",
            text(&c["at"], ""),
            text(&c["user"], ""),
            c["uid"],
            text(&c["field"], ""),
            text(&c["edit"]["value"], ""),
            text(&c["was"], "")
        );
    }
}

pub fn print_parse(path: &Path, r: &mp2::model::ParseResult) {
    let mut out = String::new();
    let _ = writeln!(out, "{}", printable(&path.display().to_string()));
    if let Some(e) = &r.email {
        let _ = writeln!(
            out,
            "  from {} — \"{}\"",
            printable(e.from.as_deref().unwrap_or("? (no From: address)")),
            printable(e.subject.as_deref().unwrap_or(""))
        );
        let _ = writeln!(out, "  sent {}", sent(e.date.as_deref()));
        let _ = writeln!(out, "  {}", printable(&e.reason));
        if !e.attachments.is_empty() {
            let names: Vec<_> = e.attachments.iter().map(|a| printable(a)).collect();
            let _ = writeln!(out, "  attachments: {}", names.join(", "));
        }
    }
    if r.schedules.is_empty() && r.errors.is_empty() {
        out.push_str("  no shooting day in it\n");
    }
    for d in &r.schedules {
        let _ = writeln!(out, "  {}", printable(&d.date));
        mp2::listing::day_fields(&mut out, "    ", d);
    }
    for w in &r.warnings {
        let _ = writeln!(out, "  ! {}", printable(w));
    }
    for e in &r.errors {
        let _ = writeln!(out, "  error: {}", printable(e));
    }
    print!("{out}");
}

/// A `Date:` header as a person reads it: `2024-03-11 18:02 +01:00`.
fn sent(date: Option<&str>) -> String {
    match date {
        None => "? (no Date: header)".into(),
        Some(d) => match chrono::DateTime::parse_from_rfc2822(d.trim()) {
            Ok(t) => t.format("%Y-%m-%d %H:%M %:z").to_string(),
            Err(_) => printable(d).into_owned(),
        },
    }
}

pub fn print_status(s: &StatusReport) {
    print!("{}", status_text(s));
}

fn status_text(s: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mp2d {} — up {}, {} shooting days known",
        s.state,
        uptime(s.uptime_s),
        s.schedules
    );
    let _ = writeln!(out, "mail: {}", mp2::listing::message_line(&s.messages));
    let o = &s.outbox;
    let _ = writeln!(
        out,
        "notifications: {} sent, {} waiting to be sent, {} being sent, {} retrying, {} given up{}{}",
        o.sent,
        o.queued,
        o.sending,
        o.failed_retrying,
        o.dead,
        match o.superseded {
            0 => String::new(),
            n => format!(", {n} replaced by a newer version before they went out"),
        },
        match o.possible_duplicates {
            0 => String::new(),
            n => format!(", {n} sent again after a cut-off send (may have arrived twice)"),
        }
    );
    if let Some(b) = &s.backfill {
        let _ = writeln!(
            out,
            "backfill: {} of {} older messages read",
            b.done, b.total
        );
    }
    // The limiter and breaker actors are the integrations' machinery: they
    // show on their integration's line, and only when not running.
    let (guards, stages): (Vec<&ActorStatus>, Vec<&ActorStatus>) = s
        .actors
        .iter()
        .partition(|a| a.name.starts_with("limiter.") || a.name.starts_with("breaker."));
    let mut stages = stages;
    stages.sort_by_key(|a| {
        STAGES
            .iter()
            .position(|n| *n == a.name)
            .unwrap_or(STAGES.len())
    });
    out.push_str("stages:\n");
    for a in stages {
        let _ = writeln!(out, "  {:<16} {}", a.name, part(a));
    }
    out.push_str("integrations:\n");
    let mut waited = false;
    for i in &s.integrations {
        waited |= i.rate_limited > 0;
        let _ = writeln!(out, "  {:<9} {}", i.name, integration(i, &guards));
    }
    if waited {
        out.push_str(
            "  (\"waited for the rate limit\": calls mp2 held back until [integrations.NAME] rate allowed them; pacing, not failures)\n",
        );
    }
    for p in &s.problems {
        let _ = writeln!(out, "! {}", printable(p));
    }
    if s.attention > 0 {
        let _ = writeln!(
            out,
            "needs attention ({}, see `mp2ctl attention`):",
            s.attention
        );
        for a in &s.attention_items {
            let _ = writeln!(out, "  {}", printable(a));
        }
    }
    out
}

fn uptime(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn part(a: &ActorStatus) -> String {
    match a.restarts {
        0 => a.status.clone(),
        1 => format!("{} (restarted once)", a.status),
        n => format!("{} (restarted {n} times)", a.status),
    }
}

/// `ok, 14 calls, 0 failed, 1 waited for the rate limit`, with the breaker
/// in words when it is not closed, and its guard actors when not running.
fn integration(i: &IntegrationStatus, guards: &[&ActorStatus]) -> String {
    let mut v = match i.breaker.as_str() {
        "closed" => "ok".to_string(),
        "open" => "BREAKER OPEN: calls are refused until it half-opens".to_string(),
        "half-open" => "breaker half-open: the next call is a trial".to_string(),
        other => format!("breaker {other}"),
    };
    let _ = write!(v, ", {} calls, {} failed", i.calls, i.failures);
    if i.rejected > 0 {
        let _ = write!(v, ", {} refused by the open breaker", i.rejected);
    }
    if i.rate_limited > 0 {
        let _ = write!(v, ", {} waited for the rate limit", i.rate_limited);
    }
    for g in guards {
        let (kind, name) = g.name.split_once('.').unwrap_or(("", &g.name));
        if name == i.name && (g.status != "running" || g.restarts > 0) {
            let _ = write!(v, "; its {kind} is {}", part(g));
        }
    }
    v
}

pub fn print_schedules(days: &[ScheduleEntry]) {
    print!("{}", mp2::listing::schedules(days));
}

pub fn print_history(h: &[HistoryEntry]) {
    for m in h {
        println!(
            "taken {}  sent {}  {:<9} {:<9} {}  {}",
            printable(&m.received),
            sent(m.date.as_deref()),
            printable(&m.verdict),
            m.stage.as_str(),
            printable(&m.message_id),
            printable(&m.subject)
        );
        if !m.reason.is_empty() {
            println!("    {}", printable(&m.reason));
        }
        for e in &m.errors {
            println!("    error: {}", printable(e));
        }
    }
}
