//! What runs the stages: start-up, supervision, the shared context and
//! health board, guards, the stage contract, failure classes and retries,
//! logging, systemd notifications and metrics.

pub mod ctx;
pub mod daemon;
pub mod failure;
pub mod guard;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod retry;
pub mod sdnotify;
pub mod supervisor;
