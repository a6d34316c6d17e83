//! Wiring of the IMAP watcher thread into the daemon: secrets re-read before
//! every login, the `imap` guard as its gate, intake as sink and checkpoints.

use crate::integrations::mailbox::imap::{self, Links, SecretSource, Secrets, Tuning};
use crate::integrations::mailbox::Health;
use crate::runtime::ctx::Ctx;
use crate::runtime::guard::{BlockingGate, Guard};
use crate::stages::intake::Intake;
use mp2::config::Mailbox;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Starts the IMAP session thread; it stops when `stop` is raised.
pub fn start(
    ctx: &Ctx,
    sink: Arc<Intake>,
    health: Arc<dyn Health>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let Mailbox::Imap(cfg_imap) = &ctx.cfg.mailbox else {
        return Err("mailbox.kind is not \"imap\"".into());
    };
    let cfg = ctx.cfg.clone();
    let secrets: SecretSource = Arc::new(move || Secrets::read(&cfg));
    let gate = Arc::new(BlockingGate {
        guard: Guard::new(ctx, "imap"),
        rt: tokio::runtime::Handle::current(),
    });
    let links = Links {
        sink: sink.clone(),
        checkpoints: sink,
        gate,
        health,
    };
    let tuning = Tuning {
        command_timeout: ctx.cfg.integration("imap").timeout,
        ..Tuning::default()
    };
    imap::spawn(
        cfg_imap.clone(),
        ctx.cfg.filter.clone(),
        secrets,
        links,
        tuning,
        stop,
    )
    .map(|_| ())
    .map_err(|e| format!("cannot start the IMAP thread: {e}"))
}
