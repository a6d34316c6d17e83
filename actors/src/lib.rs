//! # mp2-actors — the daemon
pub mod mailbox;
