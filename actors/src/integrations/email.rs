//! The e-mail integration: an SMTP client (lettre) or, for the demo and
//! tests, a folder of `.eml` files. No actor code: callers go through the
//! `smtp` guard. Its one error enum, [`EmailError`], knows its class
//! ([`Classify`]) from the SMTP reply code or the I/O error kind.

use crate::integrations::calendar::ics_file::write_atomic;
use crate::runtime::failure::{Classify, ErrorClass};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mp2::config::{Config, EmailTransport, EmailTransportKind};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// A recipient or sender that is not an address: no retry helps.
    #[error("{what} {address:?} is not an e-mail address: {reason}")]
    Address {
        what: String,
        address: String,
        reason: String,
    },
    /// `notify.email` lacks what this transport needs.
    #[error("{0}")]
    Config(String),
    /// A 4xx reply: the server asks to try later.
    #[error("the SMTP server deferred the message ({code}): {text}")]
    Deferred { code: String, text: String },
    /// A 5xx reply: the server will not take it.
    #[error("the SMTP server refused the message ({code}): {text}")]
    Refused { code: String, text: String },
    /// No connection was made, so nothing was sent.
    #[error("cannot reach the SMTP server: {0}")]
    Unreachable(String),
    /// The TLS handshake refused the server's certificate: nothing was
    /// sent, and only a person can fix it.
    #[error("the SMTP server's certificate is not trusted ({0}); if it uses a private CA, name it in notify.email.ca_file")]
    Untrusted(String),
    /// The exchange broke off after it began: the server may have it.
    #[error("the SMTP exchange broke off: {0}")]
    BrokeOff(String),
    #[error("cannot write the e-mail file: {0}")]
    File(String),
}

impl Classify for EmailError {
    fn class(&self) -> ErrorClass {
        match self {
            EmailError::Address { .. } | EmailError::Refused { .. } => ErrorClass::Permanent,
            EmailError::Config(_) | EmailError::Untrusted(_) => ErrorClass::Operator,
            EmailError::Deferred { .. }
            | EmailError::Unreachable(_)
            | EmailError::BrokeOff(_)
            | EmailError::File(_) => ErrorClass::Transient,
        }
    }

    fn in_doubt(&self) -> bool {
        matches!(self, EmailError::BrokeOff(_))
    }
}

impl From<lettre::transport::smtp::Error> for EmailError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        let text = e.to_string();
        if let Some(code) = e.status() {
            let code = code.to_string();
            return if e.is_transient() {
                EmailError::Deferred { code, text }
            } else {
                EmailError::Refused { code, text }
            };
        }
        // Before the timeout and broke-off cases: a refused certificate
        // ends the handshake, so nothing can have been sent.
        if let Some(why) = crate::integrations::http::untrusted_certificate(&e) {
            return EmailError::Untrusted(why);
        }
        if e.is_timeout() {
            return EmailError::BrokeOff(text);
        }
        if refused_connection(&e) {
            return EmailError::Unreachable(text);
        }
        EmailError::BrokeOff(text)
    }
}

/// An I/O error somewhere in the chain saying no connection was made.
fn refused_connection(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::*;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ConnectionRefused
                    | NotFound
                    | AddrNotAvailable
                    | HostUnreachable
                    | NetworkUnreachable
            );
        }
        cur = err.source();
    }
    false
}

/// One e-mail to send.
pub struct Email<'a> {
    /// The recipient's display name, when known.
    pub to_name: Option<&'a str>,
    pub to: &'a str,
    /// Which setting or crew entry `to` comes from, for the error message.
    pub to_what: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// `<...>`: the same on every attempt of one notification.
    pub message_id: &'a str,
    /// The file name (no extension) for the file transport: the same for
    /// the same notification, so a repeat overwrites.
    pub file_stem: &'a str,
}

