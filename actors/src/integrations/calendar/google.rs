//! Google Calendar API v3, over its JSON wire format.
//!
//! - Base URL: `calendar.url`, default `https://www.googleapis.com/calendar/v3`
//!   (overridable so tests and proxies can stand in).
//! - Calendar: `calendar.calendar_id` with `{crew}` replaced, default
//!   `primary` (the token owner's own calendar).
//! - The event id is [`event_id`] of crew + date, so the event is found
//!   again without keeping any state: `PUT …/events/ID` updates it; on 404
//!   (never written) `POST …/events` inserts it with that id. A cancelled
//!   day is `DELETE …/events/ID`; 404/410 count as done.
//! - Auth: `Authorization: Bearer TOKEN`. Unattended, with
//!   `[calendar.oauth2]`: the access token comes from the refresh token
//!   ([`crate::integrations::oauth`], the IMAP XOAUTH2 code), is kept until a minute
//!   before it expires, and a 401 throws it away and fetches one more
//!   before the request counts as refused. A refused refresh token
//!   (`invalid_grant`) is the operator's to fix, shown in `status`.
//!   Otherwise the token is read from `calendar.token_file` on every batch
//!   (an outside refresher may rewrite it; a JSON file with an
//!   `access_token` field also works) and a 401 says to refresh that file.
//! - 429, 5xx and Google's 403 `rateLimitExceeded` are retried later.

use super::{client, status_error, unreachable, CalendarError, DayEvent};
use crate::integrations::oauth::{self, AccessToken};
use chrono::{DateTime, FixedOffset};
use mp2::config::{Config, OAuth2};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::time::Duration;

const DEFAULT_BASE: &str = "https://www.googleapis.com/calendar/v3";

/// A Google account's calendar access.
pub struct Google {
    base: String,
    /// Calendar id with `{crew}`.
    calendar_id: String,
    auth: Auth,
    /// IANA zone for `start.timeZone` / `end.timeZone`.
    timezone: String,
    /// Trusts `calendar.ca_file` besides the usual roots.
    client: reqwest::Client,
}

/// Where the bearer token comes from.
enum Auth {
    /// `calendar.token_file`: an access token someone else keeps fresh.
    Fixed(String),
    /// `[calendar.oauth2]`: mp2 gets access tokens itself.
    Refresh {
        oauth: OAuth2,
        client_secret: String,
        refresh_token: String,
    },
}

/// The access token outlives one batch's [`Google`] (built anew for each,
/// so a rotated secret is read at once): kept here with a digest of the
/// credentials it came from, so a new refresh token is not answered with
/// the old one's access token.
static TOKEN: Mutex<Option<(String, AccessToken)>> = Mutex::new(None);

fn credentials_digest(o: &OAuth2, refresh_token: &str) -> String {
    let d = Sha256::digest(format!(
        "{}\0{}\0{}",
        o.token_url,
        o.client_id,
        refresh_token.trim()
    ));
    hex::encode(d)
}

fn cached(key: &str) -> Option<String> {
    let t = TOKEN.lock().unwrap_or_else(|e| e.into_inner());
    t.as_ref()
        .filter(|(k, t)| k == key && t.fresh())
        .map(|(_, t)| t.value.clone())
}

/// The deterministic Google event id of a crew member's day. Google allows
/// the base32hex alphabet (`0-9`, `a-v`), 5–1024 characters: a hex digest
/// stays inside it.
pub fn event_id(crew: &str, date: &str) -> String {
    let digest = Sha256::digest(format!("mp2\0{crew}\0{date}").as_bytes());
    format!("mp2{}", hex::encode(&digest[..20]))
}

