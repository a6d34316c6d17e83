//! Test harness: a real `mp2d` child process on a temp state dir with a
//! Maildir inbox, spoken to over its real control socket.
#![allow(dead_code)]

pub mod http;
pub mod smtp;
pub mod twilio;
pub mod users;

use mp2::control::{self, Command, StatusReport};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

// This harness serves the tests of both packages (`actors/tests` include it
// by path): each package knows only its own binaries, and `cargo test
// --workspace` builds them all into one folder, so the other is found beside.

pub fn mp2ctl() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_mp2ctl") {
        Some(p) => PathBuf::from(p),
        None => beside("mp2ctl"),
    }
}

pub fn mp2d() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_mp2d") {
        Some(p) => PathBuf::from(p),
        None => beside("mp2d"),
    }
}

fn beside(name: &str) -> PathBuf {
    let known = option_env!("CARGO_BIN_EXE_mp2ctl")
        .or(option_env!("CARGO_BIN_EXE_mp2d"))
        .unwrap_or_default();
    let p = Path::new(known).with_file_name(name);
    assert!(
        p.exists(),
        "{} missing: run the tests with `cargo test --workspace`",
        p.display()
    );
    p
}

/// The demo config with `[calendar]` replaced and extra tables appended.
pub fn demo_config(calendar: &str, extra: &str) -> String {
    let ics = "[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\n";
    let base = mp2::config::DEMO_TOML.replace("fault_injection = true", "fault_injection = false");
    assert!(base.contains(ics), "demo config layout changed");
    format!("{}\n{extra}\n", base.replace(ics, calendar))
}

/// Writes `text` to `path` with mode 0600: mp2 refuses secret files others
/// can read.
pub fn write_secret(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
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
        self.spawn(env, None);
    }

    /// Starts the daemon as root but with this primary group, as a packaged
    /// mp2d runs with the `mp2` group.
    pub fn start_in_group(&mut self, gid: u32) {
        self.spawn(&[], Some(gid));
    }

    fn spawn(&mut self, env: &[(&str, &Path)], gid: Option<u32>) {
        use std::os::unix::process::CommandExt;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("mp2d.log"))
            .expect("log");
        let mut cmd = Proc::new(mp2d());
        if let Some(g) = gid {
            cmd.gid(g);
        }
        let child = cmd
            .arg("--config")
            .arg(&self.config)
            .env("MP2_LOG", "info")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("INVOCATION_ID")
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

    /// Every delivered message seen and none in flight.
    pub fn all_handled(&self, n: usize) -> bool {
        self.status()
            .is_some_and(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
    }

    /// Writes a file private to its owner (mode 0600), as secret files must be.
    pub fn write(&self, rel: &str, text: &str) {
        write_secret(&self.path(rel), text);
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("mp2d.log")).unwrap_or_default()
    }

    /// SIGKILL, as a power cut would.
    /// Waits until the daemon process has exited (a fake server killed it
    /// mid-request); `what` says what did not happen if it never does.
    pub fn wait_exited(&mut self, what: &str, limit: Duration) {
        let t = std::time::Instant::now();
        while self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok())
            .is_some_and(|s| s.is_none())
        {
            assert!(t.elapsed() < limit, "{what}\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

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
        // Every SMS any test made a daemon write fits two segments.
        if !std::thread::panicking() {
            for f in self.files("outbox/sms") {
                let doc: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&f).unwrap_or_default())
                        .unwrap_or_default();
                let body = doc["body"].as_str().unwrap_or_default();
                let n = mp2::summary::sms_segments(body);
                assert!(n <= 2, "{} is {n} SMS segments: {body}", f.display());
                assert!(
                    doc["from"].as_str().is_some_and(|s| !s.is_empty()),
                    "{} has no sender: {doc}",
                    f.display()
                );
            }
        }
    }
}
