//! A person in the loop, through a real `mp2d` on a Maildir with the file
//! transports: what needs attention is listed and told to the coordinators
//! once; `correct` re-plans a day, moves its events in place and tells the
//! crew once; corrections survive restarts, reprocessing and revisions, and
//! teach the reader an unknown layout; a cancelled day loses its events.

mod support;

use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::hostile::random_bytes;
use mp2::fixtures::odd_layouts::{measurement_days, odd_mail, OddLayout};
use mp2::fixtures::{
    render, sample_days, schedule_mail, Attachment, BuiltMail, Client, FontSetup, Lang, Layout,
};
use mp2::model::ShootDay;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use support::smtp::Smtpd;
use support::{demo_config, Daemon};

const COORDINATOR: &str = "biuro@produkcja-mp2.pl";

fn config() -> String {
    let c = demo_config("[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\n", "");
    let with = c.replace(
        "[production]\nname = \"MP2\"\n",
        &format!("[production]\nname = \"MP2\"\ncoordinators = [\"{COORDINATOR}\"]\n"),
    );
    assert_ne!(with, c, "demo config layout changed");
    with
}

fn attention(d: &Daemon) -> Vec<Value> {
    serde_json::from_value(d.call(Command::Attention).unwrap()).unwrap()
}

/// Files in the e-mail outbox whose name starts with `prefix`.
fn outbox(d: &Daemon, prefix: &str) -> Vec<PathBuf> {
    d.files("outbox/email")
        .into_iter()
        .chain(d.files("outbox/sms"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect()
}

fn mtime(p: &PathBuf) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

/// The text of a quoted-printable body, as a mail reader shows it.
fn unfold_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            s.get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok()),
        ) {
            (b'=', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unreadable_mail(file: &str, seed: u64) -> BuiltMail {
    let att = Attachment {
        filename: file.into(),
        pdf: random_bytes(seed, 3000),
        days: vec![],
    };
    schedule_mail(Client::Gmail, &[att], seed)
}

fn sheet_mail(day: &ShootDay, seed: u64) -> BuiltMail {
    let att = Attachment {
        filename: format!("MP2_plan_{}.pdf", day.date),
        pdf: render(
            std::slice::from_ref(day),
            Layout::PlanPl,
            FontSetup::SimpleWinAnsi,
        ),
        days: vec![day.clone()],
    };
    schedule_mail(Client::Gmail, &[att], seed)
}

/// A single Polish sheet's day, with a general call and no department call
/// for Anna's department (so both crew members follow the general call).
fn plain_day(date_seed: u64) -> ShootDay {
    let mut d = sample_days(
        date_seed,
        1,
        chrono::NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(),
        Lang::Pl,
    )
    .remove(0);
    d.call_time = Some("07:00".into());
    d.wrap_time = Some("19:00".into());
    d.department_calls.clear();
    d
}

fn schedules(d: &Daemon) -> Vec<ScheduleEntry> {
    serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap()
}

fn day_of(d: &Daemon, date: &str) -> Option<ScheduleEntry> {
    schedules(d).into_iter().find(|e| e.date == date)
}

fn correct(d: &Daemon, date: &str, fields: &[&str]) -> Value {
    d.call(Command::Correct {
        date: date.into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
    })
    .unwrap_or_else(|e| panic!("correct {fields:?}: {e}\n{}", d.log()))
}

/// Every VEVENT's UID and DTSTART in a crew member's ICS file.
fn events(d: &Daemon, crew: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(d.path(&format!("calendar/{crew}.ics"))).unwrap_or_default();
    let mut out = Vec::new();
    let mut uid = None;
    for l in text.lines() {
        if let Some(u) = l.strip_prefix("UID:") {
            uid = Some(u.trim().to_string());
        }
        if let Some(s) = l.strip_prefix("DTSTART:") {
            out.push((uid.take().unwrap_or_default(), s.trim().to_string()));
        }
    }
    out
}

fn dtstart(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").unwrap()
}

/// A daemon that handled one plain sheet; returns it and the day.
fn with_one_sheet() -> (Daemon, ShootDay, BuiltMail) {
    let mut d = Daemon::new(&config());
    d.start();
    let day = plain_day(41);
    let m = sheet_mail(&day, 41);
    d.deliver("001.eml", &m.raw);
    d.wait_until("sheet handled", Duration::from_secs(60), |d| {
        d.all_handled(1)
    });
    assert_eq!(events(&d, "tomek").len(), 1, "{}", d.log());
    (d, day, m)
}

#[test]
fn an_unreadable_sheet_is_one_item_and_one_coordinator_mail_not_per_retry_nor_after_restart() {
    let mut d = Daemon::new(&config());
    d.start();
    let bad = unreadable_mail("plan_12.pdf", 12);
    d.deliver("bad.eml", &bad.raw);
    d.wait_until("one item, told", Duration::from_secs(30), |d| {
        attention(d).len() == 1 && outbox(d, "tell_").len() == 1
    });
    let item = &attention(&d)[0];
    assert_eq!(item["date"], Value::Null);
    assert_eq!(item["message_id"], bad.message_id.as_str());
    let reason = item["reason"].as_str().unwrap();
    assert!(
        reason.contains("plan_12.pdf") && reason.contains("mp2ctl reprocess"),
        "{reason}"
    );
    for k in ["date", "message_id", "subject", "reason", "fields", "since"] {
        assert!(item.get(k).is_some(), "attention --json lacks {k}");
    }
    let s = d.status().unwrap();
    assert_eq!((s.state.as_str(), s.attention), ("running", 1), "{s:?}");
    assert!(s.attention_items[0].contains("plan_12.pdf"));
    let told = outbox(&d, "tell_")[0].clone();
    let mail = unfold_qp(&std::fs::read_to_string(&told).unwrap());
    assert!(
        mail.contains(COORDINATOR) && mail.contains("mp2ctl reprocess"),
        "{mail}"
    );
    let first_sent = mtime(&told);

    // Retries: the message fails again each time; nothing new is raised or sent.
    for _ in 0..3 {
        d.call(Command::Reprocess {
            message_id: bad.message_id.clone(),
        })
        .unwrap();
        d.wait_until("failed again", Duration::from_secs(30), |d| {
            d.all_handled(1) && d.status().unwrap().messages.failed == 1
        });
    }
    assert_eq!(attention(&d).len(), 1);
    assert_eq!(outbox(&d, "tell_"), vec![told.clone()]);
    assert_eq!(mtime(&told), first_sent, "not sent again on a retry");

    // A restart tells nobody again; a new problem is still told.
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    d.start();
    let other = unreadable_mail("plan_13.pdf", 13);
    d.deliver("bad2.eml", &other.raw);
    d.wait_until("the second item told", Duration::from_secs(30), |d| {
        outbox(d, "tell_").len() == 2
    });
    assert_eq!(mtime(&told), first_sent, "not sent again after a restart");
    assert_eq!(d.status().unwrap().attention, 2);

    // Dismissing takes it off the list (and is a mutating command).
    let id = attention(&d)[0]["id"].as_u64().unwrap();
    d.call(Command::AttentionDismiss { id }).unwrap();
    assert_eq!(attention(&d).len(), 1);
    assert!(d.call(Command::AttentionDismiss { id }).is_err());
}

#[test]
fn a_missing_call_sends_no_plan_and_a_correction_sends_it() {
    let mut d = Daemon::new(&config());
    d.start();
    let mut day = plain_day(43);
    day.call_time = None;
    let m = sheet_mail(&day, 43);
    d.deliver("001.eml", &m.raw);
    d.wait_until("handled", Duration::from_secs(60), |d| d.all_handled(1));
    let items = attention(&d);
    assert_eq!(items.len(), 1, "{items:?}");
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("mp2ctl correct {} call_time=HH:MM", day.date)),
        "{reason}"
    );
    assert_eq!(items[0]["fields"], serde_json::json!(["call_time"]));
    assert!(
        day_of(&d, &day.date).unwrap().plans.is_empty(),
        "no plan on a missing call"
    );
    assert!(
        outbox(&d, "notify_").is_empty(),
        "nobody told a plan without a call"
    );
    d.wait_until("the coordinator told", Duration::from_secs(10), |d| {
        outbox(d, "tell_").len() == 1
    });

    correct(&d, &day.date, &["call_time=7:30"]);
    d.wait_until("planned and told", Duration::from_secs(30), |d| {
        outbox(d, "notify_tomek").len() == 1 && outbox(d, "notify_anna").len() == 2
    });
    assert!(attention(&d).is_empty(), "corrected: off the list");
    let e = day_of(&d, &day.date).unwrap();
    assert!(
        e.plans.iter().all(|p| p.call.contains("T07:30:00")),
        "{:?}",
        e.plans
    );
}

