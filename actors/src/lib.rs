//! # mp2-actors — the daemon
//!
//! A supervised [ractor] tree around the `mp2` core. Every pipeline step is
//! committed to the sled store before the next is poked, so a crash, a kill
//! or a power cut loses nothing and a restart resumes where it stopped.
//!
//! ## Layout
//! - [`daemon`]: start-up and the SIGTERM path.
//! - [`supervisor`]: the root supervisor and its restart policy (one value).
//! - [`ctx`]: what every actor shares; the health board behind `status`.
//! - [`guard`]: per integration, a rate-limiter actor and a circuit-breaker
//!   actor that every outside call goes through.
//! - [`pipeline`]: the stage-actor contract (poke, process, commit, poke);
//!   [`failure`]: error classes and the retry policy it applies per message.
//! - [`mailbox_watcher`], [`mailbox`]: where mail comes from (Maildir, IMAP);
//!   [`intake`]: where it enters the store, filtered and deduped.
//! - [`parser_pool`], [`route_planner`], [`calendar_syncer`], [`notifier`]:
//!   the stages `seen → parsed → planned → synced → notified`.
//! - [`calendar`]: the calendar providers behind `calendar_syncer` (ICS
//!   files, CalDAV, Google Calendar).
//! - [`outbox`]: sending the crew's notifications from their store
//!   entries, with retries, and judging a send a kill cut off;
//!   [`email`], [`sms`]: the SMTP and Twilio clients, each with its typed
//!   error that knows whether to retry.
//! - [`routes`]: travel times from Google Routes, OSRM or the estimate.
//! - [`weather_poller`]: forecasts of upcoming days.
//! - [`attention`]: "needs attention" items raised where the pipeline
//!   needs a person, and the coordinators told once each.
//! - [`control_server`]: the Unix socket `mp2ctl` talks to; [`corrections`]:
//!   its person-in-the-loop commands (`attention`, `correct`, `layouts`);
//!   [`peer`]: who the caller is and whether they may change things.
//! - [`metrics`]: Prometheus text metrics on loopback (`daemon.metrics`).
//! - [`oauth`]: access tokens from a refresh token (IMAP XOAUTH2, Google Calendar).
//! - [`http`]: the one HTTP client (per `ca_file`) and URL-free error wording.
//! - [`retry`]: backoff delays (the one user of the `backoff` crate) and the
//!   classes of failure (transient, permanent, in doubt).
//! - [`logging`], [`sdnotify`]: journal/stderr logs, systemd readiness.

pub mod attention;
pub mod calendar;
pub mod calendar_syncer;
pub mod control_server;
pub mod corrections;
pub mod ctx;
pub mod daemon;
pub mod email;
pub mod failure;
pub mod guard;
pub mod http;
pub mod imap_source;
pub mod intake;
pub mod logging;
pub mod mailbox;
pub mod mailbox_watcher;
pub mod metrics;
pub mod notifier;
pub mod oauth;
pub mod outbox;
pub mod parser_pool;
pub mod peer;
pub mod pipeline;
pub mod privacy;
pub mod retry;
pub mod route_planner;
pub mod routes;
pub mod sdnotify;
pub mod sms;
pub mod supervisor;
pub mod weather_poller;
