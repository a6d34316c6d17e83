//! The control socket: answers `mp2ctl` (JSON lines, see `mp2::control`).
//!
//! Before binding, the path is probed: a live socket means another daemon
//! runs there (refuse to start), a dead one is removed. The socket is made
//! mode 0660; mutating commands are further limited to root and the daemon's
//! own user or group (supplementary membership counts), see [`crate::control::peer`].

use crate::runtime::ctx::Ctx;
use crate::runtime::pipeline::{inject_panic, poke};
use crate::runtime::supervisor::WORKERS;
use mp2::control::{
    Command, HistoryEntry, Request, Response, ScheduleEntry, StatusReport, PROTOCOL_VERSION,
};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// Binds the socket, refusing if another daemon answers on it.
pub fn bind(path: &Path) -> Result<UnixListener, String> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(format!(
                "another mp2d is already answering on {}; stop it first",
                path.display()
            ));
        }
        std::fs::remove_file(path)
            .map_err(|e| format!("cannot remove stale socket {}: {e}", path.display()))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Made under the daemon's umask (0700 outside systemd): let the
        // group, whom the socket's 0660 admits, reach it.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750))
            .map_err(|e| format!("cannot set mode of {}: {e}", dir.display()))?;
    }
    let l = UnixListener::bind(path)
        .map_err(|e| format!("cannot bind control socket {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(|e| format!("cannot set mode of {}: {e}", path.display()))?;
    Ok(l)
}

/// Serves until the task is dropped.
pub async fn serve(listener: UnixListener, ctx: Ctx) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, ctx).await {
                        tracing::debug!(error = %e, "Control connection ended with an error");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "Control socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, ctx: Ctx) -> std::io::Result<()> {
    let cred = stream.peer_cred().ok();
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    // One request line, bounded: a client cannot make us buffer without end.
    let n = BufReader::new(r.take(64 * 1024))
        .read_line(&mut line)
        .await?;
    if n == 0 {
        return Ok(());
    }
    let resp = match serde_json::from_str::<Request>(&line) {
        Err(e) => Response::err(format!("bad request: {e}")),
        Ok(req) if req.v != PROTOCOL_VERSION => {
            Response::err(format!("protocol version {} not spoken (this mp2d speaks {PROTOCOL_VERSION}); use the mp2ctl of the same release", req.v))
        }
        Ok(req) => {
            let mutates = req.command.mutates();
            let allowed = !mutates || cred.is_some_and(|c| crate::control::peer::may_mutate(&c));
            let asked = req.command.to_string();
            let resp = if allowed {
                handle(&ctx, req.command, cred).await
            } else {
                Response::err("permission denied: this command needs root or the mp2 user/group")
            };
            if mutates {
                audit(&ctx, cred, asked, allowed, &resp);
            }
            resp
        }
    };
    let mut out = serde_json::to_vec(&resp).unwrap_or_else(|_| b"{\"ok\":false}".to_vec());
    out.push(b'\n');
    w.write_all(&out).await?;
    w.shutdown().await
}

/// Records a mutating command, allowed or not, with who sent it.
fn audit(
    ctx: &Ctx,
    cred: Option<tokio::net::unix::UCred>,
    command: String,
    allowed: bool,
    resp: &Response,
) {
    let uid = cred.map(|c| c.uid());
    let outcome = match (allowed, resp.ok) {
        (false, _) => "refused".to_string(),
        (true, true) => "ok".to_string(),
        (true, false) => format!("failed: {}", resp.error.clone().unwrap_or_default()),
    };
    let entry = mp2::store::AuditEntry {
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        uid,
        user: uid.map(crate::control::peer::user_name),
        command,
        outcome,
    };
    if let Err(e) = ctx.store.put_audit(&entry) {
        tracing::error!(error = %e, command = %entry.command, "Could not record a command in the audit log");
    }
}

