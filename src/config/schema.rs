//! What the configuration file may say (CONTRACT §3): one serde type per
//! table, with the defaults an omitted key takes.

use crate::duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub daemon: Daemon,
    #[serde(default)]
    pub production: Production,
    pub mailbox: Mailbox,
    #[serde(default)]
    pub filter: Filter,
    #[serde(default)]
    pub buffers: Buffers,
    #[serde(default)]
    pub crew: Vec<CrewMember>,
    #[serde(default)]
    pub routes: Routes,
    #[serde(default)]
    pub weather: Weather,
    #[serde(default)]
    pub calendar: Calendar,
    #[serde(default)]
    pub notify: Notify,
    #[serde(default)]
    pub integrations: BTreeMap<String, Integration>,
    #[serde(default)]
    pub parser: Parser,
    /// The file this was read from (for messages and relative paths).
    #[serde(skip)]
    pub path: PathBuf,
    /// What `check-config` warns about (keys nothing reads); never errors.
    #[serde(skip)]
    pub warnings: Vec<super::ConfigIssue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Daemon {
    pub state_dir: PathBuf,
    pub socket: PathBuf,
    pub timezone: String,
    pub fault_injection: bool,
    /// How many restarts within `restart_period` before a part is marked down.
    pub restart_intensity: u32,
    #[serde(deserialize_with = "duration::de")]
    pub restart_period: Duration,
    /// How long a part stays down before the supervisor tries it again.
    #[serde(deserialize_with = "duration::de")]
    pub down_retry: Duration,
    /// Bounded mailbox capacity of each pipeline stage (back-pressure).
    pub queue_capacity: usize,
    /// Failed attempts of one stage on one message (a server error, a
    /// timeout) before the message is `failed` with the reason. Refusals of
    /// an open breaker do not count: the call was never made.
    pub retry_limit: u32,
    /// The wait after the first failed attempt; it doubles with each.
    #[serde(deserialize_with = "duration::de")]
    pub retry_first: Duration,
    /// The longest wait between two attempts.
    #[serde(deserialize_with = "duration::de")]
    pub retry_max: Duration,
    /// How long the raw bytes of handled schedule mail are kept (for
    /// `reprocess`); after that only the headers stay. Mail not taken as a
    /// schedule keeps headers only from the start.
    #[serde(deserialize_with = "duration::de")]
    pub retain_raw: Duration,
    /// Prometheus text metrics on this loopback `ADDRESS:PORT`; off when unset.
    pub metrics: Option<String>,
}

