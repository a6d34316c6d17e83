//! In-process parse speed: PDF bytes → shooting days, and a whole e-mail,
//! on generated fixtures (and the sample corpus when it is beside the
//! checkout). `cargo bench -p mp2 --bench parse`.

use criterion::{criterion_group, criterion_main, Criterion};
use mp2::fixtures::demo::demo_mails;
use mp2::model::SourceKind;
use mp2::parse::{parse_bytes, parse_pdf, ParseOptions};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let mails = demo_mails();
    let mail = &mails[0];
    let (_, pdf) = &mail.pdfs[0];
    c.bench_function("pdf: generated single-day sheet", |b| {
        b.iter(|| parse_pdf(black_box(pdf), &opts, None))
    });
    c.bench_function("email: generated schedule mail", |b| {
        b.iter(|| parse_bytes("m.eml", SourceKind::Email, black_box(&mail.raw), &opts))
    });
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/pdf");
    if let Ok(entries) = std::fs::read_dir(&corpus) {
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        // Text PDFs only: a scan's time is tesseract's, not ours.
        let docs: Vec<Vec<u8>> = files
            .iter()
            .filter_map(|f| std::fs::read(f).ok())
            .filter(|b| b.len() < 120_000)
            .collect();
        let no_ocr = ParseOptions {
            pdf: mp2::pdf::Options {
                ocr: false,
                ..Default::default()
            },
            ..opts.clone()
        };
        c.bench_function("pdf: sample corpus, all text sheets", |b| {
            b.iter(|| {
                docs.iter()
                    .map(|d| {
                        parse_pdf(black_box(d), &no_ocr, None)
                            .map(|v| v.len())
                            .unwrap_or(0)
                    })
                    .sum::<usize>()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
