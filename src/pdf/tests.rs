//! Whole-reader tests on PDFs built in code with lopdf: font encodings,
//! positioning operators, rotation, forms, and hostile input.

use std::io::Write;
use std::time::{Duration, Instant};

use lopdf::{dictionary, Document, Object, ObjectId, Stream};

use super::{read, Limits, Options, PdfError};
use crate::layout::TextDoc;

fn no_ocr() -> Options {
    Options {
        ocr: false,
        ..Options::default()
    }
}

/// A document under construction: one Pages node, fonts and pages added.
struct Builder {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<Object>,
}

impl Builder {
    fn new() -> Self {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        Builder {
            doc,
            pages_id,
            kids: Vec::new(),
        }
    }

    fn add(&mut self, obj: impl Into<Object>) -> ObjectId {
        self.doc.add_object(obj.into())
    }

    fn stream(&mut self, data: &[u8]) -> ObjectId {
        self.add(Stream::new(dictionary! {}, data.to_vec()))
    }

    /// A page with the given content and resources (and extra entries).
    fn page(&mut self, content: &[u8], resources: lopdf::Dictionary, extra: lopdf::Dictionary) {
        let content_id = self.stream(content);
        let mut page = dictionary! {
            "Type" => "Page",
            "Parent" => self.pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => resources,
        };
        page.extend(&extra);
        let id = self.add(page);
        self.kids.push(id.into());
    }

    fn finish(mut self) -> Vec<u8> {
        let count = self.kids.len() as i64;
        let pages =
            dictionary! { "Type" => "Pages", "Kids" => self.kids.clone(), "Count" => count };
        self.doc
            .objects
            .insert(self.pages_id, Object::Dictionary(pages));
        let catalog = self.add(dictionary! { "Type" => "Catalog", "Pages" => self.pages_id });
        self.doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        self.doc.save_to(&mut out).expect("save test PDF");
        out
    }
}

fn helvetica(b: &mut Builder) -> ObjectId {
    b.add(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    })
}

fn font_resources(name: &str, id: ObjectId) -> lopdf::Dictionary {
    dictionary! { "Font" => dictionary! { name => id } }
}

fn lines(doc: &TextDoc) -> Vec<Vec<String>> {
    doc.pages
        .iter()
        .flat_map(|p| {
            p.lines
                .iter()
                .map(|l| l.cells.iter().map(|c| c.text.clone()).collect())
        })
        .collect()
}

fn single_page(content: &[u8]) -> TextDoc {
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    b.page(content, font_resources("F1", f), dictionary! {});
    read(&b.finish(), &no_ocr()).expect("read")
}

#[test]
fn winansi_with_polish_differences() {
    let mut b = Builder::new();
    let diffs: Vec<Object> = vec![
        128.into(),
        "aogonek".into(),
        "cacute".into(),
        "eogonek".into(),
        "lslash".into(),
        "nacute".into(),
        "oacute".into(),
        "sacute".into(),
        "zacute".into(),
        "zdotaccent".into(),
        "Aogonek".into(),
        "Cacute".into(),
        "Eogonek".into(),
        "Lslash".into(),
        "Nacute".into(),
        "Oacute".into(),
        "Sacute".into(),
        "Zacute".into(),
        "Zdotaccent".into(),
        "uni0105".into(),
        "fi".into(),
    ];
    let f = b.add(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "ABCDEF+Helvetica-Bold",
        "Encoding" => dictionary! { "Type" => "Encoding", "BaseEncoding" => "WinAnsiEncoding", "Differences" => diffs },
    });
    // "Zażółć gęślą jaźń" then "ĄĆĘŁŃÓŚŹŻ", then "ą" via uni0105 and the fi ligature.
    let mut content =
        b"BT /F1 12 Tf 50 700 Td (Za\x88\x85\x83\x81 g\x82\x86l\x80 ja\x87\x84) Tj ET ".to_vec();
    content.extend_from_slice(
        b"BT /F1 12 Tf 50 680 Td (\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91 \x92 \x93le) Tj ET",
    );
    b.page(&content, font_resources("F1", f), dictionary! {});
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert_eq!(
        lines(&doc),
        vec![vec!["Zażółć gęślą jaźń"], vec!["ĄĆĘŁŃÓŚŹŻ ą file"]]
    );
    let cell = &doc.pages[0].lines[0].cells[0];
    assert!(cell.bold, "Bold in the font name marks the cell bold");
    assert!((cell.size - 12.0).abs() < 0.01);
}

