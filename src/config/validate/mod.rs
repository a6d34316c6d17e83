//! What must hold in a configuration beyond its shape, one file per table.
//! Every check reports through [`Validator::err`], which locates the key in
//! the file so the operator is pointed at the line to edit.

mod daemon;
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
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
