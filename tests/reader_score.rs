//! How well the call-sheet reader does on layouts it was not written
//! against, measured the way acceptance measures it (`score.py`'s rules,
//! ported to `support/score.rs`): field accuracy and the silent-error rate
//! (wrong, stated and not flagged uncertain) per set, printed, with floors.
//!
//! Sets: the generated layouts of other producers (`mp2::fixtures::world`,
//! always), the sample corpus `../shared/corpus` (must stay exact) and the
//! third-party sheets `../shared/corpus/real` (when the folder exists).
//!
//! The floors are a ratchet: they are what the reader on main achieved when
//! they were set (figures in each constant's comment); raise them as the
//! reader improves, never lower them to make a change pass.

#[path = "support/score.rs"]
mod score;
mod support;

use score::{Score, Truth};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Generated layouts, seeds 1–2 (42 documents). Reader on branch reader
/// (December): accuracy 0.9329 (431/462), silent errors 0 of 326; the
/// floors leave about one field's margin.
const WORLD_MIN_ACCURACY: f64 = 0.930;
const WORLD_MAX_SILENT: f64 = 0.004;
/// Of the fields the generated truth marks in doubt (two general calls on one
/// sheet), how many the reader flags or leaves empty: 4 of 4.
const WORLD_MIN_DOUBTS_HANDLED: usize = 4;
/// `../shared/corpus/real` (5 sheets). Reader on branch reader (December):
/// accuracy 0.9091 (50/55), silent errors 0 of 35.
const REAL_MIN_ACCURACY: f64 = 0.909;
const REAL_MAX_SILENT: f64 = 0.0;

/// `mp2ctl parse --json` on `files`, one JSON value per line.
fn parse(files: &[PathBuf]) -> Vec<Value> {
    let out = Command::new(support::mp2ctl())
        .arg("parse")
        .args(files)
        .arg("--json")
        .output()
        .expect("run mp2ctl parse");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A folder of `pdf/*.pdf` and `truth/*.json` in the corpus shape.
fn load_set(dir: &Path) -> (Vec<PathBuf>, Vec<Truth>) {
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(dir.join("pdf"))
        .expect("pdf folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    pdfs.sort();
    let mut truth: Vec<Truth> = std::fs::read_dir(dir.join("truth"))
        .expect("truth folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let doc: Value = serde_json::from_slice(&std::fs::read(&p).expect("read truth"))
                .expect("truth is JSON");
            let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
            Truth::from_json(&doc, file)
        })
        .collect();
    truth.sort_by(|a, b| a.source.cmp(&b.source));
    (pdfs, truth)
}

/// Writes the generated world sheets of `seeds` as a corpus folder.
fn world_set(dir: &Path, seeds: &[u64]) {
    std::fs::create_dir_all(dir.join("pdf")).unwrap();
    std::fs::create_dir_all(dir.join("truth")).unwrap();
    for &seed in seeds {
        for sheet in mp2::fixtures::world::world_sheets(seed) {
            let stem = format!("s{seed}_{}", sheet.name);
            std::fs::write(dir.join("pdf").join(format!("{stem}.pdf")), &sheet.pdf).unwrap();
            let doc = serde_json::json!({
                "source": format!("{stem}.pdf"),
                "_template": sheet.family,
                "schedules": sheet.truth,
            });
            std::fs::write(
                dir.join("truth").join(format!("{stem}.json")),
                serde_json::to_vec_pretty(&doc).unwrap(),
            )
            .unwrap();
        }
    }
}

fn score_py() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/score.py");
    p.exists().then_some(p)
}

/// `(correct, total, silent, stated)` as `score.py` prints them.
fn score_py_figures(truth_dir: &Path, outputs: &[Value]) -> Option<(usize, usize, usize, usize)> {
    let py = score_py()?;
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("out.jsonl");
    let lines: Vec<String> = outputs.iter().map(Value::to_string).collect();
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let out = Command::new("python3")
        .arg(py)
        .arg(truth_dir)
        .arg(&jsonl)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pair = |prefix: &str| -> (usize, usize) {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in score.py output:\n{text}"));
        let nums: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        match prefix {
            // "silent errors: N of M stated fields (0.XXXX)"
            "silent errors:" => (nums[0], nums[1]),
            // "field accuracy: 0.XXXX (c/n)"
            _ => (nums[nums.len() - 2], nums[nums.len() - 1]),
        }
    };
    let (c, n) = pair("field accuracy:");
    let (s, m) = pair("silent errors:");
    Some((c, n, s, m))
}

