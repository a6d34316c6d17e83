//! Logging in: LOGIN (AUTHENTICATE PLAIN where LOGIN is disabled),
//! AUTHENTICATE PLAIN, or XOAUTH2 with an access token from the OAuth2
//! refresh-token grant.
//!
//! Contract: a refusal by the server becomes [`WatchError::LoginRefused`],
//! naming the user and the file to fix; an access token is reused until a
//! minute before it expires, and a refused token is thrown away and fetched
//! once more before the login counts as refused.

use super::{Secrets, WatchError};
use imap::{Authenticator, Client, Session};
use mp2::config::{Imap, ImapAuth, OAuth2};
use std::time::{Duration, Instant};

/// The token is renewed this long before the server would stop taking it.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// SASL PLAIN: `\0user\0password`.
struct Plain<'a> {
    user: &'a str,
    password: &'a str,
}

impl Authenticator for Plain<'_> {
    type Response = Vec<u8>;
    fn process(&self, _challenge: &[u8]) -> Vec<u8> {
        format!("\0{}\0{}", self.user, self.password).into_bytes()
    }
}

/// SASL XOAUTH2 (Google, Microsoft, Dovecot's oauth2 passdb).
struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl Authenticator for XOAuth2<'_> {
    type Response = Vec<u8>;
    fn process(&self, challenge: &[u8]) -> Vec<u8> {
        // A non-empty challenge is the server's JSON error report; the
        // protocol wants an empty answer before the final NO.
        if challenge.is_empty() {
            xoauth2_initial(self.user, self.token).into_bytes()
        } else {
            Vec::new()
        }
    }
}

fn xoauth2_initial(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// An access token and when it stops working.
struct AccessToken {
    value: String,
    expires: Instant,
}

/// Access tokens kept across reconnects of one watcher thread.
#[derive(Default)]
pub(super) struct TokenCache {
    current: Option<AccessToken>,
    /// Built on first use: the token call is the only async code here.
    runtime: Option<tokio::runtime::Runtime>,
}

impl TokenCache {
    fn token(
        &mut self,
        oauth: &OAuth2,
        secrets: &Secrets,
        timeout: Duration,
    ) -> Result<String, WatchError> {
        if let Some(t) = &self.current {
            if Instant::now() + RENEW_MARGIN < t.expires {
                return Ok(t.value.clone());
            }
        }
        let fresh = self.refresh(oauth, secrets, timeout)?;
        let value = fresh.value.clone();
        self.current = Some(fresh);
        Ok(value)
    }

    fn forget(&mut self) {
        self.current = None;
    }

    fn refresh(
        &mut self,
        oauth: &OAuth2,
        secrets: &Secrets,
        timeout: Duration,
    ) -> Result<AccessToken, WatchError> {
        let failed = |reason: String| WatchError::Token {
            url: oauth.token_url.clone(),
            reason,
        };
        let (Some(client_secret), Some(refresh_token)) =
            (&secrets.client_secret, &secrets.refresh_token)
        else {
            return Err(WatchError::Setup(
                "XOAUTH2 needs the client secret and refresh token: check mailbox.oauth2.client_secret_file and refresh_token_file".into(),
            ));
        };
        if self.runtime.is_none() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| failed(format!("cannot start the HTTP client: {e}")))?;
            self.runtime = Some(rt);
        }
        let Some(rt) = &self.runtime else {
            return Err(failed("no HTTP runtime".into()));
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", oauth.client_id.as_str()),
            ("client_secret", client_secret.as_str()),
            ("refresh_token", refresh_token.as_str()),
        ];
        let asked = Instant::now();
        let (status, body) = rt.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .map_err(|e| failed(e.to_string()))?;
            let resp = client
                .post(&oauth.token_url)
                .form(&form)
                .send()
                .await
                .map_err(|e| failed(e.to_string()))?;
            let status = resp.status();
            let body = resp.text().await.map_err(|e| failed(e.to_string()))?;
            Ok::<_, WatchError>((status, body))
        })?;
        parse_token_response(status.as_u16(), &body, asked).map_err(failed)
    }
}

