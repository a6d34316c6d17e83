//! A real SMTP server for tests: aiosmtpd (PyPI) storing every message it
//! takes into a Maildir, optionally SIGKILLing a process when the first
//! message's data has arrived and before it answers (a daemon cut off
//! between request and record). The one SMTP helper of both packages'
//! tests (`tests/notify.rs`, `tests/attention.rs`, `actors/tests/chaos.rs`);
//! started again on the same port and folder, it keeps what it took.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SERVER: &str = r#"
import mailbox, os, signal, sys, threading
from aiosmtpd.controller import Controller
port, box, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Keep:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        mailbox.Maildir(box).add(envelope.original_content or envelope.content)
        Keep.n += 1
        if Keep.n == 1 and pidfile and os.path.exists(pidfile):
            os.kill(int(open(pidfile).read()), signal.SIGKILL)
        return '250 OK'
c = Controller(Keep(), hostname='127.0.0.1', port=port)
c.start()
print('ready', flush=True)
threading.Event().wait()
"#;

pub struct Smtpd {
    child: Child,
    pub port: u16,
    /// The Maildir every message is stored in.
    pub maildir: PathBuf,
    /// The folder [`Smtpd::started`] made for it, removed on drop.
    _own: Option<tempfile::TempDir>,
}

impl Smtpd {
    /// Whether aiosmtpd is installed: without it a test skips with a note
    /// on a developer's machine, and fails under CI.
    pub fn available() -> bool {
        let ok = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "aiosmtpd is missing but CI is set: pip install aiosmtpd"
            );
            eprintln!("SKIPPED: needs the aiosmtpd Python package (scripts/test installs it)");
        }
        ok
    }

    /// On a free port with a folder of its own; `None` when aiosmtpd is
    /// missing (see [`Smtpd::available`]).
    pub fn started() -> Option<Smtpd> {
        if !Self::available() {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let dir = tempfile::tempdir().expect("smtp dir");
        let mut s = Self::start(port, dir.path(), None);
        s._own = Some(dir);
        Some(s)
    }

    /// Starts on `port` and waits until it listens. With `kill_pid_file`,
    /// the pid in that file (read when the first message arrives) is
    /// SIGKILLed before the server answers that message.
    pub fn start(port: u16, dir: &Path, kill_pid_file: Option<&Path>) -> Smtpd {
        let maildir = dir.join("mbox");
        let mut child = Command::new("python3")
            .args(["-c", SERVER, &port.to_string()])
            .arg(&maildir)
            .arg(kill_pid_file.map(|p| p.as_os_str()).unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Smtpd {
                    child,
                    port,
                    maildir,
                    _own: None,
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not listen on {port}");
    }

    /// Every message taken, as text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// Messages taken with `to` in their `To:` header.
    pub fn received_by(&self, to: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .collect()
    }

    /// The `Message-ID` of every message taken.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    .map(|l| l[11..].trim().to_string())
            })
            .collect()
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
