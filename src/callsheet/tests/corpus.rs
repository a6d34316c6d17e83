//! The open corpus, end to end (PDF → TextDoc → days), scored per field the
//! way `score.py` does. Skipped when ../shared/corpus (beside the checkout) is absent.

use crate::callsheet::read;
use crate::model::ShootDay;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

fn norm_addr(s: &str) -> String {
    let s: String = unicode_normalization::UnicodeNormalization::nfc(s)
        .collect::<String>()
        .to_lowercase();
    let s = s.replace([',', '.', ';', ':'], " ");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.replace(" -", "-").replace("- ", "-")
}

fn addr(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(norm_addr)
}

fn fields(t: &Value, p: Option<&ShootDay>) -> Vec<(&'static str, bool)> {
    let Some(p) = p else {
        return vec![("date", false)];
    };
    let pj = serde_json::to_value(p).unwrap_or_default();
    let mut out = vec![("date", true)];
    out.push(("call_time", pj["call_time"] == t["call_time"]));
    out.push(("wrap_time", pj["wrap_time"] == t["wrap_time"]));
    out.push(("shoot_day", pj["shoot_day"] == t["shoot_day"]));
    out.push(("revision", pj["revision"] == t["revision"]));
    out.push((
        "base_address",
        addr(&pj["base"]["address"]) == addr(&t["base"]["address"]),
    ));
    out.push((
        "location_address",
        addr(&pj["locations"][0]["address"]) == addr(&t["locations"][0]["address"]),
    ));
    if let Some(locs) = t["locations"].as_array() {
        for (i, tl) in locs.iter().enumerate() {
            if tl.get("lat").is_none() {
                continue;
            }
            let pl = pj["locations"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|l| addr(&l["address"]) == addr(&tl["address"]))
                        .or(a.get(i))
                })
                .cloned()
                .unwrap_or_default();
            let ok = (pl["lat"].as_f64().unwrap_or(0.0) - tl["lat"].as_f64().unwrap_or(9.0)).abs()
                <= 0.001
                && (pl["lon"].as_f64().unwrap_or(0.0) - tl["lon"].as_f64().unwrap_or(9.0)).abs()
                    <= 0.001;
            out.push(("location_gps", ok));
        }
    }
    out.push(("set_type", pj["set_type"] == t["set_type"]));
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(|s| s.to_uppercase()))
                    .collect()
            })
            .unwrap_or_default()
    };
    out.push(("scenes", set(&pj["scenes"]) == set(&t["scenes"])));
    let depts = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    out.push((
        "department_calls",
        depts(&pj["department_calls"]) == depts(&t["department_calls"]),
    ));
    let phones = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["phone"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    out.push((
        "contact_phones",
        phones(&pj["contacts"]) == phones(&t["contacts"]),
    ));
    out
}

/// Scores every corpus PDF read through `view`; `None` when the corpus is
/// absent. Writes the JSON lines to the temp dir for `score.py`.
fn score(
    view: &str,
    read_doc: impl Fn(&Path) -> Option<crate::layout::TextDoc>,
) -> Option<(usize, usize, Vec<String>)> {
    score_in(Path::new(CORPUS), view, read_doc)
}

/// [`score`] for any directory laid out like the corpus (`pdf/`, `truth/`).
fn score_in(
    base: &Path,
    view: &str,
    read_doc: impl Fn(&Path) -> Option<crate::layout::TextDoc>,
) -> Option<(usize, usize, Vec<String>)> {
    let pdf_dir = base.join("pdf");
    let entries = std::fs::read_dir(&pdf_dir).ok()?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    let (mut ok, mut total) = (0usize, 0usize);
    let mut misses = Vec::new();
    let mut dump = String::new();
    for f in files {
        let stem = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let Ok(truth) = std::fs::read_to_string(base.join("truth").join(format!("{stem}.json")))
        else {
            continue;
        };
        let truth: Value = serde_json::from_str(&truth).unwrap_or_default();
        let Some(doc) = read_doc(&f) else { continue };
        let days = read(&doc);
        dump.push_str(&serde_json::json!({"source": format!("{stem}.pdf"), "kind": "pdf", "email": null, "schedules": days, "errors": []}).to_string());
        dump.push('\n');
        for t in truth["schedules"].as_array().into_iter().flatten() {
            let p = days
                .iter()
                .find(|d| Some(d.date.as_str()) == t["date"].as_str());
            for (name, good) in fields(t, p) {
                total += 1;
                if good {
                    ok += 1;
                } else {
                    misses.push(format!("{stem} {} {name}", t["date"]));
                }
            }
        }
    }
    let _ = std::fs::write(
        std::env::temp_dir().join(format!("callsheet-corpus-{view}.jsonl")),
        dump,
    );
    eprintln!(
        "callsheet corpus ({view}): {:.4} ({ok}/{total})",
        ok as f64 / total.max(1) as f64
    );
    for m in &misses {
        eprintln!("  miss ({view}): {m}");
    }
    Some((ok, total, misses))
}

/// Through the product's own PDF reader (with OCR for scans): every scored
/// field must be right.
#[test]
fn corpus_accuracy_pdf_reader() {
    let Some((ok, total, misses)) = score("pdf", super::doc_of) else {
        eprintln!("corpus not present; skipped");
        return;
    };
    assert_eq!(ok, total, "misses: {misses:?}");
}

/// Through `pdftotext -layout` (cells merged and split differently, no OCR):
/// a second layout of the same sheets, to keep the reader honest about
/// geometry. Scans have no text here and are left out.
#[test]
fn corpus_accuracy_pdftotext_view() {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        return;
    }
    let text_only = |p: &Path| {
        let d = super::from_pdf(p)?;
        (!d.ocr).then_some(d)
    };
    let Some((ok, total, misses)) = score("pdftotext", text_only) else {
        return;
    };
    assert_eq!(ok, total, "misses: {misses:?}");
}

/// The sheets `scripts/eval-generated.sh` keeps (`MP2_EVAL_DIR`), read
/// through `pdftotext -layout`: the generated layouts as another producer
/// would lay them out (no bold, character columns). A measurement, run by
/// hand: `MP2_EVAL_DIR=/tmp/… cargo test -p mp2 --lib generated_ -- --ignored`.
#[test]
#[ignore]
fn generated_pdftotext_view() {
    let Some(dir) = std::env::var_os("MP2_EVAL_DIR") else {
        return;
    };
    let text_only = |p: &Path| {
        let d = super::from_pdf(p)?;
        (!d.ocr).then_some(d)
    };
    let _ = score_in(Path::new(&dir), "generated-pdftotext", text_only);
}
