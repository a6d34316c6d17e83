//! The durable pipeline's stage actors.
//!
//! ## Contract of a stage actor
//! - **Receives** `Poke` (work may be waiting) — never the work itself: the
//!   work is the store's queue for its input stage, so a mailbox holds at most
//!   a few pokes (they are coalesced) and memory stays bounded however much
//!   mail arrives; the disk queue is the buffer, and the mailbox watcher stops
//!   taking mail while the first queue is longer than `daemon.queue_capacity`.
//! - **Persists** its output and the message's next stage in one store
//!   transaction ([`Store::advance`]), and only then
//! - **emits** a poke to the next stage.
//! - **Acknowledges** nothing else: a crash before the commit leaves the
//!   message where it was, to be done again on restart; side effects inside a
//!   stage carry idempotency keys so that doing a stage again repeats nothing.
//! - `Panic` makes it panic (fault injection), to exercise the supervisor.

use crate::ctx::Ctx;
use mp2::store::{MessageRecord, Stage, Store};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// The message every worker actor takes.
#[derive(Debug, Clone)]
pub enum WorkMsg {
    Poke,
    Panic,
    /// A pool's worker finished the message with this key.
    Done(String),
}

static POKED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Tells the named stage actor that work may be waiting. Coalesced: a poke
/// already queued is not queued again.
pub fn poke(name: &str) {
    {
        let mut p = POKED.lock().unwrap_or_else(|e| e.into_inner());
        if !p.get_or_insert_with(HashSet::new).insert(name.to_string()) {
            return;
        }
    }
    match ActorRef::<WorkMsg>::where_is(name.to_string()) {
        Some(a) => {
            let _ = a.cast(WorkMsg::Poke);
        }
        None => clear(name), // restarting: it drains its queue when it starts
    }
}

/// Forgets a queued poke (the actor is about to look at its queue anyway).
pub fn clear_poke(name: &str) {
    clear(name)
}

fn clear(name: &str) {
    let mut p = POKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(set) = p.as_mut() {
        set.remove(name);
    }
}

/// Makes the named worker panic (fault injection).
pub fn inject_panic(name: &str) -> Result<(), String> {
    let a = ActorRef::<WorkMsg>::where_is(name.to_string())
        .ok_or_else(|| format!("no running actor named {name:?}"))?;
    a.cast(WorkMsg::Panic).map_err(|e| e.to_string())
}

/// What processing one message led to.
pub enum Outcome {
    /// Done with this stage; the record carries the next stage.
    Advance(MessageRecord),
    /// Cannot be done now (a service is down); leave it queued, retry later.
    Retry { error: String, after: Duration },
}

/// One stage of the pipeline.
pub trait StageWork: Send + Sync + 'static {
    /// The actor's registered name.
    const NAME: &'static str;
    /// The queue it takes from.
    const INPUT: Stage;
    /// The actor poked after an advance.
    const NEXT: Option<&'static str>;

    fn process(&self, ctx: &Ctx, rec: MessageRecord) -> impl Future<Output = Outcome> + Send;
}

/// Generic actor around a [`StageWork`].
pub struct StageActor<W: StageWork>(pub W);

pub struct StageState {
    ctx: Ctx,
}

const BATCH: usize = 16;

impl<W: StageWork> Actor for StageActor<W> {
    type Msg = WorkMsg;
    type State = StageState;
    type Arguments = Ctx;

    async fn pre_start(
        &self,
        me: ActorRef<WorkMsg>,
        ctx: Ctx,
    ) -> Result<StageState, ActorProcessingErr> {
        // Whatever was left in our queue by a crash is done first.
        clear(W::NAME);
        let _ = me.cast(WorkMsg::Poke);
        Ok(StageState { ctx })
    }

    async fn handle(
        &self,
        me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        st: &mut StageState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: {} was asked to panic", W::NAME),
            WorkMsg::Done(_) => {}
            WorkMsg::Poke => {
                clear(W::NAME);
                if st.ctx.is_stopping() {
                    return Ok(()); // parked: the queue is on disk
                }
                let keys = st.ctx.store.pending(W::INPUT, BATCH)?;
                for key in &keys {
                    let Some(rec) = st.ctx.store.message(key)? else {
                        continue;
                    };
                    match self.0.process(&st.ctx, rec).await {
                        Outcome::Advance(rec) => {
                            st.ctx.store.advance(W::INPUT, &rec)?;
                            crate::attention::on_success(&st.ctx, key, W::NAME);
                            if rec.stage != Stage::Failed {
                                if let Some(n) = W::NEXT {
                                    poke(n);
                                }
                            }
                        }
                        Outcome::Retry { error, after } => {
                            tracing::warn!(stage = W::NAME, message = %key, %error, retry_in = ?after, "Stage could not finish; will retry");
                            note_error(&st.ctx.store, key, &error);
                            crate::attention::on_retry(&st.ctx, key, W::NAME, &error);
                            let _ = me.send_after(after, || WorkMsg::Poke);
                            return Ok(());
                        }
                    }
                    if st.ctx.is_stopping() {
                        return Ok(());
                    }
                }
                if keys.len() == BATCH {
                    poke(W::NAME);
                }
            }
        }
        Ok(())
    }
}

/// Keeps the latest transient error on the record so `history` shows why a
/// message is stuck.
fn note_error(store: &Store, key: &str, error: &str) {
    if let Ok(Some(mut rec)) = store.message(key) {
        if rec.errors.last().map(String::as_str) != Some(error) {
            rec.errors.push(error.to_string());
            if rec.errors.len() > 5 {
                rec.errors.remove(0);
            }
            let _ = store.update_message(&rec);
        }
    }
}
