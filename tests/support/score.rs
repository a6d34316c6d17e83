//! The call-sheet scorer of `../shared/corpus/score.py`, in Rust, so the suite
//! can score sets that have no `score.py` beside them (the generated layouts
//! of `mp2::fixtures::world`) with exactly the same rules. `reader_score.rs`
//! checks that both give the same figures whenever `score.py` is present.
//!
//! Included by path (`#[path = "support/score.rs"]`) rather than from
//! `support/mod.rs`: the daemon crate's tests share that module and have no
//! `unicode-normalization`.
//!
//! Rules (see `score.py`'s docstring): per truth shooting day, matched by date,
//! the fields date, call_time, wrap_time, shoot_day, revision, base_address,
//! location_address, location_gps (one per truth location with coordinates),
//! set_type, scenes, department_calls, contact_phones. A silent error is a
//! wrong field whose predicted value is not empty and not flagged in that
//! schedule's `uncertain`, plus every unflagged extra predicted day.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

pub const FIELDS: [&str; 12] = [
    "date",
    "call_time",
    "wrap_time",
    "shoot_day",
    "revision",
    "base_address",
    "location_address",
    "location_gps",
    "set_type",
    "scenes",
    "department_calls",
    "contact_phones",
];
const GPS_TOL: f64 = 0.001;

/// One truth document: its `source` file name, the `_template` it reports
/// under, and its schedules (the contract shape).
pub struct Truth {
    pub source: String,
    pub template: String,
    pub schedules: Vec<Value>,
}

impl Truth {
    /// From a truth file's JSON (`source`, `_template`, `schedules`); `file`
    /// names the source when the document does not.
    pub fn from_json(doc: &Value, file: &str) -> Truth {
        let source = doc
            .get("source")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(basename)
            .unwrap_or_else(|| format!("{}.pdf", file.trim_end_matches(".json")));
        Truth {
            source,
            template: doc
                .get("_template")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
            schedules: doc
                .get("schedules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// The figures `score.py` prints.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Score {
    pub documents: usize,
    pub outputs: usize,
    pub missing_docs: Vec<String>,
    pub truth_days: usize,
    pub missing_days: usize,
    pub extra_days: usize,
    pub per_field: BTreeMap<&'static str, (usize, usize)>,
    pub per_template: BTreeMap<String, (usize, usize)>,
    pub correct: usize,
    pub total: usize,
    pub silent: usize,
    pub stated: usize,
    /// The mismatch lines of `score.py -v`.
    pub details: Vec<String>,
}

impl Score {
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }

    pub fn silent_rate(&self) -> f64 {
        if self.stated == 0 {
            0.0
        } else {
            self.silent as f64 / self.stated as f64
        }
    }

    /// The report in `score.py -v`'s words, for the test log.
    pub fn report(&self) -> String {
        let pct = |(c, n): (usize, usize)| {
            if n == 0 {
                "n/a".to_string()
            } else {
                format!("{:.4} ({c}/{n})", c as f64 / n as f64)
            }
        };
        let mut s = format!(
            "documents: {} truth, {} output lines\nmissing documents: {}\nshooting days: {} truth, {} not found in present outputs, {} extra predicted days (not scored)\nper field:\n",
            self.documents,
            self.outputs,
            self.missing_docs.len(),
            self.truth_days,
            self.missing_days,
            self.extra_days
        );
        for f in FIELDS {
            if let Some(&v) = self.per_field.get(f) {
                s += &format!("  {f:18} {}\n", pct(v));
            }
        }
        s += "per template:\n";
        for (t, &v) in &self.per_template {
            s += &format!("  {t:18} {}\n", pct(v));
        }
        if !self.details.is_empty() {
            s += "mismatches:\n";
            for d in &self.details {
                s += d;
                s.push('\n');
            }
        }
        s += &format!(
            "silent errors: {} of {} stated fields ({:.4})\nfield accuracy: {}\n",
            self.silent,
            self.stated,
            self.silent_rate(),
            pct((self.correct, self.total))
        );
        s
    }
}

fn basename(s: &str) -> String {
    s.replace('\\', "/")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn norm_addr(v: Option<&Value>) -> Option<String> {
    let s: String = v?.as_str()?.nfc().collect::<String>().to_lowercase();
    let mut out = String::new();
    let mut gap = false;
    for ch in s.chars() {
        if ch.is_whitespace() || matches!(ch, ',' | '.' | ';' | ':') {
            gap = true;
        } else {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(ch);
        }
    }
    // " ?- ?" -> "-": a hyphen swallows one space on each side.
    Some(
        out.replace(" - ", "-")
            .replace(" -", "-")
            .replace("- ", "-"),
    )
}

fn norm_key(s: &str) -> String {
    let s: String = s.nfc().collect::<String>().to_lowercase();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `as_int` of score.py: `Err` for a value that is there but no integer.
fn as_int(v: Option<&Value>) -> Option<Result<i64, ()>> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(f)) if f.fract() == 0.0 => Ok(f as i64),
            _ => Err(()),
        }),
        Some(Value::String(s)) => {
            let t = s.trim();
            Some(if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
                t.parse().map_err(|_| ())
            } else {
                Err(())
            })
        }
        Some(_) => Some(Err(())),
    }
}

