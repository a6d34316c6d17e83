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
