//! `mp2ctl`: the control CLI of mp2.
//!
//! Data goes to stdout (human by default, `--json` on request), errors to
//! stderr. `parse` and `check-config` work offline; everything else talks to a
//! running `mp2d` over its Unix socket. Exit status: 0 ok, 1 a failure (a file
//! that could not be read, a refused command, no daemon), 2 bad usage or an
//! invalid configuration.

// The crate root sits in src/bin/, beside the other binaries; its modules
// live in a folder of its own.
#[path = "mp2ctl/human.rs"]
mod human;

use clap::{Parser, Subcommand};
use human::*;
use mp2::config::Config;
use mp2::control::{self, Command, HistoryEntry, ScheduleEntry};
use mp2::parse::{parse_path, ParseOptions};
use mp2::terminal::printable;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Control and inspect the mp2 schedule daemon.
#[derive(Parser)]
#[command(name = "mp2ctl", version, about, long_about = None)]
struct Cli {
    /// The daemon's control socket (default: the config's daemon.socket).
    /// Only for commands that talk to the daemon: parse and check-config
    /// work offline and refuse it.
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
    /// Show the daemon's health: one line per pipeline stage and per
    /// integration (calls, failures, calls held back by the rate limit or
    /// refused by an open breaker), the mail counts (schedule e-mails done
    /// apart from mail the filter rejected), and why it is degraded.
    #[command(
        after_help = "Examples:\n  mp2ctl status\n  mp2ctl --socket /run/mp2/mp2.sock status --json | jq .integrations"
    )]
    Status {
        /// Print the CONTRACT §4 JSON document instead (state, uptime_s,
        /// actors, integrations, messages, schedules, attention).
        #[arg(long)]
        json: bool,
    },
    /// List known shooting days (newest version) with every field the sheet
    /// states, the forecast, and each crew member's plan (wake-up,
    /// departure, arrivals, call, drive, kit). A field the sheet does not
    /// state reads `? (why)`; one the reader is unsure of `(uncertain: why)`.
    #[command(
        after_help = "Examples:\n  mp2ctl schedules\n  mp2ctl schedules --history 2024-03-15\n  mp2ctl schedules --json | jq '.[0].plans'"
    )]
    Schedules {
        /// Print a JSON array (CONTRACT §4a), one object per day: date,
        /// revision, message_id, schedule, weather, plans.
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
    #[command(
        after_help = "Examples:\n  mp2ctl attention\n  mp2ctl attention dismiss 3\n  mp2ctl attention --json"
    )]
    Attention {
        /// Print a JSON array of the items: id, date, message_id, subject,
        /// reason, fields, since.
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
    /// Mutating: root or the daemon's user or group only.
    #[command(
        after_help = "Examples:\n  mp2ctl correct 2024-03-15 call_time=07:00\n  mp2ctl correct 2024-03-15 location.address='Plac Zamkowy 4, 00-277 Warszawa' department_calls.Kamera=06:30"
    )]
    Correct {
        #[arg(value_name = "DATE")]
        date: String,
        #[arg(required = true, value_name = "FIELD=VALUE")]
        fields: Vec<String>,
    },
    /// The reading rules corrections taught, per sender and layout.
    #[command(after_help = "Examples:\n  mp2ctl layouts\n  mp2ctl layouts forget r1")]
    Layouts {
        /// Print the rules as a JSON array: id, sender, fingerprint, field,
        /// label, direction, learned_at.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        what: Option<LayoutsCmd>,
    },
    /// List handled messages, newest first: when mp2 took each in and when
    /// it was sent (its Date: header), verdict, stage, why, errors.
    #[command(
        after_help = "Examples:\n  mp2ctl history | head\n  mp2ctl history --json | jq '.[] | select(.stage == \"failed\")'"
    )]
    History {
        /// Print a JSON array (CONTRACT §4b), newest first: message_id,
        /// from, subject, received, date, matched, verdict, reason, stage,
        /// errors.
        #[arg(long)]
        json: bool,
    },
    /// Run a message through the pipeline again (by Message-ID, as
    /// `history` shows it).
    #[command(
        after_help = "Example:\n  mp2ctl reprocess '<e9f2923c607b7d66.3fc810df@mail.gmail.com>'"
    )]
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
    #[command(after_help = "Example:\n  mp2ctl fault panic route_planner")]
    Fault {
        #[command(subcommand)]
        what: Fault,
    },
    /// Parse PDFs and e-mails offline and print what they say (no daemon needed).
    /// With --config, that file's [filter] decides which e-mails match.
    /// Prints every field of each shooting day found.
    #[command(
        after_help = "Examples:\n  mp2ctl parse callsheet.pdf\n  mp2ctl --config /etc/mp2/mp2.toml parse mail.eml --json"
    )]
    Parse {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// One JSON document per file, one per line (CONTRACT §1): source,
        /// kind, email, schedules, errors.
        #[arg(long)]
        json: bool,
        /// Shadows the global --socket so that this command's help does not
        /// offer it; given anyway, it is refused.
        #[arg(long, hide = true, value_name = "PATH")]
        socket: Option<PathBuf>,
    },
    /// Validate a configuration file (no daemon needed): errors name the
    /// file, line and key; warnings (keys nothing reads) come apart.
    #[command(after_help = "Example:\n  mp2ctl check-config /etc/mp2/mp2.toml")]
    CheckConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// See `Parse::socket`.
        #[arg(long, hide = true, value_name = "PATH")]
        socket: Option<PathBuf>,
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
    #[command(after_help = "Example:\n  mp2ctl attention dismiss 3")]
    Dismiss {
        #[arg(value_name = "N")]
        id: u64,
    },
}

#[derive(Subcommand)]
enum LayoutsCmd {
    /// Forget a learned rule; later sheets are read without it.
    #[command(after_help = "Example:\n  mp2ctl layouts forget r1")]
    Forget {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand)]
enum Fault {
    /// Make an actor panic, to watch the supervisor restart it.
    #[command(after_help = "Example:\n  mp2ctl fault panic notifier")]
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
    let own_socket = match &cli.command {
        Cmd::Parse { socket, .. } | Cmd::CheckConfig { socket, .. } => socket.is_some(),
        _ => false,
    };
    let offline = matches!(cli.command, Cmd::Parse { .. } | Cmd::CheckConfig { .. });
    if offline && (cli.socket.is_some() || own_socket) {
        // Saying so beats ignoring it: whoever passed it expects a daemon
        // to be asked, and none is.
        eprintln!("mp2ctl: --socket is not used here: parse and check-config work offline, without the daemon");
        return Ok(ExitCode::from(2));
    }
    match &cli.command {
        Cmd::Parse { files, json, .. } => return parse(&cli, files, *json),
        Cmd::GenerateDocs { dir } => {
            generate_docs(dir)?;
            return Ok(ExitCode::SUCCESS);
        }
        Cmd::CheckConfig { file, .. } => {
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
