//! A throw-away Dovecot for tests: its own config, certificates, Maildir and
//! ports in a temp dir, stopped (whole process group) on drop.
//!
//! Needs Debian's `dovecot-imapd` (`/usr/sbin/dovecot`) and the `openssl`
//! CLI; [`Dovecot::available`] says so and tests skip when they are missing.
//! Runs as root like CI: mail belongs to `nobody:nogroup`.
#![allow(dead_code)] // each test binary uses its own part of the harness

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const DOVECOT: &str = "/usr/sbin/dovecot";
pub const USER: &str = "plan";
pub const PASSWORD: &str = "secret-pw";

/// Extra settings for one instance.
#[derive(Default, Clone)]
pub struct Options {
    /// Adds an `oauth2` passdb (XOAUTH2/OAUTHBEARER) that checks tokens by
    /// POSTing them to this URL (RFC 7662 introspection).
    pub introspection_url: Option<String>,
}

pub struct Dovecot {
    /// Root of everything; dropped last.
    pub dir: tempfile::TempDir,
    pub imap_port: u16,
    pub imaps_port: u16,
    /// The CA that signed the server's certificate.
    pub ca_pem: PathBuf,
    /// A CA that signed nothing here (for "wrong CA" tests).
    pub other_ca_pem: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
}

