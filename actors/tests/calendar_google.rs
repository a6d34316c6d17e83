//! The Google Calendar provider against an in-test server speaking the
//! Calendar API v3 wire format: paths, bearer token, JSON bodies (times,
//! reminders), insert on 404, update in place, 500 / 429 + Retry-After
//! retried, and a 401 shown in `status` until the token file is refreshed.
//! Unattended: access tokens from a refresh token at the OAuth token
//! endpoint (RFC 6749 §6 as Google's `oauth2.googleapis.com/token` speaks
//! it), cached, renewed once on a 401, and `invalid_grant` in `status`.

#[path = "../../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, FixedOffset};
use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::demo::demo_mails;
use mp2_actors::integrations::calendar::google::{event_id, Google};
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
struct Fake {
    events: BTreeMap<(String, String), Value>,
    faults: VecDeque<Reply>,
    /// Access tokens the calendar takes.
    accepted: BTreeSet<String>,
    /// Refresh tokens the token endpoint honours.
    refresh_tokens: BTreeSet<String>,
    /// Access tokens issued so far.
    issued: usize,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            events: BTreeMap::new(),
            faults: VecDeque::new(),
            accepted: [TOKEN.to_string()].into(),
            refresh_tokens: [REFRESH.to_string()].into(),
            issued: 0,
        }
    }
}

const CLIENT_ID: &str = "1234-mp2.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-test-secret";
const REFRESH: &str = "1//0refresh-good";

/// `a=b&c=d` (the values here need no percent-decoding but `/`).
fn form(body: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%2F", "/").replace("%2f", "/")))
        .collect()
}

/// The token endpoint: `grant_type=refresh_token` with the client's id and
/// secret; JSON with `access_token` and `expires_in`, or an RFC 6749 §5.2
/// error (`invalid_grant`, `invalid_client`) with 400 / 401.
fn token_endpoint(f: &mut Fake, req: &Request) -> Reply {
    let json = |status: u16, v: Value| -> Reply {
        (
            status,
            vec![("Content-Type", "application/json; charset=utf-8".into())],
            v.to_string(),
        )
    };
    if req.method != "POST"
        || !req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return json(400, json!({"error": "invalid_request"}));
    }
    let p = form(&req.body);
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return json(
            401,
            json!({"error": "invalid_client", "error_description": "The OAuth client was not found."}),
        );
    }
    if get("grant_type") != "refresh_token" || !f.refresh_tokens.contains(get("refresh_token")) {
        return json(
            400,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        );
    }
    f.issued += 1;
    let token = format!("ya29.issued-{}", f.issued);
    f.accepted.insert(token.clone());
    json(
        200,
        json!({"access_token": token, "expires_in": 3599,
               "scope": "https://www.googleapis.com/auth/calendar", "token_type": "Bearer"}),
    )
}

fn error(status: u16, reason: &str) -> Reply {
    (
        status,
        vec![("Content-Type", "application/json".into())],
        json!({"error": {"code": status, "message": reason}}).to_string(),
    )
}

fn answer(fake: &Mutex<Fake>, req: &Request) -> Reply {
    let mut f = fake.lock().unwrap();
    if req.path == "/token" {
        return token_endpoint(&mut f, req);
    }
    let bearer = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    if !bearer.is_some_and(|b| f.accepted.contains(b)) {
        return error(401, "Invalid Credentials");
    }
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
    // Operator-class failures are retried at most every retry_max (default
    // a minute): seconds here, so the refreshed file is seen within the wait.
    let mut d = Daemon::new(&google_config(&server).replace(
        "fault_injection = false",
        "fault_injection = false\nretry_max = \"2s\"",
    ));
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

/// The demo config on the fake with `[calendar.oauth2]` instead of a token
/// file, and operator-class failures retried within seconds.
fn refreshing_config(s: &Server) -> String {
    demo_config(
        &format!(
            "[calendar]\nprovider = \"google\"\nurl = \"{url}/calendar/v3\"\ncalendar_id = \"{{crew}}@group.calendar.google.com\"\n\n[calendar.oauth2]\ntoken_url = \"{url}/token\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"google.client-secret\"\nrefresh_token_file = \"google.refresh-token\"\n",
            url = s.url()
        ),
        "[integrations.calendar]\nrate = \"100/s\"\nburst = 20\nbreaker_failures = 5\nbreaker_reset = \"1s\"\ntimeout = \"5s\"\n",
    )
    .replace("fault_injection = false", "fault_injection = false\nretry_max = \"2s\"")
}

fn token_requests(s: &Server) -> Vec<Request> {
    s.requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == "/token")
        .cloned()
        .collect()
}

