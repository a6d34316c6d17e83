//! `mp2d`: the mp2 daemon, in the foreground (systemd runs it so).
//!
//! `mp2d --config FILE` runs on a configuration; an invalid one exits 2 with
//! a line naming the file, line and key. `mp2d --demo [DIR]` runs the
//! embedded demo: it writes the demo configuration and a generated inbox of
//! schedule e-mails into DIR (default `mp2-demo`), handles them, prints the
//! plans and where the calendar and notification files are, and keeps
//! running until Ctrl-C so `mp2ctl` can be tried against it.

use clap::Parser;
use mp2::config::{Config, DEMO_TOML};
use mp2_actors::control::control_server;
use mp2_actors::runtime::{daemon, logging};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The mp2 schedule daemon.
#[derive(Parser)]
#[command(name = "mp2d", version, about)]
struct Args {
    /// The configuration file.
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    config: Option<PathBuf>,
    /// Run the embedded demo in DIR (Maildir demo inbox, estimated routes,
    /// ICS files, file transports).
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "mp2-demo")]
    demo: Option<PathBuf>,
    /// Write the mp2d(1) man page into DIR (the package build runs it).
    #[arg(long, value_name = "DIR", hide = true)]
    generate_man: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.generate_man {
        use clap::CommandFactory;
        let r = std::fs::create_dir_all(dir)
            .and_then(|_| clap_mangen::generate_to(Args::command(), dir));
        return match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!(
                    "mp2d: cannot write the man page into {}: {e}",
                    dir.display()
                );
                ExitCode::from(1)
            }
        };
    }
    mp2_actors::runtime::daemon::restrict_umask();
    logging::init();
    let (path, demo_dir) = match (&args.config, &args.demo) {
        (Some(c), _) => (c.clone(), None),
        (None, Some(d)) => match prepare_demo(d) {
            Ok(p) => (p, Some(d.clone())),
            Err(e) => {
                eprintln!("mp2d: cannot prepare the demo in {}: {e}", d.display());
                return ExitCode::from(1);
            }
        },
        (None, None) => (PathBuf::from("/etc/mp2/mp2.toml"), None),
    };
    let cfg = match Config::load(&path) {
        Ok(c) => {
            for w in &c.warnings {
                eprintln!("mp2d: configuration {w}");
            }
            c
        }
        Err(e) => {
            eprintln!(
                "mp2d: invalid configuration: {}",
                e.0.first().map(|i| i.to_string()).unwrap_or_default()
            );
            for more in e.0.iter().skip(1) {
                eprintln!("mp2d: also: {more}");
            }
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mp2d: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(daemon::run(cfg, move |ctx| {
        if let Some(dir) = demo_dir {
            tokio::spawn(show_demo_result(ctx, dir));
        }
    }));
    rt.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mp2d: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes the demo config and inbox (once) and returns the config path.
fn prepare_demo(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let cfg = dir.join("mp2.toml");
    if !cfg.exists() {
        std::fs::write(&cfg, DEMO_TOML)?;
    }
    let inbox = dir.join("inbox");
    if !inbox.exists() {
        write_demo_inbox(&inbox)?;
    }
    Ok(cfg)
}

#[cfg(feature = "demo")]
fn write_demo_inbox(inbox: &Path) -> std::io::Result<()> {
    mp2::fixtures::demo::write_demo_inbox(inbox).map(|_| ())
}

/// A package's mp2d is built without the generators the demo needs.
#[cfg(not(feature = "demo"))]
fn write_demo_inbox(_: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "this mp2d was built without the demo (cargo feature \"demo\"); run it from the source tree: cargo run -p mp2-actors --bin mp2d -- --demo",
    ))
}

/// Waits until the demo inbox is handled, then prints what came of it.
async fn show_demo_result(ctx: mp2_actors::runtime::ctx::Ctx, dir: PathBuf) {
    let new = dir.join("inbox").join("new");
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let waiting = std::fs::read_dir(&new).map(|d| d.count()).unwrap_or(0);
        let in_flight = ctx.store.counts().map(|c| c.in_flight).unwrap_or(1);
        if waiting == 0 && in_flight == 0 {
            break;
        }
    }
    let status = control_server::status(&ctx);
    let days = control_server::schedules(&ctx).unwrap_or_default();
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = String::from("\n=== mp2 demo: the inbox is handled ===\n");
    if let Ok(s) = status {
        out.push_str(&format!(
            "messages: {}; {} shooting days\n\n",
            mp2::listing::message_line(&s.messages),
            s.schedules
        ));
    }
    out.push_str(&mp2::listing::schedules_brief(&days));
    let cfg = &ctx.cfg;
    out.push_str(&format!(
        "\ncalendars (ICS):      {}\ne-mails sent (.eml): {}\nSMS sent (.json):    {}\n",
        cfg.calendar
            .dir
            .as_deref()
            .map(abs)
            .unwrap_or_default()
            .display(),
        cfg.notify
            .email
            .as_ref()
            .and_then(|e| e.dir.as_deref())
            .map(abs)
            .unwrap_or_default()
            .display(),
        cfg.notify
            .sms
            .as_ref()
            .and_then(|e| e.dir.as_deref())
            .map(abs)
            .unwrap_or_default()
            .display(),
    ));
    out.push_str(&format!(
        "try:  mp2ctl --socket {} schedules   (status, history, --json)\nCtrl-C stops the daemon; drop more .eml files into {} to see them handled.\n",
        abs(&cfg.daemon.socket).display(),
        abs(&new).display()
    ));
    println!("{out}");
}