#[test]
fn correct_moves_the_event_in_place_and_sends_one_change_message_per_crew_member() {
    let (d, day, _) = with_one_sheet();
    let before = events(&d, "tomek");
    let anna_before = events(&d, "anna");
    let out = std::process::Command::new(support::mp2ctl())
        .arg("--socket")
        .arg(d.socket())
        .args(["correct", &day.date, "call_time=06:00"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("corrected by"), "{said}");
    d.wait_until("change sent", Duration::from_secs(30), |d| {
        d.all_handled(1) && outbox(d, &format!("notify_tomek_{}_v2", day.date)).len() == 1
    });
    let after = events(&d, "tomek");
    assert_eq!(after.len(), 1, "one event: {after:?}");
    assert_eq!(after[0].0, before[0].0, "same UID: updated in place");
    assert_eq!(
        dtstart(&before[0].1) - dtstart(&after[0].1),
        chrono::Duration::hours(1),
        "departure an hour earlier"
    );
    assert_eq!(events(&d, "anna").len(), 1);
    assert_eq!(events(&d, "anna")[0].0, anna_before[0].0);
    // One change message per crew member and channel.
    for (crew, n) in [("anna", 2), ("tomek", 1)] {
        let v2 = outbox(&d, &format!("notify_{crew}_{}_v2", day.date));
        assert_eq!(v2.len(), n, "{crew}: {v2:?}");
    }
    let body =
        std::fs::read_to_string(&outbox(&d, &format!("notify_anna_{}_v2_email", day.date))[0])
            .unwrap();
    assert!(body.contains("ZMIANA"), "{body}");
    let h = d
        .call(Command::DayHistory {
            date: day.date.clone(),
        })
        .unwrap();
    assert_eq!(h["versions"].as_array().unwrap().len(), 2, "{h}");
    assert!(
        h["versions"][1]["changes"][0]
            .as_str()
            .unwrap()
            .contains("call_time: 07:00 → 06:00"),
        "{h}"
    );
    assert_eq!(h["corrections"][0]["user"], "root");
    let o = std::process::Command::new(support::mp2ctl())
        .arg("--socket")
        .arg(d.socket())
        .args(["schedules", "--history", &day.date])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("by root") && said.contains("call_time=06:00") && said.contains(&day.date),
        "{said}"
    );
}

