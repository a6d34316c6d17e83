//! The TOML configuration of CONTRACT §3, validated all at once.
//!
//! Every error names the file, the line and the dotted key, and says what to
//! write instead, because the operator reading it is editing that file now.
//! Relative paths are taken relative to the configuration file's folder, so a
//! config and its state can move together. Secrets are only ever read from
//! `*_file` paths (or systemd's `$CREDENTIALS_DIRECTORY`), never inline.

//!
//! The module is split by concern: `schema` (what may be written),
//! `validate` (what must hold, one file per table), `secrets` (reading
//! `*_file` keys) and `locate` (where a key sits, from the parser's spans).

mod locate;
mod schema;
mod secrets;
mod validate;
mod wording;

#[cfg(test)]
mod cases;

pub use schema::*;
pub use secrets::redact;
pub use validate::{is_e164, is_loopback, metrics_address};

use locate::Locations;
use std::fmt;
use std::path::{Path, PathBuf};

/// The embedded demo configuration (Maildir demo inbox, estimate routes, ICS
/// files, file transports): `mp2d --demo` writes it next to its inbox.
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

/// The integrations that sit behind a breaker and a limiter each.
pub const INTEGRATIONS: [&str; 6] = ["imap", "routes", "weather", "calendar", "smtp", "sms"];

/// How bad a finding is: an error stops the daemon from starting, a
/// warning (a key nothing reads) is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
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
    pub severity: Severity,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        if self.line == 0 {
            // The file itself is the problem: there is no line or key to name.
            return write!(f, "{file}: {}", self.message);
        }
        let warning = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{file}:{}: {}: {warning}{}",
            self.line, self.key, self.message
        )
    }
}

/// Every problem found in a configuration, errors first, each in file order
/// (warnings found alongside come after the errors).
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
                key: String::new(),
                message: format!(
                    "cannot read the configuration ({e}); pass the right file with --config, or start from /usr/share/doc/mp2/mp2.example.toml"
                ),
                severity: Severity::Error,
            }])
        })?;
        Config::parse_checked(&text, path, true)
    }

    /// Reads and validates a file like [`Config::load`], but without checking
    /// it against this machine (the Maildir need not exist here): for tools
    /// that only need some of its keys, like `mp2ctl parse --config` reading
    /// `[filter]` or any command looking up `daemon.socket`.
    pub fn load_offline(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(vec![ConfigIssue {
                file: path.to_path_buf(),
                line: 0,
                key: String::new(),
                message: format!(
                    "cannot read the configuration ({e}); pass the right file with --config"
                ),
                severity: Severity::Error,
            }])
        })?;
        Config::parse_checked(&text, path, false)
    }

    /// Parses and validates `text` as if read from `path`, without looking
    /// at the machine (paths need not exist).
    pub fn from_str_at(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_checked(text, path, false)
    }

    fn parse_checked(text: &str, path: &Path, on_disk: bool) -> Result<Config, ConfigError> {
        let locations = Locations::parse(text);
        let mut cfg: Config = toml::from_str(text)
            .map_err(|e| ConfigError(vec![deserialize_issue(&e, &locations, text, path)]))?;
        cfg.path = path.to_path_buf();
        let (errors, warnings): (Vec<_>, Vec<_>) = validate::validate(&cfg, &locations, on_disk)
            .into_iter()
            .partition(|i| i.severity == Severity::Error);
        if !errors.is_empty() {
            return Err(ConfigError(errors.into_iter().chain(warnings).collect()));
        }
        cfg.warnings = warnings;
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
            s.ca_file.as_mut().map(abs);
        }
        self.routes.ca_file.as_mut().map(abs);
        self.weather.ca_file.as_mut().map(abs);
        self.calendar.ca_file.as_mut().map(abs);
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
}

/// A deserializer error located and worded for the operator. Errors from
/// inside `[mailbox]` (an internally tagged table, read through a buffer)
/// carry the whole table's span: the field or quoted value they name tells
/// which key of the table is meant.
fn deserialize_issue(
    e: &toml::de::Error,
    locations: &Locations,
    text: &str,
    path: &Path,
) -> ConfigIssue {
    let raw = e.message();
    // An empty span at 0 (or one covering everything) means the document itself.
    let span = e
        .span()
        .filter(|s| !(s.start == 0 && (s.end == 0 || s.end >= text.len())));
    let mut key = span
        .as_ref()
        .and_then(|s| locations.key_at(s.start))
        .unwrap_or("")
        .to_string();
    let mut line = span
        .as_ref()
        .map(|s| locations.line_of(s.start))
        .unwrap_or(1);
    if key.is_empty() || locations.is_table(&key) {
        let inner = wording::field_named(raw)
            .map(|f| {
                if key.is_empty() {
                    f.to_string()
                } else {
                    format!("{key}.{f}")
                }
            })
            .or_else(|| {
                wording::quoted_value(raw).and_then(|v| locations.child_holding(&key, v, text))
            });
        if let Some(inner) = inner {
            line = locations.line(&inner).unwrap_or(line);
            key = inner;
        }
    }
    let message = match (key.as_str(), wording::field_named(raw)) {
        ("mailbox", Some("mailbox")) => "the [mailbox] table is missing; add it with kind = \"imap\" (host, username, password_file) or kind = \"maildir\" (path)".to_string(),
        _ => wording::operator_message(raw),
    };
    ConfigIssue {
        file: path.to_path_buf(),
        line,
        key: if key.is_empty() { "-".into() } else { key },
        message,
        severity: Severity::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
