//! The `mp2ctl` ⇄ `mp2d` control protocol: JSON lines over a Unix socket.
//!
//! One request line, one response line, then the connection closes. Every
//! request carries the protocol version `v`; the daemon refuses versions it
//! does not speak instead of guessing. Read-only commands are open to anyone
//! who can reach the socket (mode 0660); mutating ones (`reprocess`, `fault`)
//! only to root or the daemon's own user or group, checked with SO_PEERCRED.

use crate::plan::CrewPlan;
use crate::store::Stage;
pub use crate::store::{MessageCounts, OutboxCounts};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    Status,
    Schedules,
    History,
    Reprocess {
        message_id: String,
    },
    FaultPanic {
        actor: String,
    },
    /// What a person must look at (CONTRACT §2 `attention`).
    Attention,
    AttentionDismiss {
        id: u64,
    },
    /// A person's correction: `fields` are `FIELD=VALUE` as typed.
    Correct {
        date: String,
        fields: Vec<String>,
    },
    /// Every version of one day (`schedules --history DATE`).
    DayHistory {
        date: String,
    },
    /// The reading rules corrections taught.
    Layouts,
    LayoutsForget {
        id: String,
    },
    /// Removes one crew member's personal data (plans, notification
    /// records, calendar events, notification copies).
    Purge {
        crew: String,
    },
    /// Every mutating command: when, who, what.
    Audit,
}

impl Command {
    /// Whether the command changes the daemon's state.
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Command::Reprocess { .. }
                | Command::FaultPanic { .. }
                | Command::AttentionDismiss { .. }
                | Command::Correct { .. }
                | Command::LayoutsForget { .. }
                | Command::Purge { .. }
        )
    }
}

impl std::fmt::Display for Command {
    /// As `mp2ctl` spells the command (for the audit log).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Status => write!(f, "status"),
            Command::Schedules => write!(f, "schedules"),
            Command::History => write!(f, "history"),
            Command::Reprocess { message_id } => write!(f, "reprocess {message_id}"),
            Command::FaultPanic { actor } => write!(f, "fault panic {actor}"),
            Command::Attention => write!(f, "attention"),
            Command::AttentionDismiss { id } => write!(f, "attention dismiss {id}"),
            Command::Correct { date, fields } => write!(f, "correct {date} {}", fields.join(" ")),
            Command::DayHistory { date } => write!(f, "schedules --history {date}"),
            Command::Layouts => write!(f, "layouts"),
            Command::LayoutsForget { id } => write!(f, "layouts forget {id}"),
            Command::Purge { crew } => write!(f, "purge --crew {crew}"),
            Command::Audit => write!(f, "audit"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Response {
    pub fn ok(data: serde_json::Value) -> Response {
        Response {
            ok: true,
            data: Some(data),
            error: None,
        }
    }
    pub fn err(e: impl Into<String>) -> Response {
        Response {
            ok: false,
            data: None,
            error: Some(e.into()),
        }
    }
}

/// CONTRACT §4.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusReport {
    /// `running` or `degraded`.
    pub state: String,
    pub uptime_s: u64,
    pub actors: Vec<ActorStatus>,
    pub integrations: Vec<IntegrationStatus>,
    pub messages: MessageCounts,
    pub schedules: usize,
    /// Why the state is degraded, one line per part.
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// How many items `mp2ctl attention` lists (they leave `state` running).
    #[serde(default)]
    pub attention: usize,
    /// Those items, `#N reason`, for the human listing.
    #[serde(default)]
    pub attention_items: Vec<String>,
    /// Crew notifications by delivery state (an addition to CONTRACT §4).
    #[serde(default)]
    pub outbox: OutboxCounts,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActorStatus {
    pub name: String,
    /// `running`, `restarting` or `down`.
    pub status: String,
    pub restarts: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IntegrationStatus {
    pub name: String,
    /// `closed`, `open` or `half-open`.
    pub breaker: String,
    pub calls: u64,
    pub failures: u64,
    pub rejected: u64,
    pub rate_limited: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Backfill {
    pub done: u64,
    pub total: u64,
}

/// CONTRACT §4a: one known shooting day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScheduleEntry {
    pub date: String,
    pub revision: Option<u32>,
    pub message_id: String,
    pub schedule: crate::model::ShootDay,
    pub weather: Option<serde_json::Value>,
    pub plans: Vec<CrewPlan>,
}

/// CONTRACT §4b: one handled message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub message_id: String,
    pub from: String,
    pub subject: String,
    /// When mp2 took it in.
    pub received: String,
    /// The message's own `Date:` header (when the office sent it).
    #[serde(default)]
    pub date: Option<String>,
    pub matched: bool,
    pub verdict: String,
    pub reason: String,
    pub stage: Stage,
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach mp2d at {path}: {source} (is the daemon running? check `systemctl status mp2d` or the --socket path)")]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("talking to mp2d failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("mp2d sent a reply this mp2ctl cannot read: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("{0}")]
    Refused(String),
}

/// The human listing of `mp2ctl schedules` (also printed by `mp2d --demo`).
pub fn render_schedules(days: &[ScheduleEntry]) -> String {
    crate::listing::schedules(days)
}

/// Sends one command and returns its data.
pub fn call(socket: &Path, command: Command) -> Result<serde_json::Value, ClientError> {
    let mut s = UnixStream::connect(socket).map_err(|e| ClientError::Connect {
        path: socket.display().to_string(),
        source: e,
    })?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut line = serde_json::to_vec(&Request {
        v: PROTOCOL_VERSION,
        command,
    })?;
    line.push(b'\n');
    s.write_all(&line)?;
    let mut reply = String::new();
    BufReader::new(s).read_line(&mut reply)?;
    let r: Response = serde_json::from_str(&reply)?;
    if r.ok {
        Ok(r.data.unwrap_or(serde_json::Value::Null))
    } else {
        Err(ClientError::Refused(
            r.error.unwrap_or_else(|| "refused".into()),
        ))
    }
}
