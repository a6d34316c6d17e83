//! A real `mp2d` child process on a temp state dir with a Maildir inbox,
//! spoken to over its control socket; killed on drop.
#![allow(dead_code)]

use mp2::control::{self, Command, StatusReport};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

/// The demo config with `[calendar]` replaced and extra tables appended.
pub fn demo_config(calendar: &str, extra: &str) -> String {
    let ics = "[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\n";
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    assert!(base.contains(ics), "demo config layout changed");
    format!("{}\n{extra}\n", base.replace(ics, calendar))
}

pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub child: Option<Child>,
    pub config: PathBuf,
}

impl Daemon {
    /// Writes the config (relative paths resolve inside the temp dir).
    pub fn new(config_text: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("mp2.toml");
        std::fs::write(&config, config_text).expect("write config");
        for d in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join("inbox").join(d)).expect("maildir");
        }
        Daemon {
            dir,
            child: None,
            config,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn socket(&self) -> PathBuf {
        self.path("mp2.sock")
    }

    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("mp2d.log"))
            .expect("log");
        let child = Proc::new(env!("CARGO_BIN_EXE_mp2d"))
            .arg("--config")
            .arg(&self.config)
            .env("MP2_LOG", "info")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("CREDENTIALS_DIRECTORY")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn mp2d");
        self.child = Some(child);
        self.wait_until("control socket answers", Duration::from_secs(20), |d| {
            d.status().is_some()
        });
    }

    /// Drops a message into `new/` the way an MDA does (tmp/ then rename).
    pub fn deliver(&self, name: &str, bytes: &[u8]) {
        let tmp = self.path("inbox/tmp").join(name);
        std::fs::write(&tmp, bytes).expect("write tmp");
        std::fs::rename(&tmp, self.path("inbox/new").join(name)).expect("rename to new");
    }

    pub fn status(&self) -> Option<StatusReport> {
        let v = control::call(&self.socket(), Command::Status).ok()?;
        serde_json::from_value(v).ok()
    }

    /// Every delivered message seen and none in flight.
    pub fn all_handled(&self, n: usize) -> bool {
        self.status()
            .map(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
            .unwrap_or(false)
    }

    pub fn wait_until(&self, what: &str, limit: Duration, f: impl Fn(&Daemon) -> bool) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "timed out after {limit:?} waiting for: {what}\nstatus: {:?}\n--- mp2d log ---\n{}",
            self.status(),
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("mp2d.log")).unwrap_or_default()
    }

    /// SIGKILL, as a power cut would.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).expect("write file");
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}
