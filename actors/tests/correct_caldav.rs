//! `mp2ctl correct` against a real Radicale: the corrected day's event is
//! moved in place (same href, SEQUENCE 2), one event per crew member stays;
//! and a revised sheet that calls the day off (`ODWOŁANY`) deletes it.
//!
//! Needs Radicale (`pip install radicale`): skipped with a note on a dev
//! machine without it, a failure when `CI` is set.

#[path = "support/radicale.rs"]
mod radicale;
#[path = "../../tests/support/mod.rs"]
mod support;

use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::demo::demo_mails;
use radicale::{Radicale, Stored, PASSWORD};
use std::time::Duration;
use support::{demo_config, Daemon};

fn skip() -> bool {
    if radicale::available() {
        return false;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Radicale is not installed but CI is set: install it (pip install radicale)"
    );
    eprintln!("SKIPPED: Radicale is not installed (pip install radicale)");
    true
}

fn event_of(r: &Radicale, crew: &str, date: &str) -> Vec<Stored> {
    let uid = format!("mp2-{crew}-{date}@mp2");
    r.events(crew)
        .into_iter()
        .filter(|e| e.prop("UID").as_deref() == Some(uid.as_str()))
        .collect()
}

fn dtstart(e: &Stored) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(&e.prop("DTSTART").unwrap(), "%Y%m%dT%H%M%SZ").unwrap()
}

#[test]
fn correct_moves_the_caldav_event_in_place() {
    if skip() {
        return;
    }
    let r = Radicale::started();
    let d = {
        let mut d = Daemon::new(&demo_config(
            &format!(
                "[calendar]\nprovider = \"caldav\"\nurl = \"{}\"\nusername = \"mp2\"\npassword_file = \"caldav.secret\"\n",
                r.url_template()
            ),
            "",
        ));
        d.write("caldav.secret", &format!("{PASSWORD}\n"));
        d.start();
        d
    };
    let mail = demo_mails().remove(0);
    let date = mail.days[0].date.clone();
    d.deliver("001.eml", &mail.raw);
    d.wait_until("sheet handled", Duration::from_secs(60), |d| {
        d.all_handled(1)
    });
    let before = event_of(&r, "tomek", &date);
    assert_eq!(before.len(), 1, "{}", d.log());
    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    let call = days
        .iter()
        .find(|e| e.date == date)
        .unwrap()
        .schedule
        .call_time
        .clone()
        .unwrap();
    let t = chrono::NaiveTime::parse_from_str(&call, "%H:%M").unwrap() - chrono::Duration::hours(1);
    d.call(Command::Correct {
        date: date.clone(),
        fields: vec![format!("call_time={}", t.format("%H:%M"))],
    })
    .unwrap();
    d.wait_until("event rewritten", Duration::from_secs(30), |d| {
        d.all_handled(1)
            && event_of(&r, "tomek", &date)
                .first()
                .is_some_and(|e| e.prop("SEQUENCE").as_deref() == Some("2"))
    });
    let after = event_of(&r, "tomek", &date);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].href, before[0].href, "updated in place");
    assert_eq!(
        dtstart(&before[0]) - dtstart(&after[0]),
        chrono::Duration::hours(1)
    );
    assert_eq!(event_of(&r, "anna", &date).len(), 1);
}

/// The schedule e-mail carrying one world-family sheet.
fn world_mail(sheet: mp2::fixtures::world::WorldSheet, seed: u64) -> mp2::fixtures::BuiltMail {
    let att = mp2::fixtures::Attachment {
        filename: format!("{}.pdf", sheet.name),
        pdf: sheet.pdf,
        days: sheet.truth,
    };
    mp2::fixtures::schedule_mail(mp2::fixtures::Client::Gmail, &[att], seed)
}

#[test]
fn a_sheet_that_calls_the_day_off_deletes_its_caldav_events_and_tells_the_crew_once() {
    if skip() {
        return;
    }
    let r = Radicale::started();
    let mut d = Daemon::new(&demo_config(
        &format!(
            "[calendar]\nprovider = \"caldav\"\nurl = \"{}\"\nusername = \"mp2\"\npassword_file = \"caldav.secret\"\n",
            r.url_template()
        ),
        "",
    ));
    d.write("caldav.secret", &format!("{PASSWORD}\n"));
    d.start();
    use mp2::fixtures::world::family_sheet_as;
    let sheet = family_sheet_as("pl_agency", 4, false).unwrap();
    let date = sheet.truth[0].date.clone();
    d.deliver("001.eml", &world_mail(sheet, 41).raw);
    d.wait_until("sheet handled", Duration::from_secs(60), |d| {
        d.all_handled(1)
    });
    for crew in ["tomek", "anna"] {
        assert_eq!(event_of(&r, crew, &date).len(), 1, "{crew}: {}", d.log());
    }
    let off = family_sheet_as("pl_agency", 4, true).unwrap();
    assert_eq!(off.truth[0].date, date, "the same day, called off");
    assert!(off.truth[0].cancelled);
    d.deliver("002.eml", &world_mail(off, 42).raw);
    let told = |d: &Daemon| {
        d.files("outbox/email")
            .into_iter()
            .chain(d.files("outbox/sms"))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("notify_") && n.contains("_cancelled"))
            })
            .count()
    };
    d.wait_until("events deleted, crew told", Duration::from_secs(60), |d| {
        d.all_handled(2)
            && event_of(&r, "tomek", &date).is_empty()
            && event_of(&r, "anna", &date).is_empty()
            && told(d) > 0
    });
    let n = told(&d);
    assert_eq!(
        n, 3,
        "once per crew member and channel (tomek e-mail, anna e-mail and SMS)"
    );
    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    assert!(
        days.iter().all(|e| e.date != date),
        "a cancelled day is not listed"
    );
    // Reading the cancelling sheet again deletes nothing more, tells nobody again.
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    d.start();
    d.wait_until("restarted", Duration::from_secs(30), |d| d.all_handled(2));
    assert_eq!(told(&d), n);
}