fn as_str(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => Value::String(s.trim().to_string()),
        Some(x) => x.clone(),
        None => Value::Null,
    }
}

fn get<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    s.as_object().and_then(|m| m.get(k))
}

fn base_addr(s: &Value) -> Option<String> {
    let b = get(s, "base")?.as_object()?;
    match b.get("address") {
        Some(Value::String(a)) if !a.is_empty() => norm_addr(b.get("address")),
        _ => None,
    }
}

fn locs(s: &Value) -> Vec<&Map<String, Value>> {
    get(s, "locations")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

fn first_loc_addr(s: &Value) -> Option<String> {
    locs(s).first().and_then(|l| norm_addr(l.get("address")))
}

fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        other => other.to_string(),
    }
}

fn scene_set(s: &Value) -> Option<BTreeSet<String>> {
    let l = get(s, "scenes")?.as_array()?;
    Some(l.iter().map(|x| py_str(x).trim().to_uppercase()).collect())
}

fn dept_map(s: &Value) -> Option<BTreeMap<String, Value>> {
    let d = get(s, "department_calls")?.as_object()?;
    Some(
        d.iter()
            .map(|(k, v)| (norm_key(k), as_str(Some(v))))
            .collect(),
    )
}

fn phone_set(s: &Value) -> Option<BTreeSet<String>> {
    let c = get(s, "contacts")?.as_array()?;
    Some(
        c.iter()
            .filter_map(|x| x.get("phone").and_then(Value::as_str))
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.split_whitespace().collect::<String>())
            .collect(),
    )
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn gps_results(t: &Value, p: Option<&Value>) -> Vec<bool> {
    let plocs = p.map(locs).unwrap_or_default();
    let mut out = Vec::new();
    for (i, tl) in locs(t).into_iter().enumerate() {
        let (Some(tlat), Some(tlon)) = (tl.get("lat"), tl.get("lon")) else {
            continue;
        };
        if p.is_none() {
            out.push(false);
            continue;
        }
        let ta = norm_addr(tl.get("address"));
        let mut cand: Vec<&Map<String, Value>> = plocs
            .iter()
            .copied()
            .filter(|pl| norm_addr(pl.get("address")) == ta)
            .collect();
        if cand.is_empty() && i < plocs.len() {
            cand = vec![plocs[i]];
        }
        let ok = cand.first().is_some_and(|pl| {
            match (
                num(pl.get("lat")),
                num(pl.get("lon")),
                tlat.as_f64(),
                tlon.as_f64(),
            ) {
                (Some(la), Some(lo), Some(ta), Some(to)) => {
                    (la - ta).abs() <= GPS_TOL && (lo - to).abs() <= GPS_TOL
                }
                _ => false,
            }
        });
        out.push(ok);
    }
    out
}

fn compare_day(t: &Value, p: Option<&Value>) -> Vec<(&'static str, bool)> {
    let Some(p) = p else {
        let mut res = Vec::new();
        for f in FIELDS {
            if f == "location_gps" {
                res.extend(gps_results(t, None).into_iter().map(|ok| (f, ok)));
            } else {
                res.push((f, false));
            }
        }
        return res;
    };
    let tv = |k: &str| get(t, k).cloned().unwrap_or(Value::Null);
    let int_eq = |k: &str| {
        let truth = get(t, k).and_then(Value::as_i64);
        match as_int(get(p, k)) {
            None => truth.is_none(),
            Some(Ok(i)) => truth == Some(i),
            Some(Err(())) => false,
        }
    };
    let mut res = vec![
        ("date", true),
        ("call_time", as_str(get(p, "call_time")) == tv("call_time")),
        ("wrap_time", as_str(get(p, "wrap_time")) == tv("wrap_time")),
        ("shoot_day", int_eq("shoot_day")),
        ("revision", int_eq("revision")),
        ("base_address", base_addr(p) == base_addr(t)),
        ("location_address", first_loc_addr(p) == first_loc_addr(t)),
    ];
    res.extend(
        gps_results(t, Some(p))
            .into_iter()
            .map(|ok| ("location_gps", ok)),
    );
    let st_ok = match get(p, "set_type") {
        Some(Value::String(st)) => Value::String(st.trim().to_uppercase()) == tv("set_type"),
        None | Some(Value::Null) => tv("set_type").is_null(),
        Some(_) => false,
    };
    res.push(("set_type", st_ok));
    res.push(("scenes", scene_set(p) == scene_set(t)));
    res.push(("department_calls", dept_map(p) == dept_map(t)));
    res.push(("contact_phones", phone_set(p) == phone_set(t)));
    res
}

