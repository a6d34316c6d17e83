//! The TOML configuration of CONTRACT §3, validated all at once.
//!
//! Every error names the file, the line and the dotted key, and says what to
//! write instead, because the operator reading it is editing that file now.
//! Relative paths are taken relative to the configuration file's folder, so a
//! config and its state can move together. Secrets are only ever read from
//! `*_file` paths (or systemd's `$CREDENTIALS_DIRECTORY`), never inline.

use crate::duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The embedded demo configuration (Maildir demo inbox, estimate routes, ICS
/// files, file transports): `mp2d --demo` writes it next to its inbox.
pub const DEMO_TOML: &str = include_str!("../config/demo.toml");

/// The integrations that sit behind a breaker and a limiter each.
pub const INTEGRATIONS: [&str; 6] = ["imap", "routes", "weather", "calendar", "smtp", "sms"];

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
    pub api_key_file: Option<PathBuf>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            provider: RouteProvider::Estimate,
            endpoint: None,
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
    pub api_key_file: Option<PathBuf>,
    #[serde(deserialize_with = "duration::de")]
    pub poll_interval: Duration,
}

impl Default for Weather {
    fn default() -> Self {
        Weather {
            provider: WeatherProvider::None,
            endpoint: None,
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
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    /// ICS: one `<crew>.ics` per crew member in this folder.
    pub dir: Option<PathBuf>,
    /// Google: the calendar id (`{crew}` allowed) and an OAuth token file.
    pub calendar_id: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            provider: CalendarProvider::Ics,
            url: None,
            username: None,
            password_file: None,
            dir: Some("calendar".into()),
            calendar_id: None,
            token_file: None,
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

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigIssue {
    pub file: PathBuf,
    /// 1-based; 0 when the file could not be read at all.
    pub line: usize,
    /// Dotted key, e.g. `mailbox.port` or `crew[1].home`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.key,
            self.message
        )
    }
}

/// Every problem found in a configuration, first one first.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|i| i.to_string()).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

impl Config {
    /// Reads, parses and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(vec![ConfigIssue {
                file: path.to_path_buf(),
                line: 0,
                key: "-".into(),
                message: format!("cannot read the configuration: {e}"),
            }])
        })?;
        Config::from_str_at(&text, path)
    }

    /// Parses and validates `text` as if read from `path`.
    pub fn from_str_at(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            let key = e
                .span()
                .map(|s| key_at(text, s.start))
                .unwrap_or_else(|| "-".to_string());
            ConfigError(vec![ConfigIssue {
                file: path.to_path_buf(),
                line,
                key,
                message: e.message().trim().to_string(),
            }])
        })?;
        cfg.path = path.to_path_buf();
        let issues = cfg.validate(text);
        if !issues.is_empty() {
            return Err(ConfigError(issues));
        }
        cfg.resolve_paths();
        Ok(cfg)
    }

    /// The folder relative paths are taken from.
    pub fn base_dir(&self) -> PathBuf {
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        }
    }

    fn resolve_paths(&mut self) {
        let base = self.base_dir();
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut self.daemon.state_dir);
        abs(&mut self.daemon.socket);
        if let Mailbox::Maildir(m) = &mut self.mailbox {
            abs(&mut m.path);
        }
        if let Mailbox::Imap(i) = &mut self.mailbox {
            i.ca_file.as_mut().map(abs);
        }
        self.calendar.dir.as_mut().map(abs);
        if let Some(e) = &mut self.notify.email {
            e.dir.as_mut().map(abs);
            e.ca_file.as_mut().map(abs);
        }
        if let Some(s) = &mut self.notify.sms {
            s.dir.as_mut().map(abs);
        }
    }

    /// The zone every local time is in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.daemon
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Europe::Warsaw)
    }

    /// Guard settings for one of [`INTEGRATIONS`] (defaults when not configured).
    pub fn integration(&self, name: &str) -> Integration {
        self.integrations.get(name).cloned().unwrap_or_default()
    }

    /// Reads a secret named by a `*_file` key: a path, or a bare credential
    /// name looked up in systemd's `$CREDENTIALS_DIRECTORY` first.
    pub fn read_secret(&self, file: &Path) -> Result<String, String> {
        let mut candidates = Vec::new();
        if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
            if let Some(name) = file.file_name() {
                candidates.push(Path::new(&dir).join(name));
            }
        }
        candidates.push(if file.is_relative() {
            self.base_dir().join(file)
        } else {
            file.to_path_buf()
        });
        for c in &candidates {
            if let Ok(s) = std::fs::read_to_string(c) {
                return Ok(s.trim_end_matches(['\n', '\r']).to_string());
            }
        }
        Err(format!(
            "cannot read secret file {} (also looked in $CREDENTIALS_DIRECTORY); create it with the secret on one line",
            file.display()
        ))
    }

    fn validate(&self, text: &str) -> Vec<ConfigIssue> {
        let mut v = Validator {
            text,
            file: &self.path,
            issues: Vec::new(),
        };
        if self.daemon.timezone.parse::<chrono_tz::Tz>().is_err() {
            v.err(
                "daemon",
                "timezone",
                &format!(
                    "unknown time zone {:?}; use an IANA name such as \"Europe/Warsaw\"",
                    self.daemon.timezone
                ),
            );
        }
        if self.daemon.queue_capacity == 0 {
            v.err("daemon", "queue_capacity", "must be at least 1");
        }
        if self.daemon.restart_intensity == 0 {
            v.err("daemon", "restart_intensity", "must be at least 1");
        }
        if self.production.name.trim().is_empty() {
            v.err("production", "name", "must not be empty");
        }
        for c in &self.production.coordinators {
            if !is_plain_address(c) {
                v.err(
                    "production",
                    "coordinators",
                    &format!(
                        "{c:?} is not an e-mail address; write e.g. \"biuro@produkcja-mp2.pl\""
                    ),
                );
            }
        }
        match &self.mailbox {
            Mailbox::Imap(i) => {
                if i.host.trim().is_empty() {
                    v.err("mailbox", "host", "must name the IMAP server");
                }
                if i.tls == Tls::None && !is_loopback(&i.host) {
                    v.err("mailbox", "tls", "\"none\" is only allowed to a loopback host; use \"implicit\" or \"starttls\"");
                }
                match i.auth {
                    ImapAuth::Xoauth2 => {
                        if i.oauth2.is_none() {
                            v.err("mailbox", "auth", "xoauth2 needs a [mailbox.oauth2] table with token_url, client_id, client_secret_file and refresh_token_file");
                        }
                    }
                    _ => {
                        if i.password_file.is_none() {
                            v.err(
                                "mailbox",
                                "password_file",
                                "is required (a file holding the IMAP password)",
                            );
                        }
                    }
                }
                if i.port == 0 {
                    v.err("mailbox", "port", "must be 1..65535");
                }
                // An IMAP keyword is an atom: no spaces, brackets, quotes or wildcards.
                let atom = |c: char| c.is_ascii_graphic() && !"(){%*\"\\]".contains(c);
                if i.mark_keyword.is_empty() || !i.mark_keyword.chars().all(atom) {
                    v.err("mailbox", "mark_keyword", &format!("{:?} is not a valid IMAP keyword; use letters, digits and $ only, e.g. \"$MP2Handled\"", i.mark_keyword));
                }
            }
            Mailbox::Maildir(m) => {
                if m.path.as_os_str().is_empty() {
                    v.err(
                        "mailbox",
                        "path",
                        "must name the Maildir root (holding new/, cur/, tmp/)",
                    );
                }
            }
        }
        if self.filter.senders.is_empty() {
            v.err(
                "filter",
                "senders",
                "must list at least one address or domain, or no mail is ever accepted",
            );
        }
        if self.filter.keywords.iter().any(|k| k.trim().is_empty()) {
            v.err(
                "filter",
                "keywords",
                "must not contain an empty keyword (it would match every message)",
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (n, c) in self.crew.iter().enumerate() {
            let table = format!("crew[{n}]");
            if c.id.is_empty()
                || !c
                    .id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                v.err(
                    &table,
                    "id",
                    &format!(
                        "{:?} must be letters, digits, - or _ (it names calendars and files)",
                        c.id
                    ),
                );
            }
            if !seen.insert(c.id.clone()) {
                v.err(
                    &table,
                    "id",
                    &format!("{:?} is used twice; crew ids must be unique", c.id),
                );
            }
            if c.channels.contains(&Channel::Email) && c.email.is_none() {
                v.err(&table, "email", "is required when channels lists \"email\"");
            }
            if c.channels.contains(&Channel::Sms) {
                match &c.phone {
                    None => v.err(&table, "phone", "is required when channels lists \"sms\""),
                    Some(p) if !is_e164(p) => v.err(
                        &table,
                        "phone",
                        &format!("{p:?} must be E.164, e.g. \"+48601234567\""),
                    ),
                    _ => {}
                }
            }
            if c.home.address.trim().is_empty() {
                v.err(&table, "home", "needs an address");
            }
            check_coords(&mut v, &table, "home", &c.home);
        }
        if let Some(b) = &self.production.base {
            check_coords(&mut v, "production", "base", b);
        }
        match self.routes.provider {
            RouteProvider::Google => {
                if self.routes.api_key_file.is_none() {
                    v.err(
                        "routes",
                        "api_key_file",
                        "is required for provider \"google\"",
                    );
                }
                check_url(
                    &mut v,
                    "routes",
                    "endpoint",
                    self.routes.endpoint.as_deref(),
                    false,
                );
            }
            RouteProvider::Osrm => check_url(
                &mut v,
                "routes",
                "endpoint",
                self.routes.endpoint.as_deref(),
                false,
            ),
            RouteProvider::Estimate => {}
        }
        match self.weather.provider {
            WeatherProvider::Openweathermap => {
                if self.weather.api_key_file.is_none() {
                    v.err(
                        "weather",
                        "api_key_file",
                        "is required for provider \"openweathermap\"",
                    );
                }
                check_url(
                    &mut v,
                    "weather",
                    "endpoint",
                    self.weather.endpoint.as_deref(),
                    false,
                );
            }
            WeatherProvider::OpenMeteo => check_url(
                &mut v,
                "weather",
                "endpoint",
                self.weather.endpoint.as_deref(),
                false,
            ),
            WeatherProvider::None => {}
        }
        match self.calendar.provider {
            CalendarProvider::Caldav => {
                check_url(
                    &mut v,
                    "calendar",
                    "url",
                    self.calendar.url.as_deref(),
                    true,
                );
            }
            CalendarProvider::Google => {
                if self.calendar.token_file.is_none() {
                    v.err("calendar", "token_file", "is required for provider \"google\" (a file holding an OAuth access token)");
                }
            }
            CalendarProvider::Ics => {
                if self.calendar.dir.is_none() {
                    v.err(
                        "calendar",
                        "dir",
                        "is required for provider \"ics\" (the folder for <crew>.ics files)",
                    );
                }
            }
        }
        if let Some(e) = &self.notify.email {
            match e.transport {
                EmailTransportKind::Smtp => {
                    if e.host.is_none() {
                        v.err("notify.email", "host", "is required for transport \"smtp\"");
                    }
                    if e.tls == Tls::None && !e.host.as_deref().map(is_loopback).unwrap_or(true) {
                        v.err(
                            "notify.email",
                            "tls",
                            "\"none\" is only allowed to a loopback host",
                        );
                    }
                    if e.username.is_some() && e.password_file.is_none() {
                        v.err(
                            "notify.email",
                            "password_file",
                            "is required when username is set",
                        );
                    }
                }
                EmailTransportKind::File => {
                    if e.dir.is_none() {
                        v.err("notify.email", "dir", "is required for transport \"file\"");
                    }
                }
            }
            if !e.from.contains('@') {
                v.err(
                    "notify.email",
                    "from",
                    &format!(
                        "{:?} must hold an address, e.g. \"MP2 Plan <plan@example.org>\"",
                        e.from
                    ),
                );
            }
        }
        if let Some(s) = &self.notify.sms {
            match s.provider {
                SmsProvider::Twilio => {
                    if s.account_sid
                        .as_deref()
                        .map(|a| !a.starts_with("AC"))
                        .unwrap_or(true)
                    {
                        v.err(
                            "notify.sms",
                            "account_sid",
                            "is required for provider \"twilio\" and starts with \"AC\"",
                        );
                    }
                    if s.auth_token_file.is_none() {
                        v.err(
                            "notify.sms",
                            "auth_token_file",
                            "is required for provider \"twilio\"",
                        );
                    }
                    if s.from.as_deref().map(|f| !is_e164(f)).unwrap_or(true) {
                        v.err(
                            "notify.sms",
                            "from",
                            "is required for provider \"twilio\" and must be E.164",
                        );
                    }
                    check_url(
                        &mut v,
                        "notify.sms",
                        "endpoint",
                        s.endpoint.as_deref(),
                        false,
                    );
                }
                SmsProvider::File => {
                    if s.dir.is_none() {
                        v.err("notify.sms", "dir", "is required for provider \"file\"");
                    }
                }
                SmsProvider::None => {}
            }
        }
        for (name, i) in &self.integrations {
            let table = format!("integrations.{name}");
            if !INTEGRATIONS.contains(&name.as_str()) {
                v.err(
                    "integrations",
                    name,
                    &format!(
                        "unknown integration; use one of {}",
                        INTEGRATIONS.join(", ")
                    ),
                );
            }
            if let Err(e) = i.quota() {
                v.err(&table, "rate", &e);
            }
            if i.burst == 0 {
                v.err(&table, "burst", "must be at least 1");
            }
            if i.breaker_failures == 0 {
                v.err(&table, "breaker_failures", "must be at least 1");
            }
            if i.timeout.is_zero() {
                v.err(&table, "timeout", "must be above zero");
            }
        }
        if self.parser.workers == 0 || self.parser.workers > 64 {
            v.err("parser", "workers", "must be 1..64");
        }
        v.issues
    }
}

