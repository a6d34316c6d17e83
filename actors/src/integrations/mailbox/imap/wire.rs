//! The byte stream under the IMAP session: TCP, then TLS (implicit or after
//! STARTTLS) or, to loopback only, plaintext.
//!
//! Contract: certificates are always verified, against the bundled Mozilla
//! roots plus the operator's `ca_file`; there is no way to turn that off. Every
//! read gives up when the stop flag is raised (checked every [`TICK`]) or when
//! the server has been silent for the current read limit, so a blocked IDLE or
//! FETCH never holds the watcher thread hostage.

use super::WatchError;
use imap::extensions::idle::SetReadTimeout;
use mp2::config::{Imap, Tls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a blocked read looks at the stop flag.
pub(super) const TICK: Duration = Duration::from_millis(200);

/// A connected socket, encrypted or (loopback only) not.
enum Link {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// The stream the `imap` crate reads and writes.
pub(super) struct Wire {
    link: Link,
    /// Raised by the daemon to stop the watcher.
    stop: Arc<AtomicBool>,
    /// How long a read may wait for the server when nobody asked otherwise.
    command_timeout: Duration,
    /// Set by the `imap` crate around IDLE (its own, longer, limit).
    read_limit: Option<Duration>,
}

impl Wire {
    fn new(link: Link, stop: Arc<AtomicBool>, command_timeout: Duration) -> Wire {
        Wire {
            link,
            stop,
            command_timeout,
            read_limit: None,
        }
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = self.read_limit.unwrap_or(self.command_timeout);
        let started = Instant::now();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(io::Error::other("the IMAP watcher is stopping"));
            }
            let got = match &mut self.link {
                Link::Plain(tcp) => tcp.read(buf),
                Link::Tls(tls) => tls.read(buf),
            };
            match got {
                // The socket's own timeout is only the stop-flag tick.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() >= limit {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("the server said nothing for {} s", limit.as_secs()),
                        ));
                    }
                }
                other => return other,
            }
        }
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.link {
            Link::Plain(tcp) => tcp.write(buf),
            Link::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.link {
            Link::Plain(tcp) => tcp.flush(),
            Link::Tls(tls) => tls.flush(),
        }
    }
}

impl SetReadTimeout for Wire {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.read_limit = timeout;
        Ok(())
    }
}

/// Connects, reads the greeting and, for STARTTLS, upgrades; the result is
/// ready for LOGIN/AUTHENTICATE.
pub(super) fn open(
    cfg: &Imap,
    stop: &Arc<AtomicBool>,
    command_timeout: Duration,
) -> Result<imap::Client<Wire>, WatchError> {
    if cfg.tls == Tls::None && !mp2::config::is_loopback(&cfg.host) {
        return Err(WatchError::Setup(format!(
            "plaintext IMAP to {} would send the password in the clear; set mailbox.tls to \"implicit\" or \"starttls\"",
            cfg.host
        )));
    }
    let tls = match cfg.tls {
        Tls::None => None,
        _ => Some(client_config(cfg)?),
    };
    let tcp = dial(cfg, stop, command_timeout)?;
    let imap_err = |e: imap::Error| WatchError::imap("greeting", e);
    match (cfg.tls, tls) {
        (Tls::Implicit, Some(tls)) => {
            let wire = handshake(cfg, tls, tcp, stop, command_timeout)?;
            let mut client = imap::Client::new(wire);
            client.read_greeting().map_err(imap_err)?;
            Ok(client)
        }
        (Tls::Starttls, Some(tls)) => {
            let mut tcp = tcp;
            starttls_prelude(&mut tcp, cfg, stop, command_timeout)?;
            let wire = handshake(cfg, tls, tcp, stop, command_timeout)?;
            let mut client = imap::Client::new(wire);
            // The greeting came before STARTTLS; capabilities are asked afresh.
            client.greeting_read = true;
            Ok(client)
        }
        _ => {
            let wire = Wire::new(Link::Plain(tcp), stop.clone(), command_timeout);
            let mut client = imap::Client::new(wire);
            client.read_greeting().map_err(imap_err)?;
            Ok(client)
        }
    }
}