#[test]
fn refresh_token_gives_access_tokens_cached_and_renewed_once_on_401() {
    let (server, fake) = fake_server(vec![]);
    let cfg = refreshing_config(&server);
    let mut d = Daemon::new(&cfg);
    d.write("google.client-secret", &format!("{CLIENT_SECRET}\n"));
    d.write("google.refresh-token", &format!("{REFRESH}\n"));
    let checked = std::process::Command::new(support::mp2ctl())
        .args(["check-config"])
        .arg(&d.config)
        .output()
        .unwrap();
    assert!(
        checked.status.success() && checked.stderr.is_empty(),
        "check-config takes [calendar.oauth2] without a token_file: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    d.start();
    let mails = demo_mails();
    let (revision, originals): (Vec<_>, Vec<_>) = mails
        .iter()
        .enumerate()
        .partition(|(_, m)| m.days.iter().any(|day| day.revision == Some(2)));
    let mut dates = BTreeSet::new();
    for (i, m) in &originals {
        d.deliver(&format!("{i:03}.{}.eml", m.label), &m.raw);
        dates.extend(m.expected_dates());
    }
    d.wait_until("originals handled", Duration::from_secs(60), |d| {
        d.all_handled(originals.len())
    });
    assert_events_match_plans(&d, &fake, &dates);
    // One token for every write: kept until it expires (in an hour).
    let tokens = token_requests(&server);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let p = form(&tokens[0].body);
    assert_eq!(p["grant_type"], "refresh_token");
    assert_eq!(p["client_id"], CLIENT_ID);
    assert_eq!(p["client_secret"], CLIENT_SECRET);
    assert_eq!(p["refresh_token"], REFRESH);
    let writes: Vec<Request> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path.starts_with(PREFIX))
        .cloned()
        .collect();
    assert!(writes.len() >= CREW.len() * dates.len());
    for r in &writes {
        assert_eq!(r.header("authorization"), Some("Bearer ya29.issued-1"));
    }

    // Google revokes the access token early: the next write is answered
    // 401, mp2 gets a new token once and the write goes through.
    fake.lock().unwrap().accepted.clear();
    let seen = server.count();
    let (i, m) = revision[0];
    d.deliver(&format!("{i:03}.{}.eml", m.label), &m.raw);
    d.wait_until("revision handled", Duration::from_secs(30), |d| {
        d.all_handled(mails.len())
    });
    assert_events_match_plans(&d, &fake, &dates);
    assert_eq!(token_requests(&server).len(), 2);
    let later: Vec<Request> = server.requests.lock().unwrap()[seen..].to_vec();
    let unauthorized = later
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer ya29.issued-1"))
        .count();
    assert_eq!(
        unauthorized, 1,
        "one write with the revoked token, then a new one: {later:?}"
    );
    assert!(later
        .iter()
        .filter(|r| r.path.starts_with(PREFIX))
        .skip(1)
        .all(|r| r.header("authorization") == Some("Bearer ya29.issued-2")));
    let s = d.status().unwrap();
    assert_eq!(s.state, "running", "{:?}", s.problems);
}

#[test]
fn invalid_grant_is_an_operator_problem_in_status_until_a_new_refresh_token() {
    let (server, fake) = fake_server(vec![]);
    let mut d = Daemon::new(&refreshing_config(&server));
    d.write("google.client-secret", CLIENT_SECRET);
    d.write("google.refresh-token", "1//0refresh-revoked\n");
    d.start();
    let first = &demo_mails()[0];
    d.deliver("000.eml", &first.raw);
    d.wait_until(
        "degraded with invalid_grant",
        Duration::from_secs(30),
        |d| {
            d.status().is_some_and(|s| {
                s.state == "degraded"
                    && s.problems.iter().any(|p| {
                        p.contains("invalid_grant")
                            && p.contains("put a new one in calendar.oauth2.refresh_token_file")
                    })
            })
        },
    );
    let s = d.status().unwrap();
    assert_eq!(
        s.messages.failed, 0,
        "kept for when the token is fixed: {s:?}"
    );
    assert!(fake.lock().unwrap().events.is_empty());
    assert!(
        server
            .requests
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.path == "/token"),
        "no calendar call without a token"
    );
    // The human status says it too, on the problem line.
    let out = std::process::Command::new(support::mp2ctl())
        .arg("--config")
        .arg(&d.config)
        .arg("status")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("! ") && l.contains("invalid_grant")),
        "{text}"
    );

    d.write("google.refresh-token", &format!("{REFRESH}\n"));
    d.wait_until(
        "handled with the new refresh token",
        Duration::from_secs(30),
        |d| d.all_handled(1),
    );
    let dates: BTreeSet<String> = first.expected_dates().into_iter().collect();
    assert_events_match_plans(&d, &fake, &dates);
    d.wait_until("running again", Duration::from_secs(10), |d| {
        d.status().is_some_and(|s| s.state == "running")
    });
}
