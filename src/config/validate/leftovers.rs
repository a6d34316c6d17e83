//! Keys that belong to another provider than the one chosen: harmless to
//! the daemon (nothing reads them) but a sign the operator switched provider
//! and forgot a line, or meant the other provider. Reported as warnings.

use super::Validator;
use crate::config::{
    CalendarProvider, Config, EmailTransportKind, ImapAuth, Mailbox, RouteProvider, SmsProvider,
    WeatherProvider,
};

pub(super) fn leftovers(cfg: &Config, v: &mut Validator<'_>) {
    let (routes, used): (&str, &[&str]) = match cfg.routes.provider {
        RouteProvider::Google => (
            "google",
            &["provider", "endpoint", "ca_file", "api_key_file"],
        ),
        RouteProvider::Osrm => ("osrm", &["provider", "endpoint", "ca_file"]),
        RouteProvider::Estimate => ("estimate", &["provider"]),
    };
    unused(v, "routes", "provider", routes, used);
    let (weather, used): (&str, &[&str]) = match cfg.weather.provider {
        WeatherProvider::Openweathermap => (
            "openweathermap",
            &[
                "provider",
                "endpoint",
                "ca_file",
                "api_key_file",
                "poll_interval",
            ],
        ),
        WeatherProvider::OpenMeteo => (
            "open-meteo",
            &["provider", "endpoint", "ca_file", "poll_interval"],
        ),
        WeatherProvider::None => ("none", &["provider"]),
    };
    unused(v, "weather", "provider", weather, used);
    let (calendar, used): (&str, &[&str]) = match cfg.calendar.provider {
        CalendarProvider::Caldav => (
            "caldav",
            &["provider", "url", "ca_file", "username", "password_file"],
        ),
        CalendarProvider::Google => (
            "google",
            &[
                "provider",
                "url",
                "ca_file",
                "calendar_id",
                "token_file",
                "oauth2",
            ],
        ),
        CalendarProvider::Ics => ("ics", &["provider", "dir"]),
    };
    unused(v, "calendar", "provider", calendar, used);
    if let Some(e) = &cfg.notify.email {
        let (transport, used): (&str, &[&str]) = match e.transport {
            EmailTransportKind::Smtp => (
                "smtp",
                &[
                    "transport",
                    "host",
                    "port",
                    "tls",
                    "ca_file",
                    "username",
                    "password_file",
                    "from",
                ],
            ),
            EmailTransportKind::File => ("file", &["transport", "dir", "from"]),
        };
        unused(v, "notify.email", "transport", transport, used);
    }
    if let Some(s) = &cfg.notify.sms {
        let (provider, used): (&str, &[&str]) = match s.provider {
            SmsProvider::Twilio => (
                "twilio",
                &[
                    "provider",
                    "endpoint",
                    "ca_file",
                    "account_sid",
                    "auth_token_file",
                    "from",
                ],
            ),
            SmsProvider::File => ("file", &["provider", "dir", "from"]),
            SmsProvider::None => ("none", &["provider"]),
        };
        unused(v, "notify.sms", "provider", provider, used);
    }
    if let Mailbox::Imap(i) = &cfg.mailbox {
        match i.auth {
            ImapAuth::Xoauth2 if v.locations.has("mailbox.password_file") => v.warn(
                "mailbox",
                "password_file",
                "is not used with auth = \"xoauth2\" (the [mailbox.oauth2] refresh token is); remove it, or set auth = \"login\" if the password is meant",
            ),
            ImapAuth::Login | ImapAuth::Plain if v.locations.has("mailbox.oauth2") => v.warn(
                "mailbox",
                "oauth2",
                "is not used unless auth = \"xoauth2\"; remove the table, or set auth = \"xoauth2\" if OAuth is meant",
            ),
            _ => {}
        }
    }
}

/// Warns about every key of `table` that `choice` (the value of `selector`)
/// does not read.
fn unused(v: &mut Validator<'_>, table: &str, selector: &str, choice: &str, used: &[&str]) {
    let stray: Vec<String> = v
        .locations
        .children(table)
        .filter(|k| !used.contains(k))
        .map(str::to_string)
        .collect();
    for key in stray {
        v.warn(
            table,
            &key,
            &format!("is not used with {selector} = \"{choice}\" (it belongs to another {selector}); remove it, or change {selector} if that one was meant"),
        );
    }
}
