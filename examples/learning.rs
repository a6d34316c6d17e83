//! The learning measurement: for each call-sheet layout the reader does not
//! know (`mp2::fixtures::odd_layouts`), the first sheet is corrected, then
//! the next sheets of the same layout (new dates, times, places) are read
//! with and without what that correction taught.
//!
//! `cargo run --example learning [SHEETS] [SEED]` prints, per layout, how
//! many of the later sheets had the field right before and after.

use mp2::fixtures::odd_layouts::{measure, OddLayout};

fn main() {
    let mut args = std::env::args().skip(1);
    let sheets = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    println!(
        "{:<16} {:<18} {:>8} {:>8}  rule learned",
        "layout", "field", "before", "after"
    );
    for layout in OddLayout::ALL {
        let a = measure(layout, sheets, seed);
        let pct = |n: usize| 100.0 * n as f64 / a.sheets.max(1) as f64;
        println!(
            "{:<16} {:<18} {:>7.0}% {:>7.0}%  {}",
            a.layout,
            a.field,
            pct(a.before),
            pct(a.after),
            a.learned
                .map(|r| format!("{:?} {:?} (layout {})", r.label, r.direction, r.fingerprint))
                .unwrap_or_else(|| "none".into())
        );
    }
}
