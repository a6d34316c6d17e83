//! `mp2ctl`: the control CLI of mp2.
//!
//! Data goes to stdout (human by default, `--json` on request), errors to
//! stderr. `parse` and `check-config` work offline; everything else talks to a
//! running `mp2d` over its Unix socket. Exit status: 0 ok, 1 a failure (a file
//! that could not be read, a refused command, no daemon), 2 bad usage or an
//! invalid configuration.

use clap::{Parser, Subcommand};
use mp2::config::Config;
use mp2::control::{self, Command, HistoryEntry, ScheduleEntry, StatusReport};
use mp2::parse::{parse_path, ParseOptions};
use mp2::terminal::printable;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Control and inspect the mp2 schedule daemon.
#[derive(Parser)]
#[command(name = "mp2ctl", version, about, long_about = None)]
struct Cli {
    /// The daemon's control socket (default: the config's daemon.socket).
    #[arg(long, global = true, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// The daemon's configuration file (default: /etc/mp2/mp2.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Show the daemon's health: actors, integrations, message counts.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List known shooting days (newest version) with each crew member's plan.
    Schedules {
        #[arg(long)]
        json: bool,
        /// Instead, every version of this day: its source message, what
        /// changed, and people's corrections.
        #[arg(long, value_name = "DATE")]
        history: Option<String>,
    },
    /// What a person must look at: days with a missing or uncertain date,
    /// call time or location, messages that could not be read,
    /// notifications given up on.
    Attention {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        what: Option<AttentionCmd>,
    },
    /// Correct the newest version of a shooting day: FIELD=VALUE, e.g.
    /// call_time=07:00 wrap_time=19:00 date=2024-03-16 base.address=...
    /// base.name=... location.address=... location.name=...
    /// department_calls.Kamera=06:30 set_type=EXT scenes=45,46 shoot_day=23
    /// cancelled=true. The day is planned again and the crew are told;
    /// later sheets of the same layout are read with what it taught.
    Correct {
        #[arg(value_name = "DATE")]
        date: String,
        #[arg(required = true, value_name = "FIELD=VALUE")]
        fields: Vec<String>,
    },
    /// The reading rules corrections taught, per sender and layout.
    Layouts {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        what: Option<LayoutsCmd>,
    },
    /// List handled messages, newest first: verdict, stage, errors.
    History {
        #[arg(long)]
        json: bool,
    },
    /// Run a message through the pipeline again (by Message-ID).
    Reprocess {
        #[arg(value_name = "MESSAGE-ID")]
        message_id: String,
    },
    /// Remove one crew member's personal data: plans, notification records
    /// and copies, outbox entries, and the calendar events mp2 wrote.
    /// Mutating: root or the daemon's user/group only.
    #[command(after_help = "Example: mp2ctl purge --crew anna")]
    Purge {
        /// The crew member's `id` from the configuration.
        #[arg(long, value_name = "ID")]
        crew: String,
    },
    /// Every mutating command sent to the daemon: when, which uid/user,
    /// what, and whether it was allowed.
    #[command(after_help = "Example: mp2ctl audit --json")]
    Audit {
        /// One JSON array of {at, uid, user, command, outcome}.
        #[arg(long)]
        json: bool,
    },
    /// Fault injection for tests (refused unless daemon.fault_injection = true).
    Fault {
        #[command(subcommand)]
        what: Fault,
    },
    /// Parse PDFs and e-mails offline and print what they say (no daemon needed).
    /// With --config, that file's [filter] decides which e-mails match.
    Parse {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// One JSON document per file, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Validate a configuration file (no daemon needed).
    CheckConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Write man pages (man1/) and bash, zsh and fish completions
    /// (completions/SHELL/) into DIR; the package build runs it.
    #[command(hide = true)]
    GenerateDocs {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum AttentionCmd {
    /// Take item N off the list without a correction.
    Dismiss {
        #[arg(value_name = "N")]
        id: u64,
    },
}

#[derive(Subcommand)]
enum LayoutsCmd {
    /// Forget a learned rule; later sheets are read without it.
    Forget {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand)]
enum Fault {
    /// Make an actor panic, to watch the supervisor restart it.
    Panic {
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
}

const DEFAULT_CONFIG: &str = "/etc/mp2/mp2.toml";

fn main() -> ExitCode {
    // Behave like other Unix tools in a pipeline (`mp2ctl history | head`):
    // a closed pipe ends us quietly instead of a panic about stdout.
    // SAFETY: restoring the default disposition of one signal, before any
    // thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mp2ctl: {}", printable(&e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Cmd::Parse { files, json } => return parse(&cli, files, *json),
        Cmd::GenerateDocs { dir } => {
            generate_docs(dir)?;
            return Ok(ExitCode::SUCCESS);
        }
        Cmd::CheckConfig { file } => {
            return Ok(match Config::load(file) {
                Ok(cfg) => {
                    // Warnings (keys nothing reads) go apart from the verdict.
                    for w in &cfg.warnings {
                        eprintln!("{}", printable(&w.to_string()));
                    }
                    match cfg.warnings.len() {
                        0 => println!("{}: ok", file.display()),
                        n => println!("{}: ok, {n} warning(s) above", file.display()),
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}", printable(&e.to_string()));
                    ExitCode::from(2)
                }
            });
        }
        _ => {}
    }
    let socket = socket_path(&cli)?;
    match cli.command {
        Cmd::Status { json } => {
            let data = control::call(&socket, Command::Status)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_status(&serde_json::from_value(data)?);
            }
        }
        Cmd::Schedules {
            json,
            history: Some(date),
        } => {
            let data = control::call(&socket, Command::DayHistory { date })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_day_history(&data);
            }
        }
        Cmd::Attention {
            what: Some(AttentionCmd::Dismiss { id }),
            ..
        } => {
            let data = control::call(&socket, Command::AttentionDismiss { id })?;
            println!("{}", text(&data, "dismissed"));
        }
        Cmd::Attention { json, what: None } => {
            let data = control::call(&socket, Command::Attention)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_attention(&data);
            }
        }
        Cmd::Correct { date, fields } => {
            let data = control::call(&socket, Command::Correct { date, fields })?;
            print_correction(&data);
        }
        Cmd::Layouts {
            what: Some(LayoutsCmd::Forget { id }),
            ..
        } => {
            let data = control::call(&socket, Command::LayoutsForget { id })?;
            println!("{}", text(&data, "forgotten"));
        }
        Cmd::Layouts { json, what: None } => {
            let data = control::call(&socket, Command::Layouts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_layouts(&data);
            }
        }
        Cmd::Schedules {
            json,
            history: None,
        } => {
            let data = control::call(&socket, Command::Schedules)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_schedules(&serde_json::from_value::<Vec<ScheduleEntry>>(data)?);
            }
        }
        Cmd::History { json } => {
            let data = control::call(&socket, Command::History)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                print_history(&serde_json::from_value::<Vec<HistoryEntry>>(data)?);
            }
        }
        Cmd::Purge { crew } => {
            let data = control::call(&socket, Command::Purge { crew })?;
            println!(
                "{}: {} plan(s), {} notification record(s), {} calendar event(s), {} file(s) removed{}",
                printable(data["crew"].as_str().unwrap_or_default()),
                data["plans"],
                data["notifications"],
                data["calendar_events"],
                data["files"],
                data["note"]
                    .as_str()
                    .map(|n| format!("; {}", printable(n)))
                    .unwrap_or_default()
            );
        }
        Cmd::Audit { json } => {
            let data = control::call(&socket, Command::Audit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&data)?);
            } else {
                for e in data.as_array().into_iter().flatten() {
                    println!(
                        "{}  {:<12} {}  [{}]",
                        printable(e["at"].as_str().unwrap_or_default()),
                        printable(e["user"].as_str().unwrap_or("?")),
                        printable(e["command"].as_str().unwrap_or_default()),
                        printable(e["outcome"].as_str().unwrap_or_default())
                    );
                }
            }
        }
        Cmd::Reprocess { message_id } => {
            let data = control::call(&socket, Command::Reprocess { message_id })?;
            println!("{}", text(&data, "requeued"));
        }
        Cmd::Fault {
            what: Fault::Panic { actor },
        } => {
            let data = control::call(&socket, Command::FaultPanic { actor })?;
            println!("{}", text(&data, "done"));
        }
        Cmd::Parse { .. } | Cmd::CheckConfig { .. } | Cmd::GenerateDocs { .. } => {
            unreachable!("handled above")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--socket`, else the config's `daemon.socket`.
fn socket_path(cli: &Cli) -> anyhow::Result<PathBuf> {
    if let Some(s) = &cli.socket {
        return Ok(s.clone());
    }
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let cfg = Config::load_offline(&path)
        .map_err(|e| anyhow::anyhow!("{e}\n(pass --socket PATH or --config FILE)"))?;
    Ok(cfg.daemon.socket)
}

fn parse(cli: &Cli, files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let mut opts = ParseOptions::default();
    if let Some(c) = &cli.config {
        let cfg = Config::load_offline(c).map_err(|e| anyhow::anyhow!("{e}"))?;
        opts.filter = cfg.filter.clone();
        opts.production = cfg.production.name.clone();
        opts.pdf.ocr = cfg.parser.ocr;
    }
    let mut failed = false;
    for f in files {
        let r = parse_path(f, &opts);
        failed |= !r.errors.is_empty();
        if json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            print_parse(f, &r);
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A JSON string value made printable, else `default`.
fn text<'a>(v: &'a serde_json::Value, default: &'a str) -> Cow<'a, str> {
    printable(v.as_str().unwrap_or(default))
}

fn print_parse(path: &Path, r: &mp2::model::ParseResult) {
    println!("{}", printable(&path.display().to_string()));
    if let Some(e) = &r.email {
        println!(
            "  from {} — \"{}\"",
            printable(e.from.as_deref().unwrap_or("?")),
            printable(e.subject.as_deref().unwrap_or(""))
        );
        println!("  {}", printable(&e.reason));
    }
    for d in &r.schedules {
        let rev = d
            .revision
            .map(|r| format!(" (wersja {r})"))
            .unwrap_or_default();
        println!(
            "  {}{}: call {} wrap {} — {}",
            d.date,
            rev,
            printable(d.call_time.as_deref().unwrap_or("?")),
            printable(d.wrap_time.as_deref().unwrap_or("?")),
            printable(
                d.locations
                    .first()
                    .and_then(|l| l.address.as_deref())
                    .unwrap_or("no location")
            )
        );
        for w in &d.warnings {
            println!("    ! {}", printable(w));
        }
    }
    for e in &r.errors {
        println!("  error: {}", printable(e));
    }
}

fn print_status(s: &StatusReport) {
    println!(
        "mp2d {} — up {}s, {} shooting days",
        s.state, s.uptime_s, s.schedules
    );
    let m = &s.messages;
    println!(
        "messages: {} seen, {} matched, {} done, {} failed, {} in flight",
        m.seen, m.matched, m.done, m.failed, m.in_flight
    );
    if let Some(b) = &s.backfill {
        println!("backfill: {}/{}", b.done, b.total);
    }
    println!("{:<18} {:<10} {}", "ACTOR", "STATUS", "RESTARTS");
    for a in &s.actors {
        println!("{:<18} {:<10} {}", a.name, a.status, a.restarts);
    }
    println!(
        "{:<10} {:<10} {:>6} {:>8} {:>8} {:>8}",
        "INTEGR.", "BREAKER", "CALLS", "FAILED", "REJECTED", "LIMITED"
    );
    for i in &s.integrations {
        println!(
            "{:<10} {:<10} {:>6} {:>8} {:>8} {:>8}",
            i.name, i.breaker, i.calls, i.failures, i.rejected, i.rate_limited
        );
    }
    for p in &s.problems {
        println!("! {}", printable(p));
    }
    if s.attention > 0 {
        println!("needs attention ({}, see `mp2ctl attention`):", s.attention);
        for a in &s.attention_items {
            println!("  {}", printable(a));
        }
    }
}

fn print_attention(data: &serde_json::Value) {
    let items = data.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        println!("nothing needs attention");
    }
    for i in items {
        println!(
            "#{}  {}  {}",
            i["id"],
            text(&i["date"], "-"),
            text(&i["since"], "")
        );
        println!("    {}", text(&i["reason"], ""));
        if let Some(subject) = i["subject"].as_str() {
            println!("    subject: {}", printable(subject));
        }
    }
}

fn print_correction(data: &serde_json::Value) {
    let list = |k: &str| {
        data[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(printable)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    println!(
        "{} corrected by {} (version {}): {}",
        text(&data["date"], "?"),
        text(&data["by"], "?"),
        data["version"],
        list("corrected")
    );
    if let Some(from) = data["moved_from"].as_str() {
        println!(
            "moved from {}: its calendar events are removed",
            printable(from)
        );
    }
    let learned = list("learned");
    if !learned.is_empty() {
        println!("learned rule(s) {learned} for this layout (`mp2ctl layouts`)");
    }
    println!("planning again; the crew get the change");
}

fn print_layouts(data: &serde_json::Value) {
    let rules = data.as_array().cloned().unwrap_or_default();
    if rules.is_empty() {
        println!("no rules learned yet");
    }
    for r in rules {
        println!(
            "{}  {}  layout {}  {} ← \"{}\" ({})  learned {}",
            text(&r["id"], "?"),
            text(&r["sender"], "?"),
            text(&r["fingerprint"], "?"),
            text(&r["field"], "?"),
            text(&r["label"], "?"),
            text(&r["direction"], "?"),
            text(&r["learned_at"], "?"),
        );
    }
}

fn print_day_history(data: &serde_json::Value) {
    println!("{}", text(&data["date"], "?"));
    for v in data["versions"].as_array().cloned().unwrap_or_default() {
        println!(
            "  v{} {}{}  {} \"{}\" ({})",
            v["version"],
            text(&v["at"], ""),
            if v["cancelled"] == true {
                "  CANCELLED"
            } else {
                ""
            },
            text(&v["message_id"], ""),
            text(&v["subject"], ""),
            text(&v["from"], ""),
        );
        if let Some(n) = v["note"].as_str() {
            println!("      {}", printable(n));
        }
        for c in v["changes"].as_array().cloned().unwrap_or_default() {
            println!("      {}", text(&c, ""));
        }
    }
    for c in data["corrections"].as_array().cloned().unwrap_or_default() {
        println!(
            "  correction {} by {} (uid {}): {}={} (the sheet said \"{}\")",
            text(&c["at"], ""),
            text(&c["user"], ""),
            c["uid"],
            text(&c["field"], ""),
            text(&c["edit"]["value"], ""),
            text(&c["was"], "")
        );
    }
}

fn print_schedules(days: &[ScheduleEntry]) {
    print!("{}", control::render_schedules(days));
}

fn print_history(h: &[HistoryEntry]) {
    for m in h {
        println!(
            "{}  {:<9} {:<9} {}  {}",
            printable(&m.received),
            printable(&m.verdict),
            m.stage.as_str(),
            printable(&m.message_id),
            printable(&m.subject)
        );
        if !m.reason.is_empty() {
            println!("    {}", printable(&m.reason));
        }
        for e in &m.errors {
            println!("    error: {}", printable(e));
        }
    }
}

/// Man pages and completions from this file's clap definition, so they
/// never disagree with `--help`.
fn generate_docs(dir: &Path) -> anyhow::Result<()> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    // The generator itself is no user's business.
    cmd = cmd.mut_subcommands(|c| {
        if c.get_name() == "generate-docs" {
            c.hide(true)
        } else {
            c
        }
    });
    let man = dir.join("man1");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(cmd.clone(), &man)?;
    for p in std::fs::read_dir(&man)? {
        let p = p?.path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("generate-docs"))
        {
            std::fs::remove_file(p)?;
        }
    }
    for (shell, sub) in [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Fish, "fish"),
    ] {
        let d = dir.join("completions").join(sub);
        std::fs::create_dir_all(&d)?;
        clap_complete::generate_to(shell, &mut cmd, "mp2ctl", &d)?;
    }
    Ok(())
}