#[test]
fn a_correction_survives_restart_and_reprocess() {
    let (mut d, day, m) = with_one_sheet();
    correct(&d, &day.date, &["call_time=06:15", "location.name=Hala 4"]);
    d.wait_until("change sent", Duration::from_secs(30), |d| {
        d.all_handled(1) && outbox(d, &format!("notify_tomek_{}_v2", day.date)).len() == 1
    });
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    d.start();
    d.call(Command::Reprocess {
        message_id: m.message_id.clone(),
    })
    .unwrap();
    d.wait_until("reprocessed", Duration::from_secs(30), |d| {
        d.all_handled(1) && d.status().unwrap().messages.done == 1
    });
    let e = day_of(&d, &day.date).unwrap();
    assert_eq!(e.schedule.call_time.as_deref(), Some("06:15"));
    assert_eq!(e.schedule.locations[0].name.as_deref(), Some("Hala 4"));
    assert!(
        e.plans.iter().all(|p| p.call.contains("T06:15:00")),
        "{:?}",
        e.plans
    );
    assert!(
        outbox(&d, &format!("notify_tomek_{}_v3", day.date)).is_empty(),
        "reading the same sheet again is no change to tell"
    );
}

#[test]
fn a_revision_after_a_correction_keeps_the_corrected_fields_it_did_not_change() {
    let (d, day, _) = with_one_sheet();
    correct(&d, &day.date, &["wrap_time=20:30"]);
    d.wait_until("change sent", Duration::from_secs(30), |d| {
        d.all_handled(1) && outbox(d, &format!("notify_tomek_{}_v2", day.date)).len() == 1
    });
    let mut rev = day.clone();
    rev.revision = Some(2);
    rev.call_time = Some("08:00".into());
    d.deliver("002.eml", &sheet_mail(&rev, 42).raw);
    d.wait_until("revision handled", Duration::from_secs(30), |d| {
        d.all_handled(2) && outbox(d, &format!("notify_tomek_{}_v3", day.date)).len() == 1
    });
    let s = day_of(&d, &day.date).unwrap().schedule;
    assert_eq!(
        s.call_time.as_deref(),
        Some("08:00"),
        "the revision's change wins"
    );
    assert_eq!(
        s.wrap_time.as_deref(),
        Some("20:30"),
        "the correction stays"
    );
    // And a revision that changes the corrected field wins there too.
    let mut rev3 = rev.clone();
    rev3.revision = Some(3);
    rev3.wrap_time = Some("21:00".into());
    d.deliver("003.eml", &sheet_mail(&rev3, 44).raw);
    d.wait_until("third version", Duration::from_secs(30), |d| {
        d.all_handled(3)
            && day_of(d, &day.date)
                .is_some_and(|e| e.schedule.wrap_time.as_deref() == Some("21:00"))
    });
}