impl Dovecot {
    /// Whether Dovecot and openssl are installed; prints why a test skips.
    pub fn available() -> bool {
        let ok = Path::new(DOVECOT).exists()
            && Command::new("openssl")
                .arg("version")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "SKIPPED: needs {DOVECOT} (apt-get install dovecot-imapd) and the openssl CLI"
            );
        }
        ok
    }

    /// Writes the configuration, certificates and an empty Maildir, and starts.
    pub fn start(opts: Options) -> Dovecot {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = tempfile::Builder::new()
            .prefix("mp2dv")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().to_path_buf();
        // Dovecot's unprivileged processes must reach into it.
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["run", "state", "mail"] {
            fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        make_certs(&root);
        fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .expect("passwd");
        let (imap_port, imaps_port) = (free_port(), free_port());
        let instance = format!(
            "mp2t{}x{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let r = root.display();
        let mut mechanisms = "plain login".to_string();
        let mut oauth_passdb = String::new();
        if let Some(url) = &opts.introspection_url {
            mechanisms.push_str(" xoauth2 oauthbearer");
            fs::write(
                root.join("oauth2.conf.ext"),
                format!(
                    "introspection_mode = post\nintrospection_url = {url}\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
                ),
            )
            .expect("oauth2 conf");
            oauth_passdb = format!("passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {r}/oauth2.conf.ext\n}}\n");
        }
        let conf = format!(
            r#"instance_name = {instance}
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 1 secs
ssl = yes
ssl_cert = <{r}/server.pem
ssl_key = <{r}/server.key
ssl_dh = </usr/share/dovecot/dh.pem
mail_location = maildir:{r}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {r}/passwd
}}
{oauth_passdb}userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={r}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"#
        );
        let conf_path = root.join("dovecot.conf");
        fs::write(&conf_path, conf).expect("dovecot.conf");
        let mut d = Dovecot {
            ca_pem: root.join("ca.pem"),
            other_ca_pem: root.join("other-ca.pem"),
            dir,
            imap_port,
            imaps_port,
            conf: conf_path,
            child: None,
        };
        d.maildir_new(); // the user's Maildir exists, owned by nobody
        d.resume();
        d
    }

    /// Starts (again) with the same config, ports and mail.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = fs::File::create(self.root().join("stdout.log")).expect("log");
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start dovecot");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", self.imap_port)) {
                s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut line = String::new();
                if BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("* OK") {
                    return;
                }
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("dovecot exited at start ({status}): {}", self.log());
                }
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not come up: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the whole process group: TERM, then KILL after 5 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = child.id() as i32;
        // SAFETY: signalling a process group this harness created.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; leftovers of the group, if any, must not hold the ports.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = child.wait();
        // The listeners are gone once a connect is refused.
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok() && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        let mut s = fs::read_to_string(self.root().join("stdout.log")).unwrap_or_default();
        s.push_str(&fs::read_to_string(self.root().join("dovecot.log")).unwrap_or_default());
        s
    }

    /// The user's INBOX Maildir; created with new/cur/tmp on first use.
    pub fn maildir_new(&self) -> PathBuf {
        let user = self.root().join("mail").join(USER);
        for sub in ["new", "cur", "tmp"] {
            let p = user.join(sub);
            if !p.exists() {
                fs::create_dir_all(&p).expect("maildir");
            }
        }
        for p in [
            self.root().join("mail"),
            user.clone(),
            user.join("new"),
            user.join("cur"),
            user.join("tmp"),
        ] {
            chown_nobody(&p);
        }
        user
    }

    /// Delivers like an MTA would: a file in `new/` (works while stopped).
    pub fn drop_in(&self, n: usize, bytes: &[u8]) {
        let user = self.maildir_new();
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{}.M{}P{}Q{}.mp2test,S={}",
            1_700_000_000 + n,
            SEQ.fetch_add(1, Ordering::Relaxed),
            std::process::id(),
            n,
            bytes.len()
        );
        let tmp = user.join("tmp").join(&name);
        fs::write(&tmp, bytes).expect("write message");
        chown_nobody(&tmp);
        fs::rename(&tmp, user.join("new").join(&name)).expect("deliver");
    }

    /// Forgets every UID (stop first): the same messages come back under a
    /// new UIDVALIDITY. Keywords (`dovecot-keywords`) are kept.
    pub fn forget_uids(&self) {
        let user = self.root().join("mail").join(USER);
        for entry in fs::read_dir(&user).expect("maildir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "dovecot-uidlist"
                || name.starts_with("dovecot-uidvalidity")
                || (name.starts_with("dovecot.") && name.contains("index"))
            {
                fs::remove_file(entry.path()).expect("remove index file");
            }
        }
    }

    /// A second, independent IMAP client (plaintext, loopback).
    pub fn client(&self) -> imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.imap_port)).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut client = imap::Client::new(tcp);
        client.read_greeting().expect("greeting");
        client
            .login(USER, PASSWORD)
            .map_err(|(e, _)| e)
            .expect("login")
    }

    pub fn append(&self, folder: &str, bytes: &[u8]) {
        let mut s = self.client();
        s.append(folder, bytes).finish().expect("APPEND");
        let _ = s.logout();
    }

    /// UID and flags of every message in `folder` (empty if it does not exist).
    pub fn flags(&self, folder: &str) -> Vec<(u32, Vec<String>)> {
        let mut s = self.client();
        if s.select(folder).is_err() {
            return Vec::new();
        }
        let fetched = s.uid_fetch("1:*", "(UID FLAGS)").expect("FETCH");
        let mut out: Vec<(u32, Vec<String>)> = fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.flags().iter().map(|fl| format!("{fl}")).collect())))
            .collect();
        out.sort();
        let _ = s.logout();
        out
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A schedule-like e-mail; `from` decides whether it is a candidate.
pub fn message(from: &str, n: usize) -> Vec<u8> {
    format!(
        "From: Biuro produkcji <{from}>\r\nTo: plan@example.org\r\nSubject: Plan zdjęciowy dzień {n}\r\n\
         Message-ID: <msg-{n}@mp2.test>\r\nDate: Mon, 2 Jun 2025 10:{:02}:00 +0200\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nCall time 06:30, dzień {n}.\r\n",
        n % 60
    )
    .into_bytes()
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn chown_nobody(p: &Path) {
    std::os::unix::fs::chown(p, Some(65534), Some(65534))
        .expect("chown nobody:nogroup (run as root)");
}

/// A CA, a server certificate for localhost/127.0.0.1 signed by it, and an
/// unrelated CA.
#[path = "tls.rs"]
mod tls;

fn make_certs(root: &Path) {
    tls::certs(root);
}