#[test]
fn type0_identity_h_with_tounicode() {
    let mut b = Builder::new();
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
6 beginbfchar <0001> <0050> <0002> <0142> <0003> <0061> <0004> <006E> <0005> <FB01> <0006> <0020> endbfchar
1 beginbfrange <0010> <0012> <017A> endbfrange
endcmap end end";
    let tu = b.stream(cmap);
    let cid = b.add(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "AAAAAA+DejaVuSans",
        "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
        "DW" => 600,
        "W" => vec![1.into(), vec![700.into(), 300.into(), 600.into(), 650.into(), 620.into(), 320.into()].into()],
    });
    let f = b.add(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "AAAAAA+DejaVuSans",
        "Encoding" => "Identity-H", "DescendantFonts" => vec![cid.into()], "ToUnicode" => tu,
    });
    // "Plan" " " "fi" "źż" ... then a far column.
    let content = b"BT /F1 10 Tf 1 0 0 1 40 800 Tm <0001000200030004000600050010 0012> Tj \
                    1 0 0 1 300 800 Tm <00010003> Tj ET";
    b.page(content, font_resources("F1", f), dictionary! {});
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert_eq!(lines(&doc), vec![vec!["Płan fiźż", "Pa"]]);
}

#[test]
fn tj_kerning_makes_spaces_and_columns() {
    let doc = single_page(
        b"BT /F1 10 Tf 40 800 Td [(Call:) -300 (07:00) -9000 (Baza:) -250 (Panavision)] TJ ET",
    );
    assert_eq!(lines(&doc), vec![vec!["Call: 07:00", "Baza: Panavision"]]);
    // Tight kerning stays inside the word.
    let doc = single_page(b"BT /F1 10 Tf 40 800 Td [(W) 80 (arszawa)] TJ ET");
    assert_eq!(lines(&doc), vec![vec!["Warszawa"]]);
}

#[test]
fn text_state_operators() {
    // TL + T*, ', ", Tc/Tw/Tz and a rise all keep lines and words right.
    let doc = single_page(
        b"BT /F1 10 Tf 14 TL 40 800 Td (Linia 1) Tj T* (Linia 2) Tj (Linia 3) ' 2 0 (Linia 4) \" \
          0 Tw 0 Tc 150 Tz 0 -14 Td (szeroko) Tj ET",
    );
    assert_eq!(
        lines(&doc),
        vec![
            vec!["Linia 1"],
            vec!["Linia 2"],
            vec!["Linia 3"],
            vec!["Linia 4"],
            vec!["szeroko"]
        ]
    );
    let widest = &doc.pages[0].lines[4].cells[0];
    // Helvetica "szeroko" is 3.501 em wide; 150 % horizontal scale at 10 pt.
    assert!((widest.x1 - widest.x0 - 52.5).abs() < 1.0, "{widest:?}");
}

#[test]
fn rotated_page_is_read_upright() {
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    // What landscape exports do: a portrait box shown turned a quarter
    // clockwise, text drawn running upwards so that it reads upright.
    let content =
        b"BT /F1 12 Tf 0 1 -1 0 100 50 Tm (Landscape) Tj 0 1 -1 0 100 400 Tm (Kolumna) Tj \
                    0 1 -1 0 120 50 Tm (Dalej) Tj ET";
    b.page(
        content,
        font_resources("F1", f),
        dictionary! { "Rotate" => 90 },
    );
    // A page turned with its text left as it was: still read, upright.
    b.page(
        b"BT /F1 12 Tf 50 700 Td (Bokiem) Tj ET",
        font_resources("F1", f),
        dictionary! { "Rotate" => 270 },
    );
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert_eq!(
        lines(&doc),
        vec![vec!["Landscape", "Kolumna"], vec!["Dalej"], vec!["Bokiem"]]
    );
    let page = &doc.pages[0];
    assert_eq!((page.width, page.height), (842.0, 595.0));
    assert!(
        (page.lines[0].cells[0].x0 - 50.0).abs() < 0.5,
        "{:?}",
        page.lines[0]
    );
}

