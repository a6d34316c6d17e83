//! Notifications over real transports: a real SMTP server process (aiosmtpd)
//! and an in-test server speaking Twilio's Messages API, including its
//! failures. A restart sends nothing twice; a failed send is retried until
//! it goes out or is given up with its reason (issue 11, findings 1 and 8).

mod support;

use mp2::fixtures::demo::demo_mails;
use std::net::TcpListener;
use std::time::Duration;
use support::http::Server;
use support::smtp::Smtpd as Smtp;
use support::Daemon;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(email: &str, sms: &str) -> String {
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    let start = base.find("[notify.email]").unwrap();
    format!("{}{email}\n\n{sms}\n", &base[..start])
}

fn deliver_all(d: &Daemon) -> usize {
    let mails = demo_mails();
    for (i, m) in mails.iter().enumerate() {
        d.deliver(&format!("{i:03}.eml"), &m.raw);
    }
    mails.len()
}

fn handled(d: &Daemon, n: usize) -> bool {
    d.status()
        .is_some_and(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
}

#[test]
fn day_summaries_go_out_over_smtp_once() {
    if !Smtp::available() {
        return;
    }
    let spool = tempfile::tempdir().unwrap();
    let smtpd = Smtp::start(free_port(), spool.path(), None);
    let port = smtpd.port;
    let email = format!(
        "[notify.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"MP2 Plan <plan@produkcja-mp2.pl>\""
    );
    let mut d = Daemon::new(&config(&email, "[notify.sms]\nprovider = \"none\""));
    d.start();
    let n = deliver_all(&d);
    d.wait_until("all handled", Duration::from_secs(60), |d| handled(d, n));
    let count = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join("mbox/new"))
            .map(|r| r.count())
            .unwrap_or(0)
    };
    let sent = count(spool.path());
    assert!(
        sent >= 10,
        "a summary per crew member per shooting day: {sent}\n{}",
        d.log()
    );
    let smtp = d
        .status()
        .unwrap()
        .integrations
        .into_iter()
        .find(|i| i.name == "smtp")
        .unwrap();
    assert_eq!(smtp.calls as usize, sent);
    let one = std::fs::read_dir(spool.path().join("mbox/new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(one).unwrap();
    assert!(
        text.contains("Pobudka") || text.contains("Wake up"),
        "{text}"
    );
    // A restart on the same state sends nothing again.
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    d.start();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(count(spool.path()), sent);
    drop(smtpd);
}

#[test]
fn sms_goes_through_twilio_and_survives_its_failures() {
    // The first call fails with 500, the second with 429 + Retry-After;
    // later ones succeed. The notifier must retry and deliver every SMS once.
    let server = Server::start(|req, n| {
        assert_eq!(req.method, "POST");
        assert!(
            req.path
                .ends_with("/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"),
            "{}",
            req.path
        );
        assert!(req
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic ")));
        match n {
            1 => (
                500,
                vec![],
                "{\"code\":20500,\"message\":\"Internal Server Error\"}".into(),
            ),
            2 => (
                429,
                vec![("Retry-After", "1".into())],
                "{\"code\":20429,\"message\":\"Too Many Requests\"}".into(),
            ),
            _ => (
                201,
                vec![("Content-Type", "application/json".into())],
                "{\"sid\":\"SM123\",\"status\":\"queued\"}".into(),
            ),
        }
    });
    let dir_token = tempfile::tempdir().unwrap();
    let token = dir_token.path().join("twilio.secret");
    support::write_secret(&token, "tok");
    let sms = format!(
        "[notify.sms]\nprovider = \"twilio\"\nendpoint = \"{}\"\naccount_sid = \"AC00000000000000000000000000000000\"\nauth_token_file = \"{}\"\nfrom = \"+48500000000\"",
        server.url(),
        token.display()
    );
    let mut d = Daemon::new(&config("[notify.email]\ntransport = \"file\"\ndir = \"outbox/email\"\nfrom = \"MP2 <plan@produkcja-mp2.pl>\"", &sms));
    d.start();
    let n = deliver_all(&d);
    d.wait_until(
        "all handled despite Twilio failures",
        Duration::from_secs(90),
        |d| handled(d, n),
    );
    let reqs = server.requests.lock().unwrap().clone();
    let ok: Vec<_> = reqs.iter().skip(2).collect();
    let bodies: std::collections::BTreeSet<String> = ok
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(bodies.len(), ok.len(), "no SMS sent twice");
    assert!(ok
        .iter()
        .all(|r| String::from_utf8_lossy(&r.body).contains("To=%2B48601234567")));
    let sms_stats = d
        .status()
        .unwrap()
        .integrations
        .into_iter()
        .find(|i| i.name == "sms")
        .unwrap();
    assert_eq!(sms_stats.failures, 2, "{sms_stats:?}");
}

// ------------------------------------------------- issue 11: the outbox

use mp2::control::HistoryEntry;
use mp2::store::{OutboxCounts, Stage};
use support::twilio::{sms_config, twilio_error, Post, Twilio};

const FILE_EMAIL: &str = "[notify.email]\ntransport = \"file\"\ndir = \"outbox/email\"\nfrom = \"MP2 <plan@produkcja-mp2.pl>\"";

fn smtp_config(port: u16) -> String {
    format!("[notify.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"MP2 Plan <plan@produkcja-mp2.pl>\"")
}

/// Breakers that half-open after 2 s, so a server that came back is used
/// within the test's patience.
const QUICK_BREAKERS: &str =
    "[integrations.smtp]\nbreaker_reset = \"2s\"\n\n[integrations.sms]\nbreaker_reset = \"2s\"\n";

fn outbox(d: &Daemon) -> OutboxCounts {
    d.status().map(|s| s.outbox).unwrap_or_default()
}

fn history(d: &Daemon) -> Vec<HistoryEntry> {
    serde_json::from_value(d.call(mp2::control::Command::History).unwrap()).unwrap()
}

fn given_up(d: &Daemon) -> Vec<serde_json::Value> {
    let a = d.call(mp2::control::Command::Attention).unwrap();
    a.as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "notification_given_up")
        .cloned()
        .collect()
}

fn integration(d: &Daemon, name: &str) -> mp2::control::IntegrationStatus {
    d.status()
        .unwrap()
        .integrations
        .into_iter()
        .find(|i| i.name == name)
        .unwrap()
}

fn all_sent(o: &OutboxCounts) -> bool {
    o.sent > 0 && o.queued + o.sending + o.failed_retrying + o.dead == 0
}

fn unique<T: Ord + Clone>(v: &[T]) -> bool {
    v.iter()
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        == v.len()
}

#[test]
fn finding_1_a_failed_send_is_retried_once_smtp_and_twilio_are_back() {
    if !Smtp::available() {
        return;
    }
    // Both providers on ports where nothing listens yet.
    let (smtp_port, twilio_port) = (free_port(), free_port());
    let tmp = tempfile::tempdir().unwrap();
    let sms = sms_config(
        &format!("http://127.0.0.1:{twilio_port}"),
        &tmp.path().join("twilio.secret"),
    );
    let cfg = format!(
        "{}\n{QUICK_BREAKERS}",
        config(&smtp_config(smtp_port), &sms)
    );
    let mut d = Daemon::new(&cfg);
    d.start();
    let n = deliver_all(&d);
    d.wait_until(
        "every schedule waiting at the notifier, sends refused on both channels",
        Duration::from_secs(60),
        |d| {
            history(d)
                .iter()
                .filter(|m| m.matched && m.verdict == "accepted")
                .all(|m| m.stage == Stage::Synced)
                && integration(d, "smtp").failures >= 1
                && integration(d, "sms").failures >= 1
        },
    );
    let h = history(&d);
    assert!(
        h.iter().all(|m| m.stage != Stage::Notified),
        "nothing was sent, so nothing is `notified`: {h:?}"
    );
    let s = d.status().unwrap();
    assert!(s.messages.in_flight > 0, "{:?}", s.messages);
    assert!(s.outbox.failed_retrying >= 2, "{:?}", s.outbox);
    assert_eq!(s.outbox.sent, 0);

    let smtpd = Smtp::start(smtp_port, tmp.path(), None);
    let twilio = Twilio::start_on(twilio_port, |_, _| Post::Take);
    d.wait_until(
        "every notification sent once the servers are back",
        Duration::from_secs(120),
        |d| handled(d, n) && outbox(d).failed_retrying == 0,
    );
    let h = history(&d);
    assert!(
        h.iter()
            .filter(|m| m.matched && m.verdict == "accepted")
            .all(|m| m.stage == Stage::Notified),
        "{h:?}"
    );
    let ids = smtpd.message_ids();
    let taken: Vec<String> = twilio.taken().into_iter().map(|m| m.body).collect();
    assert!(!ids.is_empty() && !taken.is_empty());
    assert!(unique(&ids), "no e-mail sent twice: {ids:?}");
    // The revision of 11.03 came in during the outage: its first version,
    // not sent yet, is not sent after it.
    let v = |n: u32| format!("<notify_anna_2024-03-11_v{n}_email@mp2>");
    assert!(ids.contains(&v(2)) && !ids.contains(&v(1)), "{ids:?}");
    assert!(unique(&taken), "no SMS sent twice: {taken:?}");
    let o = outbox(&d);
    assert!(all_sent(&o), "{o:?}");
    assert_eq!(o.sent as usize, ids.len() + taken.len(), "{o:?}");
    assert_eq!(o.possible_duplicates, 0);
    assert!(given_up(&d).is_empty());
}

#[test]
fn finding_1_twilio_400_is_dead_at_once_with_its_reason_and_asks_for_attention() {
    let twilio = Twilio::start(|_, _| {
        Post::Answer((
            400,
            vec![("Content-Type", "application/json".into())],
            twilio_error(
                21211,
                "The 'To' number +48601234567 is not a valid phone number.",
            ),
        ))
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        FILE_EMAIL,
        &twilio.config(&tmp.path().join("twilio.secret")),
    );
    let mut d = Daemon::new(&cfg);
    d.start();
    let n = deliver_all(&d);
    d.wait_until("all handled", Duration::from_secs(60), |d| {
        handled(d, n) && outbox(d).failed_retrying == 0
    });
    let posts: Vec<String> = twilio
        .posts()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        unique(&posts),
        "a permanent refusal is not retried: {posts:?}"
    );
    let o = outbox(&d);
    assert_eq!(o.dead as usize, posts.len(), "{o:?}");
    assert!(o.sent > 0, "the e-mails went out: {o:?}");
    let failed: Vec<HistoryEntry> = history(&d)
        .into_iter()
        .filter(|m| m.stage == Stage::Failed)
        .collect();
    assert!(!failed.is_empty());
    for m in &failed {
        assert!(
            m.errors
                .iter()
                .any(|e| e.contains("21211") && e.contains("not a valid phone number")),
            "the reason is in history: {m:?}"
        );
    }
    let items = given_up(&d);
    assert_eq!(items.len(), posts.len(), "{items:?}");
    assert!(items.iter().all(|i| i["reason"]
        .as_str()
        .unwrap()
        .contains("not a valid phone number")));
    assert!(d.status().unwrap().attention >= items.len());
}

#[test]
fn finding_8_twilio_429_retry_after_is_honoured() {
    let twilio = Twilio::start(|_, n| match n {
        1 => Post::Answer((
            429,
            vec![("Retry-After", "3".into())],
            twilio_error(20429, "Too Many Requests"),
        )),
        _ => Post::Take,
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        FILE_EMAIL,
        &twilio.config(&tmp.path().join("twilio.secret")),
    );
    let mut d = Daemon::new(&cfg);
    d.start();
    let n = deliver_all(&d);
    d.wait_until("all handled", Duration::from_secs(60), |d| {
        handled(d, n) && outbox(d).failed_retrying == 0
    });
    let posts = twilio.posts();
    assert!(posts.len() >= 2, "{posts:?}");
    let gap = posts[1].at.duration_since(posts[0].at);
    assert!(
        gap >= Duration::from_secs(3),
        "Twilio asked for 3 s and was called again after {gap:?}"
    );
    let taken: Vec<String> = twilio.taken().into_iter().map(|m| m.body).collect();
    assert!(unique(&taken), "no SMS sent twice: {taken:?}");
    let refused = String::from_utf8_lossy(&posts[0].body).into_owned();
    let body = support::twilio::decode(&refused)
        .into_iter()
        .find(|(k, _)| k == "Body")
        .unwrap()
        .1;
    // Sent later, unless a revision of its day went out instead.
    let o = outbox(&d);
    assert!(
        taken.contains(&body) || o.superseded > 0,
        "the refused SMS went out later: {o:?}"
    );
    assert_eq!(
        outbox(&d).sent as usize,
        taken.len() + outbox_email_files(&d)
    );
}

/// Delivers the demo's second mail (a day no later mail revises, so a
/// revision cannot supersede its notifications); the rest with
/// [`deliver_rest`].
fn deliver_unrevised(d: &Daemon) -> usize {
    d.deliver("001.eml", &demo_mails()[1].raw);
    demo_mails().len()
}

fn deliver_rest(d: &Daemon) {
    for (i, m) in demo_mails().iter().enumerate() {
        if i != 1 {
            d.deliver(&format!("{i:03}.eml"), &m.raw);
        }
    }
}

fn outbox_email_files(d: &Daemon) -> usize {
    d.files("outbox/email").len()
}

#[test]
fn finding_1_an_sms_cut_off_by_a_kill_is_looked_up_at_twilio_not_sent_twice() {
    let pid = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let p = pid.clone();
    // The first SMS reaches Twilio, which takes it; the daemon dies before
    // it hears the answer.
    let twilio = Twilio::start(move |_, n| {
        if n == 1 {
            // SAFETY: kill(2) on the test's own child.
            unsafe {
                libc::kill(
                    p.load(std::sync::atomic::Ordering::SeqCst) as i32,
                    libc::SIGKILL,
                )
            };
        }
        Post::Take
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        FILE_EMAIL,
        &twilio.config(&tmp.path().join("twilio.secret")),
    );
    let mut d = Daemon::new(&cfg);
    d.start();
    pid.store(
        d.child.as_ref().unwrap().id(),
        std::sync::atomic::Ordering::SeqCst,
    );
    let n = deliver_unrevised(&d);
    d.wait_exited("no SMS was sent", Duration::from_secs(60));
    d.kill9();
    assert_eq!(twilio.taken().len(), 1);
    d.start();
    d.wait_until(
        "Twilio asked about the cut-off SMS",
        Duration::from_secs(30),
        |_| !twilio.gets().is_empty(),
    );
    deliver_rest(&d);
    d.wait_until(
        "all handled after the restart",
        Duration::from_secs(60),
        |d| handled(d, n) && outbox(d).failed_retrying == 0,
    );
    let taken: Vec<String> = twilio.taken().into_iter().map(|m| m.body).collect();
    assert!(unique(&taken), "no SMS sent twice: {taken:?}");
    let gets = twilio.gets();
    assert!(
        gets.iter().any(|g| g.path.contains("To=%2B48601234567")),
        "Twilio was asked before a resend: {gets:?}"
    );
    assert!(given_up(&d).is_empty(), "{:?}", given_up(&d));
    assert!(all_sent(&outbox(&d)), "{:?}", outbox(&d));
    assert_eq!(outbox(&d).possible_duplicates, 0);
    assert!(d
        .log()
        .contains("Twilio has the message from the cut-off send"));
}

#[test]
fn finding_1_an_email_cut_off_by_a_kill_is_sent_again_with_its_message_id_and_counted() {
    if !Smtp::available() {
        return;
    }
    let port = free_port();
    let tmp = tempfile::tempdir().unwrap();
    let pid_file = tmp.path().join("mp2d.pid");
    let smtpd = Smtp::start(port, tmp.path(), Some(&pid_file));
    let mut d = Daemon::new(&config(
        &smtp_config(port),
        "[notify.sms]\nprovider = \"none\"",
    ));
    d.start();
    std::fs::write(&pid_file, d.child.as_ref().unwrap().id().to_string()).unwrap();
    let n = deliver_unrevised(&d);
    d.wait_exited("no e-mail was sent", Duration::from_secs(60));
    d.kill9();
    std::fs::remove_file(&pid_file).unwrap();
    let first = smtpd.message_ids();
    assert_eq!(first.len(), 1);
    d.start();
    d.wait_until(
        "the cut-off e-mail sent again",
        Duration::from_secs(30),
        |_| smtpd.message_ids().len() >= 2,
    );
    deliver_rest(&d);
    d.wait_until(
        "all handled after the restart",
        Duration::from_secs(60),
        |d| handled(d, n) && outbox(d).failed_retrying == 0,
    );
    let ids = smtpd.message_ids();
    let twice: Vec<&String> = ids.iter().filter(|i| **i == first[0]).collect();
    assert_eq!(
        twice.len(),
        2,
        "sent again under the same Message-ID: {ids:?}"
    );
    let mut rest = ids.clone();
    rest.retain(|i| *i != first[0]);
    assert!(unique(&rest), "nothing else twice: {ids:?}");
    assert_eq!(outbox(&d).possible_duplicates, 1, "counted in status");
    assert!(given_up(&d).is_empty());
}

/// Five days of OpenWeatherMap 3-hour samples from now; `stormy` adds rain
/// and wind (as in tests/weather.rs).
fn owm_body(stormy: bool) -> String {
    let start = chrono::Utc::now().timestamp() / 10800 * 10800;
    let list: Vec<serde_json::Value> = (0..48)
        .map(|i| {
            let mut e = serde_json::json!({
                "dt": start + i * 10800,
                "main": {"temp": 6.0 + (i % 8) as f64},
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

#[test]
fn finding_8_a_weather_alert_whose_send_fails_is_sent_later() {
    use mp2::fixtures::{
        render, sample_days, schedule_mail, Attachment, Client, FontSetup, Lang, Layout,
    };
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let stormy = Arc::new(AtomicBool::new(false));
    let s2 = stormy.clone();
    let weather = Server::start(move |_, _| {
        (
            200,
            vec![("Content-Type", "application/json".into())],
            owm_body(s2.load(Ordering::SeqCst)),
        )
    });
    // Twilio is down (503) while `down` is set.
    let down = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    let (d2, r2) = (down.clone(), refused.clone());
    let twilio = Twilio::start(move |_, _| {
        if d2.load(Ordering::SeqCst) {
            r2.fetch_add(1, Ordering::SeqCst);
            return Post::Answer((503, vec![], twilio_error(20503, "Service Unavailable")));
        }
        Post::Take
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(FILE_EMAIL, &twilio.config(&tmp.path().join("twilio.secret"))).replace(
        "[weather]\nprovider = \"none\"",
        &format!("[weather]\nprovider = \"openweathermap\"\nendpoint = \"{}\"\napi_key_file = \"owm.secret\"\npoll_interval = \"2s\"", weather.url()),
    );
    let mut d = Daemon::new(&format!("{cfg}\n{QUICK_BREAKERS}"));
    support::write_secret(&d.path("owm.secret"), "owm-key");
    d.start();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
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
    d.deliver("future.eml", &m.raw);
    let schedules = |d: &Daemon| -> Vec<mp2::control::ScheduleEntry> {
        serde_json::from_value(d.call(mp2::control::Command::Schedules).unwrap()).unwrap()
    };
    let warned = |d: &Daemon| {
        let s = schedules(d);
        !s.is_empty()
            && s.iter().all(|e| {
                e.weather
                    .as_ref()
                    .is_some_and(|w| !w["warnings"].as_array().unwrap().is_empty())
            })
    };
    d.wait_until(
        "calm forecasts stored, day summaries sent",
        Duration::from_secs(60),
        |d| {
            handled(d, 1)
                && !twilio.taken().is_empty()
                && schedules(d).iter().all(|e| e.weather.is_some())
        },
    );
    let before = twilio.taken().len();
    down.store(true, Ordering::SeqCst);
    stormy.store(true, Ordering::SeqCst);
    d.wait_until(
        "the stormy forecast stored and its SMS alerts refused",
        Duration::from_secs(30),
        |d| warned(d) && refused.load(Ordering::SeqCst) >= 1,
    );
    down.store(false, Ordering::SeqCst);
    let n_days = schedules(&d).len();
    d.wait_until(
        "the alerts sent once Twilio is back",
        Duration::from_secs(60),
        |_| twilio.taken().len() >= before + n_days,
    );
    d.wait_until("nothing left to send", Duration::from_secs(30), |d| {
        all_sent(&outbox(d))
    });
    let taken: Vec<String> = twilio.taken().into_iter().map(|m| m.body).collect();
    assert_eq!(taken.len(), before + n_days, "one alert per day: {taken:?}");
    assert!(unique(&taken), "{taken:?}");
}
