//! `[notify.email]` and `[notify.sms]`: how the crew is told.

use super::{check_url, is_e164, is_loopback, Validator};
use crate::config::{Config, EmailTransportKind, SmsProvider, Tls};

pub(super) fn email(cfg: &Config, v: &mut Validator<'_>) {
    if let Some(e) = &cfg.notify.email {
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
}

pub(super) fn sms(cfg: &Config, v: &mut Validator<'_>) {
    if let Some(s) = &cfg.notify.sms {
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
                check_url(v, "notify.sms", "endpoint", s.endpoint.as_deref(), false);
            }
            SmsProvider::File => {
                if s.dir.is_none() {
                    v.err("notify.sms", "dir", "is required for provider \"file\"");
                }
            }
            SmsProvider::None => {}
        }
    }
}