#[test]
fn rotated_text_matrix_is_read_upright() {
    // A landscape sheet drawn on a portrait page: text runs upwards.
    let doc = single_page(
        b"BT /F1 10 Tf 0 1 -1 0 100 100 Tm (Sc. 12) Tj 0 1 -1 0 100 300 Tm (EXT) Tj \
          0 1 -1 0 115 100 Tm (Sc. 13) Tj ET",
    );
    assert_eq!(lines(&doc), vec![vec!["Sc. 12", "EXT"], vec!["Sc. 13"]]);
}

#[test]
fn form_xobjects_and_invisible_text() {
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    let form = b.add(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 200.into(), 50.into()],
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 10.into(), 0.into()],
            "Resources" => font_resources("FX", f),
        },
        b"BT /FX 10 Tf 0 0 Td (W formie) Tj ET".to_vec(),
    ));
    let resources = dictionary! { "Font" => dictionary! { "F1" => f }, "XObject" => dictionary! { "Fm1" => form } };
    b.page(
        b"q 1 0 0 1 100 500 cm /Fm1 Do Q BT /F1 10 Tf 3 Tr 100 400 Td (Niewidoczny tekst OCR) Tj ET",
        resources,
        dictionary! {},
    );
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert_eq!(
        lines(&doc),
        vec![vec!["W formie"], vec!["Niewidoczny tekst OCR"]]
    );
    let cell = &doc.pages[0].lines[0].cells[0];
    assert!(
        (cell.x0 - 110.0).abs() < 0.5 && (doc.pages[0].lines[0].y - 342.0).abs() < 0.5,
        "{cell:?}"
    );
}

#[test]
fn fake_bold_is_drawn_once() {
    let doc =
        single_page(b"BT /F1 10 Tf 40 800 Td (Obiad) Tj ET BT /F1 10 Tf 40.4 800 Td (Obiad) Tj ET");
    assert_eq!(lines(&doc), vec![vec!["Obiad"]]);
}

#[test]
fn random_bytes_and_truncations_are_errors_not_panics() {
    assert!(matches!(
        read(b"hello", &no_ocr()),
        Err(PdfError::NotPdf(_))
    ));
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut junk = b"%PDF-1.4\n".to_vec();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        junk.push(seed as u8);
    }
    assert!(read(&junk, &no_ocr()).is_err());
    let good = {
        let mut b = Builder::new();
        let f = helvetica(&mut b);
        b.page(
            b"BT /F1 10 Tf 40 800 Td (Tekst) Tj ET",
            font_resources("F1", f),
            dictionary! {},
        );
        b.finish()
    };
    for cut in (0..good.len()).step_by(37) {
        let _ = read(&good[..cut], &no_ocr());
    }
}

#[test]
fn size_cap_is_checked_before_loading() {
    let opts = Options {
        limits: Limits {
            max_file_bytes: 100,
            ..Limits::default()
        },
        ..no_ocr()
    };
    assert!(matches!(read(&[b'%'; 200], &opts), Err(PdfError::Limit(_))));
}

#[test]
fn page_tree_cycle_terminates() {
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    b.page(
        b"BT /F1 10 Tf 40 800 Td (Jedna) Tj ET",
        font_resources("F1", f),
        dictionary! {},
    );
    // A Pages node whose kid is the root Pages node itself.
    let loop_node =
        b.add(dictionary! { "Type" => "Pages", "Kids" => vec![b.pages_id.into()], "Count" => 1 });
    b.kids.push(loop_node.into());
    let started = Instant::now();
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(lines(&doc), vec![vec!["Jedna"]]);
}

