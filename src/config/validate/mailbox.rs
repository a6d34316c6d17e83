//! `[mailbox]` and `[filter]`: where schedules come from and which mail counts.

use super::{check_url, is_loopback, Validator};
use crate::config::{Config, ImapAuth, Mailbox, Tls};

pub(super) fn mailbox(cfg: &Config, v: &mut Validator<'_>) {
    match &cfg.mailbox {
        Mailbox::Imap(i) => {
            if i.host.trim().is_empty() {
                v.err("mailbox", "host", "must name the IMAP server");
            }
            if i.tls == Tls::None && !is_loopback(&i.host) {
                v.err(
                    "mailbox",
                    "tls",
                    "\"none\" is only allowed to a loopback host; use \"implicit\" or \"starttls\"",
                );
            }
            match i.auth {
                ImapAuth::Xoauth2 => {
                    match &i.oauth2 {
                        None => v.err("mailbox", "auth", "xoauth2 needs a [mailbox.oauth2] table with token_url, client_id, client_secret_file and refresh_token_file"),
                        Some(o) => check_url(v, "mailbox.oauth2", "token_url", Some(&o.token_url), true),
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
}

pub(super) fn filter(cfg: &Config, v: &mut Validator<'_>) {
    if cfg.filter.senders.is_empty() {
        v.err(
            "filter",
            "senders",
            "must list at least one address or domain, or no mail is ever accepted",
        );
    }
    if cfg.filter.keywords.iter().any(|k| k.trim().is_empty()) {
        v.err(
            "filter",
            "keywords",
            "must not contain an empty keyword (it would match every message)",
        );
    }
}