/// Scores a set, prints the report and the per-family silent rates, and
/// checks the Rust scorer against `score.py` when it is there.
fn measure(name: &str, truth_dir: &Path, truth: &[Truth], outputs: &[Value]) -> Score {
    let sc = score::score(truth, outputs);
    eprintln!("== {name}\n{}", sc.report());
    let mut families: Vec<&str> = truth.iter().map(|t| t.template.as_str()).collect();
    families.sort();
    families.dedup();
    for fam in families {
        let part: Vec<Truth> = truth
            .iter()
            .filter(|t| t.template == fam)
            .map(|t| Truth {
                source: t.source.clone(),
                template: t.template.clone(),
                schedules: t.schedules.clone(),
            })
            .collect();
        let s = score::score(&part, outputs);
        eprintln!(
            "  {name} {fam:24} accuracy {:.4} ({}/{})  silent {:.4} ({}/{})",
            s.accuracy(),
            s.correct,
            s.total,
            s.silent_rate(),
            s.silent,
            s.stated
        );
    }
    eprintln!(
        "{name}: field accuracy {:.4} ({}/{}), silent errors {:.4} ({} of {} stated)",
        sc.accuracy(),
        sc.correct,
        sc.total,
        sc.silent_rate(),
        sc.silent,
        sc.stated
    );
    if let Some(py) = score_py_figures(truth_dir, outputs) {
        assert_eq!(
            (sc.correct, sc.total, sc.silent, sc.stated),
            py,
            "{name}: the Rust scorer and score.py disagree (correct, total, silent, stated)"
        );
    }
    sc
}

/// Fields the truth itself marks `uncertain` (a sheet printing two different
/// values with nothing to say which holds): `(handled, total)`, handled when
/// the reader flags the field or leaves it empty. Not in `score.py`.
fn doubts_handled(truth: &[Truth], outputs: &[Value]) -> (usize, usize) {
    let (mut ok, mut n) = (0, 0);
    for t in truth {
        let out = outputs
            .iter()
            .find(|o| o.get("source").and_then(Value::as_str) == Some(t.source.as_str()));
        for day in &t.schedules {
            let doubts = day.get("uncertain").and_then(Value::as_array);
            for field in doubts.into_iter().flatten().filter_map(Value::as_str) {
                n += 1;
                let date = day.get("date");
                let pred = out
                    .and_then(|o| o.get("schedules"))
                    .and_then(Value::as_array)
                    .and_then(|s| s.iter().find(|p| p.get("date") == date));
                let Some(pred) = pred else {
                    ok += 1;
                    continue;
                };
                let flagged = pred
                    .get("uncertain")
                    .and_then(Value::as_array)
                    .is_some_and(|u| u.iter().any(|x| x.as_str() == Some(field)));
                let empty = match pred.get(field) {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.is_empty(),
                    Some(Value::Array(a)) => a.is_empty(),
                    Some(Value::Object(o)) => o.is_empty(),
                    Some(_) => false,
                };
                ok += usize::from(flagged || empty);
            }
        }
    }
    (ok, n)
}

#[test]
fn other_producers_generated_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    world_set(tmp.path(), &[1, 2]);
    let (pdfs, truth) = load_set(tmp.path());
    assert_eq!(pdfs.len(), truth.len());
    let outputs = parse(&pdfs);
    assert_eq!(outputs.len(), pdfs.len(), "one output line per PDF");
    let sc = measure(
        "generated layouts",
        &tmp.path().join("truth"),
        &truth,
        &outputs,
    );
    let (handled, doubts) = doubts_handled(&truth, &outputs);
    eprintln!("generated layouts: fields in doubt flagged or left empty: {handled} of {doubts}");
    assert!(doubts > 0, "the generated set must hold sheets in doubt");
    assert!(
        handled >= WORLD_MIN_DOUBTS_HANDLED,
        "generated layouts: only {handled} of {doubts} fields in doubt flagged or left empty"
    );
    assert!(
        sc.accuracy() >= WORLD_MIN_ACCURACY,
        "generated layouts: field accuracy {:.4} fell below the floor {WORLD_MIN_ACCURACY}",
        sc.accuracy()
    );
    assert!(
        sc.silent_rate() <= WORLD_MAX_SILENT,
        "generated layouts: silent errors {:.4} above the ceiling {WORLD_MAX_SILENT}",
        sc.silent_rate()
    );
}

