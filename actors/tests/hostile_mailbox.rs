//! Hostile mail through the whole daemon on both mailbox kinds (a real
//! Dovecot over IMAP, and a Maildir): every hostile message ends in
//! `history` as failed with a reason, and the good schedule sent after them
//! is handled within seconds. Mail over the size cap and mail from unlisted
//! senders show the same in `history` over IMAP as over Maildir.

#[path = "support/dovecot.rs"]
mod dovecot;
#[path = "../../tests/support/mod.rs"]
mod support;

use dovecot::{Dovecot, Options, PASSWORD, USER};
use mp2::control::{Command, HistoryEntry};
use mp2::fixtures::demo::demo_mails;
use mp2::fixtures::hostile;
use mp2::fixtures::mime::{schedule_mail, Attachment, Client};
use mp2::store::Stage;
use std::time::{Duration, Instant};
use support::Daemon;

const MAILDIR_BOX: &str = "[mailbox]\nkind = \"maildir\"\npath = \"inbox\"\npoll_interval = \"1s\"";

/// A Dovecot, or `None` on a developer's machine without one (saying so);
/// under CI (`CI` set) a missing Dovecot fails the test.
fn dovecot() -> Option<Dovecot> {
    if Dovecot::available() {
        return Some(Dovecot::start(Options::default()));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but Dovecot is missing: apt-get install dovecot-imapd openssl"
    );
    None
}

/// The demo config with `extra_filter` lines under `[filter]`, on a Maildir
/// or (given a Dovecot) on IMAP.
fn config(dv: Option<&Dovecot>, extra_filter: &str) -> String {
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    assert!(
        base.contains(MAILDIR_BOX) && base.contains("[filter]\n"),
        "demo config layout changed"
    );
    let base = base.replace("[filter]\n", &format!("[filter]\n{extra_filter}"));
    match dv {
        None => base,
        Some(dv) => base.replace(
            MAILDIR_BOX,
            &format!(
                "[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nusername = \"{USER}\"\npassword_file = \"imap.secret\"\nfolder = \"INBOX\"\nidle = true\npoll_interval = \"5s\"",
                dv.imaps_port,
                dv.ca_pem.display()
            ),
        ),
    }
}

/// Where mail goes: the daemon's Maildir, or the Dovecot INBOX.
enum Inbox<'a> {
    Maildir,
    Imap(&'a Dovecot),
}

impl Inbox<'_> {
    fn deliver(&self, d: &Daemon, name: &str, raw: &[u8]) {
        match self {
            Inbox::Maildir => d.deliver(name, raw),
            Inbox::Imap(dv) => dv.append("INBOX", raw),
        }
    }
}

fn start(dv: Option<&Dovecot>, extra_filter: &str) -> Daemon {
    let mut d = Daemon::new(&config(dv, extra_filter));
    if dv.is_some() {
        d.write("imap.secret", PASSWORD);
    }
    d.start();
    d
}

