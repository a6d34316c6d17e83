//! The `mailbox_watcher` actor: owns the thread that watches the mailbox
//! (Maildir polling, or the blocking IMAP session) and hands every message to
//! [`Intake`].
//!
//! Contract: receives only `Panic` (fault injection) and `Poke` (ignored);
//! persists nothing itself (intake does); when it stops or fails, dropping
//! its state raises the thread's stop flag, so a restarted watcher never runs
//! beside its predecessor for more than one poll step.

use crate::integrations::mailbox::maildir::MaildirWatcher;
use crate::integrations::mailbox::Health;
use crate::runtime::ctx::{Ctx, HealthBoard};
use crate::runtime::pipeline::WorkMsg;
use crate::stages::intake::Intake;
use mp2::config::Mailbox;
use mp2::control::Backfill;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct MailboxWatcher;

/// Raises the stop flag when the actor's state is dropped, whatever the cause.
pub struct StopOnDrop(pub Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Health as a watcher thread reports it.
pub struct WatcherHealth {
    pub board: Arc<HealthBoard>,
}

impl Health for WatcherHealth {
    fn up(&self) {
        self.board.condition("mailbox", None);
    }
    fn down(&self, reason: &str) {
        self.board.condition("mailbox", Some(reason.to_string()));
    }
    fn progress(&self, done: u64, total: u64) {
        self.board.set_backfill(if done >= total {
            None
        } else {
            Some(Backfill { done, total })
        });
        // On a terminal (someone started mp2d by hand on a big mailbox), a
        // progress bar; under systemd the counts are in `mp2ctl status`.
        if total > 1 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let width = 30;
            let filled = (done.min(total) * width / total) as usize;
            eprint!(
                "\rbackfill [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width as usize - filled)
            );
            if done >= total {
                eprintln!();
            }
        }
    }
}

impl Actor for MailboxWatcher {
    type Msg = WorkMsg;
    type State = (Ctx, StopOnDrop);
    type Arguments = Ctx;

    async fn pre_start(
        &self,
        _me: ActorRef<WorkMsg>,
        ctx: Ctx,
    ) -> Result<Self::State, ActorProcessingErr> {
        let stop = Arc::new(AtomicBool::new(false));
        let sink = Arc::new(Intake { ctx: ctx.clone() });
        let health = Arc::new(WatcherHealth {
            board: ctx.health.clone(),
        });
        match &ctx.cfg.mailbox {
            Mailbox::Maildir(m) => {
                let w = MaildirWatcher {
                    root: m.path.clone(),
                    poll: m.poll_interval,
                    max_bytes: ctx.cfg.filter.max_message_bytes,
                    sink,
                    health,
                    stop: stop.clone(),
                };
                std::thread::Builder::new()
                    .name("maildir".into())
                    .spawn(move || w.run())?;
            }
            Mailbox::Imap(_) => {
                crate::stages::imap_source::start(&ctx, sink, health, stop.clone())?
            }
        }
        Ok((ctx, StopOnDrop(stop)))
    }

    async fn handle(
        &self,
        _me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        _st: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: mailbox_watcher was asked to panic"),
            WorkMsg::Poke | WorkMsg::Done(_) => Ok(()),
        }
    }
}
