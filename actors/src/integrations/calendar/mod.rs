//! Calendar providers: where a crew member's shooting-day event is written.
//!
//! ## Contract
//! - One event per crew member per shooting day. Its identity comes from the
//!   crew id and the date only (the iCalendar UID `mp2-CREW-DATE@mp2`, the
//!   CalDAV resource `UID.ics`, the Google event id [`google::event_id`]),
//!   so a revision, a retry or a replay after a crash writes the same event
//!   again, in place, never a second one.
//! - [`Provider::apply`] makes one [`Change`] true on the outside: `Put`
//!   creates or updates the event, `Remove` deletes it (a cancelled day);
//!   both are idempotent, so the caller may repeat them freely.
//! - No retries inside: an error says whether waiting helps
//!   ([`CalendarError::retry_after`]) and whether an operator must act
//!   ([`CalendarError::needs_operator`]); the stage and the `calendar` guard
//!   decide what to do with it.
//!
//! ## Providers
//! - [`ics_file`]: one `CREW.ics` per crew member, rewritten whole.
//! - [`caldav`]: RFC 4791, `PUT`/`DELETE` of one resource per event with
//!   ETag preconditions.
//! - [`google`]: Google Calendar API v3 over its JSON wire format.

pub mod caldav;
pub mod google;
pub mod ics_file;

use crate::runtime::ctx::Ctx;
use mp2::config::{CalendarProvider, Config, CrewMember};
use mp2::ics;
use mp2::store::{DayRecord, PlanRecord};
use std::time::Duration;

/// A crew member's shooting day, ready for any provider.
#[derive(Debug, Clone)]
pub struct DayEvent {
    pub crew: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// iCalendar UID; stable per crew and date.
    pub uid: String,
    /// The day's version: grows with every revision (iCalendar SEQUENCE).
    pub sequence: u64,
    pub summary: String,
    pub description: String,
    /// The first location's address, when known.
    pub location: Option<String>,
    /// RFC 3339 local times with offset (CONTRACT §5: departure → end).
    pub departure: String,
    pub end: String,
    pub wake_up: String,
    /// The VEVENT (RFC 5545) with every reminder and wake-up alarm.
    pub vevent: String,
}

impl DayEvent {
    /// The event of `crew` on `day`, from the plan made for it.
    pub fn build(
        ctx: &Ctx,
        crew: &CrewMember,
        day: &DayRecord,
        plan: &PlanRecord,
    ) -> Result<DayEvent, String> {
        let s = &day.schedule;
        let loc = s.locations.first();
        let loc_name = loc
            .and_then(|l| l.name.clone().or(l.address.clone()))
            .unwrap_or_else(|| "?".into());
        let production = s.production.as_deref().unwrap_or(&ctx.cfg.production.name);
        let weather: Option<mp2::weather::Summary> = day
            .weather
            .as_ref()
            .and_then(|w| serde_json::from_value(w.clone()).ok());
        let description =
            mp2::summary::event_description(s, &plan.plan, weather.as_ref(), crew.language);
        let alarms = mp2::summary::alarm_texts(&plan.plan, crew.language);
        let spec = ics::EventSpec {
            crew: &crew.id,
            date: &day.date,
            production,
            location_name: &loc_name,
            location_address: loc.and_then(|l| l.address.as_deref()),
            departure: &plan.plan.departure,
            end: &plan.plan.end,
            wake_up: &plan.plan.wake_up,
            sequence: day.version,
            description: &description,
            language: crew.language,
            alarms: &alarms,
        };
        // DTSTAMP: when the plan was made (stored with it), so a repeat
        // writes identical bytes (and a CalDAV server sees no change).
        let made = plan
            .planned_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| stamp_of(&day.date, day.version));
        let vevent = ics::event(&spec, made)?;
        let location = spec.location_address.map(str::to_string);
        Ok(DayEvent {
            crew: crew.id.clone(),
            date: day.date.clone(),
            uid: ics::uid(&crew.id, &day.date),
            sequence: day.version,
            summary: ics::title(production, &loc_name, crew.language),
            description,
            location,
            departure: plan.plan.departure.clone(),
            end: plan.plan.end.clone(),
            wake_up: plan.plan.wake_up.clone(),
            vevent,
        })
    }
}

fn stamp_of(date: &str, version: u64) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let base = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| chrono::Utc.from_utc_datetime(&d))
        .unwrap_or_else(chrono::Utc::now);
    base - chrono::Duration::days(30) + chrono::Duration::seconds(version as i64)
}

/// What to make true on the outside for one crew member and day.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Create the event, or update it in place.
    Put(&'a DayEvent),
    /// The day is cancelled: the event goes (already gone is fine).
    Remove { crew: &'a str, date: &'a str },
}

