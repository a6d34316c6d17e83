//! The SMS integration: Twilio's Messages API (send, and look up what was
//! sent) or, for the demo and tests, a folder of `.json` files. No actor
//! code: callers go through the `sms` guard. Its one error enum,
//! [`SmsError`], knows its class ([`Classify`]) from the HTTP status,
//! Twilio's `Retry-After` and the kind of transport error.

use crate::integrations::calendar::ics_file::write_atomic;
use crate::runtime::failure::{Classify, ErrorClass};
use mp2::config::{Config, SmsProvider};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// `notify.sms` lacks what this provider needs.
    #[error("{0}")]
    Config(String),
    /// No connection was made, so nothing was sent.
    #[error("cannot reach Twilio: {0}")]
    Unreachable(String),
    /// The request went out and no full answer came back: Twilio may have
    /// taken the message.
    #[error("Twilio's answer broke off: {0}")]
    BrokeOff(String),
    /// A 4xx other than the ones below: this message will never be taken
    /// (an invalid `To`, a body Twilio refuses).
    #[error("Twilio refused the message ({status}, error {code}): {message}")]
    Rejected {
        status: u16,
        code: i64,
        message: String,
    },
    /// 429 or a 5xx: Twilio asks to try later, maybe saying when.
    #[error("Twilio asks to try later ({status}): {message}")]
    Busy {
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },
    /// 401/403: an operator must fix `notify.sms.account_sid` or
    /// `auth_token_file`; retried slowly, since the token file is read each
    /// time.
    #[error("Twilio refused the credentials ({status}): check notify.sms.account_sid and notify.sms.auth_token_file")]
    Credentials { status: u16 },
    /// A 2xx whose body is not Twilio's JSON.
    #[error("Twilio sent an answer that is not its JSON: {0}")]
    Decode(String),
    #[error("cannot write the SMS file: {0}")]
    File(String),
}

impl Classify for SmsError {
    fn class(&self) -> ErrorClass {
        match self {
            SmsError::Rejected { .. } => ErrorClass::Permanent,
            SmsError::Config(_) | SmsError::Credentials { .. } => ErrorClass::Operator,
            SmsError::Unreachable(_)
            | SmsError::Busy { .. }
            | SmsError::BrokeOff(_)
            | SmsError::Decode(_)
            | SmsError::File(_) => ErrorClass::Transient,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            SmsError::Busy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn in_doubt(&self) -> bool {
        matches!(self, SmsError::BrokeOff(_) | SmsError::Decode(_))
    }
}

impl From<reqwest::Error> for SmsError {
    fn from(e: reqwest::Error) -> Self {
        // The wording drops the URL (see `crate::integrations::http`).
        if e.is_connect() {
            SmsError::Unreachable(crate::integrations::http::describe("Twilio", e))
        } else {
            SmsError::BrokeOff(crate::integrations::http::describe("Twilio", e))
        }
    }
}

/// Twilio's error body: `{"code": 21211, "message": "...", "status": 400}`.
#[derive(Deserialize, Default)]
struct TwilioError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// The part of a Message resource we read.
#[derive(Deserialize)]
struct MessageResource {
    sid: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    body: String,
    /// RFC 2822, as Twilio writes dates.
    #[serde(default)]
    date_created: Option<String>,
}

/// A page of `GET Messages.json`.
#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<MessageResource>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

/// A configured SMS transport.
pub enum Texter {
    /// `provider = "none"`: SMS is switched off.
    Off,
    File {
        dir: PathBuf,
        from: Option<String>,
    },
    Twilio(Twilio),
}

pub struct Twilio {
    /// Trusting `notify.sms.ca_file` besides the usual roots.
    client: reqwest::Client,
    /// `https://api.twilio.com` or a test server.
    endpoint: String,
    account_sid: String,
    token: String,
    from: String,
}

impl Texter {
    pub fn new(config: &Config) -> Result<Texter, SmsError> {
        let Some(cfg) = config.notify.sms.clone() else {
            return Ok(Texter::Off);
        };
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| SmsError::Config(format!("notify.sms.{name} is not set")))
        };
        Ok(match cfg.provider {
            SmsProvider::None => Texter::Off,
            SmsProvider::File => Texter::File {
                dir: cfg
                    .dir
                    .clone()
                    .ok_or_else(|| SmsError::Config("notify.sms.dir is not set".into()))?,
                // As a phone shows the sender: the configured number or
                // sender name, else the production's name.
                from: Some(
                    cfg.from
                        .clone()
                        .unwrap_or_else(|| config.production.name.clone()),
                ),
            },
            SmsProvider::Twilio => {
                let token_file = cfg.auth_token_file.clone().ok_or_else(|| {
                    SmsError::Config("notify.sms.auth_token_file is not set".into())
                })?;
                Texter::Twilio(Twilio {
                    client: crate::integrations::http::client(cfg.ca_file.as_deref())
                        .map_err(|e| SmsError::Config(format!("notify.sms.{e}")))?,
                    endpoint: cfg
                        .endpoint
                        .clone()
                        .unwrap_or_else(|| "https://api.twilio.com".into())
                        .trim_end_matches('/')
                        .to_string(),
                    account_sid: need(cfg.account_sid.clone(), "account_sid")?,
                    token: config.read_secret(&token_file).map_err(SmsError::Config)?,
                    from: need(cfg.from.clone(), "from")?,
                })
            }
        })
    }

