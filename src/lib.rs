//! # mp2 — the core library
//!
//! Reads the schedules a production office e-mails, and turns them into each
//! crew member's day. Nothing here talks to the network or runs an async
//! runtime; the daemon (`mp2-actors`) wires these steps into a supervised actor
//! tree, and `mp2ctl` calls them directly for offline commands.
//!
//! ## Layout
//! Modules follow the data, from bytes to a crew member's calendar:
//!
//! - [`model`]: what a schedule is (`ShootDay`, `Location`, `Contact`) and the
//!   `parse --json` shape.
//! - [`mail`]: a MIME message → its headers, PDFs and the filter's verdict.
//! - [`pdf`]: PDF bytes → positioned glyphs → [`layout`] lines and cells (OCR
//!   for scans).
//! - [`layout`]: the text of a page in reading order, lines of cells.
//! - [`callsheet`]: lines and cells → shooting days.
//! - [`parse`]: the one entry point from a file to a `ParseResult`.
//! - [`config`]: the TOML configuration, validated with file:line:key errors.
//! - [`geo`]: rough coordinates from a postal code, for travel estimates.
//! - [`plan`]: the day-plan arithmetic (departure, wake-up) of CONTRACT §5.
//! - [`ics`]: a crew member's shooting day as an iCalendar event.
//! - [`attention`]: what a person must look at, and the sentences that say so.
//! - [`correction`]: a person's `correct DATE FIELD=VALUE`, laid over the sheet.
//! - [`store`]: the sled store: every pipeline stage, checkpoint and side effect.
//! - [`summary`]: the text of a crew member's notification, and change diffs.
//! - [`weather`]: a forecast summarised over the shift, warnings and kit.
//! - [`listing`]: the human listings of `mp2ctl`: every field of a day, plans.
//! - [`control`]: the `mp2ctl` ⇄ `mp2d` socket protocol and its client.
//! - [`terminal`]: mail-borne text made safe to print (escape sequences).

pub mod attention;
pub mod callsheet;
pub mod config;
pub mod control;
pub mod correction;
pub mod crew_text;
pub mod duration;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod geo;
pub mod ics;
pub mod layout;
pub mod listing;
pub mod mail;
pub mod model;
pub mod parse;
pub mod pdf;
pub mod plan;
pub mod store;
pub mod summary;
pub mod terminal;
pub mod weather;
