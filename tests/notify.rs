//! Notifications over real transports: a real SMTP server process (aiosmtpd)
//! and an in-test server speaking Twilio's Messages API, including its
//! failures. A restart sends nothing twice.

mod support;

use mp2::fixtures::demo::demo_mails;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::http::Server;
use support::Daemon;

struct Smtpd(Child);

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: needs the aiosmtpd Python package (scripts/test installs it)");
    }
    ok
}

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
    if !aiosmtpd_available() {
        return;
    }
    let port = free_port();
    let spool = tempfile::tempdir().unwrap();
    let smtpd = Smtpd(
        Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(spool.path().join("mbox"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait until it listens.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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
