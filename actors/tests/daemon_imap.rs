//! The whole daemon on a real Dovecot: schedule e-mails APPENDed to the
//! mailbox are heard over IDLE, handled end to end, marked on the server,
//! and a wrong password shows up in `status` as `degraded` with the reason.

#[path = "support/dovecot.rs"]
mod dovecot;

use dovecot::{Dovecot, Options, PASSWORD, USER};
#[path = "../../tests/support/mod.rs"]
mod support;

use mp2::control::StatusReport;
use mp2::fixtures::demo::demo_mails;
use std::time::Duration;
use support::Daemon;

fn start(dv: &Dovecot, password: &str) -> Daemon {
    let cfg = mp2::config::DEMO_TOML.replace(
        "[mailbox]\nkind = \"maildir\"\npath = \"inbox\"\npoll_interval = \"1s\"",
        &format!(
            "[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nusername = \"{USER}\"\npassword_file = \"imap.secret\"\nfolder = \"INBOX\"\nidle = true\npoll_interval = \"5s\"",
            dv.imaps_port,
            dv.ca_pem.display()
        ),
    );
    assert!(
        cfg.contains("kind = \"imap\""),
        "demo config layout changed"
    );
    let mut d = Daemon::new(&cfg);
    d.write("imap.secret", password);
    d.start();
    d
}

fn wait(d: &Daemon, what: &str, limit: Duration, f: impl Fn(Option<StatusReport>) -> bool) {
    d.wait_until(what, limit, |d| f(d.status()));
}

#[test]
fn appended_schedule_mail_is_handled_end_to_end() {
    if !Dovecot::available() {
        return;
    }
    let dv = Dovecot::start(Options::default());
    let d = start(&dv, PASSWORD);
    let mails = demo_mails();
    for m in &mails {
        dv.append("INBOX", &m.raw);
    }
    let matched = mails.iter().filter(|m| m.matched).count() as u64;
    wait(
        &d,
        "all schedule mails handled",
        Duration::from_secs(60),
        |s| {
            s.is_some_and(|s| {
                s.messages.matched == matched
                    && s.messages.in_flight == 0
                    && s.messages.done >= matched
            })
        },
    );
    let s = d.status().unwrap();
    assert_eq!(s.state, "running", "{:?}", s.problems);
    let imap = s.integrations.iter().find(|i| i.name == "imap").unwrap();
    assert!(imap.calls > 0, "IMAP calls go through the guard");
    // Every message from a listed sender was handled (accepted or rejected
    // with a reason in history) and carries the keyword on the server.
    let filter = mp2::config::Filter::default();
    let candidates = mails
        .iter()
        .filter(|m| mp2::mail::sender_listed(&m.from, &filter))
        .count();
    let marked = dv
        .flags("INBOX")
        .iter()
        .filter(|(_, f)| f.iter().any(|x| x == "$MP2Handled"))
        .count();
    assert_eq!(marked, candidates);
    assert!(d.path("calendar/anna.ics").exists());
}

#[test]
fn wrong_password_is_degraded_with_a_reason_not_a_crash_loop() {
    if !Dovecot::available() {
        return;
    }
    let dv = Dovecot::start(Options::default());
    let d = start(&dv, "not-the-password");
    wait(
        &d,
        "degraded with the login reason",
        Duration::from_secs(20),
        |s| {
            s.is_some_and(|s| {
                s.state == "degraded" && s.problems.iter().any(|p| p.contains("password_file"))
            })
        },
    );
    let s = d.status().unwrap();
    let w = s
        .actors
        .iter()
        .find(|a| a.name == "mailbox_watcher")
        .unwrap();
    assert_eq!(w.status, "running");
    assert_eq!(w.restarts, 0, "no crash loop");
}
