//! The Google Calendar provider against an in-test server speaking the
//! Calendar API v3 wire format: paths, bearer token, JSON bodies (times,
//! reminders), insert on 404, update in place, 500 / 429 + Retry-After
//! retried, and a 401 shown in `status` until the token file is refreshed.

#[path = "../../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, FixedOffset};
use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::demo::demo_mails;
use mp2_actors::calendar::google::{event_id, Google};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::http::{Reply, Request, Server};
use support::{demo_config, Daemon};

const TOKEN: &str = "ya29.good-token";
const CREW: [&str; 2] = ["anna", "tomek"];
const PREFIX: &str = "/calendar/v3/calendars/";

/// The fake calendar: events by (calendar id, event id), and replies forced
/// on the next requests.
#[derive(Default)]
struct Fake {
    events: BTreeMap<(String, String), Value>,
    faults: VecDeque<Reply>,
}

fn error(status: u16, reason: &str) -> Reply {
    (
        status,
        vec![("Content-Type", "application/json".into())],
        json!({"error": {"code": status, "message": reason}}).to_string(),
    )
}

fn answer(fake: &Mutex<Fake>, req: &Request) -> Reply {
    if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "Invalid Credentials");
    }
    let mut f = fake.lock().unwrap();
    if let Some(r) = f.faults.pop_front() {
        return r;
    }
    let Some(rest) = req.path.strip_prefix(PREFIX) else {
        return error(404, "Not Found");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let ok = |v: &Value| -> Reply {
        (
            200,
            vec![("Content-Type", "application/json".into())],
            v.to_string(),
        )
    };
    match (req.method.as_str(), parts.as_slice()) {
        ("PUT", [cal, "events", id]) => {
            let key = (cal.to_string(), id.to_string());
            if !f.events.contains_key(&key) {
                return error(404, "Not Found");
            }
            let mut v = body;
            v["id"] = json!(id);
            f.events.insert(key, v.clone());
            ok(&v)
        }
        ("POST", [cal, "events"]) => {
            let Some(id) = body["id"].as_str() else {
                return error(400, "missing id");
            };
            let key = (cal.to_string(), id.to_string());
            if f.events.contains_key(&key) {
                return error(409, "The requested identifier already exists.");
            }
            f.events.insert(key, body.clone());
            ok(&body)
        }
        ("DELETE", [cal, "events", id]) => {
            match f.events.remove(&(cal.to_string(), id.to_string())) {
                Some(_) => (204, vec![], String::new()),
                None => error(404, "Not Found"),
            }
        }
        _ => error(400, "unexpected request"),
    }
}

fn fake_server(faults: Vec<Reply>) -> (Server, Arc<Mutex<Fake>>) {
    let fake = Arc::new(Mutex::new(Fake {
        faults: faults.into(),
        ..Fake::default()
    }));
    let f = fake.clone();
    (Server::start(move |req, _| answer(&f, req)), fake)
}

fn google_config(s: &Server) -> String {
    demo_config(
        &format!(
            "[calendar]\nprovider = \"google\"\nurl = \"{}/calendar/v3\"\ncalendar_id = \"{{crew}}@group.calendar.google.com\"\ntoken_file = \"google.token\"\n",
            s.url()
        ),
        "[integrations.calendar]\nrate = \"100/s\"\nburst = 20\nbreaker_failures = 5\nbreaker_reset = \"1s\"\ntimeout = \"5s\"\n",
    )
}

fn cal(crew: &str) -> String {
    format!("{crew}@group.calendar.google.com")
}

fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// One event per crew member per date, matching the daemon's plans.
fn assert_events_match_plans(d: &Daemon, fake: &Mutex<Fake>, dates: &BTreeSet<String>) {
    let days: Vec<ScheduleEntry> = serde_json::from_value(d.call_schedules()).expect("schedules");
    let f = fake.lock().unwrap();
    assert_eq!(
        f.events.len(),
        CREW.len() * dates.len(),
        "{:?}",
        f.events.keys()
    );
    for day in &days {
        for p in &day.plans {
            let key = (cal(&p.crew), event_id(&p.crew, &day.date));
            let ev = f
                .events
                .get(&key)
                .unwrap_or_else(|| panic!("no event for {key:?}"));
            assert_eq!(time(&ev["start"]["dateTime"]), time(&json!(p.departure)));
            assert_eq!(time(&ev["end"]["dateTime"]), time(&json!(p.end)));
            assert_eq!(ev["start"]["timeZone"], "Europe/Warsaw");
            assert_eq!(ev["end"]["timeZone"], "Europe/Warsaw");
            assert!(
                ev["summary"].as_str().unwrap_or("").starts_with("MP2 — "),
                "{ev}"
            );
            assert_eq!(ev["reminders"]["useDefault"], false);
            let minutes: Vec<i64> = ev["reminders"]["overrides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    assert_eq!(o["method"], "popup");
                    o["minutes"].as_i64().unwrap()
                })
                .collect();
            let wake = (time(&json!(p.departure)) - time(&json!(p.wake_up))).num_minutes();
            assert_eq!(minutes, vec![720, 180, 60, 0, wake], "{ev}");
            assert_eq!(
                ev["extendedProperties"]["private"]["mp2Date"],
                day.date.as_str()
            );
        }
    }
}

trait Schedules {
    fn call_schedules(&self) -> Value;
}

impl Schedules for Daemon {
    fn call_schedules(&self) -> Value {
        mp2::control::call(&self.socket(), Command::Schedules).expect("schedules")
    }
}

