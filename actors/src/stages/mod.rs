//! The pipeline's actors, one module each: `seen → parsed → planned →
//! synced → notified`, plus the weather poller beside them.

pub mod calendar_syncer;
pub mod imap_source;
pub mod intake;
pub mod mailbox_watcher;
pub mod notifier;
pub mod outbox;
pub mod parser_pool;
pub mod route_planner;
pub mod weather_poller;