impl Default for Daemon {
    fn default() -> Self {
        Daemon {
            state_dir: "/var/lib/mp2".into(),
            socket: "/run/mp2/mp2.sock".into(),
            timezone: "Europe/Warsaw".into(),
            fault_injection: false,
            restart_intensity: 5,
            restart_period: Duration::from_secs(60),
            down_retry: Duration::from_secs(30),
            queue_capacity: 64,
            retry_limit: 8,
            retry_first: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            retain_raw: Duration::from_secs(30 * 24 * 3600),
            metrics: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Production {
    pub name: String,
    pub base: Option<Site>,
    /// E-mail addresses told once about each thing that needs attention.
    pub coordinators: Vec<String>,
    /// The language of what mp2 tells the coordinators.
    pub language: Language,
}

impl Default for Production {
    fn default() -> Self {
        Production {
            name: "MP2".into(),
            base: None,
            coordinators: Vec::new(),
            language: Language::Pl,
        }
    }
}

/// A named place with an address and, where known, coordinates.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Site {
    #[serde(default)]
    pub name: Option<String>,
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Mailbox {
    Imap(Imap),
    Maildir(Maildir),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maildir {
    pub path: PathBuf,
    #[serde(default = "default_poll_maildir", deserialize_with = "duration::de")]
    pub poll_interval: Duration,
}

fn default_poll_maildir() -> Duration {
    Duration::from_secs(2)
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    Implicit,
    Starttls,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImapAuth {
    /// LOGIN, falling back to AUTHENTICATE PLAIN.
    #[default]
    Login,
    Plain,
    Xoauth2,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BackfillOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imap {
    pub host: String,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    pub username: String,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub auth: ImapAuth,
    #[serde(default)]
    pub oauth2: Option<OAuth2>,
    #[serde(default = "default_folder")]
    pub folder: String,
    #[serde(default = "yes")]
    pub idle: bool,
    #[serde(default = "default_poll_imap", deserialize_with = "duration::de")]
    pub poll_interval: Duration,
    /// Keyword set on a handled message (`$MP2Handled` by default).
    #[serde(default = "default_keyword")]
    pub mark_keyword: String,
    /// Move handled schedule e-mails to this folder instead of only flagging.
    #[serde(default)]
    pub move_to: Option<String>,
    #[serde(default)]
    pub backfill: BackfillOrder,
    /// How many of the newest messages a first start looks at (0 = all).
    #[serde(default)]
    pub backfill_limit: u32,
}

fn default_imap_port() -> u16 {
    993
}
fn default_tls() -> Tls {
    Tls::Implicit
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_keyword() -> String {
    "$MP2Handled".into()
}
fn default_poll_imap() -> Duration {
    Duration::from_secs(300)
}
fn yes() -> bool {
    true
}

/// Gmail-style OAuth2: a refresh token exchanged at `token_url` for access tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub token_url: String,
    pub client_id: String,
    pub client_secret_file: PathBuf,
    pub refresh_token_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filter {
    /// Addresses (`a@b.pl`) or domains (`b.pl`); subdomains do not count.
    pub senders: Vec<String>,
    pub keywords: Vec<String>,
    /// Biggest message the daemon downloads and parses.
    pub max_message_bytes: usize,
    /// authserv-ids of the receiving servers (`mx.google.com`) whose
    /// `Authentication-Results` the spoof check believes; unset or empty:
    /// only the topmost header (CONTRACT §3 rule 4).
    pub trusted_authserv_ids: Option<Vec<String>>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            senders: [
                "produkcja-mp2.pl",
                "mp2film.pl",
                "asystent.produkcji@gmail.com",
            ]
            .map(String::from)
            .to_vec(),
            keywords: [
                "MP2",
                "plan zdjęciowy",
                "plan zdjęć",
                "drabinka",
                "call sheet",
                "call time",
                "harmonogram",
            ]
            .map(String::from)
            .to_vec(),
            max_message_bytes: 40 << 20,
            trusted_authserv_ids: None,
        }
    }
}

/// Minutes added around the drive (CONTRACT §5).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Buffers {
    pub morning_routine: u32,
    pub car_change: u32,
    pub parking: u32,
    pub entry: u32,
    pub traffic: u32,
}

impl Default for Buffers {
    fn default() -> Self {
        Buffers {
            morning_routine: 45,
            car_change: 15,
            parking: 10,
            entry: 10,
            traffic: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Pl,
    En,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrewMember {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub home: Site,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default = "yes")]
    pub via_base: bool,
    #[serde(default)]
    pub language: Language,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RouteProvider {
    Google,
    Osrm,
    Estimate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Routes {
    pub provider: RouteProvider,
    pub endpoint: Option<String>,
    /// An extra trust anchor (PEM) for the provider's TLS, as for IMAP.
    pub ca_file: Option<PathBuf>,
    pub api_key_file: Option<PathBuf>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            provider: RouteProvider::Estimate,
            endpoint: None,
            ca_file: None,
            api_key_file: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WeatherProvider {
    Openweathermap,
    OpenMeteo,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weather {
    pub provider: WeatherProvider,
    pub endpoint: Option<String>,
    /// An extra trust anchor (PEM) for the provider's TLS, as for IMAP.
    pub ca_file: Option<PathBuf>,
    pub api_key_file: Option<PathBuf>,
    #[serde(deserialize_with = "duration::de")]
    pub poll_interval: Duration,
}

impl Default for Weather {
    fn default() -> Self {
        Weather {
            provider: WeatherProvider::None,
            endpoint: None,
            ca_file: None,
            api_key_file: None,
            poll_interval: Duration::from_secs(6 * 3600),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CalendarProvider {
    Caldav,
    Google,
    Ics,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calendar {
    pub provider: CalendarProvider,
    /// CalDAV collection URL with `{crew}`, or Google API base URL.
    pub url: Option<String>,
    /// An extra trust anchor (PEM) for the provider's TLS, as for IMAP.
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    /// ICS: one `<crew>.ics` per crew member in this folder.
    pub dir: Option<PathBuf>,
    /// Google: the calendar id (`{crew}` allowed) and an OAuth token file.
    pub calendar_id: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Google, unattended: access tokens from a refresh token (as
    /// `[mailbox.oauth2]`), instead of a `token_file` kept fresh by hand.
    pub oauth2: Option<OAuth2>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            provider: CalendarProvider::Ics,
            url: None,
            ca_file: None,
            username: None,
            password_file: None,
            dir: Some("calendar".into()),
            calendar_id: None,
            token_file: None,
            oauth2: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Notify {
    /// Notify for days whose call time has passed?
    pub past_days: bool,
    pub email: Option<EmailTransport>,
    pub sms: Option<SmsTransport>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransportKind {
    Smtp,
    File,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTransport {
    pub transport: EmailTransportKind,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default = "default_tls_none")]
    pub tls: Tls,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    pub from: String,
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

fn default_tls_none() -> Tls {
    Tls::None
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    Twilio,
    File,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsTransport {
    pub provider: SmsProvider,
    #[serde(default)]
    pub endpoint: Option<String>,
    /// An extra trust anchor (PEM) for the provider's TLS, as for IMAP.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub account_sid: Option<String>,
    #[serde(default)]
    pub auth_token_file: Option<PathBuf>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// Guard settings of one integration: its limiter quota and breaker.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Integration {
    /// `"N/s"`, `"N/m"` or `"N/h"`.
    pub rate: String,
    pub burst: u32,
    pub breaker_failures: u32,
    #[serde(deserialize_with = "duration::de")]
    pub breaker_reset: Duration,
    #[serde(deserialize_with = "duration::de")]
    pub timeout: Duration,
}

impl Default for Integration {
    fn default() -> Self {
        Integration {
            rate: "10/s".into(),
            burst: 5,
            breaker_failures: 5,
            breaker_reset: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Integration {
    /// The quota as (calls, per period).
    pub fn quota(&self) -> Result<(u32, Duration), String> {
        let (n, per) = self
            .rate
            .split_once('/')
            .ok_or_else(|| format!("rate {:?} must look like \"2/s\"", self.rate))?;
        let n: u32 = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!(
                "rate {:?}: the count must be a whole number above 0",
                self.rate
            )
        })?;
        let per = match per.trim() {
            "s" => Duration::from_secs(1),
            "m" | "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            p => duration::parse(p).map_err(|e| format!("rate {:?}: {e}", self.rate))?,
        };
        Ok((n, per))
    }
}

/// The parser pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Parser {
    pub workers: usize,
    pub ocr: bool,
    #[serde(deserialize_with = "duration::de")]
    pub ocr_timeout: Duration,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            workers: 2,
            ocr: true,
            ocr_timeout: Duration::from_secs(60),
        }
    }
}