#[test]
fn one_event_per_crew_and_day_inserted_then_updated_in_place_through_500_and_429() {
    let (server, fake) = fake_server(vec![error(500, "Backend Error"), {
        let (s, mut h, b) = error(429, "Rate Limit Exceeded");
        h.push(("Retry-After", "1".into()));
        (s, h, b)
    }]);
    let mut d = Daemon::new(&google_config(&server));
    d.write("google.token", &format!("{TOKEN}\n"));
    d.start();
    let mails = demo_mails();
    let (revision, originals): (Vec<_>, Vec<_>) = mails
        .iter()
        .enumerate()
        .partition(|(_, m)| m.days.iter().any(|day| day.revision == Some(2)));
    let revised_date = revision[0].1.days[0].date.clone();
    let mut dates = BTreeSet::new();
    for (i, m) in &originals {
        d.deliver(&format!("{i:03}.{}.eml", m.label), &m.raw);
        dates.extend(m.expected_dates());
    }
    d.wait_until("originals handled", Duration::from_secs(60), |d| {
        d.all_handled(originals.len())
    });
    assert_events_match_plans(&d, &fake, &dates);

    let reqs = server.requests.lock().unwrap().clone();
    for r in &reqs {
        assert!(r.path.starts_with(PREFIX), "{} {}", r.method, r.path);
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    // 500, then 429 with Retry-After: 1 — the next call waited for it.
    let after_429 = reqs[2].at.duration_since(reqs[1].at);
    assert!(after_429 >= Duration::from_millis(950), "{after_429:?}");
    // Every event: PUT → 404 → POST, exactly once each.
    let posts: Vec<Value> = reqs
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(posts.len(), CREW.len() * dates.len());
    for p in &posts {
        let id = p["id"].as_str().unwrap();
        assert!(
            id.len() >= 5
                && id
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c))
        );
        assert!(p["iCalUID"].as_str().unwrap().ends_with("@mp2"));
    }
    let s = d.status().unwrap();
    let g = s
        .integrations
        .iter()
        .find(|g| g.name == "calendar")
        .unwrap();
    assert!(g.failures >= 2, "{g:?}");

    // The revision: PUT 200 on the same ids, no new insert.
    let seen = server.count();
    let before =
        fake.lock().unwrap().events[&(cal("tomek"), event_id("tomek", &revised_date))].clone();
    let (i, m) = revision[0];
    d.deliver(&format!("{i:03}.{}.eml", m.label), &m.raw);
    d.wait_until("revision handled", Duration::from_secs(30), |d| {
        d.all_handled(mails.len())
    });
    assert_events_match_plans(&d, &fake, &dates);
    let later: Vec<Request> = server.requests.lock().unwrap()[seen..].to_vec();
    assert!(!later.is_empty());
    assert!(later.iter().all(|r| r.method == "PUT"), "{later:?}");
    let after =
        fake.lock().unwrap().events[&(cal("tomek"), event_id("tomek", &revised_date))].clone();
    assert_eq!(
        time(&after["start"]["dateTime"]) - time(&before["start"]["dateTime"]),
        chrono::Duration::minutes(30)
    );
    assert_eq!(after["extendedProperties"]["private"]["mp2Version"], "2");
    let s = d.status().unwrap();
    assert_eq!(s.state, "running", "{:?}", s.problems);
}

#[test]
fn expired_token_shows_in_status_until_the_token_file_is_refreshed() {
    let (server, fake) = fake_server(vec![]);
    let mut d = Daemon::new(&google_config(&server));
    d.write("google.token", "ya29.expired\n");
    d.start();
    let mails = demo_mails();
    let first = &mails[0];
    d.deliver("000.eml", &first.raw);
    d.wait_until(
        "degraded with the token reason",
        Duration::from_secs(30),
        |d| {
            d.status().is_some_and(|s| {
                s.state == "degraded"
                    && s.problems.iter().any(|p| {
                        p.contains("token expired or invalid: refresh calendar.token_file")
                    })
            })
        },
    );
    assert!(fake.lock().unwrap().events.is_empty());

    d.write(
        "google.token",
        &format!("{{\"access_token\": \"{TOKEN}\", \"expires_in\": 3599}}"),
    );
    d.wait_until(
        "handled once the token is good",
        Duration::from_secs(30),
        |d| d.all_handled(1),
    );
    let dates: BTreeSet<String> = first.expected_dates().into_iter().collect();
    assert_events_match_plans(&d, &fake, &dates);
    d.wait_until("running again", Duration::from_secs(10), |d| {
        d.status().is_some_and(|s| s.state == "running")
    });
}

#[test]
fn remove_deletes_the_event_and_tolerates_it_being_gone() {
    let (server, fake) = fake_server(vec![]);
    let dir = tempfile::tempdir().unwrap();
    support::write_secret(&dir.path().join("google.token"), TOKEN);
    let cfg =
        mp2::config::Config::from_str_at(&google_config(&server), &dir.path().join("mp2.toml"))
            .unwrap();
    let id = event_id("anna", "2024-03-15");
    fake.lock()
        .unwrap()
        .events
        .insert((cal("anna"), id.clone()), json!({"id": id}));
    let g = Google::from_config(&cfg).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(g.remove("anna", "2024-03-15")).unwrap();
    assert!(fake.lock().unwrap().events.is_empty());
    rt.block_on(g.remove("anna", "2024-03-15")).unwrap();
    let reqs = server.requests.lock().unwrap();
    assert_eq!(reqs.len(), 2);
    for r in reqs.iter() {
        assert_eq!(r.method, "DELETE");
        assert_eq!(
            r.path,
            format!("{PREFIX}anna@group.calendar.google.com/events/{id}")
        );
    }
}