/// The token endpoint's JSON: `access_token` and `expires_in` on success,
/// `error`/`error_description` otherwise.
fn parse_token_response(status: u16, body: &str, asked: Instant) -> Result<AccessToken, String> {
    let json: serde_json::Value = serde_json::from_str(body).map_err(|_| {
        format!(
            "HTTP {status}, not JSON: {}",
            body.chars().take(200).collect::<String>()
        )
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
    let hint = if error == "invalid_grant" {
        "; the refresh token was revoked or expired: put a new one in mailbox.oauth2.refresh_token_file"
    } else if error == "invalid_client" {
        "; check mailbox.oauth2.client_id and client_secret_file"
    } else {
        ""
    };
    Err(format!("HTTP {status}: {error} {detail}{hint}").replace("  ", " "))
}

/// Logs in as configured.
pub(super) fn login<T: std::io::Read + std::io::Write>(
    mut client: Client<T>,
    cfg: &Imap,
    secrets: &Secrets,
    tokens: &mut TokenCache,
    timeout: Duration,
) -> Result<Session<T>, WatchError> {
    let user = cfg.username.as_str();
    // The server's words are shown to the operator; a server may quote the
    // LOGIN line (the password) back, so known secrets are blotted out.
    let said = |text: String| mp2::config::redact(&text).into_owned();
    let refused = |e: imap::Error, what: &'static str| match e {
        imap::Error::No(no) => WatchError::LoginRefused {
            user: user.to_string(),
            what,
            said: said(no.information),
        },
        imap::Error::Bad(bad) => WatchError::LoginRefused {
            user: user.to_string(),
            what,
            said: said(bad.information),
        },
        other => WatchError::imap("login", other),
    };
    match cfg.auth {
        ImapAuth::Login | ImapAuth::Plain => {
            let password = secrets.password.as_deref().ok_or_else(|| {
                WatchError::Setup("IMAP login needs a password: check mailbox.password_file".into())
            })?;
            let use_plain = cfg.auth == ImapAuth::Plain || {
                let caps = client
                    .capabilities()
                    .map_err(|e| WatchError::imap("CAPABILITY", e))?;
                caps.has_str("LOGINDISABLED")
            };
            let result = if use_plain {
                client.authenticate("PLAIN", &Plain { user, password })
            } else {
                client.login(user, password)
            };
            result.map_err(|(e, _)| refused(e, "mailbox.password_file"))
        }
        ImapAuth::Xoauth2 => {
            let oauth = cfg.oauth2.as_ref().ok_or_else(|| {
                WatchError::Setup("auth = \"xoauth2\" needs a [mailbox.oauth2] table".into())
            })?;
            let token = tokens.token(oauth, secrets, timeout)?;
            match client.authenticate(
                "XOAUTH2",
                &XOAuth2 {
                    user,
                    token: &token,
                },
            ) {
                Ok(session) => Ok(session),
                Err((imap::Error::No(_), client)) => {
                    // The cached token may have been revoked early: one more
                    // try with a fresh one before blaming the configuration.
                    tokens.forget();
                    let token = tokens.token(oauth, secrets, timeout)?;
                    client
                        .authenticate(
                            "XOAUTH2",
                            &XOAuth2 {
                                user,
                                token: &token,
                            },
                        )
                        .map_err(|(e, _)| refused(e, "mailbox.oauth2 (client and refresh token)"))
                }
                Err((e, _)) => Err(refused(e, "mailbox.oauth2 (client and refresh token)")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_string_has_the_sasl_shape() {
        assert_eq!(
            xoauth2_initial("plan@x.pl", "T0K"),
            "user=plan@x.pl\x01auth=Bearer T0K\x01\x01"
        );
        let a = XOAuth2 {
            user: "u",
            token: "t",
        };
        assert!(a.process(b"").starts_with(b"user=u\x01"));
        assert!(a.process(b"{\"status\":\"401\"}").is_empty());
    }

    #[test]
    fn token_response_success_and_errors() {
        let now = Instant::now();
        let t = parse_token_response(
            200,
            r#"{"access_token":"abc","expires_in":120,"token_type":"Bearer"}"#,
            now,
        )
        .unwrap();
        assert_eq!(t.value, "abc");
        assert_eq!(t.expires, now + Duration::from_secs(120));
        let e = parse_token_response(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
            now,
        )
        .err()
        .unwrap();
        assert!(
            e.contains("invalid_grant") && e.contains("refresh_token_file"),
            "{e}"
        );
        let e = parse_token_response(502, "<html>bad gateway</html>", now)
            .err()
            .unwrap();
        assert!(e.contains("HTTP 502"), "{e}");
    }
}
