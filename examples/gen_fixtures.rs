//! Writes a sample set of generated fixtures into a folder so a person can
//! look at them: call sheets in every layout and font setup (with their
//! truth as JSON), other producers' layouts (`world_*`), a scan, e-mails
//! from every client shape and the decoys, the demo Maildir, and small
//! hostile files.
//!
//! `cargo run --example gen_fixtures -- OUT_DIR [SEED]`
//!
//! With poppler's `pdftoppm` installed, the first page of each sheet is also
//! rendered to PNG next to it.

use chrono::NaiveDate;
use mp2::fixtures::{
    decoy_mail, hostile, render_with, sample_days, scan_of, schedule_mail, write_demo_inbox,
    Attachment, Client, Decoy, FontSetup, Layout, RenderOptions,
};
use std::path::{Path, PathBuf};
use std::process::Command;

fn png_of(pdf: &Path) {
    let prefix = pdf.with_extension("");
    // Best effort: a missing pdftoppm only means no previews.
    let _ = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status();
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "fixtures-out".into()));
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    for sub in ["sheets", "mail", "hostile"] {
        std::fs::create_dir_all(out.join(sub))?;
    }
    let start = NaiveDate::from_ymd_opt(2024, 3, 11).unwrap_or_default();

    let mut first_sheet = None;
    let variants = [
        (
            "plan_pl",
            Layout::PlanPl,
            FontSetup::SimpleWinAnsi,
            1,
            false,
            None,
        ),
        (
            "plan_pl_type0",
            Layout::PlanPl,
            FontSetup::Type0Identity,
            1,
            false,
            None,
        ),
        (
            "plan_pl_revision",
            Layout::PlanPl,
            FontSetup::SimpleWinAnsi,
            1,
            false,
            Some(2),
        ),
        (
            "call_sheet_en",
            Layout::CallSheetEn,
            FontSetup::Type0Identity,
            1,
            false,
            None,
        ),
        (
            "call_sheet_en_revised_landscape",
            Layout::CallSheetEn,
            FontSetup::SimpleWinAnsi,
            1,
            true,
            Some(3),
        ),
        (
            "drabinka",
            Layout::Drabinka,
            FontSetup::SimpleWinAnsi,
            5,
            false,
            None,
        ),
        (
            "drabinka_landscape_type0",
            Layout::Drabinka,
            FontSetup::Type0Identity,
            4,
            true,
            None,
        ),
        (
            "drabinka_grid",
            Layout::DrabinkaGrid,
            FontSetup::SimpleWinAnsi,
            5,
            false,
            None,
        ),
        (
            "drabinka_grid_type0_revision",
            Layout::DrabinkaGrid,
            FontSetup::Type0Identity,
            6,
            true,
            Some(2),
        ),
        (
            "plan_pl_table",
            Layout::PlanPlTable,
            FontSetup::SimpleWinAnsi,
            1,
            false,
            None,
        ),
        (
            "plan_pl_table_type0_revision",
            Layout::PlanPlTable,
            FontSetup::Type0Identity,
            1,
            false,
            Some(2),
        ),
        (
            "call_sheet_en_plain",
            Layout::CallSheetEnPlain,
            FontSetup::Type0Identity,
            1,
            false,
            None,
        ),
        (
            "call_sheet_en_plain_revision",
            Layout::CallSheetEnPlain,
            FontSetup::SimpleWinAnsi,
            1,
            false,
            Some(2),
        ),
        (
            "plan_pl_two_column",
            Layout::PlanPlTwoColumn,
            FontSetup::SimpleWinAnsi,
            1,
            false,
            None,
        ),
        (
            "plan_pl_two_column_type0_revision",
            Layout::PlanPlTwoColumn,
            FontSetup::Type0Identity,
            1,
            false,
            Some(3),
        ),
    ];
    for (name, layout, fonts, n, landscape, revision) in variants {
        let mut days = sample_days(seed, n, start, layout.lang());
        days.iter_mut().for_each(|d| d.revision = revision);
        layout.fit_truth(&mut days);
        let mut opts = RenderOptions::new(layout, fonts);
        opts.seed = seed;
        opts.landscape = landscape;
        let pdf = render_with(&days, &opts);
        let path = out.join("sheets").join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf)?;
        std::fs::write(
            path.with_extension("json"),
            serde_json::to_string_pretty(&days).unwrap_or_default(),
        )?;
        png_of(&path);
        if first_sheet.is_none() {
            first_sheet = Some(Attachment {
                filename: "plan_zdjęciowy_dzień_1.pdf".into(),
                pdf,
                days,
            });
        }
    }

    // Other producers' layouts (issue 10), truth beside each as for the rest.
    for sheet in mp2::fixtures::world::world_sheets(seed) {
        let path = out.join("sheets").join(format!("world_{}.pdf", sheet.name));
        std::fs::write(&path, &sheet.pdf)?;
        std::fs::write(
            path.with_extension("json"),
            serde_json::to_string_pretty(&sheet.truth).unwrap_or_default(),
        )?;
        png_of(&path);
    }

    let Some(att) = first_sheet else {
        return Ok(());
    };
    match scan_of(&att.pdf, 150) {
        Ok(scan) => {
            let path = out.join("sheets").join("plan_pl_scan.pdf");
            std::fs::write(&path, scan)?;
            png_of(&path);
        }
        Err(e) => eprintln!("no scan: {e}"),
    }

    let att = std::slice::from_ref(&att);
    let mails = Client::ALL
        .iter()
        .map(|&c| schedule_mail(c, att, seed))
        .chain(Decoy::ALL.iter().map(|&d| decoy_mail(d, att, seed)));
    for mail in mails {
        std::fs::write(
            out.join("mail").join(format!("{}.eml", mail.label)),
            &mail.raw,
        )?;
    }

    let demo = write_demo_inbox(&out.join("demo-maildir"))?;

    let h = out.join("hostile");
    std::fs::write(h.join("random.pdf"), hostile::random_bytes(seed, 4096))?;
    std::fs::write(h.join("truncated.pdf"), hostile::truncated(&att[0].pdf, 60))?;
    std::fs::write(h.join("page_tree_cycle.pdf"), hostile::page_tree_cycle())?;
    std::fs::write(h.join("xobject_cycle.pdf"), hostile::xobject_cycle())?;
    std::fs::write(h.join("flate_bomb.pdf"), hostile::flate_bomb(256 << 20))?;
    std::fs::write(h.join("deep_arrays.pdf"), hostile::deep_arrays(10_000))?;
    std::fs::write(
        h.join("page_count_lie.pdf"),
        hostile::page_count_lie(2_000_000_000),
    )?;
    std::fs::write(h.join("mime_bomb.eml"), hostile::mime_bomb(5_000))?;

    println!(
        "wrote fixtures to {} (demo inbox: {} schedule mails, {} decoys, dates {:?})",
        out.display(),
        demo.schedule_messages,
        demo.decoys,
        demo.dates()
    );
    Ok(())
}
