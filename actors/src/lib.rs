//! # mp2-actors — the daemon
//!
//! A supervised [ractor] tree around the `mp2` core. Every pipeline step is
//! committed to the sled store before the next is poked, so a crash, a kill
//! or a power cut loses nothing and a restart resumes where it stopped.
//!
//! ## Layout: three kinds of code, and the control socket
//! - [`runtime`]: what runs the stages — start-up and SIGTERM
//!   ([`runtime::daemon`]), the root supervisor ([`runtime::supervisor`]),
//!   what every actor shares and the health board ([`runtime::ctx`]), the
//!   rate-limiter and circuit-breaker actors every outside call goes through
//!   ([`runtime::guard`]), the stage-actor contract ([`runtime::pipeline`]),
//!   error classes and the retry policy ([`runtime::failure`],
//!   [`runtime::retry`], the one user of `backoff`), logs, systemd
//!   notifications and the watchdog, metrics.
//! - [`stages`]: one module per actor, its contract at the top — each reads
//!   "take item → call an integration through its guard → persist → poke
//!   next": mailbox watcher (with intake and the IMAP thread's wiring),
//!   parser pool, route planner, calendar syncer, notifier (with the
//!   outbox it sends from), weather poller.
//! - [`integrations`]: the clients, each with its typed error and no actor
//!   code — mailbox (Maildir, IMAP), routes, weather, calendar (ICS, CalDAV,
//!   Google), e-mail (SMTP), SMS (Twilio), and the shared HTTP client and
//!   OAuth token source.
//! - [`control`]: the Unix socket `mp2ctl` talks to, who may change things,
//!   and the person-in-the-loop commands (attention, corrections, purge,
//!   audit).

pub mod control;
pub mod integrations;
pub mod runtime;
pub mod stages;