    /// Sends one SMS; returns the provider's id for it, when it gives one.
    /// `file_stem` names the file of the file transport (the same for the
    /// same notification, so a repeat overwrites).
    pub async fn send(
        &self,
        to: &str,
        body: &str,
        file_stem: &str,
    ) -> Result<Option<String>, SmsError> {
        match self {
            Texter::Off => Ok(None),
            Texter::File { dir, from } => {
                let path = dir.join(format!("{file_stem}.json"));
                let doc = serde_json::json!({"to": to, "from": from, "body": body});
                let bytes =
                    serde_json::to_vec_pretty(&doc).map_err(|e| SmsError::File(e.to_string()))?;
                tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
                    .await
                    .map_err(|e| SmsError::File(e.to_string()))?
                    .map_err(SmsError::File)?;
                Ok(None)
            }
            Texter::Twilio(t) => t.send(to, body).await.map(Some),
        }
    }
}

impl Twilio {
    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.endpoint, self.account_sid
        )
    }

    /// `POST Messages.json`; returns the new message's `sid`.
    pub async fn send(&self, to: &str, body: &str) -> Result<String, SmsError> {
        let form = [("To", to), ("From", self.from.as_str()), ("Body", body)];
        let r = self
            .client
            .post(self.messages_url())
            .basic_auth(&self.account_sid, Some(&self.token))
            .form(&form)
            .send()
            .await?;
        let r = check(r).await?;
        let text = r.text().await?;
        let m: MessageResource =
            serde_json::from_str(&text).map_err(|e| SmsError::Decode(e.to_string()))?;
        Ok(m.sid)
    }

    /// Looks for a message to `to` with exactly `body`, created at or after
    /// `since` (unix ms, less a minute for clock skew): `GET Messages.json`
    /// filtered by `To` and `From`, newest first, a few pages deep. Twilio
    /// keeps no reference of ours on a message, so the text and the time
    /// are what identify it.
    pub async fn find(
        &self,
        to: &str,
        body: &str,
        since_ms: i64,
    ) -> Result<Option<String>, SmsError> {
        let since = chrono::DateTime::from_timestamp_millis(since_ms - 60_000).unwrap_or_default();
        let mut url = Some(self.messages_url());
        let mut query: Vec<(&str, &str)> =
            vec![("To", to), ("From", self.from.as_str()), ("PageSize", "50")];
        for _ in 0..5 {
            let Some(u) = url.take() else { break };
            let r = self
                .client
                .get(&u)
                .basic_auth(&self.account_sid, Some(&self.token))
                .query(&query)
                .send()
                .await?;
            let r = check(r).await?;
            let text = r.text().await?;
            let page: MessagePage =
                serde_json::from_str(&text).map_err(|e| SmsError::Decode(e.to_string()))?;
            let mut older = false;
            for m in page.messages {
                let created = m
                    .date_created
                    .as_deref()
                    .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
                if created.is_some_and(|c| c < since) {
                    older = true;
                    continue;
                }
                if m.body == body && (m.to.is_empty() || m.to == to) {
                    return Ok(Some(m.sid));
                }
            }
            // Newest first: a page reaching before `since` is the last one.
            if older {
                break;
            }
            url = page
                .next_page_uri
                .map(|p| format!("{}{}", self.endpoint, p));
            query.clear();
        }
        Ok(None)
    }
}

/// Turns a non-2xx answer into its error.
async fn check(r: reqwest::Response) -> Result<reqwest::Response, SmsError> {
    let status = r.status();
    if status.is_success() {
        return Ok(r);
    }
    let retry_after = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    // A server may quote the request back, credentials and all.
    let text = mp2::config::redact(&r.text().await.unwrap_or_default()).into_owned();
    let e: TwilioError = serde_json::from_str(&text).unwrap_or_default();
    let message = if e.message.is_empty() {
        text.chars().take(200).collect()
    } else {
        e.message
    };
    let code = status.as_u16();
    Err(match code {
        401 | 403 => SmsError::Credentials { status: code },
        429 | 500..=599 => SmsError::Busy {
            status: code,
            retry_after,
            message,
        },
        _ => SmsError::Rejected {
            status: code,
            code: e.code,
            message,
        },
    })
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = at.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn classes_come_from_the_status() {
        let bad = SmsError::Rejected {
            status: 400,
            code: 21211,
            message: "The 'To' number is not a valid phone number.".into(),
        };
        assert_eq!(bad.class(), ErrorClass::Permanent);
        let busy = SmsError::Busy {
            status: 429,
            retry_after: Some(Duration::from_secs(2)),
            message: "Too Many Requests".into(),
        };
        assert_eq!(busy.class(), ErrorClass::Transient);
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(2)));
        assert!(!busy.in_doubt());
        assert!(SmsError::BrokeOff("reset".into()).in_doubt());
        assert_eq!(
            SmsError::Credentials { status: 401 }.class(),
            ErrorClass::Operator
        );
    }
}