async fn handle(ctx: &Ctx, cmd: Command, cred: Option<tokio::net::unix::UCred>) -> Response {
    let r = match cmd {
        Command::Purge { crew } => crate::control::privacy::purge_crew(ctx, &crew).await,
        Command::Audit => ctx
            .store
            .audit()
            .map_err(|e| e.to_string())
            .and_then(|a| serde_json::to_value(a).map_err(|e| e.to_string())),
        Command::Attention => ctx
            .store
            .attention()
            .map_err(|e| e.to_string())
            .and_then(|a| {
                serde_json::to_value(crate::control::corrections::attention_list(&a))
                    .map_err(|e| e.to_string())
            }),
        Command::AttentionDismiss { id } => crate::control::corrections::dismiss(ctx, id),
        Command::Correct { date, fields } => {
            crate::control::corrections::correct(ctx, &date, &fields, cred).await
        }
        Command::DayHistory { date } => crate::control::corrections::day_history(ctx, &date),
        Command::Layouts => crate::control::corrections::layouts(ctx),
        Command::LayoutsForget { id } => crate::control::corrections::forget_layout(ctx, &id),
        Command::Status => {
            status(ctx).and_then(|s| serde_json::to_value(s).map_err(|e| e.to_string()))
        }
        Command::Schedules => {
            schedules(ctx).and_then(|s| serde_json::to_value(s).map_err(|e| e.to_string()))
        }
        Command::History => {
            history(ctx).and_then(|s| serde_json::to_value(s).map_err(|e| e.to_string()))
        }
        Command::Reprocess { message_id } => reprocess(ctx, &message_id),
        Command::FaultPanic { actor } => {
            if !ctx.cfg.daemon.fault_injection {
                Err(
                    "fault injection is disabled; set daemon.fault_injection = true to allow it"
                        .into(),
                )
            } else if !WORKERS.contains(&actor.as_str()) {
                Err(format!(
                    "unknown actor {actor:?}; one of: {}",
                    WORKERS.join(", ")
                ))
            } else {
                inject_panic(&actor).map(|_| serde_json::json!(format!("{actor} asked to panic")))
            }
        }
    };
    match r {
        Ok(v) => Response::ok(v),
        Err(e) => Response::err(e),
    }
}

pub fn status(ctx: &Ctx) -> Result<StatusReport, String> {
    let messages = ctx.store.counts().map_err(|e| e.to_string())?;
    let problems = ctx.health.problems();
    let attention = ctx.store.attention().map_err(|e| e.to_string())?;
    Ok(StatusReport {
        state: if problems.is_empty() {
            "running"
        } else {
            "degraded"
        }
        .into(),
        uptime_s: ctx.health.uptime_s(),
        actors: ctx.health.actors(),
        integrations: ctx.health.integrations(),
        messages,
        schedules: ctx.store.day_count(),
        problems,
        backfill: ctx.health.backfill(),
        attention: attention.len(),
        attention_items: attention
            .iter()
            .map(|i| format!("#{} {}", i.id, i.reason))
            .collect(),
        outbox: ctx.store.outbox_counts().map_err(|e| e.to_string())?,
    })
}

pub fn schedules(ctx: &Ctx) -> Result<Vec<ScheduleEntry>, String> {
    let mut out = Vec::new();
    for d in ctx.store.days().map_err(|e| e.to_string())? {
        if d.cancelled {
            continue;
        }
        // The kit the forecast calls for goes on every crew member's list.
        let kit: Vec<String> = d
            .weather
            .as_ref()
            .and_then(|w| w.get("checklist"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let plans = ctx
            .store
            .plans_of(&d.date)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|p| {
                let mut plan = p.plan;
                let lang = ctx
                    .cfg
                    .crew
                    .iter()
                    .find(|c| c.id == plan.crew)
                    .map(|c| c.language)
                    .unwrap_or(ctx.cfg.production.language);
                for k in &kit {
                    let k = mp2::weather::in_language(k, lang);
                    if !plan.checklist.contains(&k) {
                        plan.checklist.push(k);
                    }
                }
                plan
            })
            .collect();
        out.push(ScheduleEntry {
            date: d.date.clone(),
            revision: d.revision,
            message_id: d.message_id.clone(),
            schedule: d.schedule.clone(),
            weather: d.weather.clone(),
            plans,
        });
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(out)
}

pub fn history(ctx: &Ctx) -> Result<Vec<HistoryEntry>, String> {
    Ok(ctx
        .store
        .history()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|m| HistoryEntry {
            message_id: m.message_id,
            from: m.from,
            subject: m.subject,
            received: m.received,
            date: m.date,
            matched: m.matched,
            verdict: m.verdict,
            reason: m.reason,
            stage: m.stage,
            errors: m.errors,
        })
        .collect())
}

fn reprocess(ctx: &Ctx, id: &str) -> Result<serde_json::Value, String> {
    let m = ctx
        .store
        .find_message(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no message {id:?} in history"))?;
    if ctx
        .store
        .raw_is_headers_only(&m.key)
        .map_err(|e| e.to_string())?
    {
        return Err(format!(
            "only the headers of {id} are kept (daemon.retain_raw, or mail not taken as a schedule); ask the sender to send it again"
        ));
    }
    ctx.store.requeue(&m.key).map_err(|e| e.to_string())?;
    poke("parser_pool");
    Ok(serde_json::json!(format!(
        "{} queued for parsing again",
        m.message_id
    )))
}