struct Validator<'a> {
    text: &'a str,
    file: &'a Path,
    issues: Vec<ConfigIssue>,
}

impl Validator<'_> {
    fn err(&mut self, table: &str, key: &str, message: &str) {
        let line = find_key_line(self.text, table, key);
        self.issues.push(ConfigIssue {
            file: self.file.to_path_buf(),
            line,
            key: format!("{table}.{key}"),
            message: message.to_string(),
        });
    }
}

fn check_coords(v: &mut Validator<'_>, table: &str, key: &str, s: &Site) {
    let ok_lat = s.lat.map(|l| (-90.0..=90.0).contains(&l)).unwrap_or(true);
    let ok_lon = s.lon.map(|l| (-180.0..=180.0).contains(&l)).unwrap_or(true);
    if !ok_lat || !ok_lon || s.lat.is_some() != s.lon.is_some() {
        v.err(
            table,
            key,
            "lat and lon go together, lat in -90..90 and lon in -180..180",
        );
    }
}

fn check_url(v: &mut Validator<'_>, table: &str, key: &str, url: Option<&str>, required: bool) {
    match url {
        None if required => v.err(table, key, "is required"),
        None => {}
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => v.err(
            table,
            key,
            &format!("{u:?} must be an http:// or https:// URL"),
        ),
        Some(_) => {}
    }
}

