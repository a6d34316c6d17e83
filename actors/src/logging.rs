//! Logs: to the journal when systemd started us (`JOURNAL_STREAM` set), else
//! human-readable to stderr.
//!
//! systemd-journal-logger is a `log` backend, so under systemd no `tracing`
//! subscriber is installed: with tracing's `log` feature every event is then
//! emitted as a `log` record, which the journal logger writes with its
//! fields. Elsewhere a `tracing-subscriber` formatter writes to stderr.

pub fn init() {
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        match systemd_journal_logger::JournalLog::new() {
            Ok(j) => {
                let j = j.with_syslog_identifier("mp2d".to_string());
                if j.install().is_ok() {
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
        .with_writer(std::io::stderr)
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