#[test]
fn a_cancelled_day_loses_its_events_and_the_crew_are_told_once() {
    let (d, day, m) = with_one_sheet();
    correct(&d, &day.date, &["cancelled=true"]);
    d.wait_until("events removed, crew told", Duration::from_secs(30), |d| {
        events(d, "tomek").is_empty()
            && events(d, "anna").is_empty()
            && outbox(d, &format!("notify_tomek_{}_cancelled", day.date)).len() == 1
            && outbox(d, &format!("notify_anna_{}_cancelled", day.date)).len() == 2
    });
    let told = outbox(&d, &format!("notify_tomek_{}_cancelled", day.date))[0].clone();
    let text = std::fs::read_to_string(&told).unwrap();
    assert!(text.contains("CANCELLED"), "tomek reads English: {text}");
    let at = mtime(&told);
    assert!(
        day_of(&d, &day.date).is_none(),
        "a cancelled day is not listed"
    );
    d.call(Command::Reprocess {
        message_id: m.message_id.clone(),
    })
    .unwrap();
    d.wait_until("reprocessed", Duration::from_secs(30), |d| {
        d.all_handled(1) && d.status().unwrap().messages.done == 1
    });
    assert_eq!(mtime(&told), at, "told once");
    assert!(events(&d, "tomek").is_empty());
}

