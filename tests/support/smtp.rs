//! A real SMTP server for tests: aiosmtpd (PyPI) storing every message it
//! takes into a Maildir, optionally SIGKILLing a process when the first
//! message's data has arrived and before it answers (a daemon cut off
//! between request and record).
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
    /// The Maildir every message is stored in.
    pub maildir: PathBuf,
}

impl Smtpd {
    /// Starts on `port` and waits until it listens. With `kill_pid_file`,
    /// the pid in that file (read when the first message arrives) is
    /// SIGKILLed before the server answers that message.
    pub fn start(port: u16, dir: &Path, kill_pid_file: Option<&Path>) -> Smtpd {
        let maildir = dir.join("mbox");
        let child = Command::new("python3")
            .args(["-c", SERVER, &port.to_string()])
            .arg(&maildir)
            .arg(kill_pid_file.map(|p| p.as_os_str()).unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Smtpd { child, maildir }
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
