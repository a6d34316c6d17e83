//! Prometheus text metrics (exposition format 0.0.4) on a loopback address,
//! when `daemon.metrics` is set; off by default.
//!
//! Contract: `GET /metrics` answers what `status` says, as numbers: the
//! mail counts, shooting days, attention items, each actor's state and
//! restarts, each integration's calls, failures, breaker refusals,
//! rate-limit waits and breaker state, and each stage's queue depth. Any
//! other path is 404. One request per connection; the server never blocks
//! the daemon (a slow client is dropped after a few seconds).

use crate::runtime::ctx::Ctx;
use mp2::store::Stage;
use std::fmt::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Binds `daemon.metrics` (loopback only: refused otherwise, as
/// `check-config` does).
pub async fn bind(text: &str) -> Result<TcpListener, String> {
    let addr = mp2::config::metrics_address(text).map_err(|e| format!("daemon.metrics: {e}"))?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("daemon.metrics: cannot listen on {addr}: {e}"))
}

/// Serves until the task is aborted.
pub async fn serve(listener: TcpListener, ctx: Ctx) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), answer(conn, &ctx)).await;
        });
    }
}

async fn answer(mut conn: TcpStream, ctx: &Ctx) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = match (method, path.split('?').next().unwrap_or("")) {
        ("GET", "/metrics") => ("200 OK", render(ctx)),
        _ => (
            "404 Not Found",
            "only /metrics is served here\n".to_string(),
        ),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(reply.as_bytes()).await?;
    conn.shutdown().await
}

/// A label value as the exposition format wants it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The metrics document.
pub fn render(ctx: &Ctx) -> String {
    let mut out = String::new();
    let Ok(s) = crate::control::control_server::status(ctx) else {
        family(
            &mut out,
            "mp2_up",
            "gauge",
            "1 when the daemon could read its own state.",
        );
        out.push_str("mp2_up 0\n");
        return out;
    };
    family(
        &mut out,
        "mp2_up",
        "gauge",
        "1 when the daemon could read its own state.",
    );
    out.push_str("mp2_up 1\n");
    family(
        &mut out,
        "mp2_degraded",
        "gauge",
        "1 when some part is down or a breaker is open (status: degraded).",
    );
    let _ = writeln!(out, "mp2_degraded {}", u8::from(s.state != "running"));
    family(
        &mut out,
        "mp2_uptime_seconds",
        "gauge",
        "Seconds since the daemon started.",
    );
    let _ = writeln!(out, "mp2_uptime_seconds {}", s.uptime_s);
    let m = &s.messages;
    family(
        &mut out,
        "mp2_messages",
        "gauge",
        "Messages in history by state (done includes rejected, as in status --json).",
    );
    for (k, v) in [
        ("seen", m.seen),
        ("matched", m.matched),
        ("done", m.done),
        ("rejected", m.rejected),
        ("failed", m.failed),
        ("in_flight", m.in_flight),
    ] {
        let _ = writeln!(out, "mp2_messages{{state=\"{k}\"}} {v}");
    }
    family(&mut out, "mp2_schedules", "gauge", "Known shooting days.");
    let _ = writeln!(out, "mp2_schedules {}", s.schedules);
    family(
        &mut out,
        "mp2_attention",
        "gauge",
        "Items mp2ctl attention lists.",
    );
    let _ = writeln!(out, "mp2_attention {}", s.attention);
    family(
        &mut out,
        "mp2_actor_up",
        "gauge",
        "1 when the actor is running.",
    );
    for a in &s.actors {
        let _ = writeln!(
            out,
            "mp2_actor_up{{actor=\"{}\"}} {}",
            label(&a.name),
            u8::from(a.status == "running")
        );
    }
    family(
        &mut out,
        "mp2_actor_restarts_total",
        "counter",
        "Restarts by the supervisor.",
    );
    for a in &s.actors {
        let _ = writeln!(
            out,
            "mp2_actor_restarts_total{{actor=\"{}\"}} {}",
            label(&a.name),
            a.restarts
        );
    }
    for (name, help, pick) in [
        (
            "mp2_integration_calls_total",
            "Calls admitted to the integration.",
            0,
        ),
        ("mp2_integration_failures_total", "Calls that failed.", 1),
        (
            "mp2_integration_rejected_total",
            "Calls the open breaker refused without trying.",
            2,
        ),
        (
            "mp2_integration_rate_limited_total",
            "Calls that waited for the rate limit.",
            3,
        ),
    ] {
        family(&mut out, name, "counter", help);
        for i in &s.integrations {
            let v = [i.calls, i.failures, i.rejected, i.rate_limited][pick];
            let _ = writeln!(out, "{name}{{integration=\"{}\"}} {v}", label(&i.name));
        }
    }
    family(
        &mut out,
        "mp2_breaker_state",
        "gauge",
        "1 for the breaker's current state.",
    );
    for i in &s.integrations {
        for state in ["closed", "open", "half-open"] {
            let _ = writeln!(
                out,
                "mp2_breaker_state{{integration=\"{}\",state=\"{state}\"}} {}",
                label(&i.name),
                u8::from(i.breaker == state)
            );
        }
    }
    family(
        &mut out,
        "mp2_queue_depth",
        "gauge",
        "Messages waiting for the stage that takes them at this stage.",
    );
    for stage in [Stage::Seen, Stage::Parsed, Stage::Planned, Stage::Synced] {
        let _ = writeln!(
            out,
            "mp2_queue_depth{{stage=\"{}\"}} {}",
            stage.as_str(),
            ctx.store.pending_count(stage)
        );
    }
    family(
        &mut out,
        "mp2_outbox",
        "gauge",
        "Crew notifications by outbox state.",
    );
    let o = &s.outbox;
    for (k, v) in [
        ("queued", o.queued),
        ("sending", o.sending),
        ("sent", o.sent),
        ("failed_retrying", o.failed_retrying),
        ("dead", o.dead),
        ("superseded", o.superseded),
    ] {
        let _ = writeln!(out, "mp2_outbox{{state=\"{k}\"}} {v}");
    }
    family(
        &mut out,
        "mp2_outbox_possible_duplicates_total",
        "counter",
        "Sends repeated after an unknown outcome (SMTP cannot be asked).",
    );
    let _ = writeln!(
        out,
        "mp2_outbox_possible_duplicates_total {}",
        o.possible_duplicates
    );
    family(
        &mut out,
        "mp2_stage_seconds",
        "histogram",
        "Time one message spent in a stage (one attempt).",
    );
    for (stage, h) in ctx.health.latencies() {
        let mut cumulative = 0;
        for (le, n) in crate::runtime::ctx::LATENCY_BUCKETS.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "mp2_stage_seconds_bucket{{stage=\"{}\",le=\"{le}\"}} {cumulative}",
                label(&stage)
            );
        }
        let _ = writeln!(
            out,
            "mp2_stage_seconds_bucket{{stage=\"{}\",le=\"+Inf\"}} {}",
            label(&stage),
            h.count
        );
        let _ = writeln!(
            out,
            "mp2_stage_seconds_sum{{stage=\"{}\"}} {}",
            label(&stage),
            h.sum_s
        );
        let _ = writeln!(
            out,
            "mp2_stage_seconds_count{{stage=\"{}\"}} {}",
            label(&stage),
            h.count
        );
    }
    out
}
