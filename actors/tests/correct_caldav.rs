//! `mp2ctl correct` against a real Radicale: the corrected day's event is
//! moved in place (same href, SEQUENCE 2), one event per crew member stays.
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
