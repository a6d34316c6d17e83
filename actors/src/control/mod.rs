//! The control socket and what people do through it.

pub mod attention;
pub mod control_server;
pub mod corrections;
pub mod peer;
pub mod privacy;