fn stated(field: &str, p: Option<&Value>) -> bool {
    let Some(p) = p else { return false };
    match field {
        "date" => true,
        "base_address" => base_addr(p).is_some(),
        "location_address" | "location_gps" => !locs(p).is_empty(),
        "contact_phones" => phone_set(p).is_some_and(|s| !s.is_empty()),
        _ => match get(p, field) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(_) => true,
        },
    }
}

fn contract_name(field: &str) -> &str {
    match field {
        "base_address" => "base",
        "location_address" | "location_gps" => "locations",
        "contact_phones" => "contacts",
        f => f,
    }
}

fn flagged(field: &str, p: &Value) -> bool {
    get(p, "uncertain")
        .and_then(Value::as_array)
        .is_some_and(|u| u.iter().any(|x| py_str(x).trim() == contract_name(field)))
}

/// Scores `outputs` (parse-result lines) against `truth`, as `score.py -v`.
/// Truth documents are taken in order of their source names.
pub fn score(truth: &[Truth], outputs: &[Value]) -> Score {
    let mut out: BTreeMap<String, &Value> = BTreeMap::new();
    for o in outputs {
        let src = basename(&o.get("source").map(py_str).unwrap_or_default());
        out.entry(src).or_insert(o);
    }
    let mut order: Vec<&Truth> = truth.iter().collect();
    order.sort_by(|a, b| a.source.cmp(&b.source));
    let mut sc = Score {
        documents: truth.len(),
        outputs: out.len(),
        ..Score::default()
    };
    for t in order {
        let p = out.get(&t.source).copied();
        if p.is_none() {
            sc.missing_docs.push(t.source.clone());
        }
        let mut pmap: BTreeMap<String, &Value> = BTreeMap::new();
        if let Some(p) = p {
            let schedules = p.get("schedules").and_then(Value::as_array);
            for s in schedules.into_iter().flatten() {
                if let Some(d) = s.get("date").and_then(Value::as_str) {
                    pmap.entry(d.trim().to_string()).or_insert(s);
                }
            }
            let tdates: BTreeSet<&str> = t
                .schedules
                .iter()
                .filter_map(|s| s.get("date").and_then(Value::as_str))
                .collect();
            for (d, s) in &pmap {
                if tdates.contains(d.as_str()) {
                    continue;
                }
                sc.extra_days += 1;
                sc.stated += 1;
                if !flagged("date", s) {
                    sc.silent += 1;
                    sc.details
                        .push(format!("  {} {d} extra day (silent)", t.source));
                }
            }
        }
        for ts in &t.schedules {
            sc.truth_days += 1;
            let date = ts.get("date").and_then(Value::as_str).unwrap_or_default();
            let ps = pmap.get(date).copied();
            if p.is_some() && ps.is_none() {
                sc.missing_days += 1;
            }
            for (field, ok) in compare_day(ts, ps) {
                if field != "date" && stated(field, ps) {
                    sc.stated += 1;
                    if let (false, Some(ps)) = (ok, ps) {
                        if !flagged(field, ps) {
                            sc.silent += 1;
                            sc.details
                                .push(format!("  {} {date} {field} (silent)", t.source));
                        }
                    }
                }
                let e = sc.per_field.entry(field).or_default();
                e.0 += ok as usize;
                e.1 += 1;
                let e = sc.per_template.entry(t.template.clone()).or_default();
                e.0 += ok as usize;
                e.1 += 1;
                sc.correct += ok as usize;
                sc.total += 1;
                if !ok {
                    sc.details.push(format!("  {} {date} {field}", t.source));
                }
            }
        }
    }
    sc
}