fn history(d: &Daemon) -> Vec<HistoryEntry> {
    d.call(Command::History)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

fn entry(d: &Daemon, message_id: &str) -> Option<HistoryEntry> {
    history(d).into_iter().find(|e| e.message_id == message_id)
}

/// The hostile set of finding 6, as (what, Message-ID, raw mail).
fn hostile_set() -> Vec<(&'static str, String, Vec<u8>)> {
    let with_pdf = |seed: u64, pdf: Vec<u8>| {
        let att = Attachment {
            filename: "plan.pdf".into(),
            pdf,
            days: vec![],
        };
        let m = schedule_mail(Client::Gmail, &[att], seed);
        (m.message_id, m.raw)
    };
    let (flate_id, flate) = with_pdf(601, hostile::flate_bomb((1 << 30) + (1 << 20)));
    let (cycle_id, cycle) = with_pdf(602, hostile::page_tree_cycle());
    let (random_id, random) = with_pdf(603, hostile::random_bytes(7, 50_000));
    vec![
        (
            "50 MB message",
            "<oversize@produkcja-mp2.pl>".into(),
            hostile::oversize_message(50 << 20),
        ),
        ("PDF inflating past 1 GB", flate_id, flate),
        (
            "MIME nested 200 deep",
            "<bomb@produkcja-mp2.pl>".into(),
            hostile::mime_bomb(200),
        ),
        ("circular page tree", cycle_id, cycle),
        ("random bytes named .pdf", random_id, random),
    ]
}

fn hostile_then_good(inbox: Inbox<'_>, d: &Daemon) {
    let set = hostile_set();
    for (i, (_, _, raw)) in set.iter().enumerate() {
        inbox.deliver(d, &format!("hostile{i}.eml"), raw);
    }
    let good = &demo_mails()[0];
    let sent = Instant::now();
    inbox.deliver(d, "good.eml", &good.raw);
    d.wait_until(
        "the good schedule after the hostile set is notified",
        // "Within seconds": measured 0.4 s (Maildir) and 1.5 s (IMAP); the
        // slack is for a loaded CI machine, not for a stuck stage.
        Duration::from_secs(30),
        |d| entry(d, &good.message_id).is_some_and(|e| e.stage == Stage::Notified),
    );
    eprintln!("good mail handled {:?} after delivery", sent.elapsed());
    d.wait_until(
        "every hostile message in history as failed",
        Duration::from_secs(120),
        |d| {
            set.iter()
                .all(|(_, id, _)| entry(d, id).is_some_and(|e| e.stage == Stage::Failed))
        },
    );
    for (what, id, _) in &set {
        let e = entry(d, id).unwrap();
        assert!(
            !e.errors.is_empty() && e.errors.iter().all(|x| x.len() > 10) && !e.reason.is_empty(),
            "{what}: failed with a reason: {e:?}"
        );
        assert!(
            !e.reason.contains("no PDF attached"),
            "{what}: not a plain rejection: {e:?}"
        );
        eprintln!("{what}: {} / {:?}", e.reason, e.errors);
    }
    let oversize = entry(d, "<oversize@produkcja-mp2.pl>").unwrap();
    assert!(
        oversize.reason.starts_with("over the size cap (")
            && oversize.reason.ends_with(&format!(" > {})", 40 << 20)),
        "{oversize:?}"
    );
    assert_eq!(
        oversize.from, "produkcja@produkcja-mp2.pl",
        "headers are kept"
    );
    let s = d.status().unwrap();
    assert_eq!(s.state, "running", "{:?}", s.problems);
}

#[test]
fn finding6_hostile_mail_over_imap_fails_with_reasons_and_the_next_good_mail_is_handled() {
    let Some(dv) = dovecot() else { return };
    let d = start(Some(&dv), "");
    hostile_then_good(Inbox::Imap(&dv), &d);
}

#[test]
fn finding6_hostile_mail_over_maildir_fails_with_reasons_and_the_next_good_mail_is_handled() {
    let d = start(None, "");
    hostile_then_good(Inbox::Maildir, &d);
    assert!(d.files("inbox/new").is_empty(), "every file taken");
}

/// Mail from senders not in `filter.senders` and mail over the cap.
fn unlisted_and_oversize(cap: usize) -> Vec<(String, Vec<u8>)> {
    let unlisted = |n: usize, from: &str, subject: &str| {
        let id = format!("<unlisted-{n}@example.net>");
        let raw = format!(
            "From: {from}\r\nTo: plan@produkcja-mp2.pl\r\nSubject: {subject}\r\nDate: Mon, 2 Mar 2026 18:00:00 +0100\r\nMessage-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplan zdjęciowy MP2 w załączniku\r\n"
        );
        (id, raw.into_bytes())
    };
    vec![
        unlisted(
            1,
            "Newsletter <news@kino.example>",
            "MP2: plan zdjęć newsletter",
        ),
        unlisted(2, "Hotel Bristol <rezerwacje@hotel.example>", "Rezerwacja"),
        unlisted(3, "Kolega <jan@gmail.com>", "Re: call sheet"),
        (
            "<oversize@produkcja-mp2.pl>".into(),
            hostile::oversize_message(cap),
        ),
    ]
}

#[test]
fn finding7_unlisted_and_oversize_mail_reach_history_over_imap_as_over_maildir() {
    let Some(dv) = dovecot() else { return };
    let cap = 1 << 20;
    let filter = format!("max_message_bytes = {cap}\n");
    let over_imap = start(Some(&dv), &filter);
    let over_maildir = start(None, &filter);
    let mails = unlisted_and_oversize(cap);
    for (i, (_, raw)) in mails.iter().enumerate() {
        Inbox::Imap(&dv).deliver(&over_imap, "", raw);
        Inbox::Maildir.deliver(&over_maildir, &format!("m{i}.eml"), raw);
    }
    for d in [&over_imap, &over_maildir] {
        d.wait_until("every message in history", Duration::from_secs(30), |d| {
            mails.iter().all(|(id, _)| entry(d, id).is_some())
        });
    }
    for (id, _) in &mails {
        let (i, m) = (
            entry(&over_imap, id).unwrap(),
            entry(&over_maildir, id).unwrap(),
        );
        eprintln!("IMAP: {i:?}\nMaildir: {m:?}");
        assert_eq!(
            (&i.from, &i.subject, &i.verdict, i.stage, i.matched),
            (&m.from, &m.subject, &m.verdict, m.stage, m.matched),
            "{id}: IMAP and Maildir agree"
        );
        assert!(!i.from.is_empty() && !i.subject.is_empty(), "{i:?}");
        if id.starts_with("<unlisted") {
            assert_eq!(i.reason, m.reason, "{id}");
            assert_eq!((i.verdict.as_str(), i.stage), ("rejected", Stage::Seen));
        } else {
            for e in [&i, &m] {
                assert_eq!(e.stage, Stage::Failed, "{e:?}");
                assert!(
                    e.reason.starts_with("over the size cap (")
                        && e.reason.ends_with(&format!(" bytes > {cap})")),
                    "{e:?}"
                );
                assert!(!e.errors.is_empty(), "{e:?}");
            }
        }
    }
    // Somebody else's mail is left as it was on the server; the oversize
    // one, handled (as failed), carries the keyword.
    let flags = dv.flags("INBOX");
    let marked: Vec<bool> = flags
        .iter()
        .map(|(_, f)| f.iter().any(|x| x == "$MP2Handled"))
        .collect();
    assert_eq!(marked, [false, false, false, true], "{flags:?}");
}
