//! No secret in any output (issue 8): daemons run with canary secrets for
//! every integration (IMAP, SMTP, CalDAV, Google, Twilio, OpenWeatherMap)
//! while every provider fails — unreachable, or a hostile server that echoes
//! the request (path, query, headers) back in its error body — and every
//! output is searched for the canaries: the log, the store on disk, what
//! `mp2ctl` shows (human and `--json`), the ICS files and the outbox.

mod support;

use chrono::{Duration as Dur, Utc};
use mp2::fixtures::{
    render, sample_days, schedule_mail, Attachment, Client, FontSetup, Lang, Layout,
};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command as Proc;
use std::time::Duration;
use support::http::Server;
use support::Daemon;

const IMAP: &str = "CANARY-imap-5c1e9a";
const SMTP: &str = "CANARY-smtp-77b02f";
const CALDAV: &str = "CANARY-caldav-e41d08";
const GOOGLE_ROUTES: &str = "CANARY-gmaps-0a9b3c";
const GOOGLE_CALENDAR: &str = "CANARY-gcal-91f2d4";
const TWILIO: &str = "CANARY-twilio-3e8c61";
const OWM: &str = "CANARY-owm-b6d270";
const ALL: [&str; 7] = [
    IMAP,
    SMTP,
    CALDAV,
    GOOGLE_ROUTES,
    GOOGLE_CALENDAR,
    TWILIO,
    OWM,
];

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Answers every request 400 with the request itself as the body.
fn echo_server() -> Server {
    Server::start(|req, _| {
        (
            400,
            vec![("Content-Type", "text/plain".into())],
            format!(
                "bad request {} {} {:?} {}",
                req.method,
                req.path,
                req.headers,
                String::from_utf8_lossy(&req.body)
            ),
        )
    })
}

/// A mail with a shooting day tomorrow (so weather is fetched and crew
/// notified).
fn future_mail() -> Vec<u8> {
    let tomorrow = (Utc::now() + Dur::days(1)).date_naive();
    let days = sample_days(21, 1, tomorrow, Lang::Pl);
    let pdf = render(&days, Layout::PlanPl, FontSetup::SimpleWinAnsi);
    schedule_mail(
        Client::Gmail,
        &[Attachment {
            filename: "plan.pdf".into(),
            pdf,
            days,
        }],
        9,
    )
    .raw
}

fn config(tables: &[(&str, String)]) -> String {
    let mut c = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    for (old, new) in tables {
        assert!(c.contains(old), "demo config layout changed: {old}");
        c = c.replace(old, new);
    }
    c
}

/// Every integration named has failed at least once.
fn failed(d: &Daemon, names: &[&str]) -> bool {
    d.status().is_some_and(|s| {
        names.iter().all(|n| {
            s.integrations
                .iter()
                .any(|i| i.name == *n && i.failures + i.rejected > 0)
        })
    })
}