/// E.164: `+` and 8 to 15 digits.
pub fn is_e164(p: &str) -> bool {
    let d = p.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit())
}

/// Plain-text protocols are allowed only where nothing leaves the machine.
/// `local@domain.tld`, nothing around it: what a coordinator's address is.
fn is_plain_address(a: &str) -> bool {
    match a.split_once('@') {
        Some((l, d)) => {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !a.contains(|c: char| c.is_whitespace() || "<>,;\"".contains(c))
                && !d.contains('@')
        }
        None => false,
    }
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key a byte offset falls in: the enclosing `[table]` plus the
/// key of the line, good enough to point an operator at the right place.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let mut table = String::new();
    let mut key = String::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some(h) = header_of(t) {
            table = h;
            key.clear();
        } else if let Some((k, _)) = t.split_once('=') {
            if !t.starts_with('#') {
                key = k.trim().trim_matches('"').to_string();
            }
        }
        pos += line.len();
        if pos > offset {
            break;
        }
    }
    match (table.is_empty(), key.is_empty()) {
        (true, true) => "-".into(),
        (true, false) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

fn header_of(t: &str) -> Option<String> {
    let inner = t
        .strip_prefix("[[")
        .and_then(|r| r.split_once("]]"))
        .map(|(h, _)| h)
        .or_else(|| {
            t.strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map(|(h, _)| h)
        })?;
    Some(inner.trim().to_string())
}

/// The line of `key` inside `[table]` (`crew[2]` means the third `[[crew]]`),
/// else the table's header line, else 1.
fn find_key_line(text: &str, table: &str, key: &str) -> usize {
    let (want, index) = match table.split_once('[') {
        Some((t, rest)) => (
            t.to_string(),
            rest.trim_end_matches(']').parse::<usize>().ok(),
        ),
        None => (table.to_string(), None),
    };
    let mut current = String::new();
    let mut occurrence = 0usize;
    let mut header_line = None;
    let mut in_target = want.is_empty();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = header_of(t) {
            let matches = h == want;
            if matches {
                let this = occurrence;
                occurrence += 1;
                in_target = index.map(|i| i == this).unwrap_or(true);
                if in_target && header_line.is_none() {
                    header_line = Some(n + 1);
                }
            } else {
                in_target = false;
            }
            current = h;
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        let _ = &current;
        if let Some((k, _)) = t.split_once('=') {
            let k = k.trim().trim_matches('"');
            // A dotted key or inline table at top level (`mailbox.port = 1`).
            let dotted = format!("{want}.{key}");
            if (in_target && k == key) || k == dotted {
                return n + 1;
            }
            // `base = { ... }` inside [production] and friends.
            if in_target && t.contains('{') && k == key {
                return n + 1;
            }
        }
    }
    header_line.unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(text, Path::new("/etc/mp2/mp2.toml"))
    }

    #[test]
    fn demo_config_is_valid() {
        let c = Config::from_str_at(DEMO_TOML, Path::new("/tmp/demo/mp2.toml")).unwrap();
        assert!(matches!(c.mailbox, Mailbox::Maildir(_)));
        assert_eq!(c.daemon.state_dir, Path::new("/tmp/demo/state"));
    }

    #[test]
    fn syntax_error_names_line_and_key() {
        let e = load("[daemon]\ntimezone = \"Europe/Warsaw\"\nfault_injection = maybe\n[mailbox]\nkind=\"maildir\"\npath=\"x\"\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("/etc/mp2/mp2.toml:3: daemon.fault_injection:"),
            "{s}"
        );
    }

    #[test]
    fn semantic_errors_name_line_and_key() {
        let text = "[daemon]\ntimezone = \"Mars/Olympus\"\n\n[mailbox]\nkind = \"imap\"\nhost = \"mail.example.org\"\ntls = \"none\"\nusername = \"u\"\npassword_file = \"p\"\n\n[[crew]]\nid = \"a\"\nname = \"A\"\nhome = { address = \"x\" }\n\n[[crew]]\nid = \"b\"\nname = \"B\"\nchannels = [\"sms\"]\nhome = { address = \"y\" }\n";
        let e = load(text).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("mp2.toml:2: daemon.timezone: unknown time zone"),
            "{s}"
        );
        assert!(s.contains("mp2.toml:7: mailbox.tls:"), "{s}");
        assert!(s.contains("mp2.toml:16: crew[1].phone: is required"), "{s}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e =
            load("[mailbox]\nkind=\"maildir\"\npath=\"x\"\n[buffers]\nparkign = 5\n").unwrap_err();
        let s = e.to_string();
        assert!(s.contains(":5: buffers.parkign: unknown field"), "{s}");
    }

    #[test]
    fn quota_parses() {
        let i = Integration {
            rate: "2/s".into(),
            ..Default::default()
        };
        assert_eq!(i.quota().unwrap(), (2, Duration::from_secs(1)));
        let i = Integration {
            rate: "two".into(),
            ..Default::default()
        };
        assert!(i.quota().is_err());
    }
}