impl Google {
    pub fn from_config(cfg: &Config) -> Result<Google, CalendarError> {
        let auth = match &cfg.calendar.oauth2 {
            Some(o) => Auth::Refresh {
                oauth: o.clone(),
                client_secret: cfg
                    .read_secret(&o.client_secret_file)
                    .map_err(CalendarError::Secret)?,
                refresh_token: cfg
                    .read_secret(&o.refresh_token_file)
                    .map_err(CalendarError::Secret)?,
            },
            None => Auth::Fixed(fixed_token(cfg)?),
        };
        Ok(Google {
            base: cfg
                .calendar
                .url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE.to_string())
                .trim_end_matches('/')
                .to_string(),
            calendar_id: cfg
                .calendar
                .calendar_id
                .clone()
                .unwrap_or_else(|| "primary".into()),
            auth,
            timezone: cfg.daemon.timezone.clone(),
            client: client(cfg)?,
        })
    }

    /// `BASE/calendars/ID/events[/EVENT]`, each segment percent-encoded
    /// (calendar ids hold `@` and `#`).
    fn url(&self, crew: &str, event: Option<&str>) -> Result<Url, CalendarError> {
        let mut url = Url::parse(&self.base).map_err(|e| {
            CalendarError::Config(format!("calendar.url {:?} is not a URL: {e}", self.base))
        })?;
        {
            let mut p = url.path_segments_mut().map_err(|_| {
                CalendarError::Config(format!("calendar.url {:?} cannot hold a path", self.base))
            })?;
            p.pop_if_empty()
                .push("calendars")
                .push(&self.calendar_id.replace("{crew}", crew))
                .push("events");
            if let Some(id) = event {
                p.push(id);
            }
        }
        Ok(url)
    }

    /// The bearer token: the fixed one, else a cached access token, else
    /// (or when `renew`) a new one from the refresh token.
    async fn bearer(&self, renew: bool) -> Result<String, CalendarError> {
        let (oauth, client_secret, refresh_token) = match &self.auth {
            Auth::Fixed(t) => return Ok(t.clone()),
            Auth::Refresh {
                oauth,
                client_secret,
                refresh_token,
            } => (oauth, client_secret, refresh_token),
        };
        let key = credentials_digest(oauth, refresh_token);
        if !renew {
            if let Some(t) = cached(&key) {
                return Ok(t);
            }
        }
        let fresh = oauth::refresh(
            &self.client,
            oauth,
            client_secret,
            refresh_token,
            "calendar.oauth2",
        )
        .await
        .map_err(|e| CalendarError::TokenRefresh {
            reason: e.reason,
            operator: e.operator,
        })?;
        let value = fresh.value.clone();
        *TOKEN.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, fresh));
        tracing::debug!("Google Calendar access token refreshed");
        Ok(value)
    }

    async fn send(
        &self,
        m: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<reqwest::Response, CalendarError> {
        let refreshes = matches!(self.auth, Auth::Refresh { .. });
        let mut renewed = false;
        loop {
            let token = self.bearer(renewed).await?;
            let mut r = self
                .client
                .request(m.clone(), url.clone())
                .bearer_auth(&token);
            if let Some(b) = body {
                r = r.json(b);
            }
            let r = r.send().await.map_err(unreachable(url.as_str()))?;
            return match r.status() {
                // Revoked or expired early: one more try with a new token.
                StatusCode::UNAUTHORIZED if refreshes && !renewed => {
                    renewed = true;
                    continue;
                }
                StatusCode::UNAUTHORIZED if refreshes => Err(CalendarError::TokenRefused {
                    url: url.to_string(),
                }),
                StatusCode::UNAUTHORIZED => Err(CalendarError::TokenInvalid {
                    url: url.to_string(),
                }),
                StatusCode::FORBIDDEN => Err(forbidden(url, r).await),
                _ => Ok(r),
            };
        }
    }

    /// Updates the event in place, inserting it the first time.
    pub async fn put(&self, e: &DayEvent) -> Result<(), CalendarError> {
        let id = event_id(&e.crew, &e.date);
        let mut body = self.body(e)?;
        let one = self.url(&e.crew, Some(&id))?;
        let r = self.send(Method::PUT, &one, Some(&body)).await?;
        match r.status() {
            s if s.is_success() => return Ok(()),
            StatusCode::NOT_FOUND | StatusCode::GONE => {}
            _ => return Err(status_error(one.as_str(), r).await),
        }
        body["id"] = json!(id);
        body["iCalUID"] = json!(e.uid);
        let all = self.url(&e.crew, None)?;
        let r = self.send(Method::POST, &all, Some(&body)).await?;
        match r.status() {
            s if s.is_success() => Ok(()),
            // Inserted meanwhile (a parallel writer, or a replay): update it.
            StatusCode::CONFLICT => {
                let r = self.send(Method::PUT, &one, Some(&body)).await?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(status_error(one.as_str(), r).await)
                }
            }
            _ => Err(status_error(all.as_str(), r).await),
        }
    }

    /// Deletes the event of a cancelled day; gone already is fine.
    pub async fn remove(&self, crew: &str, date: &str) -> Result<(), CalendarError> {
        let one = self.url(crew, Some(&event_id(crew, date)))?;
        let r = self.send(Method::DELETE, &one, None).await?;
        match r.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND || s == StatusCode::GONE => Ok(()),
            _ => Err(status_error(one.as_str(), r).await),
        }
    }

    /// The event resource (CONTRACT §5).
    fn body(&self, e: &DayEvent) -> Result<Value, CalendarError> {
        let departure = time(&e.departure)?;
        let wake_up = time(&e.wake_up)?;
        let wake_minutes = (departure - wake_up).num_minutes().clamp(0, 40_320);
        let mut body = json!({
            "summary": e.summary,
            "description": e.description,
            "start": {"dateTime": e.departure, "timeZone": self.timezone},
            "end": {"dateTime": e.end, "timeZone": self.timezone},
            // A day deleted earlier and planned again comes back.
            "status": "confirmed",
            // Google takes at most five overrides, all relative to the start:
            // the four departure reminders of CONTRACT §5 and the wake-up
            // itself. The wake-up − 10 min and + 5 min alarms of the ICS and
            // CalDAV events cannot all be expressed here.
            "reminders": {
                "useDefault": false,
                "overrides": [
                    {"method": "popup", "minutes": 720},
                    {"method": "popup", "minutes": 180},
                    {"method": "popup", "minutes": 60},
                    {"method": "popup", "minutes": 0},
                    {"method": "popup", "minutes": wake_minutes},
                ]
            },
            "extendedProperties": {"private": {
                "mp2Crew": e.crew,
                "mp2Date": e.date,
                "mp2Version": e.sequence.to_string(),
            }},
        });
        if let Some(l) = &e.location {
            body["location"] = json!(l);
        }
        Ok(body)
    }
}

