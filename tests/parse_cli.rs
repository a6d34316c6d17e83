//! `mp2ctl parse` as users and acceptance checks call it: JSON Lines in the
//! CONTRACT §1 shape, exit codes, generated fixtures round-tripping, and —
//! when `../shared/corpus` is beside the checkout — the sample corpus scored
//! with its own `score.py`.

mod support;

use mp2::fixtures::demo::demo_mails;
use std::path::{Path, PathBuf};
use std::process::Command;

fn parse(files: &[&Path], extra: &[&str]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let out = Command::new(support::mp2ctl())
        .arg("parse")
        .args(files)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shape_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mails = demo_mails();
    let good = dir.path().join("good.eml");
    std::fs::write(&good, &mails[0].raw).unwrap();
    let pdf = dir.path().join("plan.pdf");
    std::fs::write(&pdf, &mails[0].pdfs[0].1).unwrap();
    let junk = dir.path().join("junk.pdf");
    std::fs::write(&junk, b"\x00\x01 definitely not a pdf").unwrap();

    let (code, lines, _) = parse(&[&good, &pdf], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(lines.len(), 2, "one line per file, in order");
    assert_eq!(lines[0]["source"], "good.eml");
    assert_eq!(lines[0]["kind"], "email");
    for k in [
        "message_id",
        "from",
        "subject",
        "date",
        "matched",
        "reason",
        "attachments",
    ] {
        assert!(lines[0]["email"].get(k).is_some(), "email.{k} missing");
    }
    assert_eq!(lines[1]["kind"], "pdf");
    assert!(lines[1]["email"].is_null());
    let day = &lines[1]["schedules"][0];
    for k in [
        "production",
        "date",
        "shoot_day",
        "revision",
        "call_time",
        "wrap_time",
        "base",
        "locations",
        "set_type",
        "scenes",
        "department_calls",
        "safety_notes",
        "contacts",
        "notes",
        "confidence",
        "warnings",
    ] {
        assert!(day.get(k).is_some(), "schedule.{k} missing: {day}");
    }

    let (code, lines, _) = parse(&[&pdf, &junk], &[]);
    assert_eq!(
        code,
        Some(1),
        "a file that cannot be read makes the exit status 1"
    );
    assert_eq!(lines.len(), 2);
    assert!(!lines[1]["errors"].as_array().unwrap().is_empty());

    let out = Command::new(support::mp2ctl())
        .args(["parse", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad usage");
}

#[test]
fn generated_mails_give_their_dates() {
    let dir = tempfile::tempdir().unwrap();
    for (i, m) in demo_mails().iter().enumerate() {
        let f = dir.path().join(format!("{i}.eml"));
        std::fs::write(&f, &m.raw).unwrap();
        let (_, lines, _) = parse(&[&f], &[]);
        assert_eq!(
            lines[0]["email"]["matched"], m.matched,
            "{}: {}",
            m.label, lines[0]["email"]["reason"]
        );
        let got: Vec<String> = lines[0]["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, m.expected_dates(), "{}", m.label);
    }
}

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.join("score.py").exists().then_some(p)
}

/// The acceptance measure: field accuracy on the sample call sheets.
#[test]
fn sample_corpus_field_accuracy() {
    let Some(c) = corpus() else {
        eprintln!("skipped: ../shared/corpus not present");
        return;
    };
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(c.join("pdf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pdfs.sort();
    let refs: Vec<&Path> = pdfs.iter().map(|p| p.as_path()).collect();
    let out = Command::new(support::mp2ctl())
        .arg("parse")
        .args(&refs)
        .arg("--json")
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    std::fs::write(&jsonl, &out.stdout).unwrap();
    let score = Command::new("python3")
        .arg(c.join("score.py"))
        .arg(c.join("truth"))
        .arg(&jsonl)
        .arg("-v")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&score.stdout);
    let last = text
        .lines()
        .rev()
        .find(|l| l.starts_with("field accuracy:"))
        .expect("score line");
    let acc: f64 = last.split_whitespace().nth(2).unwrap().parse().unwrap();
    eprintln!("{text}");
    assert!(acc >= MIN_CORPUS_ACCURACY, "{last}\n{text}");
}

/// Every field of every sample day.
const MIN_CORPUS_ACCURACY: f64 = 1.0;

/// The mail corpus: matched verdict and the set of shooting dates.
#[test]
fn sample_mail_corpus_verdicts_and_dates() {
    let Some(c) = corpus() else {
        eprintln!("skipped: ../shared/corpus not present");
        return;
    };
    let mut wrong = Vec::new();
    let mut n = 0;
    let mut mails: Vec<PathBuf> = std::fs::read_dir(c.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    mails.sort();
    for m in mails {
        n += 1;
        let truth: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                c.join("mail/truth")
                    .join(m.file_stem().unwrap())
                    .with_extension("json"),
            )
            .unwrap(),
        )
        .unwrap();
        let (_, lines, _) = parse(&[&m], &[]);
        let l = &lines[0];
        let mut got: Vec<String> = l["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want: Vec<String> = truth["schedule_dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        want.sort();
        if l["email"]["matched"] != truth["matched"] || (truth["matched"] == true && got != want) {
            wrong.push(format!(
                "{}: matched {} (want {}), dates {got:?} (want {want:?})",
                m.display(),
                l["email"]["matched"],
                truth["matched"]
            ));
        }
    }
    eprintln!("mail corpus: {}/{n} correct", n - wrong.len());
    assert!(wrong.len() <= MAX_MAIL_WRONG, "{}", wrong.join("\n"));
}

const MAX_MAIL_WRONG: usize = 0;

#[test]
fn a_closed_pipe_ends_mp2ctl_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, m) in demo_mails().iter().enumerate() {
        let f = dir.path().join(format!("{i}.eml"));
        std::fs::write(&f, &m.raw).unwrap();
        files.push(f);
    }
    let mut child = Command::new(support::mp2ctl())
        .arg("parse")
        // Far more output than a pipe buffers, so writes hit the closed pipe.
        .args(files.iter().cycle().take(files.len() * 40))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then hang up, as `| head -c1` would.
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    let _ = status;
}

/// CONTRACT §3 rule 4 (issue 8): only what the receiving server wrote
/// counts. A `dkim=pass` the sender added below the receiver's failure,
/// `dmarc=fail` beside a soft SPF failure, a failure shown in
/// `ARC-Authentication-Results`, and a second `From:` are all rejected; the
/// added header is believed only when the operator trusts its authserv-id.
#[test]
fn forged_authentication_results_are_rejected() {
    use mp2::fixtures::{forged_mail, Attachment, Forgery};
    let dir = tempfile::tempdir().unwrap();
    let demo = &demo_mails()[0];
    let att = Attachment {
        filename: demo.pdfs[0].0.clone(),
        pdf: demo.pdfs[0].1.clone(),
        days: demo.days.clone(),
    };
    let mut files = Vec::new();
    for forgery in Forgery::ALL {
        let mail = forged_mail(forgery, std::slice::from_ref(&att), 7);
        let f = dir.path().join(format!("{}.eml", mail.label));
        std::fs::write(&f, &mail.raw).unwrap();
        files.push((forgery, f));
    }
    let refs: Vec<&Path> = files.iter().map(|(_, f)| f.as_path()).collect();
    let (code, lines, err) = parse(&refs, &[]);
    assert_eq!(code, Some(0), "{err}");
    for ((forgery, _), line) in files.iter().zip(&lines) {
        let reason = line["email"]["reason"].as_str().unwrap();
        assert_eq!(line["email"]["matched"], false, "{forgery:?}: {reason}");
        assert!(
            reason.starts_with("rejected as spoofed"),
            "{forgery:?}: {reason}"
        );
        assert_eq!(line["schedules"], serde_json::json!([]), "{forgery:?}");
    }
    assert!(lines[0]["email"]["reason"]
        .as_str()
        .unwrap()
        .contains("dkim=fail for produkcja-mp2.pl"));
    assert!(lines[1]["email"]["reason"]
        .as_str()
        .unwrap()
        .contains("dmarc=fail for produkcja-mp2.pl"));
    assert!(lines[2]["email"]["reason"]
        .as_str()
        .unwrap()
        .contains("(ARC)"));
    assert!(lines[3]["email"]["reason"]
        .as_str()
        .unwrap()
        .contains("2 From: headers"));

    // An operator who names the authserv-ids to believe decides which header
    // counts: trusting the sender's own server is what lets the forgery in.
    let config = dir.path().join("mp2.toml");
    let trusting = |ids: &str| {
        let text = mp2::config::DEMO_TOML.replacen(
            "[filter]\n",
            &format!("[filter]\ntrusted_authserv_ids = [{ids}]\n"),
            1,
        );
        assert!(
            text.contains("trusted_authserv_ids"),
            "demo config layout changed"
        );
        std::fs::write(&config, text).unwrap();
    };
    let cfg = config.to_str().unwrap();
    trusting("\"mx.example.org\"");
    let (_, lines, err) = parse(&[files[0].1.as_path()], &["--config", cfg]);
    assert_eq!(lines[0]["email"]["matched"], false, "{err}");
    trusting("\"evil.example\"");
    let (_, lines, err) = parse(&[files[0].1.as_path()], &["--config", cfg]);
    assert_eq!(
        lines[0]["email"]["matched"], true,
        "{err} {}",
        lines[0]["email"]["reason"]
    );
}

/// CONTRACT §1: a file that could not be read exits 1 and says why in
/// `errors` — not 0 with an empty result (issue 8).
#[test]
fn nesting_and_inflation_past_the_caps_exit_1_with_errors() {
    use mp2::fixtures::hostile;
    use mp2::fixtures::mime::{schedule_mail, Attachment, Client};
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.eml");
    std::fs::write(&deep, hostile::mime_bomb(5_000)).unwrap();
    let bomb_pdf = hostile::flate_bomb(256 << 20);
    let inflating = dir.path().join("inflating.pdf");
    std::fs::write(&inflating, &bomb_pdf).unwrap();
    let inflating_mail = dir.path().join("inflating.eml");
    let m = schedule_mail(
        Client::Gmail,
        &[Attachment {
            filename: "plan.pdf".into(),
            pdf: bomb_pdf,
            days: vec![],
        }],
        3,
    );
    std::fs::write(&inflating_mail, &m.raw).unwrap();
    for (f, why) in [
        (&deep, "nested"),
        (&inflating, "inflat"),
        (&inflating_mail, "inflat"),
    ] {
        let (code, lines, err) = parse(&[f], &[]);
        assert_eq!(code, Some(1), "{}: {lines:?} {err}", f.display());
        let errors = lines[0]["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e.as_str().is_some_and(|s| s.contains(why))),
            "{}: errors say why ({why}): {}",
            f.display(),
            lines[0]
        );
    }
}

/// The human lines of `mp2ctl parse` per shooting day: the two-space date
/// heading, then its field lines.
fn human_days(text: &str) -> Vec<(String, Vec<String>)> {
    let mut days: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        let is_date = l.len() == 12
            && l.starts_with("  ")
            && l[2..].chars().filter(|c| *c == '-').count() == 2;
        if is_date {
            days.push((l.trim().to_string(), vec![]));
        } else if let (Some(d), true) = (days.last_mut(), l.starts_with("    ")) {
            d.1.push(l.trim().to_string());
        }
    }
    days
}

/// Issue 9: `parse` prints every field; `?` only where the sheet is silent,
/// with why; a stated value the reader doubts marked `(uncertain: …)`.
#[test]
fn parse_human_output_shows_every_field_unknowns_and_doubts() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.pdf");
    std::fs::write(&demo, &demo_mails()[0].pdfs[0].1).unwrap();
    // Two different general calls: the reader states one and doubts it.
    let conflict = mp2::fixtures::world::world_sheets(3)
        .into_iter()
        .find(|s| s.family == "pl_agency_conflict")
        .unwrap();
    let doubtful = dir.path().join("conflict.pdf");
    std::fs::write(&doubtful, &conflict.pdf).unwrap();
    let mut doubts_seen = 0;
    for f in [&demo, &doubtful] {
        let (_, json, _) = parse(&[f], &[]);
        let out = Command::new(support::mp2ctl())
            .arg("parse")
            .arg(f)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        let days = human_days(&text);
        let want = json[0]["schedules"].as_array().unwrap();
        assert_eq!(days.len(), want.len(), "{text}");
        for ((date, lines), day) in days.iter().zip(want) {
            assert_eq!(date, day["date"].as_str().unwrap());
            let row = |label: &str| {
                lines
                    .iter()
                    .find(|l| l.starts_with(&format!("{label}:")))
                    .unwrap_or_else(|| panic!("no {label}: line in {text}"))
                    .clone()
            };
            for label in [
                "date",
                "shoot day",
                "version",
                "call",
                "wrap",
                "base",
                "set",
                "scenes",
                "departments",
                "confidence",
            ] {
                row(label);
            }
            assert!(lines.iter().any(|l| l.starts_with("location:")), "{text}");
            assert!(lines.iter().any(|l| l.starts_with("contact")), "{text}");
            assert!(lines.iter().any(|l| l.starts_with("crew call")), "{text}");
            let uncertain: Vec<&str> = day["uncertain"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            for (key, label) in [
                ("call_time", "call"),
                ("wrap_time", "wrap"),
                ("shoot_day", "shoot day"),
            ] {
                let line = row(label);
                match &day[key] {
                    serde_json::Value::Null => {
                        assert!(
                            line.contains(": ? ("),
                            "{key} unknown needs a reason: {line}"
                        )
                    }
                    v => {
                        let v = v.to_string().trim_matches('"').to_string();
                        assert!(line.contains(&v), "{key}: {line}");
                        assert!(!line.contains('?'), "{key} is stated: {line}");
                        let marked = line.contains("(uncertain: ");
                        assert_eq!(marked, uncertain.contains(&key), "{key}: {line}");
                        doubts_seen += marked as usize;
                    }
                }
            }
            if day["wrap_time"].is_null() {
                assert!(
                    row("wrap").contains("? (not on the sheet)") || row("wrap").contains("? (")
                );
            }
        }
    }
    assert!(
        doubts_seen > 0,
        "the conflicting sheet's call is marked uncertain"
    );
}

/// Issue 9: the offline commands do not take the daemon's socket.
#[test]
fn offline_commands_refuse_the_socket_option() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("plan.pdf");
    std::fs::write(&pdf, &demo_mails()[0].pdfs[0].1).unwrap();
    for args in [
        vec![
            "--socket",
            "/nonexistent.sock",
            "parse",
            pdf.to_str().unwrap(),
        ],
        vec!["check-config", "--socket", "/x.sock", "/nonexistent.toml"],
    ] {
        let out = Command::new(support::mp2ctl())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("work offline"),
            "{args:?}"
        );
    }
    let help = Command::new(support::mp2ctl())
        .args(["parse", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--json"),
        "{help}"
    );
    // Nor do they offer it: only the commands that talk to the daemon do.
    for cmd in ["parse", "check-config"] {
        let h = Command::new(support::mp2ctl())
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let h = String::from_utf8_lossy(&h.stdout);
        assert!(
            !h.contains("--socket"),
            "{cmd} --help offers --socket:\n{h}"
        );
    }
    let h = Command::new(support::mp2ctl())
        .args(["status", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&h.stdout).contains("--socket"));
}
