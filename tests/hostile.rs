//! Hostile input, through the real binaries: every bad PDF or message gets a
//! clear error, is recorded, and neither `mp2ctl parse` nor the daemon falls
//! over, hangs or loses the good mail delivered alongside.

mod support;

use mp2::control::{Command, HistoryEntry};
use mp2::fixtures::demo::demo_mails;
use mp2::fixtures::hostile;
use mp2::fixtures::mime::{schedule_mail, Attachment, Client};
use std::process::Command as Proc;
use std::time::{Duration, Instant};
use support::Daemon;

fn hostile_pdfs() -> Vec<(&'static str, Vec<u8>)> {
    let good = demo_mails()[0].pdfs[0].1.clone();
    vec![
        ("random", hostile::random_bytes(7, 50_000)),
        ("truncated", hostile::truncated(&good, 40)),
        ("page-tree-cycle", hostile::page_tree_cycle()),
        ("xobject-cycle", hostile::xobject_cycle()),
        ("flate-bomb", hostile::flate_bomb(256 << 20)),
        ("deep-arrays", hostile::deep_arrays(10_000)),
        ("page-count-lie", hostile::page_count_lie(u64::MAX / 2)),
        ("many-pages", hostile::many_pages(2_000)),
    ]
}

#[test]
fn mp2ctl_parse_survives_every_hostile_pdf_quickly() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in hostile_pdfs() {
        let f = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&f, bytes).unwrap();
        let t = Instant::now();
        let out = Proc::new(support::mp2ctl())
            .arg("parse")
            .arg(&f)
            .arg("--json")
            .output()
            .unwrap();
        let took = t.elapsed();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{name}: exit {code:?} (a crash?) {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: no JSON line: {e}"));
        if code == Some(1) {
            let errs = v["errors"].as_array().unwrap();
            assert!(
                !errs.is_empty()
                    && errs
                        .iter()
                        .all(|e| e.as_str().is_some_and(|s| s.len() > 10)),
                "{name}: a clear error: {v}"
            );
        }
        // Generous: this is a hang detector, not a benchmark.
        assert!(took < Duration::from_secs(30), "{name} took {took:?}");
    }
}

#[test]
fn the_daemon_records_hostile_mail_and_still_handles_the_good_one() {
    let mut d = Daemon::new(
        &mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false"),
    );
    d.start();
    let mut n = 0;
    for (name, pdf) in hostile_pdfs() {
        let att = Attachment {
            filename: format!("{name}.pdf"),
            pdf,
            days: vec![],
        };
        let m = schedule_mail(Client::Gmail, &[att], n as u64);
        d.deliver(&format!("h{n:02}.eml"), &m.raw);
        n += 1;
    }
    d.deliver("bomb.eml", &hostile::mime_bomb(5_000));
    d.deliver("random.eml", &hostile::random_bytes(3, 20_000));
    d.deliver("empty.eml", b"");
    n += 3;
    let good = &demo_mails()[0];
    d.deliver("good.eml", &good.raw);
    n += 1;
    d.wait_until("every message recorded", Duration::from_secs(120), |d| {
        d.status()
            .is_some_and(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
    });
    let s = d.status().unwrap();
    assert_eq!(s.state, "running", "{:?}", s.problems);
    assert!(
        s.actors.iter().all(|a| a.restarts == 0),
        "nothing crashed: {:?}",
        s.actors
    );
    let h: Vec<HistoryEntry> = serde_json::from_value(d.call(Command::History).unwrap()).unwrap();
    let good_entry = h
        .iter()
        .find(|e| e.message_id == good.message_id)
        .expect("good mail in history");
    assert_eq!(
        good_entry.stage,
        mp2::store::Stage::Notified,
        "{good_entry:?}"
    );
    for e in &h {
        if e.stage == mp2::store::Stage::Failed {
            assert!(!e.errors.is_empty(), "a failed message says why: {e:?}");
        }
    }
    assert!(
        h.iter()
            .filter(|e| e.stage == mp2::store::Stage::Failed)
            .count()
            >= 6,
        "{h:#?}"
    );
    // Nothing was lost: every file left new/.
    assert!(d.files("inbox/new").is_empty());
}

/// A sender controls the subject: an encoded word can carry ESC (here
/// "clear screen") and a CR LF followed by a fake history line. Every human
/// listing of `mp2ctl` shows them as visible escapes, on the one line.
#[test]
fn escape_sequences_in_a_subject_are_rendered_harmless() {
    let mut d = Daemon::new(
        &mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false"),
    );
    d.start();
    let subject = "MP2 plan zdjęciowy\x1b[2J\x1b[H\r\n2026-01-01T00:00:00+01:00  accepted  notified  <forged@x>  \u{202e}all fine";
    let raw = format!(
        "From: Asystent <asystent.produkcji@gmail.com>\r\n\
         To: plan@produkcja-mp2.pl\r\n\
         Subject: =?UTF-8?B?{}?=\r\n\
         Date: Mon, 2 Mar 2026 18:00:00 +0100\r\n\
         Message-ID: <esc-1@example.net>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nplan zdjęciowy w załączniku\r\n\
         --b\r\nContent-Type: application/pdf; name=\"plan.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        mp2::fixtures::mime::base64_lines(subject.as_bytes()).replace(['\r', '\n'], ""),
        mp2::fixtures::mime::base64_lines(b"%PDF-1.4\nnot really a PDF\n%%EOF\n"),
    );
    d.deliver("esc.eml", raw.as_bytes());
    d.wait_until("the message recorded", Duration::from_secs(60), |d| {
        d.status()
            .is_some_and(|s| s.messages.seen == 1 && s.messages.in_flight == 0)
    });
    let h: Vec<HistoryEntry> = serde_json::from_value(d.call(Command::History).unwrap()).unwrap();
    assert!(
        h[0].subject.contains('\x1b'),
        "the store keeps the subject as sent, so the test means something: {h:?}"
    );
    for args in [
        &["history"][..],
        &["attention"],
        &["status"],
        &["schedules"],
    ] {
        let out = Proc::new(support::mp2ctl())
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains(['\x1b', '\r', '\u{202e}']),
            "{args:?} prints raw control characters: {text:?}"
        );
        for line in text.lines().filter(|l| l.contains("forged@x")) {
            assert!(
                line.contains("2J") && line.contains("MP2 plan"),
                "{args:?}: the forged text stays on the subject's own line: {text}"
            );
        }
        if args == ["history"] {
            assert!(text.contains("\\x1b[2J"), "{text}");
        }
    }
}
