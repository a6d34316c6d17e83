//! Secrets are only ever read from the files `*_file` keys name (or from
//! systemd's `$CREDENTIALS_DIRECTORY`), never written inline.
//!
//! A secret file others can read is refused, not used: on a shared machine
//! the IMAP password or an API key would be anyone's. Files systemd hands
//! over (`LoadCredential=`) are exempt — systemd owns their mode.

use super::{CalendarProvider, EmailTransportKind, ImapAuth, RouteProvider, WeatherProvider};
use super::{Config, Mailbox, SmsProvider};
use std::borrow::Cow;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every secret this process has read, so text from elsewhere (a server's
/// error body quoting our request back, an IMAP server echoing the LOGIN
/// line) can be cleaned of them before it is logged or stored.
static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Shorter values would blot out ordinary words.
const MIN_REDACTED: usize = 6;

fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_REDACTED {
        return;
    }
    let mut k = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    if !k.iter().any(|s| s == secret) {
        k.push(secret.to_string());
    }
}

/// `text` with every secret read so far replaced by `[secret]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let k = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    if !k.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in k.iter() {
        out = out.replace(s.as_str(), "[secret]");
    }
    Cow::Owned(out)
}

/// Where a `*_file` key's secret is.
pub(crate) enum SecretAt {
    /// Handed over by systemd in `$CREDENTIALS_DIRECTORY`.
    Credential(PathBuf),
    /// A file of the operator's.
    File(PathBuf),
    /// Nowhere this process can see; `denied` when a folder on the way
    /// could not be looked into (another user's file, maybe present).
    Missing { denied: bool },
}

impl Config {
    /// Reads a secret named by a `*_file` key: a path, or a bare credential
    /// name looked up in systemd's `$CREDENTIALS_DIRECTORY` first.
    pub fn read_secret(&self, file: &Path) -> Result<String, String> {
        let path = match self.find_secret(file) {
            SecretAt::Credential(p) => p,
            SecretAt::File(p) => {
                private(&p)?;
                p
            }
            SecretAt::Missing { .. } => return Err(missing(file)),
        };
        let secret = std::fs::read_to_string(&path)
            .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
        remember(&secret);
        Ok(secret)
    }

    pub(crate) fn find_secret(&self, file: &Path) -> SecretAt {
        if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
            if let Some(name) = file.file_name() {
                let p = Path::new(&dir).join(name);
                if p.is_file() {
                    return SecretAt::Credential(p);
                }
            }
        }
        let p = if file.is_relative() {
            self.base_dir().join(file)
        } else {
            file.to_path_buf()
        };
        match std::fs::metadata(&p) {
            Ok(_) => SecretAt::File(p),
            Err(e) => SecretAt::Missing {
                denied: e.kind() == std::io::ErrorKind::PermissionDenied,
            },
        }
    }

    /// Every secret file the configured providers will read, with the key
    /// that names it.
    pub fn secret_files(&self) -> Vec<(&'static str, &'static str, &Path)> {
        let mut out: Vec<(&'static str, &'static str, Option<&Path>)> = Vec::new();
        if let Mailbox::Imap(i) = &self.mailbox {
            match (&i.auth, &i.oauth2) {
                (ImapAuth::Xoauth2, Some(o)) => {
                    out.push((
                        "mailbox.oauth2",
                        "client_secret_file",
                        Some(&o.client_secret_file),
                    ));
                    out.push((
                        "mailbox.oauth2",
                        "refresh_token_file",
                        Some(&o.refresh_token_file),
                    ));
                }
                (ImapAuth::Xoauth2, None) => {}
                _ => out.push(("mailbox", "password_file", i.password_file.as_deref())),
            }
        }
        if self.routes.provider == RouteProvider::Google {
            out.push((
                "routes",
                "api_key_file",
                self.routes.api_key_file.as_deref(),
            ));
        }
        if self.weather.provider == WeatherProvider::Openweathermap {
            out.push((
                "weather",
                "api_key_file",
                self.weather.api_key_file.as_deref(),
            ));
        }
        match self.calendar.provider {
            CalendarProvider::Caldav => out.push((
                "calendar",
                "password_file",
                self.calendar.password_file.as_deref(),
            )),
            CalendarProvider::Google => match &self.calendar.oauth2 {
                Some(o) => {
                    out.push((
                        "calendar.oauth2",
                        "client_secret_file",
                        Some(&o.client_secret_file),
                    ));
                    out.push((
                        "calendar.oauth2",
                        "refresh_token_file",
                        Some(&o.refresh_token_file),
                    ));
                }
                None => out.push((
                    "calendar",
                    "token_file",
                    self.calendar.token_file.as_deref(),
                )),
            },
            CalendarProvider::Ics => {}
        }
        if let Some(e) = &self.notify.email {
            if e.transport == EmailTransportKind::Smtp {
                out.push(("notify.email", "password_file", e.password_file.as_deref()));
            }
        }
        if let Some(s) = &self.notify.sms {
            if s.provider == SmsProvider::Twilio {
                out.push((
                    "notify.sms",
                    "auth_token_file",
                    s.auth_token_file.as_deref(),
                ));
            }
        }
        out.into_iter()
            .filter_map(|(t, k, p)| p.map(|p| (t, k, p)))
            .collect()
    }
}

fn missing(file: &Path) -> String {
    format!(
        "cannot read secret file {} (also looked in $CREDENTIALS_DIRECTORY); create it with the secret on one line and `chmod 600 {0}`",
        file.display()
    )
}

/// Refuses a secret file that group or others may read.
pub(crate) fn private(path: &Path) -> Result<(), String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    let who = match (mode & 0o070 != 0, mode & 0o007 != 0) {
        (false, false) => return Ok(()),
        (true, false) => "its group",
        (false, true) => "every user",
        (true, true) => "its group and every user",
    };
    Err(format!(
        "secret file {} is open to {who} (mode {mode:04o}); make it private with `chmod 600 {0}` (owned by the user mp2d runs as)",
        path.display()
    ))
}
