//! Checks against the machine, made by [`Config::load`] only (a config
//! parsed from a string, as tests do, may describe a machine elsewhere).
//! Secret files must exist and be private (see `config::secrets`); a
//! `ca_file` must exist.

use super::Validator;
use crate::config::secrets::{private, SecretAt};
use crate::config::{Config, Mailbox};

pub(super) fn on_disk(cfg: &Config, v: &mut Validator<'_>) {
    if let Mailbox::Maildir(m) = &cfg.mailbox {
        let path = if m.path.is_relative() {
            cfg.base_dir().join(&m.path)
        } else {
            m.path.clone()
        };
        // Only a path that is certainly wrong: one this user may not look
        // into (mp2ctl run by an operator) may still be the daemon's Maildir.
        let missing = match std::fs::metadata(&path) {
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            Ok(m) => !m.is_dir(),
        };
        if !path.as_os_str().is_empty() && missing {
            v.err(
                "mailbox",
                "path",
                &format!(
                    "the Maildir {} does not exist (or is not a folder), so no mail would ever be seen; fix the path, or create it with `mkdir -p {0}/new {0}/cur {0}/tmp` and deliver the office's mail there",
                    path.display()
                ),
            );
        }
    }
    for (table, key, file) in cfg.secret_files() {
        match cfg.find_secret(file) {
            SecretAt::Credential(_) => {}
            SecretAt::File(p) => {
                if let Err(e) = private(&p) {
                    v.err(table, key, &e);
                }
            }
            // Another user's folder (an operator checking the daemon's
            // config): present or not, this user cannot tell.
            SecretAt::Missing { denied: true } => {}
            SecretAt::Missing { denied: false } => v.err(
                table,
                key,
                &format!(
                    "the secret file {} does not exist (nor in $CREDENTIALS_DIRECTORY); create it with the secret on one line and `chmod 600` it",
                    file.display()
                ),
            ),
        }
    }
    let mut cas: Vec<(&str, Option<&std::path::Path>)> = vec![
        ("routes", cfg.routes.ca_file.as_deref()),
        ("weather", cfg.weather.ca_file.as_deref()),
        ("calendar", cfg.calendar.ca_file.as_deref()),
    ];
    if let Mailbox::Imap(i) = &cfg.mailbox {
        cas.push(("mailbox", i.ca_file.as_deref()));
    }
    if let Some(e) = &cfg.notify.email {
        cas.push(("notify.email", e.ca_file.as_deref()));
    }
    if let Some(s) = &cfg.notify.sms {
        cas.push(("notify.sms", s.ca_file.as_deref()));
    }
    for (table, file) in cas {
        let Some(file) = file else { continue };
        let path = if file.is_relative() {
            cfg.base_dir().join(file)
        } else {
            file.to_path_buf()
        };
        if matches!(std::fs::metadata(&path), Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
            v.err(
                table,
                "ca_file",
                &format!(
                    "the CA file {} does not exist; name the PEM file of the CA that signed the server's certificate, or remove the key to trust only the usual roots",
                    path.display()
                ),
            );
        }
    }
}