impl Change<'_> {
    pub fn crew(&self) -> &str {
        match self {
            Change::Put(e) => &e.crew,
            Change::Remove { crew, .. } => crew,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Secret(String),
    #[error("calendar server at {url}: certificate not trusted ({reason}); if it uses a private CA, name it in calendar.ca_file")]
    Untrusted { url: String, reason: String },
    /// `reason` is worded by [`crate::integrations::http::failure`]: no URL, no query.
    #[error("calendar server at {url}: {reason}; will retry")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}{}: the server is busy or failing; will retry", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Busy {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{url} refused the credentials ({status}): check calendar.username and calendar.password_file")]
    Credentials { url: String, status: u16 },
    #[error("token expired or invalid: refresh calendar.token_file ({url} answered 401)")]
    TokenInvalid { url: String },
    #[error("Google Calendar token refresh failed: {reason}{}", if *operator { "" } else { "; will retry" })]
    TokenRefresh { reason: String, operator: bool },
    #[error("{url} refused a freshly refreshed access token (401 twice): check that the OAuth client of calendar.oauth2 may use the Calendar API (scope https://www.googleapis.com/auth/calendar)")]
    TokenRefused { url: String },
    #[error("{url} refused the request with {status}: {body}")]
    Refused {
        url: String,
        status: u16,
        body: String,
    },
    #[error(
        "{url} changed on the server again while it was being updated (412 twice); will retry"
    )]
    Conflict { url: String },
    #[error("store: {0}")]
    Store(#[from] mp2::store::StoreError),
    #[error("{0}")]
    File(String),
    #[error("cannot build the calendar event: {0}")]
    Event(String),
}

impl CalendarError {
    /// How long the server asked us to wait, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CalendarError::Busy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Waiting will not fix it: a person must change a file or a setting.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            CalendarError::Config(_)
                | CalendarError::Secret(_)
                | CalendarError::Credentials { .. }
                | CalendarError::TokenInvalid { .. }
                | CalendarError::Untrusted { .. }
                | CalendarError::TokenRefused { .. }
                | CalendarError::TokenRefresh { operator: true, .. }
        )
    }
}

/// The configured provider, ready to apply changes.
pub enum Provider {
    IcsFiles(ics_file::IcsFiles),
    CalDav(caldav::CalDav),
    Google(google::Google),
}

impl Provider {
    /// Reads what the provider needs from the config (secrets are read
    /// here, on every batch, so a rotated password or token is picked up
    /// without a restart).
    pub fn from_config(cfg: &Config) -> Result<Provider, CalendarError> {
        Ok(match cfg.calendar.provider {
            CalendarProvider::Ics => Provider::IcsFiles(ics_file::IcsFiles::from_config(cfg)?),
            CalendarProvider::Caldav => Provider::CalDav(caldav::CalDav::from_config(cfg)?),
            CalendarProvider::Google => Provider::Google(google::Google::from_config(cfg)?),
        })
    }

    /// Makes `change` true for `crew` (see the module contract).
    pub async fn apply(
        &self,
        ctx: &Ctx,
        crew: &CrewMember,
        change: Change<'_>,
    ) -> Result<(), CalendarError> {
        match self {
            // The file is rebuilt from the store, which already holds the change.
            Provider::IcsFiles(p) => p.write_crew(ctx, crew).await,
            Provider::CalDav(p) => match change {
                Change::Put(e) => p.put(&ctx.store, e).await,
                Change::Remove { crew, date } => p.remove(&ctx.store, crew, date).await,
            },
            Provider::Google(p) => match change {
                Change::Put(e) => p.put(e).await,
                Change::Remove { crew, date } => p.remove(crew, date).await,
            },
        }
    }
}

/// The HTTP client of the calendar provider (trusting `calendar.ca_file`).
fn client(cfg: &Config) -> Result<reqwest::Client, CalendarError> {
    crate::integrations::http::client(cfg.calendar.ca_file.as_deref())
        .map_err(|e| CalendarError::Config(format!("calendar.{e}")))
}

/// The error for an answer that is not a success and not handled by the
/// caller: 401/403 are the operator's to fix, 429 and 5xx are worth a retry,
/// anything else is refused (with the start of the body, which usually says
/// why).
async fn status_error(url: &str, r: reqwest::Response) -> CalendarError {
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    if status == 429 || status >= 500 {
        return CalendarError::Busy {
            url: url.to_string(),
            status,
            retry_after,
        };
    }
    let body = r.text().await.unwrap_or_default();
    // A server may quote the request back, credentials and all.
    let body = mp2::config::redact(&body);
    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let body: String = body.chars().take(300).collect();
    CalendarError::Refused {
        url: url.to_string(),
        status,
        body,
    }
}

fn unreachable(url: &str) -> impl FnOnce(reqwest::Error) -> CalendarError + '_ {
    // A certificate only a person can fix is not an outage to wait out.
    move |source| match crate::integrations::http::untrusted_certificate(&source) {
        Some(reason) => CalendarError::Untrusted {
            url: url.to_string(),
            reason,
        },
        None => CalendarError::Unreachable {
            url: url.to_string(),
            reason: crate::integrations::http::failure(source),
        },
    }
}
