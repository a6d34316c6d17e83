//! `[production]` and `[[crew]]`: who is planned for, from where.

use super::{check_coords, is_e164, Validator};
use crate::config::{Channel, Config};

pub(super) fn production(cfg: &Config, v: &mut Validator<'_>) {
    if !v.locations.has("production") {
        v.err(
            "production",
            "",
            "the [production] table is missing; add it with name = \"...\" (the film's name, as the office writes it) and base = { address = \"...\" } where the unit base is",
        );
    }
    if cfg.production.name.trim().is_empty() {
        v.err("production", "name", "must not be empty");
    }
    for c in &cfg.production.coordinators {
        if !is_plain_address(c) {
            v.err(
                "production",
                "coordinators",
                &format!("{c:?} is not an e-mail address; write e.g. \"biuro@produkcja-mp2.pl\""),
            );
        }
    }
    if let Some(b) = &cfg.production.base {
        check_coords(v, "production", "base", b);
    }
}

pub(super) fn crew(cfg: &Config, v: &mut Validator<'_>) {
    if cfg.crew.is_empty() {
        v.err(
            "crew",
            "",
            "no [[crew]] member is configured, so nobody would be planned for or told anything; add one [[crew]] table per person with id, name, home and channels",
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (n, c) in cfg.crew.iter().enumerate() {
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
        check_coords(v, &table, "home", &c.home);
    }
}

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