/// A configured e-mail transport.
pub struct Mailer {
    cfg: EmailTransport,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Mailer {
    pub fn new(config: &Config) -> Result<Mailer, EmailError> {
        let cfg = config
            .notify
            .email
            .clone()
            .ok_or_else(|| EmailError::Config("notify.email is not configured".into()))?;
        let transport = match cfg.transport {
            EmailTransportKind::File => None,
            EmailTransportKind::Smtp => Some(smtp_transport(config, &cfg)?),
        };
        Ok(Mailer { cfg, transport })
    }

    pub async fn send(&self, mail: &Email<'_>) -> Result<(), EmailError> {
        let msg = self.build(mail)?;
        match &self.transport {
            None => {
                let dir: PathBuf = self
                    .cfg
                    .dir
                    .clone()
                    .ok_or_else(|| EmailError::Config("notify.email.dir is not set".into()))?;
                let path = dir.join(format!("{}.eml", mail.file_stem));
                let bytes = msg.formatted();
                tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
                    .await
                    .map_err(|e| EmailError::File(e.to_string()))?
                    .map_err(EmailError::File)
            }
            Some(t) => t.send(msg).await.map(|_| ()).map_err(EmailError::from),
        }
    }

    fn build(&self, mail: &Email<'_>) -> Result<lettre::Message, EmailError> {
        let from = self.cfg.from.parse().map_err(|e| EmailError::Address {
            what: "notify.email.from".into(),
            address: self.cfg.from.clone(),
            reason: format!("{e}"),
        })?;
        let to_text = match mail.to_name {
            Some(n) => format!("{n} <{}>", mail.to),
            None => mail.to.to_string(),
        };
        let to = to_text.parse().map_err(|e| EmailError::Address {
            what: mail.to_what.to_string(),
            address: mail.to.to_string(),
            reason: format!("{e}"),
        })?;
        lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.to_string())
            .message_id(Some(mail.message_id.to_string()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.to_string())
            .map_err(|e| EmailError::Config(format!("cannot build the e-mail: {e}")))
    }
}

fn smtp_transport(
    config: &Config,
    cfg: &EmailTransport,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailError> {
    let host = cfg
        .host
        .clone()
        .ok_or_else(|| EmailError::Config("notify.email.host is not set".into()))?;
    let mut b = match cfg.tls {
        mp2::config::Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
        mp2::config::Tls::Starttls | mp2::config::Tls::Implicit => {
            let mut tp = TlsParameters::builder(host.clone());
            if let Some(ca) = &cfg.ca_file {
                let pem = std::fs::read(ca).map_err(|e| {
                    EmailError::Config(format!("notify.email.ca_file {}: {e}", ca.display()))
                })?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| EmailError::Config(format!("notify.email.ca_file: {e}")))?;
                tp = tp.add_root_certificate(cert);
            }
            let tp = tp
                .build()
                .map_err(|e| EmailError::Config(format!("notify.email TLS: {e}")))?;
            let tls = if cfg.tls == mp2::config::Tls::Implicit {
                Tls::Wrapper(tp)
            } else {
                Tls::Required(tp)
            };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host).tls(tls)
        }
    };
    if let Some(p) = cfg.port {
        b = b.port(p);
    }
    if let (Some(u), Some(pf)) = (&cfg.username, &cfg.password_file) {
        let pw = config.read_secret(pf).map_err(EmailError::Config)?;
        b = b.credentials(Credentials::new(u.clone(), pw));
    }
    Ok(b.timeout(Some(config.integration("smtp").timeout)).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_kind_of_error() {
        let refused = EmailError::Address {
            what: "crew anna email".into(),
            address: "anna@@".into(),
            reason: "invalid".into(),
        };
        assert_eq!(refused.class(), ErrorClass::Permanent);
        let later = EmailError::Deferred {
            code: "451".into(),
            text: "try later".into(),
        };
        assert_eq!(later.class(), ErrorClass::Transient);
        assert!(!later.in_doubt());
        assert!(EmailError::BrokeOff("reset".into()).in_doubt());
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(refused_connection(&io));
    }

    /// aiosmtpd speaking implicit TLS with a certificate from a private CA:
    /// the refusal is "not trusted", an operator's fault, and not in doubt
    /// (the handshake ended before any mail was sent) — until the CA is
    /// trusted (issue 8).
    #[tokio::test]
    async fn an_untrusted_smtp_certificate_is_the_operators_not_in_doubt() {
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        crate::integrations::http::tests::certs(dir.path());
        const SERVER: &str = "import ssl, sys, time
from aiosmtpd.controller import Controller
class H:
    async def handle_DATA(self, server, session, envelope):
        return '250 OK'
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('server.pem', 'server.key')
ctl = Controller(H(), hostname='127.0.0.1', port=int(sys.argv[1]), ssl_context=c)
ctl.start()
print('ready', flush=True)
time.sleep(60)
";
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut child = std::process::Command::new("python3")
            .args(["-c", SERVER, &port.to_string()])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        let mail = || {
            Message::builder()
                .from("plan@produkcja-mp2.pl".parse().unwrap())
                .to("anna@example.org".parse().unwrap())
                .subject("plan")
                .body("x".to_string())
                .unwrap()
        };
        let send = |tp: TlsParameters| {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
                .port(port)
                .tls(Tls::Wrapper(tp))
                .build()
        };
        let plain = TlsParameters::builder("127.0.0.1".into()).build().unwrap();
        let e = EmailError::from(send(plain).send(mail()).await.unwrap_err());
        let said = e.to_string();
        let ca = Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap()).unwrap();
        let trusted = TlsParameters::builder("127.0.0.1".into())
            .add_root_certificate(ca)
            .build()
            .unwrap();
        let sent = send(trusted).send(mail()).await;
        let _ = child.kill();
        let _ = child.wait();
        assert!(matches!(e, EmailError::Untrusted(_)), "{e:?}");
        assert_eq!(e.class(), ErrorClass::Operator);
        assert!(!e.in_doubt());
        assert!(
            said.contains("not trusted") && said.contains("ca_file"),
            "{said}"
        );
        sent.expect("sent once its CA is trusted");
    }
}
