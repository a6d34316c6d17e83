//! Route providers over their wire formats (in-test servers for Google
//! Routes and OSRM), their failures falling back to the estimate, and the
//! CONTRACT §5 arithmetic checked on every plan the daemon makes.

mod support;

use chrono::{DateTime, Duration as Dur, FixedOffset, Timelike};
use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::demo::demo_mails;
use std::time::Duration;
use support::http::Server;
use support::Daemon;

fn config(routes: &str, timeout: &str) -> String {
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    let base = base.replace("[routes]\nprovider = \"estimate\"", routes);
    format!("{base}\n[integrations.routes]\nrate = \"50/s\"\nburst = 10\ntimeout = \"{timeout}\"\nbreaker_failures = 100\n")
}

fn run(cfg: &str) -> (Daemon, Vec<ScheduleEntry>) {
    let mut d = Daemon::new(cfg);
    support::write_secret(&d.path("maps.secret"), "test-key\n");
    d.start();
    let mails = demo_mails();
    for (i, m) in mails.iter().enumerate() {
        d.deliver(&format!("{i:03}.eml"), &m.raw);
    }
    let n = mails.len();
    d.wait_until("all handled", Duration::from_secs(90), |d| {
        d.status()
            .is_some_and(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
    });
    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    (d, days)
}

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// CONTRACT §5 with the demo's buffers (45/15/10/10/20).
fn check_arithmetic(days: &[ScheduleEntry]) {
    for d in days {
        for p in &d.plans {
            let legs: i64 = p.legs.iter().map(|l| l.minutes as i64).sum();
            let change = if p.legs.len() == 2 { 15 } else { 0 };
            let raw = t(&p.call) - Dur::minutes(legs + change + 10 + 10 + 20);
            let want = raw - Dur::minutes((raw.minute() % 5) as i64);
            assert_eq!(t(&p.departure), want, "{} {}: {p:?}", d.date, p.crew);
            assert_eq!(t(&p.wake_up), want - Dur::minutes(45));
        }
    }
}

#[test]
fn google_routes_are_used_and_the_arithmetic_holds() {
    let server = Server::start(|req, _| {
        assert_eq!(req.path, "/directions/v2:computeRoutes");
        assert_eq!(req.header("x-goog-api-key"), Some("test-key"));
        assert!(req
            .header("x-goog-fieldmask")
            .is_some_and(|m| m.contains("routes.duration")));
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["travelMode"], "DRIVE");
        assert_eq!(body["routingPreference"], "TRAFFIC_AWARE");
        (
            200,
            vec![("Content-Type", "application/json".into())],
            r#"{"routes":[{"distanceMeters":12500,"duration":"1470s"}]}"#.into(),
        )
    });
    let cfg = config(
        &format!(
            "[routes]\nprovider = \"google\"\nendpoint = \"{}\"\napi_key_file = \"maps.secret\"",
            server.url()
        ),
        "5s",
    );
    let (_d, days) = run(&cfg);
    assert!(!days.is_empty());
    // (A day whose sheet names no location has nothing to route to.)
    for p in days
        .iter()
        .filter(|d| !d.schedule.locations.is_empty())
        .flat_map(|d| &d.plans)
    {
        for l in &p.legs {
            assert_eq!(l.source, mp2::plan::LegSource::Google, "{p:?}");
            assert_eq!(l.minutes, 25);
            assert_eq!(l.km, Some(12.5));
        }
    }
    check_arithmetic(&days);
    assert!(server.count() > 0);
}

#[test]
fn osrm_failures_fall_back_to_the_estimate_with_a_warning() {
    // 500, then bad JSON, then a valid answer, in turn.
    let server = Server::start(|req, n| {
        assert!(req.path.starts_with("/route/v1/driving/"), "{}", req.path);
        match n % 3 {
            1 => (500, vec![], "oops".into()),
            2 => (200, vec![], "{not json".into()),
            _ => (
                200,
                vec![],
                r#"{"code":"Ok","routes":[{"duration":1200.0,"distance":9000.0}]}"#.into(),
            ),
        }
    });
    let cfg = config(
        &format!(
            "[routes]\nprovider = \"osrm\"\nendpoint = \"{}\"",
            server.url()
        ),
        "5s",
    );
    let (d, days) = run(&cfg);
    let legs: Vec<_> = days
        .iter()
        .flat_map(|d| &d.plans)
        .flat_map(|p| &p.legs)
        .collect();
    assert!(legs
        .iter()
        .any(|l| l.source == mp2::plan::LegSource::Osrm && l.minutes == 20));
    assert!(legs
        .iter()
        .any(|l| l.source == mp2::plan::LegSource::Estimate));
    let warned = days
        .iter()
        .flat_map(|d| &d.plans)
        .flat_map(|p| &p.warnings)
        .any(|w| w.contains("drive time estimated") || w.contains("czas dojazdu szacunkowy"));
    assert!(warned);
    // The crew read what it means, not the provider's error (URLs, codes).
    for w in days.iter().flat_map(|d| &d.plans).flat_map(|p| &p.warnings) {
        assert!(
            !w.contains("http") && !w.contains("127.0.0.1") && !w.contains("500"),
            "{w}"
        );
    }
    check_arithmetic(&days);
    let routes = d
        .status()
        .unwrap()
        .integrations
        .into_iter()
        .find(|i| i.name == "routes")
        .unwrap();
    assert!(routes.failures >= 2, "{routes:?}");
}

#[test]
fn a_slow_provider_times_out_and_the_plan_is_still_made() {
    let server = Server::start(|_, _| {
        std::thread::sleep(Duration::from_millis(1500));
        (
            200,
            vec![],
            r#"{"routes":[{"distanceMeters":1,"duration":"60s"}]}"#.into(),
        )
    });
    let cfg = config(
        &format!(
            "[routes]\nprovider = \"google\"\nendpoint = \"{}\"\napi_key_file = \"maps.secret\"",
            server.url()
        ),
        "300ms",
    );
    let (d, days) = run(&cfg);
    let p = &days[0].plans[0];
    assert!(
        p.legs
            .iter()
            .all(|l| l.source == mp2::plan::LegSource::Estimate),
        "{p:?}"
    );
    // The crew read that the drive is an estimate; the log says why.
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("szacunkowy") || w.contains("estimated")),
        "{:?}",
        p.warnings
    );
    assert!(d.log().contains("timed out"), "{}", d.log());
    check_arithmetic(&days);
}
