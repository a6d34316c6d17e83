//! Test harness: a real `mp2d` child process on a temp state dir with a
//! Maildir inbox, spoken to over its real control socket.
#![allow(dead_code)]

pub mod http;

use mp2::control::{self, Command, StatusReport};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

pub fn mp2ctl() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mp2ctl"))
}

/// `mp2d` is built beside `mp2ctl` by `cargo test --workspace`.
pub fn mp2d() -> PathBuf {
    let p = mp2ctl().with_file_name("mp2d");
    assert!(
        p.exists(),
        "{} missing: run the tests with `cargo test --workspace`",
        p.display()
    );
    p
}

/// A config for a temp dir: Maildir inbox, estimate routes, ICS, file transports.
pub fn config(dir: &Path, extra_daemon: &str) -> String {
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", extra_daemon);
    let _ = dir;
    base
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
        self.start_with_env(&[]);
    }

    pub fn start_with_env(&mut self, env: &[(&str, &Path)]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("mp2d.log"))
            .expect("log");
        let child = Proc::new(mp2d())
            .arg("--config")
            .arg(&self.config)
            .env("MP2_LOG", "info")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .envs(env.iter().map(|(k, v)| (*k, *v)))
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

    pub fn call(&self, c: Command) -> Result<serde_json::Value, String> {
        control::call(&self.socket(), c).map_err(|e| e.to_string())
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
            "timed out after {limit:?} waiting for: {what}\n--- mp2d log ---\n{}",
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

    /// SIGTERM; returns the exit status and how long it took.
    pub fn sigterm(&mut self) -> (Option<i32>, Duration) {
        let mut c = self.child.take().expect("running");
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(s)) = c.try_wait() {
                return (s.code(), t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        (None, t.elapsed())
    }

    /// Files in a folder (recursively none), sorted.
    pub fn files(&self, rel: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path(rel))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}
