//! Clients of the outside world, each with its typed error and no actor
//! code: stages call them through their integration's guard.

pub mod calendar;
pub mod email;
pub mod http;
pub mod mailbox;
pub mod oauth;
pub mod routes;
pub mod sms;
pub mod weather;
