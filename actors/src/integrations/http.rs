//! The HTTP client every outside service is called through (routes,
//! weather, calendar, SMS), and how its failures are worded.
//!
//! - One client per extra trust anchor (`ca_file`), so a private CA's server
//!   can be reached without trusting it for every provider; connection pools
//!   are shared per client.
//! - A failure never carries the request URL: OpenWeatherMap's key travels
//!   in the query (`appid=`), and reqwest writes the URL into every error.
//!   [`describe`] drops it (`without_url`) and words the cause instead.
//! - A certificate the trust store does not accept is said so ("certificate
//!   not trusted"), found by the error's type along its source chain, not by
//!   matching words: the operator's fix (`ca_file`) differs from "the server
//!   is down".

use std::collections::HashMap;
use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Why a client could not be made: the operator's `ca_file`.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read ca_file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("ca_file {path} holds no PEM certificate reqwest accepts: {reason}")]
    Pem { path: String, reason: String },
}

/// The shared client trusting the usual roots plus `ca_file`'s certificates.
pub fn client(ca_file: Option<&Path>) -> Result<reqwest::Client, ClientError> {
    static CLIENTS: OnceLock<Mutex<HashMap<Option<PathBuf>, reqwest::Client>>> = OnceLock::new();
    let key = ca_file.map(Path::to_path_buf);
    let mut map = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("mp2/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|source| ClientError::Read {
            path: shown.clone(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::Pem {
            path: shown.clone(),
            reason: e.without_url().to_string(),
        })?;
        if certs.is_empty() {
            return Err(ClientError::Pem {
                path: shown,
                reason: "no BEGIN CERTIFICATE block".into(),
            });
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    let c = b.build().map_err(|e| ClientError::Pem {
        path: ca_file.map(|p| p.display().to_string()).unwrap_or_default(),
        reason: e.without_url().to_string(),
    })?;
    map.insert(key, c.clone());
    Ok(c)
}

/// What went wrong with a call to `service`, without the URL.
pub fn describe(service: &str, e: reqwest::Error) -> String {
    format!("{service}: {}", failure(e))
}

/// Why a call failed, without the URL: "certificate not trusted (…)",
/// "timed out", "unreachable (…)" or "answer could not be read (…)".
pub fn failure(e: reqwest::Error) -> String {
    let e = e.without_url();
    match tls_cause(&e) {
        Some(Tls::Untrusted(why)) => {
            return format!(
            "certificate not trusted ({why}); if the server uses a private CA, name it in ca_file"
        )
        }
        Some(Tls::Other(why)) => return format!("TLS handshake failed ({why})"),
        None => {}
    }
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_decode() || e.is_body() {
        format!("answer could not be read ({})", causes(&e))
    } else {
        format!("unreachable ({})", causes(&e))
    }
}

/// reqwest's wording and the causes under it, outermost first
/// ("error sending request: client error (Connect): tcp connect error: Connection refused").
fn causes(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if parts.last() != Some(&s) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Why the server's certificate was not trusted, when that is what `e`
/// (a reqwest, lettre or I/O error) comes down to; by the rustls error
/// along its source chain.
pub fn untrusted_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    match tls_cause(e) {
        Some(Tls::Untrusted(why)) => Some(why),
        _ => None,
    }
}

enum Tls {
    /// The chain does not lead to a trusted root, or names another host.
    Untrusted(String),
    Other(String),
}

/// The rustls error under `e`, if any. An `io::Error` hides the error it
/// holds from `source()` (it returns the held error's *source*), and
/// tokio-rustls nests two of them, so each is opened by downcasting.
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<Tls> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = rustls_in(err, 4) {
            use rustls::CertificateError as C;
            return Some(match r {
                rustls::Error::InvalidCertificate(c) => Tls::Untrusted(match c {
                    C::UnknownIssuer => "issuer unknown".into(),
                    C::NotValidForName | C::NotValidForNameContext { .. } => {
                        "not issued for this host name".into()
                    }
                    C::Expired | C::ExpiredContext { .. } => "expired".into(),
                    C::BadSignature => "bad signature".into(),
                    other => format!("{other:?}"),
                }),
                rustls::Error::NoCertificatesPresented => {
                    Tls::Untrusted("the server sent no certificate".into())
                }
                other => Tls::Other(other.to_string()),
            });
        }
        cur = err.source();
    }
    None
}

/// `err` itself as a rustls error, or the one its io::Errors hold
/// (`depth` bounds the unwrapping).
fn rustls_in<'a>(
    err: &'a (dyn std::error::Error + 'static),
    depth: u8,
) -> Option<&'a rustls::Error> {
    if let Some(r) = err.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    if depth == 0 {
        return None;
    }
    let inner: &(dyn std::error::Error + 'static) =
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io.get_ref()?
        } else {
            return None;
        };
    rustls_in(inner, depth - 1)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::BufRead;
    use std::process::{Child, Command, Stdio};

    /// The test CA and server certificate, shared with the Dovecot and
    /// Radicale harnesses.
    mod tls {
        include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    }
    pub(crate) use tls::certs;

    /// Python's HTTPS server answering `{}` to every GET; killed on drop.
    struct Https(Child, u16);

    impl Https {
        fn start(dir: &Path) -> Https {
            const SERVER: &str = "import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'{}')
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('server.pem', 'server.key')
s.socket = c.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
";
            let mut child = Command::new("python3")
                .args(["-c", SERVER])
                .current_dir(dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3");
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let port = line.trim().parse().expect("port from the server");
            Https(child, port)
        }
    }

    impl Drop for Https {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_named_and_ca_file_trusts_it() {
        let dir = tempfile::tempdir().unwrap();
        certs(dir.path());
        let server = Https::start(dir.path());
        let url = format!("https://127.0.0.1:{}/data?appid=CANARY-KEY", server.1);
        let e = client(None).unwrap().get(&url).send().await.unwrap_err();
        let said = describe("OpenWeatherMap", e);
        assert!(
            said.starts_with("OpenWeatherMap: certificate not trusted (issuer unknown)"),
            "{said}"
        );
        assert!(
            !said.contains("CANARY") && !said.contains("127.0.0.1"),
            "{said}"
        );
        let ok = client(Some(&dir.path().join("ca.pem")))
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }

    #[tokio::test]
    async fn a_refused_connection_says_unreachable_without_the_url() {
        let e = client(None)
            .unwrap()
            .get("http://127.0.0.1:1/data/2.5/forecast?appid=CANARY-KEY")
            .send()
            .await
            .unwrap_err();
        let said = describe("OpenWeatherMap", e);
        assert!(said.starts_with("OpenWeatherMap: unreachable ("), "{said}");
        assert!(
            !said.contains("CANARY") && !said.contains("forecast"),
            "{said}"
        );
    }
}
