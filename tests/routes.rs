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

/// Finding 5: the route service answers 500 (plans fall back to the
/// estimate, the breaker opens), then comes back: without any new mail the
/// plans are made again with real legs, the breaker closes, and a crew
/// member is sent one change message only when their departure or wake-up
/// moved.
#[test]
fn finding5_plans_made_on_estimates_are_healed_when_the_provider_is_back() {
    use mp2::fixtures::{
        render, sample_days, schedule_mail, Attachment, Client, FontSetup, Lang, Layout,
    };
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let up = Arc::new(AtomicBool::new(false));
    let up2 = up.clone();
    let server = Server::start(move |req, _| {
        assert_eq!(req.path, "/directions/v2:computeRoutes");
        if !up2.load(Ordering::SeqCst) {
            return (500, vec![], r#"{"error":{"code":500}}"#.into());
        }
        (
            200,
            vec![("Content-Type", "application/json".into())],
            r#"{"routes":[{"distanceMeters":48000,"duration":"3300s"}]}"#.into(),
        )
    });
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    let cfg = base.replace(
        "[routes]\nprovider = \"estimate\"",
        &format!(
            "[routes]\nprovider = \"google\"\nendpoint = \"{}\"\napi_key_file = \"maps.secret\"",
            server.url()
        ),
    );
    let cfg = format!("{cfg}\n[integrations.routes]\nrate = \"50/s\"\nburst = 10\ntimeout = \"5s\"\nbreaker_failures = 2\nbreaker_reset = \"2s\"\n");
    let mut d = Daemon::new(&cfg);
    support::write_secret(&d.path("maps.secret"), "test-key\n");
    d.start();
    let tomorrow = (chrono::Utc::now() + Dur::days(1)).date_naive();
    let days = sample_days(11, 2, tomorrow, Lang::Pl);
    let pdf = render(&days, Layout::PlanPl, FontSetup::SimpleWinAnsi);
    let m = schedule_mail(
        Client::Gmail,
        &[Attachment {
            filename: "plan.pdf".into(),
            pdf,
            days: days.clone(),
        }],
        5,
    );
    d.deliver("plan.eml", &m.raw);
    let schedules = |d: &Daemon| -> Vec<ScheduleEntry> {
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap()
    };
    let routes = |d: &Daemon| {
        d.status()
            .unwrap()
            .integrations
            .into_iter()
            .find(|i| i.name == "routes")
            .unwrap()
    };
    let routed = |s: &[ScheduleEntry]| -> Vec<(String, mp2::plan::CrewPlan)> {
        s.iter()
            .filter(|e| !e.schedule.locations.is_empty())
            .flat_map(|e| e.plans.iter().map(|p| (e.date.clone(), p.clone())))
            .collect()
    };
    let mails = |d: &Daemon, part: &str| {
        d.files("outbox/email")
            .into_iter()
            .filter(|f| f.to_string_lossy().contains(part))
            .count()
    };
    d.wait_until("planned on estimates", Duration::from_secs(60), |d| {
        d.all_handled(1) && !routed(&schedules(d)).is_empty()
    });
    let before = routed(&schedules(&d));
    for (date, p) in &before {
        assert!(
            p.legs
                .iter()
                .all(|l| l.source == mp2::plan::LegSource::Estimate),
            "{date}: {p:?}"
        );
    }
    let r = routes(&d);
    assert!(r.breaker != "closed" && r.failures >= 2, "{r:?}");
    let first_mails = mails(&d, "notify_");
    assert!(first_mails > 0);

    up.store(true, Ordering::SeqCst);
    d.wait_until(
        "real legs without new mail, the breaker closed",
        Duration::from_secs(30),
        |d| {
            let now = routed(&schedules(d));
            now.len() == before.len()
                && now.iter().all(|(_, p)| {
                    p.legs
                        .iter()
                        .all(|l| l.source == mp2::plan::LegSource::Google && l.minutes == 55)
                })
                && routes(d).breaker == "closed"
                && d.all_handled(1)
        },
    );
    let after = routed(&schedules(&d));
    let mut moved = 0;
    for ((date, old), (_, new)) in before.iter().zip(&after) {
        let told = |d: &Daemon| mails(d, &format!("notify_{}_{date}_v1r", new.crew));
        if old.departure != new.departure || old.wake_up != new.wake_up {
            moved += 1;
            d.wait_until("the change message", Duration::from_secs(15), |d| {
                told(d) >= 1
            });
            assert_eq!(told(&d), 1, "{date} {}: one change message", new.crew);
            assert_eq!(
                mails(&d, &format!("notify_{}_{date}_v1r1_email", new.crew)),
                1
            );
        } else {
            assert_eq!(told(&d), 0, "{date} {}: times did not move", new.crew);
        }
    }
    assert!(moved > 0, "55 minutes moves some departure: {after:?}");
    assert_eq!(
        mails(&d, "notify_"),
        first_mails + moved,
        "no other message was sent"
    );
}
