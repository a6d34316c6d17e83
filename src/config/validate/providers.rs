//! `[routes]`, `[weather]` and `[calendar]`: the outside services a plan uses.

use super::{check_url, Validator};
use crate::config::{CalendarProvider, Config, RouteProvider, WeatherProvider};

pub(super) fn routes(cfg: &Config, v: &mut Validator<'_>) {
    match cfg.routes.provider {
        RouteProvider::Google => {
            if cfg.routes.api_key_file.is_none() {
                v.err(
                    "routes",
                    "api_key_file",
                    "is required for provider \"google\"",
                );
            }
            check_url(
                v,
                "routes",
                "endpoint",
                cfg.routes.endpoint.as_deref(),
                false,
            );
        }
        RouteProvider::Osrm => check_url(
            v,
            "routes",
            "endpoint",
            cfg.routes.endpoint.as_deref(),
            false,
        ),
        RouteProvider::Estimate => {}
    }
}

pub(super) fn weather(cfg: &Config, v: &mut Validator<'_>) {
    match cfg.weather.provider {
        WeatherProvider::Openweathermap => {
            if cfg.weather.api_key_file.is_none() {
                v.err(
                    "weather",
                    "api_key_file",
                    "is required for provider \"openweathermap\"",
                );
            }
            check_url(
                v,
                "weather",
                "endpoint",
                cfg.weather.endpoint.as_deref(),
                false,
            );
        }
        WeatherProvider::OpenMeteo => check_url(
            v,
            "weather",
            "endpoint",
            cfg.weather.endpoint.as_deref(),
            false,
        ),
        WeatherProvider::None => {}
    }
}

pub(super) fn calendar(cfg: &Config, v: &mut Validator<'_>) {
    match cfg.calendar.provider {
        CalendarProvider::Caldav => {
            check_url(v, "calendar", "url", cfg.calendar.url.as_deref(), true);
        }
        CalendarProvider::Google => {
            check_url(v, "calendar", "url", cfg.calendar.url.as_deref(), false);
            if cfg.calendar.token_file.is_none() && cfg.calendar.oauth2.is_none() {
                v.err(
                    "calendar",
                    "token_file",
                    "is required for provider \"google\" (a file holding an OAuth access token), unless a [calendar.oauth2] table gives a refresh token",
                );
            }
            if let Some(o) = &cfg.calendar.oauth2 {
                check_url(v, "calendar.oauth2", "token_url", Some(&o.token_url), true);
            }
        }
        CalendarProvider::Ics => {
            if cfg.calendar.dir.is_none() {
                v.err(
                    "calendar",
                    "dir",
                    "is required for provider \"ics\" (the folder for <crew>.ics files)",
                );
            }
        }
    }
}