#[test]
fn sample_corpus_stays_exact() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.join("truth").is_dir() {
        eprintln!("skipped: ../shared/corpus not present");
        return;
    }
    let (pdfs, truth) = load_set(&dir);
    let outputs = parse(&pdfs);
    let sc = measure("sample corpus", &dir.join("truth"), &truth, &outputs);
    assert_eq!(sc.correct, sc.total, "the sample corpus must stay at 100 %");
    assert_eq!(sc.silent, 0, "no silent errors on the sample corpus");
}

#[test]
fn third_party_real_sheets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !dir.join("truth").is_dir() {
        eprintln!("skipped: ../shared/corpus/real not present");
        return;
    }
    let (pdfs, truth) = load_set(&dir);
    let outputs = parse(&pdfs);
    let sc = measure("third-party sheets", &dir.join("truth"), &truth, &outputs);
    assert!(
        sc.accuracy() >= REAL_MIN_ACCURACY,
        "third-party sheets: field accuracy {:.4} fell below the floor {REAL_MIN_ACCURACY}",
        sc.accuracy()
    );
    assert!(
        sc.silent_rate() <= REAL_MAX_SILENT,
        "third-party sheets: silent errors {:.4} above the ceiling {REAL_MAX_SILENT}",
        sc.silent_rate()
    );
}

/// The port itself: hand-made predictions with known outcomes, so a scorer
/// bug shows even where `score.py` is absent.
#[test]
fn rust_scorer_follows_score_py_rules() {
    let truth = vec![Truth {
        source: "a.pdf".into(),
        template: "t".into(),
        schedules: vec![serde_json::json!({
            "date": "2026-06-15", "call_time": "07:00", "wrap_time": null, "shoot_day": 3,
            "revision": null, "base": {"name": "Baza", "address": "ul. Mińska 65, 03-828 Warszawa"},
            "locations": [{"name": "Hala", "address": "Konstancin-Jeziorna, ul. Długa 1", "lat": 52.1, "lon": 21.1}],
            "set_type": "INT", "scenes": ["1", "2A"], "department_calls": {"Kamera": "06:30"},
            "contacts": [{"role": "Reżyser", "name": "X", "phone": "+48601234567"}]
        })],
    }];
    let out = serde_json::json!({
        "source": "dir/a.pdf",
        "schedules": [
            {"date": "2026-06-15", "call_time": " 07:00 ", "wrap_time": "19:00", "shoot_day": "3",
             "revision": null, "base": {"address": "UL. MIŃSKA 65 03-828 WARSZAWA"},
             "locations": [{"address": "Konstancin- Jeziorna, ul. Długa 1", "lat": 52.1004, "lon": 21.1}],
             "set_type": "ext", "scenes": ["2a", "1"], "department_calls": {" KAMERA ": "06:30"},
             "contacts": [{"phone": "+48 601 234 567"}], "uncertain": ["set_type"]},
            {"date": "2026-06-16", "uncertain": []}
        ]
    });
    let sc = score::score(&truth, &[out]);
    // 12 scored (one GPS point); wrong: wrap_time (silent), set_type (flagged).
    assert_eq!((sc.correct, sc.total), (10, 12), "{}", sc.report());
    // stated: 10 non-empty scored fields (revision is null) + the extra day;
    // silent: the wrap and the unflagged extra day.
    assert_eq!((sc.silent, sc.stated), (2, 11), "{}", sc.report());
    assert_eq!(sc.extra_days, 1);
    let missing = score::score(&truth, &[]);
    assert_eq!((missing.correct, missing.total, missing.stated), (0, 12, 0));
}
