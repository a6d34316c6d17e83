//! Logs: to the journal when systemd started us (`JOURNAL_STREAM` set), else
//! human-readable to stderr.
//!
//! systemd-journal-logger is a `log` backend, so under systemd no `tracing`
//! subscriber is installed: with tracing's `log` feature every event is then
//! emitted as a `log` record, which the journal logger writes with its
//! fields. Elsewhere a `tracing-subscriber` formatter writes to stderr.
//!
//! Either way every line passes [`mp2::config::redact`] last: whatever text
//! reached a log line (a server's answer quoting our request back), a secret
//! this process read is not written out.

use std::io::Write;

pub fn init() {
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        match systemd_journal_logger::JournalLog::new() {
            Ok(j) => {
                let j = j.with_syslog_identifier("mp2d".to_string());
                if log::set_boxed_logger(Box::new(Redacted(j))).is_ok() {
                    log::set_max_level(level_from_env());
                    return;
                }
            }
            Err(e) => eprintln!("mp2d: journal not reachable ({e}); logging to stderr"),
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("MP2_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sled=warn,ractor=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactedStderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn level_from_env() -> log::LevelFilter {
    match std::env::var("MP2_LOG")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "trace" => log::LevelFilter::Trace,
        "debug" => log::LevelFilter::Debug,
        "warn" => log::LevelFilter::Warn,
        "error" => log::LevelFilter::Error,
        _ => log::LevelFilter::Info,
    }
}

/// The journal logger, fed each message with secrets blotted out.
struct Redacted(systemd_journal_logger::JournalLog);

impl log::Log for Redacted {
    fn enabled(&self, m: &log::Metadata) -> bool {
        self.0.enabled(m)
    }

    fn log(&self, r: &log::Record) {
        let text = r.args().to_string();
        let clean = mp2::config::redact(&text);
        self.0.log(
            &log::Record::builder()
                .args(format_args!("{clean}"))
                .level(r.level())
                .target(r.target())
                .module_path(r.module_path())
                .file(r.file())
                .line(r.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// stderr, each formatted event (one `write` call) with secrets blotted out.
struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(mp2::config::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
