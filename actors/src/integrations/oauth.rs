//! OAuth 2.0 access tokens from a refresh token (RFC 6749 §6), for every
//! integration that logs in with one: the IMAP XOAUTH2 login and the Google
//! Calendar API.
//!
//! Contract: [`refresh`] makes one `grant_type=refresh_token` POST to the
//! token endpoint and returns the access token with when it stops working;
//! [`AccessToken::fresh`] says whether it is still worth sending. A refusal
//! (`invalid_grant`, `invalid_client`, any 4xx) is [`TokenError::operator`]:
//! waiting will not fix it, a person must put a new refresh token or client
//! secret in place. An endpoint that cannot be reached or answers 5xx is
//! worth trying again later.

use mp2::config::OAuth2;
use std::time::{Duration, Instant};

/// A token is renewed this long before the server would stop taking it.
pub const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// An access token and when it stops working.
#[derive(Clone)]
pub struct AccessToken {
    pub value: String,
    pub expires: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"<set>")
            .field("expires", &self.expires)
            .finish()
    }
}

impl AccessToken {
    /// Still good for a while: send it rather than asking for another.
    pub fn fresh(&self) -> bool {
        Instant::now() + RENEW_MARGIN < self.expires
    }
}

/// Why no token came; worded for the log and `status`, without secrets.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct TokenError {
    pub reason: String,
    /// Only a person can fix it (a revoked refresh token, a wrong client).
    pub operator: bool,
}

/// Asks `oauth.token_url` for an access token. `table` names the config
/// table (`mailbox.oauth2`, `calendar.oauth2`) the advice points to.
pub async fn refresh(
    client: &reqwest::Client,
    oauth: &OAuth2,
    client_secret: &str,
    refresh_token: &str,
    table: &str,
) -> Result<AccessToken, TokenError> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", oauth.client_id.as_str()),
        ("client_secret", client_secret.trim()),
        ("refresh_token", refresh_token.trim()),
    ];
    let asked = Instant::now();
    let resp = client
        .post(&oauth.token_url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError {
            reason: crate::integrations::http::failure(e),
            operator: false,
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|e| TokenError {
        reason: crate::integrations::http::failure(e),
        operator: false,
    })?;
    parse_token_response(status, &body, asked, table)
}

/// The token endpoint's JSON (RFC 6749 §5.1, §5.2): `access_token` and
/// `expires_in` on success, `error` / `error_description` otherwise.
pub fn parse_token_response(
    status: u16,
    body: &str,
    asked: Instant,
    table: &str,
) -> Result<AccessToken, TokenError> {
    // 4xx is the endpoint refusing what we sent; 5xx and garbage are its trouble.
    let operator = (400..500).contains(&status);
    let json: serde_json::Value = serde_json::from_str(body).map_err(|_| TokenError {
        reason: format!(
            "HTTP {status}, not JSON: {}",
            body.chars().take(200).collect::<String>()
        ),
        operator,
    })?;
    if let Some(token) = json
        .get("access_token")
        .and_then(|v| v.as_str())
        .filter(|_| (200..300).contains(&status))
    {
        let secs = json
            .get("expires_in")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(3600);
        return Ok(AccessToken {
            value: token.to_string(),
            expires: asked + Duration::from_secs(secs),
        });
    }
    let error = json
        .get("error")
        .and_then(|v| v.as_str())
        .unwrap_or("no access_token in the answer");
    let detail = json
        .get("error_description")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let hint = match error {
        "invalid_grant" => format!(
            "; the refresh token was revoked or expired: put a new one in {table}.refresh_token_file"
        ),
        "invalid_client" | "unauthorized_client" => {
            format!("; check {table}.client_id and client_secret_file")
        }
        _ => String::new(),
    };
    Err(TokenError {
        reason: format!("HTTP {status}: {error} {detail}{hint}").replace("  ", " "),
        operator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_success_and_errors() {
        let now = Instant::now();
        let t = parse_token_response(
            200,
            r#"{"access_token":"abc","expires_in":120,"token_type":"Bearer"}"#,
            now,
            "mailbox.oauth2",
        )
        .unwrap();
        assert_eq!(t.value, "abc");
        assert_eq!(t.expires, now + Duration::from_secs(120));
        let e = parse_token_response(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
            now,
            "calendar.oauth2",
        )
        .err()
        .unwrap();
        assert!(e.operator);
        assert!(
            e.reason.contains("invalid_grant")
                && e.reason.contains("calendar.oauth2.refresh_token_file"),
            "{e}"
        );
        let e = parse_token_response(502, "<html>bad gateway</html>", now, "mailbox.oauth2")
            .err()
            .unwrap();
        assert!(e.reason.contains("HTTP 502") && !e.operator, "{e}");
    }

    #[test]
    fn a_token_is_fresh_until_a_minute_before_it_expires() {
        let at = |secs| AccessToken {
            value: "t".into(),
            expires: Instant::now() + Duration::from_secs(secs),
        };
        assert!(at(3599).fresh());
        assert!(!at(30).fresh(), "renewed inside the margin");
    }
}