fn time(s: &str) -> Result<DateTime<FixedOffset>, CalendarError> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| CalendarError::Event(format!("plan time {s:?} is not RFC 3339: {e}")))
}

/// The access token of `calendar.token_file`.
fn fixed_token(cfg: &Config) -> Result<String, CalendarError> {
    let file = cfg.calendar.token_file.as_deref().ok_or_else(|| {
        CalendarError::Config(
            "calendar.token_file is not set (a file holding an OAuth access token), nor a [calendar.oauth2] refresh token".into(),
        )
    })?;
    let raw = cfg.read_secret(file).map_err(CalendarError::Secret)?;
    access_token(&raw).ok_or_else(|| {
        CalendarError::Secret(format!(
            "{} holds no access token: put the token on one line (or JSON with \"access_token\")",
            file.display()
        ))
    })
}

/// The token in a token file: the whole (trimmed) text, or the
/// `access_token` field of a JSON document.
fn access_token(raw: &str) -> Option<String> {
    let t = raw.trim();
    let token = if t.starts_with('{') {
        serde_json::from_str::<Value>(t)
            .ok()?
            .get("access_token")?
            .as_str()?
            .trim()
            .to_string()
    } else {
        t.to_string()
    };
    (!token.is_empty() && !token.contains(char::is_whitespace)).then_some(token)
}

/// Google says "slow down" with 403 `rateLimitExceeded` /
/// `userRateLimitExceeded` as well as 429; any other 403 is a refusal.
async fn forbidden(url: &Url, r: reqwest::Response) -> CalendarError {
    let body = r.text().await.unwrap_or_default();
    if body.to_ascii_lowercase().contains("ratelimitexceeded") {
        return CalendarError::Busy {
            url: url.to_string(),
            status: 403,
            retry_after: Some(Duration::from_secs(10)),
        };
    }
    CalendarError::Refused {
        url: url.to_string(),
        status: 403,
        body: body.chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_is_stable_and_in_googles_alphabet() {
        let a = event_id("anna", "2024-03-11");
        assert_eq!(a, event_id("anna", "2024-03-11"));
        assert_ne!(a, event_id("anna", "2024-03-12"));
        assert_ne!(a, event_id("tomek", "2024-03-11"));
        assert!((5..=1024).contains(&a.len()));
        assert!(a
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c)));
    }

    #[test]
    fn token_file_forms() {
        assert_eq!(access_token("ya29.abc\n").as_deref(), Some("ya29.abc"));
        assert_eq!(
            access_token(r#"{"access_token": "ya29.x", "expires_in": 3599}"#).as_deref(),
            Some("ya29.x")
        );
        assert_eq!(access_token("  \n"), None);
        assert_eq!(access_token("{}"), None);
    }

    #[test]
    fn url_encodes_the_calendar_id() {
        let g = Google {
            base: "http://127.0.0.1:9/calendar/v3".into(),
            calendar_id: "{crew}@group.calendar.google.com".into(),
            auth: Auth::Fixed("t".into()),
            timezone: "Europe/Warsaw".into(),
            client: reqwest::Client::new(),
        };
        assert_eq!(
            g.url("anna", Some("mp2ab")).unwrap().as_str(),
            "http://127.0.0.1:9/calendar/v3/calendars/anna@group.calendar.google.com/events/mp2ab"
        );
    }
}
