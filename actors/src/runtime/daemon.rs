//! Starting and stopping the daemon: store, actor tree, control socket,
//! signals.
//!
//! SIGTERM (or Ctrl-C): stop taking mail, let each stage finish the message
//! in hand or leave it queued (every step is committed, so parking is just
//! not starting the next one), flush the store and exit 0 — all inside a
//! 7-second budget so systemd's 10 s never has to kill us.

use crate::control::control_server;
use crate::runtime::ctx::{Ctx, HealthBoard};
use crate::runtime::supervisor::{Root, RootMsg};
use mp2::config::Config;
use mp2::store::Store;
use ractor::Actor;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// Runs until SIGTERM/SIGINT. `on_ready` is called once everything is up.
pub async fn run(cfg: Config, on_ready: impl FnOnce(Ctx)) -> Result<(), String> {
    let cfg = Arc::new(cfg);
    let store = Store::open(&cfg.daemon.state_dir).map_err(|e| e.to_string())?;
    if let Some(q) = &store.quarantined {
        tracing::error!(quarantine = %q.display(), "Started on a fresh store; the damaged one was kept aside");
    }
    let listener = control_server::bind(&cfg.daemon.socket)?;
    let metrics = match &cfg.daemon.metrics {
        Some(addr) => Some(crate::runtime::metrics::bind(addr).await?),
        None => None,
    };
    let (stop_tx, stopping) = watch::channel(false);
    let ctx = Ctx {
        cfg: cfg.clone(),
        store: store.clone(),
        health: Arc::new(HealthBoard::default()),
        stopping,
    };
    // Every integration shows in `status` from the start, called yet or not
    // (the estimate route provider never calls out at all).
    for name in mp2::config::INTEGRATIONS {
        ctx.health.guard(name, |_| {});
    }
    let (root, root_done) = Actor::spawn(Some("root".into()), Root::daemon(), ctx.clone())
        .await
        .map_err(|e| e.to_string())?;
    let server = tokio::spawn(control_server::serve(listener, ctx.clone()));
    let metrics = metrics.map(|l| {
        tracing::info!(address = ?l.local_addr().ok(), "Metrics served at /metrics");
        tokio::spawn(crate::runtime::metrics::serve(l, ctx.clone()))
    });
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    tracing::info!(config = %cfg.path.display(), socket = %cfg.daemon.socket.display(), "mp2d running");
    crate::runtime::sdnotify::notify("READY=1");
    crate::runtime::sdnotify::spawn_watchdog(ctx.clone());
    crate::control::privacy::spawn_retention(ctx.clone());
    on_ready(ctx.clone());
    // Whatever needed attention but was not told before the last stop.
    crate::control::attention::tell_soon(&ctx);
    // Notifications waiting for a retry, or cut off by the last stop.
    crate::stages::outbox::start(&ctx);
    // Plans made on estimates while the route provider was down.
    crate::stages::route_planner::start_healing(&ctx);

    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
    }
    crate::runtime::sdnotify::notify("STOPPING=1");
    let _ = stop_tx.send(true);
    let shutdown = async {
        let _ = ractor::call_t!(root, RootMsg::Shutdown, 6_000);
        root.stop(Some("shutdown".into()));
        let _ = root_done.await;
    };
    if tokio::time::timeout(Duration::from_secs(7), shutdown)
        .await
        .is_err()
    {
        tracing::warn!(
            "Shutdown budget spent; parking what is still in flight (it resumes on the next start)"
        );
    }
    server.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    store.flush().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&cfg.daemon.socket);
    tracing::info!("Stopped cleanly");
    Ok(())
}

/// New files are the daemon user's alone when no service manager decides:
/// the store, the outbox and the ICS files hold the crew's phones and home
/// addresses. systemd starts us with the unit's `UMask=` (and sets
/// `INVOCATION_ID`), which is then left as the unit says.
pub fn restrict_umask() {
    if std::env::var_os("INVOCATION_ID").is_none() {
        // SAFETY: umask(2) only swaps the process's file-mode mask.
        unsafe {
            libc::umask(0o077);
        }
    }
}
