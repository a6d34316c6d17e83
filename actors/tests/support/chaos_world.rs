//! The outside world of a chaos run, all on loopback: a real Dovecot (the
//! mailbox), a real Radicale (the calendars), a real SMTP server (aiosmtpd)
//! and in-test HTTP servers speaking Twilio's Messages API, Google Routes
//! and OpenWeatherMap. SMTP and CalDAV can be cut and brought back on the
//! same port with what they held.
#![allow(dead_code)]

use super::dovecot::{Dovecot, Options, PASSWORD, USER};
use super::radicale::{self, Radicale};
use super::support::http::Server;
use super::support::smtp::Smtpd;
use super::support::twilio::{Post, Twilio};
use std::path::Path;

pub struct World {
    pub mailbox: Dovecot,
    pub calendar: Radicale,
    /// The SMTP server's port and Maildir outlive each run of it.
    pub smtp_port: u16,
    smtp_dir: tempfile::TempDir,
    pub smtp: Option<Smtpd>,
    /// Received mail kept while the SMTP server is cut.
    pub twilio: Twilio,
    pub routes: Server,
    pub weather: Server,
}

/// Whether the real servers can run here; under CI a missing one fails.
pub fn available() -> bool {
    let missing: Vec<&str> = [
        (!Dovecot::available()).then_some("Dovecot"),
        (!radicale::available()).then_some("Radicale (pip install radicale)"),
        (!Smtpd::available()).then_some("aiosmtpd (pip install aiosmtpd)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chaos needs {missing:?} but CI is set"
    );
    eprintln!("SKIPPED: chaos needs {missing:?} (scripts/test installs them)");
    false
}

impl World {
    pub fn start() -> World {
        let smtp_dir = tempfile::tempdir().expect("smtp dir");
        let smtp_port = radicale::free_port();
        let smtp = Smtpd::start(smtp_port, smtp_dir.path(), None);
        World {
            mailbox: Dovecot::start(Options::default()),
            calendar: Radicale::started(),
            smtp_port,
            smtp_dir,
            smtp: Some(smtp),
            twilio: Twilio::start(|_, _| Post::Take),
            routes: Server::start(|_, _| {
                (
                    200,
                    vec![("Content-Type", "application/json".into())],
                    r#"{"routes":[{"distanceMeters":18200,"duration":"1680s"}]}"#.into(),
                )
            }),
            weather: Server::start(|_, _| {
                (
                    200,
                    vec![("Content-Type", "application/json".into())],
                    forecast(),
                )
            }),
        }
    }

    pub fn cut_smtp(&mut self) {
        self.smtp = None;
    }

    pub fn restore_smtp(&mut self) {
        if self.smtp.is_none() {
            self.smtp = Some(Smtpd::start(self.smtp_port, self.smtp_dir.path(), None));
        }
    }

    pub fn smtp_up(&self) -> bool {
        self.smtp.is_some()
    }

    /// Every message the SMTP server took, over all its runs.
    pub fn mails(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.smtp_dir.path().join("mbox").join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// The daemon's config: IMAP to Dovecot, CalDAV to Radicale, SMTP,
    /// Twilio, Google Routes and OpenWeatherMap to the fakes; every past
    /// day notified; retries quick, so a cut heals within the run.
    pub fn config(&self, dir: &Path, max_message_bytes: usize) -> String {
        for (name, text) in [
            ("imap.secret", PASSWORD),
            ("caldav.secret", radicale::PASSWORD),
            ("maps.secret", "maps-key"),
            ("owm.secret", "owm-key"),
        ] {
            super::support::write_secret(&dir.join(name), &format!("{text}\n"));
        }
        let sms = self.twilio.config(&dir.join("twilio.secret"));
        // (The Twilio helper writes its token as it likes.)
        super::support::write_secret(&dir.join("twilio.secret"), "tok");
        let quick = "rate = \"50/s\"\nburst = 10\nbreaker_failures = 3\nbreaker_reset = \"2s\"\ntimeout = \"5s\"\n";
        format!(
            r#"[daemon]
state_dir = "state"
socket = "mp2.sock"
timezone = "Europe/Warsaw"
retry_limit = 8
retry_first = "500ms"
retry_max = "4s"

[production]
name = "MP2"
base = {{ name = "Panavision", address = "ul. Wyczółki 89, 02-820 Warszawa", lat = 52.1557, lon = 20.9862 }}

[mailbox]
kind = "imap"
host = "127.0.0.1"
port = {imaps}
tls = "implicit"
ca_file = "{ca}"
username = "{USER}"
password_file = "imap.secret"
folder = "INBOX"
idle = true
poll_interval = "5s"

[filter]
senders = ["produkcja-mp2.pl", "mp2film.pl", "asystent.produkcji@gmail.com"]
keywords = ["MP2", "plan zdjęciowy", "plan zdjęć", "drabinka", "call sheet", "call time", "harmonogram"]
max_message_bytes = {max_message_bytes}

[[crew]]
id = "anna"
name = "Anna Kowalska"
email = "anna@example.org"
phone = "+48601234567"
home = {{ address = "ul. Stylowa 7, 04-151 Warszawa", lat = 52.2366, lon = 21.0744 }}
channels = ["email", "sms"]
department = "Kamera"
via_base = true

[[crew]]
id = "tomek"
name = "Tomasz Nowicki"
email = "tomek@example.org"
home = {{ address = "ul. Puławska 300, 02-819 Warszawa", lat = 52.1432, lon = 21.0215 }}
channels = ["email"]
via_base = false
language = "en"

[routes]
provider = "google"
endpoint = "{routes}"
api_key_file = "maps.secret"

[weather]
provider = "openweathermap"
endpoint = "{weather}"
api_key_file = "owm.secret"
poll_interval = "20s"

[calendar]
provider = "caldav"
url = "{caldav}"
username = "{cal_user}"
password_file = "caldav.secret"

[notify]
past_days = true

[notify.email]
transport = "smtp"
host = "127.0.0.1"
port = {smtp}
tls = "none"
from = "MP2 Plan <plan@produkcja-mp2.pl>"

{sms}

[integrations.imap]
{quick}
[integrations.calendar]
{quick}
[integrations.smtp]
{quick}
[integrations.sms]
{quick}
[integrations.routes]
{quick}
[integrations.weather]
{quick}"#,
            imaps = self.mailbox.imaps_port,
            ca = self.mailbox.ca_pem.display(),
            routes = self.routes.url(),
            weather = self.weather.url(),
            caldav = self.calendar.url_template(),
            cal_user = radicale::USER,
            smtp = self.smtp_port,
        )
    }
}

/// Five days of three-hourly OpenWeatherMap forecast from now, mild.
fn forecast() -> String {
    let start = chrono::Utc::now().timestamp() / 10800 * 10800;
    let list: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            serde_json::json!({
                "dt": start + i * 10800,
                "main": {"temp": 8.0 + (i % 8) as f64, "temp_min": 6.0, "temp_max": 15.0},
                "wind": {"speed": 3.0},
                "weather": [{"description": "bezchmurnie"}],
            })
        })
        .collect();
    serde_json::json!({"cod": "200", "cnt": list.len(), "list": list}).to_string()
}