#[test]
fn a_second_sheet_of_an_unknown_layout_is_read_right_after_the_first_was_corrected() {
    let mut d = Daemon::new(&config());
    d.start();
    let days = measurement_days(5, 2);
    let layout = OddLayout::Stawiennictwo;
    d.deliver("001.eml", &odd_mail(&days[0], layout, 51).raw);
    d.wait_until("first handled", Duration::from_secs(60), |d| {
        d.all_handled(1)
    });
    let truth = days[0].call_time.clone().unwrap();
    let read = day_of(&d, &days[0].date).map(|e| e.schedule.call_time);
    assert_ne!(
        read,
        Some(Some(truth.clone())),
        "the reader knows this layout after all"
    );
    correct(&d, &days[0].date, &[&format!("call_time={truth}")]);
    let rules = d.call(Command::Layouts).unwrap();
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(rules[0]["label"], "stawiennictwo");
    assert_eq!(rules[0]["field"], "call_time");
    d.deliver("002.eml", &odd_mail(&days[1], layout, 52).raw);
    d.wait_until("second handled", Duration::from_secs(60), |d| {
        d.all_handled(2)
    });
    let second = day_of(&d, &days[1].date).unwrap();
    assert_eq!(
        second.schedule.call_time, days[1].call_time,
        "{:?}",
        second.schedule
    );
    assert!(
        attention(&d)
            .iter()
            .all(|i| i["date"] != days[1].date.as_str()),
        "nothing to ask about the second sheet"
    );
    // Forgetting the rule: a third sheet is read as before.
    let id = rules[0]["id"].as_str().unwrap().to_string();
    d.call(Command::LayoutsForget { id }).unwrap();
    assert!(d
        .call(Command::Layouts)
        .unwrap()
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_revised_weekly_schedule_that_drops_a_day_removes_its_events_and_tells_once() {
    let mut d = Daemon::new(&config());
    d.start();
    let week = sample_days(
        318,
        3,
        chrono::NaiveDate::from_ymd_opt(2024, 3, 18).unwrap(),
        Lang::Pl,
    );
    let weekly = |days: &[ShootDay], seed| {
        let att = Attachment {
            filename: "MP2_drabinka.pdf".into(),
            pdf: render(days, Layout::Drabinka, FontSetup::SimpleWinAnsi),
            days: days.to_vec(),
        };
        schedule_mail(Client::Gmail, &[att], seed)
    };
    d.deliver("001.eml", &weekly(&week, 1).raw);
    d.wait_until("week handled", Duration::from_secs(60), |d| {
        d.all_handled(1)
    });
    assert_eq!(events(&d, "tomek").len(), 3, "{}", d.log());
    let dropped = week[1].date.clone();
    let revised: Vec<ShootDay> = [&week[0], &week[2]]
        .iter()
        .map(|day| ShootDay {
            revision: Some(2),
            ..(*day).clone()
        })
        .collect();
    d.deliver("002.eml", &weekly(&revised, 2).raw);
    d.wait_until(
        "dropped day removed and told",
        Duration::from_secs(60),
        |d| {
            d.all_handled(2)
                && events(d, "tomek").len() == 2
                && outbox(d, &format!("notify_tomek_{dropped}_cancelled")).len() == 1
        },
    );
    assert!(events(&d, "tomek")
        .iter()
        .all(|(uid, _)| !uid.contains(&dropped)));
    assert!(day_of(&d, &dropped).is_none());
    assert_eq!(
        outbox(&d, &format!("notify_anna_{dropped}_cancelled")).len(),
        2
    );
}

#[test]
fn the_coordinators_get_one_email_over_real_smtp_not_per_retry_nor_after_restart() {
    let Some(smtp) = Smtpd::started() else { return };
    let c = config();
    let start = c.find("[notify.email]").unwrap();
    let end = c.find("[notify.sms]").unwrap();
    let cfg = format!(
        "{}[notify.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"MP2 Plan <plan@produkcja-mp2.pl>\"\n\n{}",
        &c[..start],
        smtp.port,
        &c[end..]
    );
    let mut d = Daemon::new(&cfg);
    d.start();
    let bad = unreadable_mail("plan_12.pdf", 12);
    d.deliver("bad.eml", &bad.raw);
    d.wait_until("coordinator e-mailed", Duration::from_secs(30), |_| {
        smtp.received_by(COORDINATOR).len() == 1
    });
    let mail = &unfold_qp(&smtp.received_by(COORDINATOR)[0]);
    assert!(mail.contains("plan_12.pdf"), "{mail}");
    for _ in 0..2 {
        d.call(Command::Reprocess {
            message_id: bad.message_id.clone(),
        })
        .unwrap();
        d.wait_until("failed again", Duration::from_secs(30), |d| {
            d.all_handled(1)
        });
    }
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    d.start();
    d.deliver("bad2.eml", &unreadable_mail("plan_13.pdf", 13).raw);
    d.wait_until("second item e-mailed", Duration::from_secs(30), |_| {
        smtp.received_by(COORDINATOR).len() >= 2
    });
    let got = smtp.received_by(COORDINATOR);
    assert_eq!(got.len(), 2, "one per item, none repeated: {got:?}");
    assert_eq!(got.iter().filter(|m| m.contains("plan_12.pdf")).count(), 1);
}

#[test]
fn a_message_stuck_past_its_retry_limit_is_one_item_told_once() {
    // A calendar server that is not there: the syncer retries every second.
    let c = config().replace(
        "[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\n",
        "[calendar]\nprovider = \"caldav\"\nurl = \"http://127.0.0.1:9/{crew}/mp2/\"\nusername = \"mp2\"\npassword_file = \"caldav.secret\"\n",
    );
    // Retries a second apart (no backoff growth), so "three more" come soon.
    let c = c.replace(
        "fault_injection = false",
        "fault_injection = false\nretry_first = \"1s\"\nretry_max = \"1s\"",
    );
    let mut d = Daemon::new(&format!(
        "{c}\n[integrations.calendar]\nbreaker_failures = 2\nbreaker_reset = \"1s\"\ntimeout = \"2s\"\n"
    ));
    d.write("caldav.secret", "x\n");
    d.start();
    let m = sheet_mail(&plain_day(45), 45);
    d.deliver("001.eml", &m.raw);
    d.wait_until("stuck item told", Duration::from_secs(60), |d| {
        attention(d).len() == 1 && outbox(d, "tell_").len() == 1
    });
    let item = &attention(&d)[0];
    assert_eq!(item["message_id"], m.message_id.as_str());
    let reason = item["reason"].as_str().unwrap();
    assert!(
        // The calendar's own backlog now (notifications went on without it).
        reason.contains("calendar_backlog") && reason.contains("mp2ctl reprocess"),
        "{reason}"
    );
    // It keeps retrying; nothing more is raised or sent.
    let calls = |d: &Daemon| {
        d.status()
            .unwrap()
            .integrations
            .into_iter()
            .find(|i| i.name == "calendar")
            .map(|i| i.failures + i.rejected)
            .unwrap_or(0)
    };
    let seen = calls(&d);
    d.wait_until("three more attempts", Duration::from_secs(30), |d| {
        calls(d) >= seen + 3
    });
    assert_eq!(attention(&d).len(), 1);
    assert_eq!(outbox(&d, "tell_").len(), 1);
    assert_eq!(d.status().unwrap().attention, 1);
    let ctl = |args: &[&str]| {
        let o = std::process::Command::new(support::mp2ctl())
            .arg("--socket")
            .arg(d.socket())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(ctl(&["attention"]).contains("calendar_backlog"));
    assert!(
        ctl(&["status"]).contains("needs attention (1"),
        "{}",
        ctl(&["status"])
    );

    // The calendar comes back: the message gets through and the item closes.
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    let fixed = std::fs::read_to_string(&d.config).unwrap().replace(
        "[calendar]\nprovider = \"caldav\"\nurl = \"http://127.0.0.1:9/{crew}/mp2/\"\nusername = \"mp2\"\npassword_file = \"caldav.secret\"\n",
        "[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\n",
    );
    d.write("mp2.toml", &fixed);
    d.start();
    d.wait_until("through and closed", Duration::from_secs(30), |d| {
        d.all_handled(1) && attention(d).is_empty()
    });
}

#[test]
fn correcting_the_date_moves_the_day_and_its_events() {
    let (d, day, _) = with_one_sheet();
    let to = "2024-03-16";
    assert_ne!(day.date, to);
    let out = std::process::Command::new(support::mp2ctl())
        .arg("--socket")
        .arg(d.socket())
        .args(["correct", &day.date, &format!("date={to}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("moved from {}", day.date)));
    d.wait_until("events moved", Duration::from_secs(30), |d| {
        let ev = events(d, "tomek");
        d.all_handled(1) && ev.len() == 1 && ev[0].0.contains(to)
    });
    assert!(day_of(&d, &day.date).is_none());
    let moved = day_of(&d, to).unwrap();
    assert!(
        moved.plans.iter().all(|p| p.call.starts_with(to)),
        "{:?}",
        moved.plans
    );
    let (_, said) = {
        let o = std::process::Command::new(support::mp2ctl())
            .arg("--socket")
            .arg(d.socket())
            .args(["schedules", "--history", &day.date])
            .output()
            .unwrap();
        (o.status, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    assert!(
        said.contains("CANCELLED") && said.contains("moved"),
        "{said}"
    );
}

/// Issue 11: an SMTP server cannot be asked whether it took a message, so a
/// send a kill left unknown is sent again under the same Message-ID (a
/// mail client shows one) and counted as a possible duplicate; nobody is
/// asked to pass the plan on by hand.
#[test]
fn a_notification_a_crash_left_unknown_is_sent_again_under_its_message_id_and_counted() {
    let Some(smtp) = Smtpd::started() else { return };
    let c = config();
    let (start, end) = (
        c.find("[notify.email]").unwrap(),
        c.find("[notify.sms]").unwrap(),
    );
    let mut d = Daemon::new(&format!(
        "{}[notify.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"MP2 Plan <plan@produkcja-mp2.pl>\"\n\n{}",
        &c[..start],
        smtp.port,
        &c[end..]
    ));
    let day = plain_day(47);
    // As a kill -9 between recording the intent and the SMTP reply leaves
    // it (in a store written before the outbox).
    let key = format!("notify:tomek:{}:v1:email", day.date);
    {
        let store = mp2::store::Store::open(&d.path("state")).unwrap();
        store.effect_intent(&key).unwrap();
    }
    d.start();
    d.deliver("001.eml", &sheet_mail(&day, 47).raw);
    d.wait_until("sent again", Duration::from_secs(60), |d| {
        d.all_handled(1) && smtp.received_by("tomek@example.org").len() == 1
    });
    let mail = &smtp.received_by("tomek@example.org")[0];
    let id = format!("<{}@mp2>", key.replace(':', "_"));
    assert!(
        mail.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("message-id:") && l.contains(&id)),
        "the same Message-ID as the cut-off send: {mail}"
    );
    assert_eq!(d.status().unwrap().outbox.possible_duplicates, 1);
    assert!(attention(&d).is_empty(), "{:?}", attention(&d));
    assert_eq!(smtp.received_by("anna@example.org").len(), 1);
}

#[test]
fn an_office_that_works_in_english_is_told_in_english() {
    let c = config().replace(
        "[production]\nname = \"MP2\"\n",
        "[production]\nname = \"MP2\"\nlanguage = \"en\"\n",
    );
    let mut d = Daemon::new(&c);
    d.start();
    let bad = unreadable_mail("plan_14.pdf", 14);
    d.deliver("bad.eml", &bad.raw);
    d.wait_until("one item, told", Duration::from_secs(30), |d| {
        attention(d).len() == 1 && outbox(d, "tell_").len() == 1
    });
    let reason = attention(&d)[0]["reason"].as_str().unwrap().to_string();
    assert!(
        reason.starts_with("Could not read the schedule plan_14.pdf"),
        "{reason}"
    );
    let mail = unfold_qp(&std::fs::read_to_string(&outbox(&d, "tell_")[0]).unwrap());
    assert!(
        mail.contains("needs attention") && mail.contains("Could not read the schedule"),
        "{mail}"
    );
    assert!(!mail.contains("Nie udało się"), "no Polish: {mail}");
}

#[test]
fn a_plan_on_an_uncertain_call_is_sent_marked_to_be_confirmed() {
    let mut d = Daemon::new(&config());
    d.start();
    // A sheet printing two different general calls, nothing saying which holds.
    let sheet = mp2::fixtures::world::world_sheets(3)
        .into_iter()
        .find(|s| s.family == "pl_agency_conflict")
        .unwrap();
    let date = sheet.truth[0].date.clone();
    let att = Attachment {
        filename: "plan_konflikt.pdf".into(),
        pdf: sheet.pdf,
        days: sheet.truth,
    };
    d.deliver("001.eml", &schedule_mail(Client::Gmail, &[att], 61).raw);
    d.wait_until("handled and sent", Duration::from_secs(60), |d| {
        d.all_handled(1) && !outbox(d, "notify_tomek").is_empty()
    });
    let e = day_of(&d, &date).unwrap();
    assert!(
        e.schedule.call_time.is_some()
            && e.schedule.uncertain.contains(&mp2::model::Field::CallTime),
        "the reader states the call and doubts it: {:?}",
        e.schedule
    );
    assert!(!e.plans.is_empty(), "a plan is built on an uncertain call");
    // Whoever follows the general call is told it is to be confirmed; whoever
    // follows a department call the reader is sure of is not.
    let general = e.schedule.call_time.clone().unwrap();
    let mut marked = 0;
    for p in &e.plans {
        let on_general = p.call.contains(&format!("T{general}"));
        if on_general && e.schedule.department_calls.values().any(|t| *t == general) {
            continue; // a department called at the general time: either may hold
        }
        for f in outbox(&d, &format!("notify_{}_", p.crew)) {
            let text = unfold_qp(&std::fs::read_to_string(&f).unwrap());
            // In the crew member's language (Tomek reads English).
            let says = text.contains("godzina do potwierdzenia")
                || text.contains("[time to be confirmed]");
            assert_eq!(says, on_general, "{}: {}\n{text}", p.crew, f.display());
            marked += usize::from(says);
        }
    }
    assert!(
        marked > 0,
        "someone follows the doubted general call: {:?}",
        e.plans
    );
    let items = attention(&d);
    assert!(
        items
            .iter()
            .any(|i| i["date"] == date.as_str() && i["fields"] == serde_json::json!(["call_time"])),
        "{items:?}"
    );
}
