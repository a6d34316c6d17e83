//! A real Radicale CalDAV server on a free loopback port, in a temp dir
//! (htpasswd plain auth, rights `authenticated`), killed on drop; and a
//! minimal CalDAV client for looking at what it holds.
#![allow(dead_code)]

use base64::Engine;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "mp2";
pub const PASSWORD: &str = "kalendarz-sekret";

/// Whether Radicale can run here (`pip install radicale`).
pub fn available() -> bool {
    Command::new("python3")
        .args(["-c", "import radicale"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Radicale {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// One stored event: its href, ETag and iCalendar text.
#[derive(Debug, Clone)]
pub struct Stored {
    pub href: String,
    pub etag: String,
    pub ics: String,
}

impl Stored {
    /// The unfolded value of the first `NAME:` or `NAME;…:` line.
    pub fn prop(&self, name: &str) -> Option<String> {
        let unfolded = self.ics.replace("\r\n ", "").replace("\n ", "");
        unfolded.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k == name || k.starts_with(&format!("{name};"))).then(|| v.trim().to_string())
        })
    }
}

impl Radicale {
    /// Configured on a free port, not running yet.
    pub fn new() -> Radicale {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let p = dir.path();
        std::fs::write(p.join("users"), format!("{USER}:{PASSWORD}\n")).expect("users");
        std::fs::write(
            p.join("config"),
            format!(
                "[server]\nhosts = 127.0.0.1:{port}\n\
                 [storage]\nfilesystem_folder = {}\n\
                 [auth]\ntype = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\n\
                 [rights]\ntype = authenticated\n\
                 [web]\ntype = none\n\
                 [logging]\nlevel = warning\n",
                p.join("collections").display(),
                p.join("users").display()
            ),
        )
        .expect("config");
        Radicale {
            port,
            dir,
            child: None,
        }
    }

    /// Configured to speak HTTPS only, with `dir`'s `server.pem` and
    /// `server.key` (see [`tls_certs`]).
    pub fn new_tls(certs: &std::path::Path) -> Radicale {
        let r = Radicale::new();
        let config = r.dir.path().join("config");
        let text = std::fs::read_to_string(&config).expect("config");
        let tls = format!(
            "[server]\nssl = True\ncertificate = {}\nkey = {}\n",
            certs.join("server.pem").display(),
            certs.join("server.key").display()
        );
        std::fs::write(&config, text.replacen("[server]\n", &tls, 1)).expect("config");
        r
    }

    pub fn started() -> Radicale {
        let mut r = Radicale::new();
        r.start();
        r
    }

    pub fn start(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("radicale.log")).expect("log");
        let child = Command::new("python3")
            .args(["-m", "radicale", "--config"])
            .arg(self.dir.path().join("config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn radicale");
        self.child = Some(child);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(15) {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("radicale did not listen on {}: {}", self.port, self.log());
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("radicale.log")).unwrap_or_default()
    }

    pub fn collections(&self) -> PathBuf {
        self.dir.path().join("collections")
    }

    /// The collection URL template for `calendar.url`.
    pub fn url_template(&self) -> String {
        format!("http://127.0.0.1:{}/{{crew}}/mp2/", self.port)
    }

    /// One request with basic auth; (status, headers, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect radicale");
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        let mut req = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("send");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head.to_string(), body.to_string())
    }

    /// `REPORT calendar-query` of a crew member's collection: every VEVENT.
    pub fn events(&self, crew: &str) -> Vec<Stored> {
        let q = r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>"#;
        let (status, _, body) = self.request(
            "REPORT",
            &format!("/{crew}/mp2/"),
            &[
                ("Depth", "1"),
                ("Content-Type", "application/xml; charset=utf-8"),
            ],
            q,
        );
        if status == 404 {
            return Vec::new();
        }
        assert_eq!(status, 207, "REPORT answered {status}: {body}");
        body.split("<response>")
            .skip(1)
            .map(|r| Stored {
                href: tag(r, "href"),
                etag: tag(r, "getetag"),
                ics: unescape(&tag(r, "calendar-data")),
            })
            .collect()
    }
}

impl Drop for Radicale {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The text of the first element whose name ends in `name` (any prefix).
fn tag(xml: &str, name: &str) -> String {
    let open = format!("{name}>");
    let Some(start) = xml.find(&open).map(|i| i + open.len()) else {
        return String::new();
    };
    let end = xml[start..]
        .find("</")
        .map(|i| start + i)
        .unwrap_or(xml.len());
    xml[start..end].to_string()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#13;", "\r")
        .replace("&amp;", "&")
}

#[path = "tls.rs"]
mod tls;

/// A CA (`ca.pem`) and a certificate for 127.0.0.1 signed by it
/// (`server.pem`, `server.key`) in `dir` (see `tls.rs`).
pub fn tls_certs(dir: &std::path::Path) {
    tls::certs(dir);
}
