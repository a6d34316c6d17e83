//! sd_notify(3) without libsystemd: one datagram to `$NOTIFY_SOCKET`, and
//! the watchdog that pings systemd only while the actor tree is healthy.

use crate::runtime::ctx::Ctx;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Sends `state` (e.g. `READY=1`) when systemd asked for notifications.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let bytes = path.as_encoded_bytes();
    let r = if let Some(abstract_name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abstract_name)
            .and_then(|a| sock.send_to_addr(state.as_bytes(), &a))
    } else {
        sock.send_to(state.as_bytes(), std::path::Path::new(&path))
    };
    if let Err(e) = r {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// How often systemd wants a ping (`WatchdogSec=`, passed as
/// `WATCHDOG_USEC`), when it is meant for this process.
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// Why the daemon must not tell systemd it is alive: a supervisor that gave
/// up on a child (systemd's restart is then the only cure). A wedged runtime
/// needs no check: this task runs on it, so it stops pinging by itself.
fn unhealthy(ctx: &Ctx) -> Option<String> {
    ctx.health
        .actors()
        .into_iter()
        .find(|a| a.status == "down")
        .map(|a| format!("{} is down", a.name))
}

/// One `STATUS=` line: what `systemctl status mp2d` shows under the unit.
pub fn status_line(ctx: &Ctx) -> String {
    let m = ctx.store.counts().unwrap_or_default();
    let attention = ctx.store.attention().map(|a| a.len()).unwrap_or(0);
    let open: Vec<String> = ctx
        .health
        .integrations()
        .into_iter()
        .filter(|i| i.breaker != "closed")
        .map(|i| format!("{} {}", i.name, i.breaker))
        .collect();
    let breakers = if open.is_empty() {
        "breakers closed".to_string()
    } else {
        format!("breakers: {}", open.join(", "))
    };
    format!(
        "{} handled, {} failed, {} in flight, {attention} attention, {breakers}",
        m.done, m.failed, m.in_flight
    )
}

/// Pings at half the watchdog interval while healthy, and keeps `STATUS=`
/// current either way. Runs until the daemon stops.
pub fn spawn_watchdog(ctx: Ctx) {
    let interval = watchdog_interval();
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let tick = interval.map(|i| i / 2).unwrap_or(Duration::from_secs(15));
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            if ctx.is_stopping() {
                return;
            }
            let status = status_line(&ctx);
            match unhealthy(&ctx) {
                None => {
                    warned = false;
                    if interval.is_some() {
                        notify(&format!("WATCHDOG=1\nSTATUS={status}"));
                    } else {
                        notify(&format!("STATUS={status}"));
                    }
                }
                Some(why) => {
                    if !warned {
                        tracing::error!(%why, "Not pinging the systemd watchdog: the actor tree is not healthy");
                        warned = true;
                    }
                    notify(&format!("STATUS=unhealthy: {why}; {status}"));
                }
            }
            tokio::time::sleep(tick).await;
        }
    });
}
