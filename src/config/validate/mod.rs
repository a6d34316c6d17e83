//! What must hold in a configuration beyond its shape, one file per table.
//! Every check reports through [`Validator::err`], which locates the key in
//! the file so the operator is pointed at the line to edit.

mod daemon;
pub use daemon::metrics_address;
mod durations;
mod leftovers;
mod mailbox;
mod notify;
mod on_disk;
mod production;
mod providers;

use super::locate::Locations;
use super::{Config, ConfigIssue, Severity, Site};
use std::path::Path;

/// Every problem in `cfg`: what the text itself gets wrong and, with
/// `on_disk`, what the machine contradicts (a Maildir that is not there).
pub(super) fn validate(cfg: &Config, locations: &Locations, on_disk: bool) -> Vec<ConfigIssue> {
    let mut v = Validator {
        locations,
        file: &cfg.path,
        issues: Vec::new(),
    };
    if on_disk {
        on_disk::on_disk(cfg, &mut v);
    }
    durations::durations(cfg, &mut v);
    leftovers::leftovers(cfg, &mut v);
    daemon::daemon(cfg, &mut v);
    production::production(cfg, &mut v);
    mailbox::mailbox(cfg, &mut v);
    mailbox::filter(cfg, &mut v);
    production::crew(cfg, &mut v);
    providers::routes(cfg, &mut v);
    providers::weather(cfg, &mut v);
    providers::calendar(cfg, &mut v);
    notify::email(cfg, &mut v);
    notify::sms(cfg, &mut v);
    daemon::integrations(cfg, &mut v);
    daemon::parser(cfg, &mut v);
    // Errors before warnings, each top to bottom: the order an operator edits in.
    v.issues.sort_by_key(|i| (i.severity, i.line));
    v.issues
}

pub(super) struct Validator<'a> {
    locations: &'a Locations,
    file: &'a Path,
    issues: Vec<ConfigIssue>,
}

impl Validator<'_> {
    /// Reports `table.key`, on the key's line if the file writes it, else
    /// on its table's header, else on line 1.
    fn err(&mut self, table: &str, key: &str, message: &str) {
        self.push(Severity::Error, table, key, message);
    }

    /// Something that works but is probably not what was meant.
    fn warn(&mut self, table: &str, key: &str, message: &str) {
        self.push(Severity::Warning, table, key, message);
    }

    fn push(&mut self, severity: Severity, table: &str, key: &str, message: &str) {
        let path = if key.is_empty() {
            table.to_string()
        } else {
            format!("{table}.{key}")
        };
        let line = self
            .locations
            .line(&path)
            .or_else(|| self.locations.line(table))
            .unwrap_or(1);
        self.issues.push(ConfigIssue {
            file: self.file.to_path_buf(),
            line,
            key: path,
            message: message.to_string(),
            severity,
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

/// An HTTP provider's URL: http(s), and `https` unless the host is this
/// machine (a password, token or API key must not cross a network in
/// clear); no credentials inside it (they would show wherever it is logged).
fn check_url(v: &mut Validator<'_>, table: &str, key: &str, url: Option<&str>, required: bool) {
    let Some(u) = url else {
        if required {
            v.err(table, key, "is required");
        }
        return;
    };
    let lower = u.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        v.err(
            table,
            key,
            &format!("{u:?} must be an https:// URL (http:// only to a loopback host)"),
        );
        return;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        v.err(
            table,
            key,
            &format!("{:?} carries a user name or password; put them in the table's username and *_file keys instead", redact_userinfo(u)),
        );
        return;
    }
    if lower.starts_with("http://") && !is_loopback(url_host(authority)) {
        v.err(
            table,
            key,
            &format!(
                "{u:?} would send requests (and their credentials) unencrypted to another machine; use https://{} (http:// is only allowed to a loopback host such as 127.0.0.1)",
                &u["http://".len()..]
            ),
        );
    }
}

/// The host of `host[:port]` or `[v6]:port`.
fn url_host(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// The URL with whatever sits before `@` in its authority hidden.
fn redact_userinfo(u: &str) -> String {
    match (u.find("://"), u.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…{}", &u[..s], &u[at..]),
        _ => u.to_string(),
    }
}

/// E.164: `+` and 8 to 15 digits.
pub fn is_e164(p: &str) -> bool {
    let d = p.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit())
}

/// Plain-text protocols are allowed only where nothing leaves the machine.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
