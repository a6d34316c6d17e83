//! Forecasts for upcoming shooting days from an in-test server speaking
//! OpenWeatherMap's 5-day/3-hour wire format (and its failures): stored on
//! the day, a kit checklist on every plan, and one alert per crew member
//! when the forecast gets worse.

mod support;

use chrono::{Duration as Dur, Utc};
use mp2::control::{Command, ScheduleEntry};
use mp2::fixtures::{
    render, sample_days, schedule_mail, Attachment, Client, FontSetup, Lang, Layout,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::http::Server;
use support::Daemon;

/// Five days of 3-hour samples from now; `stormy` adds rain and wind.
fn owm_body(stormy: bool) -> String {
    let start = Utc::now().timestamp() / 10800 * 10800;
    let list: Vec<serde_json::Value> = (0..48)
        .map(|i| {
            let mut e = serde_json::json!({
                "dt": start + i * 10800,
                "main": {"temp": 6.0 + (i % 8) as f64, "temp_min": 5.0, "temp_max": 14.0},
                "wind": {"speed": if stormy { 15.5 } else { 3.0 }},
                "weather": [{"description": if stormy { "ulewa" } else { "bezchmurnie" }}],
            });
            if stormy {
                e["rain"] = serde_json::json!({"3h": 4.0});
            }
            e
        })
        .collect();
    serde_json::json!({"cod": "200", "cnt": list.len(), "list": list}).to_string()
}

/// A daemon on the demo config with OpenWeatherMap at `server`, polled
/// every two seconds.
fn weather_daemon(server: &Server) -> Daemon {
    let cfg = mp2::config::DEMO_TOML
        .replace("fault_injection = true", "fault_injection = false")
        .replace(
            "[weather]\nprovider = \"none\"",
            &format!("[weather]\nprovider = \"openweathermap\"\nendpoint = \"{}\"\napi_key_file = \"owm.secret\"\npoll_interval = \"2s\"", server.url()),
        );
    let mut d = Daemon::new(&cfg);
    support::write_secret(&d.path("owm.secret"), "owm-key");
    d.start();
    d
}

/// Delivers a schedule for `n` shooting days from tomorrow on.
fn deliver_upcoming(d: &Daemon, n: usize) {
    let tomorrow = (Utc::now() + Dur::days(1)).date_naive();
    let days = sample_days(11, n, tomorrow, Lang::Pl);
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
    d.deliver("future.eml", &m.raw);
}

fn schedules(d: &Daemon) -> Vec<ScheduleEntry> {
    serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap()
}

#[test]
fn forecasts_checklists_and_one_alert_when_it_gets_worse() {
    let stormy = Arc::new(AtomicBool::new(false));
    let s2 = stormy.clone();
    let server = Server::start(move |req, n| {
        assert!(req.path.starts_with("/data/2.5/forecast?"), "{}", req.path);
        assert!(req.path.contains("appid=owm-key") && req.path.contains("units=metric"));
        if n == 1 {
            return (500, vec![], "{\"cod\":500}".into()); // the first poll fails
        }
        (
            200,
            vec![("Content-Type", "application/json".into())],
            owm_body(s2.load(Ordering::SeqCst)),
        )
    });
    let d = weather_daemon(&server);
    deliver_upcoming(&d, 2);
    d.wait_until("forecasts stored", Duration::from_secs(60), |d| {
        let s = schedules(d);
        !s.is_empty() && s.iter().all(|e| e.weather.is_some())
    });
    for e in schedules(&d) {
        let w = e.weather.unwrap();
        for k in [
            "summary",
            "temp_min_c",
            "temp_max_c",
            "precip_mm",
            "wind_max_ms",
            "source",
            "fetched_at",
            "warnings",
        ] {
            assert!(w.get(k).is_some(), "weather.{k} missing: {w}");
        }
        assert_eq!(w["source"], "openweathermap");
        assert!(w["warnings"].as_array().unwrap().is_empty());
    }
    let alerts = |d: &Daemon| {
        d.files("outbox/email")
            .into_iter()
            .filter(|f| f.to_string_lossy().contains("weather_"))
            .count()
    };
    assert_eq!(alerts(&d), 0, "no alert for the first forecast");

    stormy.store(true, Ordering::SeqCst);
    d.wait_until(
        "stormy forecast stored and alerts sent",
        Duration::from_secs(30),
        |d| {
            schedules(d).iter().all(|e| {
                e.weather
                    .as_ref()
                    .is_some_and(|w| !w["warnings"].as_array().unwrap().is_empty())
            }) && alerts(d) > 0
        },
    );
    // Several more polls: still one alert per crew member (with e-mail) and day.
    std::thread::sleep(Duration::from_secs(5));
    let s = schedules(&d);
    assert_eq!(alerts(&d), 2 * s.len(), "anna and tomek, once per day");
    for e in &s {
        for p in &e.plans {
            // In each crew member's own language (tomek reads English).
            let kit = if p.crew == "tomek" {
                "rain covers"
            } else {
                "osłony"
            };
            assert!(
                p.checklist.iter().any(|c| c.contains(kit)),
                "rain kit on the list: {:?}",
                p.checklist
            );
        }
    }
    let w = d
        .status()
        .unwrap()
        .integrations
        .into_iter()
        .find(|i| i.name == "weather")
        .unwrap();
    assert!(w.failures >= 1 && w.calls >= 3, "{w:?}");
}

/// Five days of calm 3-hour samples, one of which (the day after
/// tomorrow's noon, inside every shift) is a thunderstorm when `storm`:
/// OpenWeatherMap's group 2xx, with no rain and no wind to speak of, so
/// only the storm itself can make it worse.
fn owm_thunder_body(storm: bool) -> String {
    let start = Utc::now().timestamp() / 10800 * 10800;
    let list: Vec<serde_json::Value> = (0..48)
        .map(|i| {
            let thunder = storm && i % 8 >= 2;
            serde_json::json!({
                "dt": start + i * 10800,
                "main": {"temp": 15.0, "temp_min": 14.0, "temp_max": 16.0},
                "wind": {"speed": 3.0},
                "weather": [if thunder {
                    serde_json::json!({"id": 211, "main": "Thunderstorm", "description": "burza z piorunami"})
                } else {
                    serde_json::json!({"id": 800, "main": "Clear", "description": "bezchmurnie"})
                }],
            })
        })
        .collect();
    serde_json::json!({"cod": "200", "cnt": list.len(), "list": list}).to_string()
}

/// Finding 5 (weather): a forecast turning into a thunderstorm for a
/// planned day gives a warning on the day and one alert per crew member
/// within 3 poll intervals.
#[test]
fn finding5_a_thunderstorm_forecast_alerts_within_three_polls() {
    let storm = Arc::new(AtomicBool::new(false));
    let s2 = storm.clone();
    let server = Server::start(move |_, _| {
        (
            200,
            vec![("Content-Type", "application/json".into())],
            owm_thunder_body(s2.load(Ordering::SeqCst)),
        )
    });
    let poll = Duration::from_secs(2); // weather_daemon's poll_interval
    let d = weather_daemon(&server);
    deliver_upcoming(&d, 1);
    d.wait_until("a calm forecast stored", Duration::from_secs(60), |d| {
        let s = schedules(d);
        !s.is_empty()
            && s.iter().all(|e| {
                e.weather
                    .as_ref()
                    .is_some_and(|w| w["warnings"].as_array().is_some_and(|a| a.is_empty()))
            })
    });
    let alerts = |d: &Daemon| {
        d.files("outbox/email")
            .into_iter()
            .filter(|f| f.to_string_lossy().contains("weather_"))
            .collect::<Vec<_>>()
    };
    assert!(alerts(&d).is_empty(), "no alert for a calm first forecast");

    storm.store(true, Ordering::SeqCst);
    let n = schedules(&d).len();
    // Three poll intervals, plus the time a send takes.
    d.wait_until(
        "a thunderstorm warning and its alerts within 3 polls",
        poll * 3 + Duration::from_secs(3),
        |d| {
            schedules(d).iter().all(|e| {
                e.weather.as_ref().is_some_and(|w| {
                    w["warnings"].as_array().is_some_and(|a| {
                        a.iter()
                            .any(|x| x.as_str().is_some_and(|x| x.starts_with("burza")))
                    })
                })
            }) && alerts(d).len() >= 2 * n
        },
    );
    let sent = alerts(&d);
    assert_eq!(sent.len(), 2 * n, "anna and tomek, once per day: {sent:?}");
    let tomek = sent
        .iter()
        .find(|f| f.to_string_lossy().contains("weather_tomek"))
        .expect("tomek's alert");
    let text = std::fs::read_to_string(tomek).unwrap();
    assert!(text.contains("thunderstorm"), "in tomek's English: {text}");
}