#[test]
fn xobject_cycles_and_deep_nesting_are_bounded() {
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    // Form A draws text and then itself (through its own resources).
    let a_id = b.doc.new_object_id();
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => f }, "XObject" => dictionary! { "A" => a_id } },
        },
        b"BT /F1 10 Tf 0 0 Td (Petla) Tj ET 1 0 0 1 0 -12 cm /A Do".to_vec(),
    );
    b.doc.objects.insert(a_id, Object::Stream(form));
    let resources = dictionary! { "Font" => dictionary! { "F1" => f }, "XObject" => dictionary! { "A" => a_id } };
    let mut content = b"q 1 0 0 1 50 700 cm /A Do Q ".to_vec();
    content.extend(std::iter::repeat_n(b'[', 200_000));
    content.extend(
        std::iter::repeat_n(b'q', 1)
            .chain(b" ".iter().copied())
            .cycle()
            .take(100_000),
    );
    b.page(&content, resources, dictionary! {});
    let started = Instant::now();
    let doc = read(&b.finish(), &no_ocr()).expect("read");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(lines(&doc), vec![vec!["Petla"]]);
    assert!(
        doc.warnings.iter().any(|w| w.contains("cyclic")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn flate_bomb_is_capped() {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&chunk).expect("compress");
    }
    let bomb = enc.finish().expect("compress");
    let mut b = Builder::new();
    let f = helvetica(&mut b);
    let content_id = b.add(Stream::new(dictionary! { "Filter" => "FlateDecode" }, bomb));
    let page = b.add(dictionary! {
        "Type" => "Page", "Parent" => b.pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content_id, "Resources" => font_resources("F1", f),
    });
    b.kids.push(page.into());
    let opts = Options {
        limits: Limits {
            max_stream_bytes: 4 << 20,
            ..Limits::default()
        },
        ..no_ocr()
    };
    let started = Instant::now();
    let got = read(&b.finish(), &opts);
    assert!(started.elapsed() < Duration::from_secs(10));
    match got {
        Ok(doc) => assert!(
            doc.warnings.iter().any(|w| w.contains("limit")),
            "{:?}",
            doc.warnings
        ),
        Err(e) => assert!(
            matches!(e, PdfError::Limit(_) | PdfError::Damaged(_)),
            "{e}"
        ),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 64, ..Default::default() })]
    #[test]
    fn mutated_pdfs_never_panic(edits in proptest::collection::vec((0usize..4000, proptest::num::u8::ANY), 1..12)) {
        let mut bytes = {
            let mut b = Builder::new();
            let f = helvetica(&mut b);
            b.page(b"BT /F1 10 Tf 40 800 Td [(Call:) -300 (07:00)] TJ ET q 2 0 0 2 0 0 cm Q",
                font_resources("F1", f), dictionary! {});
            b.finish()
        };
        for (pos, val) in edits {
            let len = bytes.len();
            bytes[pos % len] = val;
        }
        let _ = read(&bytes, &no_ocr());
    }
}

/// Every corpus PDF (when the shared corpus is present): text with Polish
/// letters on every page, OCR for scans when the tools are installed.
#[test]
fn corpus_pdfs_read_with_polish_text() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/pdf"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let have_ocr = std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok();
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
    {
        let bytes = std::fs::read(path).expect("read corpus file");
        let opts = Options {
            ocr: have_ocr,
            ..Options::default()
        };
        let doc = read(&bytes, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if doc.pages.iter().all(|p| p.lines.is_empty()) {
            assert!(!have_ocr, "{}: no text even with OCR", path.display());
            continue;
        }
        let text = doc.text();
        assert!(
            text.chars().any(|c| "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ".contains(c)),
            "{}: no Polish letters",
            path.display()
        );
        for (i, page) in doc.pages.iter().enumerate() {
            assert!(
                page.lines.len() > 10,
                "{} page {}: {} lines",
                path.display(),
                i + 1,
                page.lines.len()
            );
            assert!(
                page.lines.iter().any(|l| l.cells.len() >= 3),
                "{} page {}: no table row",
                path.display(),
                i + 1
            );
        }
    }
}
