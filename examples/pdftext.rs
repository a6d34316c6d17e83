//! Prints what the PDF reader sees: one line per text line, cells separated
//! by " | ", pages separated by a form feed line. For eyeballing layouts
//! against `pdftotext -layout FILE -`.
//!
//! `cargo run -p mp2 --example pdftext -- [--no-ocr] [--json] FILE.pdf...`

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut opts = mp2::pdf::Options::default();
    let mut json = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-ocr" => opts.ocr = false,
            "--json" => json = true,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: pdftext [--no-ocr] [--json] FILE.pdf...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{file}: {e}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        match mp2::pdf::read(&bytes, &opts) {
            Ok(doc) if json => match serde_json::to_string(&doc) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("{file}: {e}"),
            },
            Ok(doc) => {
                println!("== {file} ({} pages, ocr: {})", doc.pages.len(), doc.ocr);
                for w in &doc.warnings {
                    println!("!! {w}");
                }
                for (i, page) in doc.pages.iter().enumerate() {
                    if i > 0 {
                        println!("\x0c");
                    }
                    for line in &page.lines {
                        let cells: Vec<String> = line
                            .cells
                            .iter()
                            .map(|c| {
                                if c.bold {
                                    format!("*{}*", c.text)
                                } else {
                                    c.text.clone()
                                }
                            })
                            .collect();
                        println!("{:6.1}  {}", line.y, cells.join(" | "));
                    }
                }
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