/// The plaintext part of STARTTLS: greeting, CAPABILITY, STARTTLS. Done by
/// hand because the `imap` crate only offers it together with its own TLS
/// setup; read a byte at a time so nothing after the OK is swallowed.
fn starttls_prelude(
    tcp: &mut TcpStream,
    cfg: &Imap,
    stop: &AtomicBool,
    timeout: Duration,
) -> Result<(), WatchError> {
    let io_err = |e: io::Error| WatchError::imap("STARTTLS", imap::Error::Io(e));
    let greeting = read_line(tcp, stop, timeout).map_err(io_err)?;
    if !greeting.starts_with("* OK") && !greeting.starts_with("* PREAUTH") {
        return Err(WatchError::Setup(format!(
            "{} greeted with {greeting:?}, not an IMAP server ready for STARTTLS",
            cfg.host
        )));
    }
    tcp.write_all(b"s1 CAPABILITY\r\n").map_err(io_err)?;
    let mut offered = false;
    loop {
        let line = read_line(tcp, stop, timeout).map_err(io_err)?;
        if line.starts_with("* CAPABILITY") {
            offered |= line
                .split_ascii_whitespace()
                .any(|c| c.eq_ignore_ascii_case("STARTTLS"));
        }
        if line.starts_with("s1 ") {
            break;
        }
    }
    if !offered {
        return Err(WatchError::Setup(format!(
            "{} does not offer STARTTLS; set mailbox.tls = \"implicit\" (usually port 993)",
            cfg.host
        )));
    }
    tcp.write_all(b"s2 STARTTLS\r\n").map_err(io_err)?;
    loop {
        let line = read_line(tcp, stop, timeout).map_err(io_err)?;
        if let Some(status) = line.strip_prefix("s2 ") {
            if status.starts_with("OK") {
                return Ok(());
            }
            return Err(WatchError::Setup(format!(
                "{} refused STARTTLS: {status}",
                cfg.host
            )));
        }
    }
}

/// One CRLF-terminated line (without it), waiting at most `timeout` for data.
fn read_line(tcp: &mut TcpStream, stop: &AtomicBool, timeout: Duration) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let mut quiet_since = Instant::now();
    while !line.ends_with(b"\r\n") {
        if stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("the IMAP watcher is stopping"));
        }
        if line.len() > 64 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "endless line before STARTTLS",
            ));
        }
        match tcp.read(&mut byte) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {
                line.push(byte[0]);
                quiet_since = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if quiet_since.elapsed() >= timeout {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            Err(e) => return Err(e),
        }
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn dial(cfg: &Imap, stop: &AtomicBool, timeout: Duration) -> Result<TcpStream, WatchError> {
    let unreachable = |source: io::Error| WatchError::Connect {
        host: cfg.host.clone(),
        port: cfg.port,
        source,
    };
    let host = cfg.host.trim_matches(['[', ']']);
    let addrs = (host, cfg.port).to_socket_addrs().map_err(unreachable)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address");
    for addr in addrs {
        if stop.load(Ordering::Relaxed) {
            return Err(WatchError::Stopped);
        }
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => {
                tcp.set_nodelay(true).map_err(unreachable)?;
                tcp.set_read_timeout(Some(TICK)).map_err(unreachable)?;
                tcp.set_write_timeout(Some(timeout)).map_err(unreachable)?;
                return Ok(tcp);
            }
            Err(e) => last = e,
        }
    }
    Err(unreachable(last))
}

/// The TLS client settings: Mozilla's roots plus `ca_file`, verification on.
fn client_config(cfg: &Imap) -> Result<Arc<ClientConfig>, WatchError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &cfg.ca_file {
        let bad = |why: String| {
            WatchError::Setup(format!(
                "mailbox.ca_file {}: {why}; it must hold the PEM certificate of the CA that signed the server's certificate",
                path.display()
            ))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no certificate found".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
        }
    }
    // Name the provider: other crates in the daemon may compile in a second
    // one, and then rustls refuses to guess.
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| WatchError::Setup(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

fn handshake(
    cfg: &Imap,
    config: Arc<ClientConfig>,
    mut tcp: TcpStream,
    stop: &Arc<AtomicBool>,
    timeout: Duration,
) -> Result<Wire, WatchError> {
    let host = cfg.host.trim_matches(['[', ']']).to_string();
    let name = ServerName::try_from(host.clone()).map_err(|e| {
        WatchError::Setup(format!(
            "mailbox.host {host:?} is not a valid TLS server name: {e}"
        ))
    })?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| WatchError::Tls {
        host: host.clone(),
        reason: e.to_string(),
    })?;
    let started = Instant::now();
    while conn.is_handshaking() {
        if stop.load(Ordering::Relaxed) {
            return Err(WatchError::Stopped);
        }
        match conn.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if started.elapsed() >= timeout {
                    return Err(WatchError::Tls {
                        host,
                        reason: "the TLS handshake timed out".into(),
                    });
                }
            }
            Err(e) => return Err(tls_failure(&host, e)),
        }
    }
    Ok(Wire::new(
        Link::Tls(Box::new(StreamOwned::new(conn, tcp))),
        stop.clone(),
        timeout,
    ))
}

/// Certificate trouble is the operator's to fix; anything else may pass.
fn tls_failure(host: &str, e: io::Error) -> WatchError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(why)) => WatchError::Certificate {
            host: host.to_string(),
            reason: format!("{why:?}"),
        },
        Some(other) => WatchError::Tls {
            host: host.to_string(),
            reason: other.to_string(),
        },
        None => WatchError::Tls {
            host: host.to_string(),
            reason: e.to_string(),
        },
    }
}
