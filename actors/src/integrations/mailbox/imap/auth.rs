//! Logging in: LOGIN (AUTHENTICATE PLAIN where LOGIN is disabled),
//! AUTHENTICATE PLAIN, or XOAUTH2 with an access token from the OAuth2
//! refresh-token grant.
//!
//! Contract: a refusal by the server becomes [`WatchError::LoginRefused`],
//! naming the user and the file to fix; an access token is reused until a
//! minute before it expires, and a refused token is thrown away and fetched
//! once more before the login counts as refused.

use super::{Secrets, WatchError};
use crate::integrations::oauth::{self, AccessToken};
use imap::{Authenticator, Client, Session};
use mp2::config::{Imap, ImapAuth, OAuth2};
use std::time::Duration;

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
        if let Some(t) = self.current.as_ref().filter(|t| t.fresh()) {
            return Ok(t.value.clone());
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
        rt.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .map_err(|e| failed(e.to_string()))?;
            oauth::refresh(
                &client,
                oauth,
                client_secret,
                refresh_token,
                "mailbox.oauth2",
            )
            .await
            .map_err(|e| failed(e.reason))
        })
    }
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
}