/// Every integration named has been called (a 4xx answer may count as a
/// call that did not break the breaker).
fn called(d: &Daemon, names: &[&str]) -> bool {
    d.status().is_some_and(|s| {
        names.iter().all(|n| {
            s.integrations
                .iter()
                .any(|i| i.name == *n && i.calls + i.failures + i.rejected > 0)
        })
    })
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

/// Collects every output of `d` and fails naming the first canary found.
fn assert_no_canary(d: &Daemon, run: &str) {
    let mut outputs: Vec<(String, Vec<u8>)> = vec![("mp2d log".into(), d.log().into_bytes())];
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["history", "--json"],
        &["history"],
        &["attention", "--json"],
        &["attention"],
        &["schedules", "--json"],
        &["schedules"],
    ] {
        let out = Proc::new(support::mp2ctl())
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{run}: mp2ctl {args:?}");
        let mut both = out.stdout;
        both.extend(out.stderr);
        outputs.push((format!("mp2ctl {}", args.join(" ")), both));
    }
    for dir in ["state", "calendar", "outbox"] {
        for f in files_under(&d.path(dir)) {
            outputs.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    assert!(
        outputs.len() > 10,
        "{run}: the store and outputs exist ({})",
        outputs.len()
    );
    for (what, bytes) in &outputs {
        let text = String::from_utf8_lossy(bytes);
        for canary in ALL {
            if let Some(at) = text.find(canary) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(200)
                    .map_or(0, |(i, _)| i);
                let to = (at + 100).min(text.len());
                panic!(
                    "{run}: {canary} in {what}: …{}…",
                    text.get(from..to).unwrap_or("")
                );
            }
        }
    }
}

#[test]
fn no_secret_reaches_any_output_when_every_provider_fails() {
    let echo = echo_server();

    // 1. Routes (Google), weather (OpenWeatherMap), SMTP and Twilio fail; the
    //    calendar is ICS files so the pipeline reaches the notifier.
    let smtp_port = closed_port();
    let mut d = Daemon::new(&config(&[
        (
            "[routes]\nprovider = \"estimate\"",
            format!(
                "[routes]\nprovider = \"google\"\nendpoint = \"{}\"\napi_key_file = \"maps.secret\"",
                echo.url()
            ),
        ),
        (
            "[weather]\nprovider = \"none\"",
            format!(
                "[weather]\nprovider = \"openweathermap\"\nendpoint = \"http://127.0.0.1:{}\"\napi_key_file = \"owm.secret\"\npoll_interval = \"1s\"",
                closed_port()
            ),
        ),
        (
            "[notify.email]\ntransport = \"file\"\ndir = \"outbox/email\"",
            format!(
                "[notify.email]\ntransport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\nusername = \"mp2\"\npassword_file = \"smtp.secret\""
            ),
        ),
        (
            "[notify.sms]\nprovider = \"file\"\ndir = \"outbox/sms\"",
            format!(
                "[notify.sms]\nprovider = \"twilio\"\nendpoint = \"{}\"\naccount_sid = \"AC00000000000000000000000000000000\"\nauth_token_file = \"twilio.secret\"\nfrom = \"+48500000000\"",
                echo.url()
            ),
        ),
    ]));
    d.write("maps.secret", &format!("{GOOGLE_ROUTES}\n"));
    d.write("owm.secret", &format!("{OWM}\n"));
    d.write("smtp.secret", &format!("{SMTP}\n"));
    d.write("twilio.secret", &format!("{TWILIO}\n"));
    d.start();
    d.deliver("future.eml", &future_mail());
    d.wait_until(
        "weather and smtp have failed, routes and sms were refused",
        Duration::from_secs(90),
        |d| failed(d, &["weather", "smtp"]) && called(d, &["routes", "sms"]),
    );
    assert_no_canary(&d, "routes/weather/smtp/twilio");
    drop(d);

    // 2. and 3. CalDAV and Google Calendar refuse, echoing the request.
    for (calendar, file, secret) in [
        (
            format!(
                "[calendar]\nprovider = \"caldav\"\nurl = \"{}/{{crew}}/mp2/\"\nusername = \"mp2\"\npassword_file = \"cal.secret\"",
                echo.url()
            ),
            "cal.secret",
            CALDAV,
        ),
        (
            format!(
                "[calendar]\nprovider = \"google\"\nurl = \"{}/calendar/v3\"\ntoken_file = \"cal.secret\"",
                echo.url()
            ),
            "cal.secret",
            GOOGLE_CALENDAR,
        ),
    ] {
        let mut d = Daemon::new(&config(&[(
            "[calendar]\nprovider = \"ics\"\ndir = \"calendar\"",
            calendar,
        )]));
        d.write(file, &format!("{secret}\n"));
        d.start();
        d.deliver("future.eml", &future_mail());
        d.wait_until("the calendar has failed", Duration::from_secs(60), |d| {
            failed(d, &["calendar"])
        });
        assert_no_canary(&d, secret);
    }

    // 4. An IMAP server that refuses the login, quoting the command back.
    let imap = TcpListener::bind("127.0.0.1:0").unwrap();
    let imap_port = imap.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in imap.incoming().flatten() {
            let mut w = s.try_clone().unwrap();
            let _ = w.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
            for line in BufReader::new(s).lines().map_while(Result::ok) {
                let tag = line.split(' ').next().unwrap_or("*").to_string();
                let reply = if line.to_ascii_uppercase().contains(" CAPABILITY") {
                    format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n")
                } else {
                    format!("{tag} NO [AUTHENTICATIONFAILED] rejected: {line}\r\n")
                };
                if w.write_all(reply.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    let mut d = Daemon::new(&config(&[(
        "[mailbox]\nkind = \"maildir\"\npath = \"inbox\"\npoll_interval = \"1s\"",
        format!("[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {imap_port}\ntls = \"none\"\nusername = \"plan\"\npassword_file = \"imap.secret\"\npoll_interval = \"5s\""),
    )]));
    d.write("imap.secret", &format!("{IMAP}\n"));
    d.start();
    d.wait_until("the IMAP login has failed", Duration::from_secs(60), |d| {
        failed(d, &["imap"])
            || d.status()
                .is_some_and(|s| s.problems.iter().any(|p| p.contains("password_file")))
    });
    assert!(
        d.log().contains("rejected:") || format!("{:?}", d.status()).contains("rejected:"),
        "the server's echo reached the daemon's words: {}",
        d.log()
    );
    assert_no_canary(&d, "imap");
}

/// What crew members read (e-mails, SMS, calendar events) says a provider
/// failed in a short sentence of their language; the URL, the address and
/// the error itself go to the log only (issue 8).
#[test]
fn crew_text_carries_no_internal_error_text() {
    let echo = echo_server();
    let routes_port = closed_port();
    let mut d = Daemon::new(&config(&[
        (
            "[routes]\nprovider = \"estimate\"",
            format!(
                "[routes]\nprovider = \"osrm\"\nendpoint = \"http://127.0.0.1:{routes_port}/osrm-route-path\""
            ),
        ),
        (
            "[weather]\nprovider = \"none\"",
            format!(
                "[weather]\nprovider = \"open-meteo\"\nendpoint = \"{}/open-meteo-path\"\npoll_interval = \"1s\"",
                echo.url()
            ),
        ),
    ]));
    d.start();
    d.deliver("future.eml", &future_mail());
    d.wait_until(
        "the crew told and routes and weather failed",
        Duration::from_secs(90),
        |d| failed(d, &["routes", "weather"]) && !d.files("outbox/email").is_empty(),
    );
    assert!(d.log().contains(&format!("{routes_port}")) || d.log().contains("unreachable"));
    let mut crew_files = d.files("outbox/email");
    crew_files.extend(d.files("outbox/sms"));
    crew_files.extend(d.files("calendar"));
    let state = d.dir().display().to_string();
    let mut said_estimate = false;
    for f in &crew_files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        // Quoted-printable or base64 bodies are read as the crew's client would.
        let text = decoded(&text);
        for internal in [
            "127.0.0.1",
            "osrm-route-path",
            "open-meteo-path",
            "unreachable",
            "error sending",
            "tcp connect",
            "os error",
            state.as_str(),
        ] {
            assert!(
                !text.contains(internal),
                "{}: crew text carries {internal:?}:\n{text}",
                f.display()
            );
        }
        said_estimate |= text.contains("szacunkowy") || text.contains("estimated");
    }
    assert!(
        said_estimate,
        "the crew are told the drive time is estimated"
    );
}

/// A stored `.eml` or `.ics` as text: base64 and quoted-printable bodies
/// decoded where they are marked so.
fn decoded(raw: &str) -> String {
    match mail_parser::MessageParser::default().parse(raw.as_bytes()) {
        Some(m) if raw.contains("Content-Type") => {
            let mut out = String::new();
            for i in 0..m.text_body_count() {
                out.push_str(&m.body_text(i).unwrap_or_default());
            }
            for i in 0..m.html_body_count() {
                out.push_str(&m.body_html(i).unwrap_or_default());
            }
            out.push_str(&format!("{:?}", m.subject()));
            out
        }
        _ => raw.to_string(),
    }
}
