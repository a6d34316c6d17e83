//! Where the time of one parse goes: PDF text vs call-sheet reading.
//! `cargo run --release -p mp2 --example parse_timing -- FILE.pdf...`
use std::time::Instant;

fn main() {
    for f in std::env::args().skip(1) {
        let bytes = std::fs::read(&f).expect("read");
        let opts = mp2::pdf::Options {
            ocr: false,
            ..Default::default()
        };
        let t = Instant::now();
        let doc = mp2::pdf::read(&bytes, &opts).expect("pdf");
        let a = t.elapsed();
        let t = Instant::now();
        let days = mp2::callsheet::read(&doc);
        let b = t.elapsed();
        let t = Instant::now();
        let _ = mp2::callsheet::read(&doc);
        let c = t.elapsed();
        println!(
            "{f}: pdf {a:?}, callsheet first {b:?}, again {c:?}, {} days",
            days.len()
        );
    }
}
