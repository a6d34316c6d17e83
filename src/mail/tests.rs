//! The mail reader against generated messages of every client shape and
//! decoy, the open corpus (when present), and random input.

use super::testmail::*;
use super::*;
use std::time::{Duration, Instant};

fn filter() -> Filter {
    Filter::default()
}

fn read_ok(bytes: impl AsRef<[u8]>) -> MailRead {
    match read(bytes.as_ref(), &filter()) {
        Ok(r) => r,
        Err(e) => panic!("not read: {e}"),
    }
}

fn assert_matched(r: &MailRead) {
    assert!(r.summary.matched, "expected a match: {}", r.summary.reason);
    assert!(
        r.summary.reason.starts_with("accepted: "),
        "{}",
        r.summary.reason
    );
}

fn assert_rejected(r: &MailRead, needle: &str) {
    assert!(
        !r.summary.matched,
        "expected a rejection: {}",
        r.summary.reason
    );
    assert!(
        r.summary.reason.contains(needle),
        "reason {:?} lacks {needle:?}",
        r.summary.reason
    );
}

/// Gmail: mixed > alternative(QP plain, QP html) + base64 PDF, B-encoded subject.
fn gmail(pdf: &[u8]) -> String {
    let alt = multipart(
        "alternative",
        "000000000000a1",
        &[
            part(
                &[
                    "Content-Type: text/plain; charset=\"UTF-8\"",
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                "Dzie=C5=84 dobry, przesy=C5=82am plan na jutro.\n-- \nAsystent",
            ),
            part(
                &[
                    "Content-Type: text/html; charset=\"UTF-8\"",
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                "<div dir=3D\"ltr\">Dzie=C5=84 dobry, przesy=C5=82am plan na jutro.</div>",
            ),
        ],
    );
    let root = multipart(
        "mixed",
        "000000000000a2",
        &[alt, pdf_part("plan_03_03.pdf", pdf)],
    );
    // "MP2 – plan zdjęć, wt. 03.03"
    let env = envelope(
        "=?UTF-8?Q?Asystentka_Produkcji?= <asystent.produkcji@gmail.com>",
        "=?UTF-8?B?TVAyIOKAkyBwbGFuIHpkasSZxIcsIHd0LiAwMy4wMw==?=",
    );
    message(&refs(&env), &root)
}

#[test]
fn gmail_alternative_with_attachment() {
    let pdf = fake_pdf("gmail");
    let r = read_ok(gmail(&pdf));
    assert_matched(&r);
    assert_eq!(
        r.summary.from.as_deref(),
        Some("asystent.produkcji@gmail.com")
    );
    assert_eq!(
        r.summary.subject.as_deref(),
        Some("MP2 – plan zdjęć, wt. 03.03")
    );
    assert_eq!(
        r.summary.message_id.as_deref(),
        Some("<test-1@example.net>")
    );
    assert_eq!(
        r.summary.date.as_deref(),
        Some("Mon, 2 Mar 2026 18:00:00 +0100")
    );
    assert_eq!(r.summary.attachments, vec!["plan_03_03.pdf"]);
    assert_eq!(r.pdfs.len(), 1);
    assert_eq!(r.pdfs[0].bytes, pdf);
    assert_eq!(
        r.summary.reason,
        "accepted: sender asystent.produkcji@gmail.com listed, keyword \"MP2\" in subject, 1 PDF"
    );
}

#[test]
fn outlook_octet_stream_upper_case_pdf_name_crlf() {
    let pdf = fake_pdf("outlook");
    let alt = multipart(
        "alternative",
        "_000_AM9PR07MB",
        &[
            part(
                &[
                    "Content-Type: text/plain; charset=\"utf-8\"",
                    "Content-Transfer-Encoding: base64",
                ],
                &b64("W załączeniu call sheet na sobotę.".as_bytes()),
            ),
            part(
                &[
                    "Content-Type: text/html; charset=\"utf-8\"",
                    "Content-Transfer-Encoding: base64",
                ],
                &b64("<p>W załączeniu <b>call sheet</b></p>".as_bytes()),
            ),
        ],
    );
    let att = part(
        &[
            "Content-Type: application/octet-stream; name=\"MP2_D12.PDF\"",
            "Content-Description: MP2_D12.PDF",
            "Content-Disposition: attachment; filename=\"MP2_D12.PDF\"; size=400;\n\tcreation-date=\"Fri, 16 Jan 2026 19:58:00 GMT\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&pdf),
    );
    let root = multipart("mixed", "_004_AM9PR07MB", &[alt, att]);
    let mut env = envelope(
        "=?utf-8?B?TWFydGEgWmllbGnFhHNrYQ==?= <m.zielinska@mp2film.pl>",
        "Sobota",
    );
    env.extend([
        "Thread-Topic: Sobota".to_string(),
        "Thread-Index: AdrE/UU0q3aT5HnQRfuvn2pIRt5xEA==".into(),
        "X-MS-Has-Attach: yes".into(),
        "X-MS-TNEF-Correlator:".into(),
        "authentication-results: dkim=none (message not signed)\n header.d=none;dmarc=none action=none header.from=mp2film.pl;".into(),
    ]);
    let r = read_ok(crlf(&message(&refs(&env), &root)));
    assert_matched(&r);
    assert!(
        r.summary
            .reason
            .contains("keyword \"call sheet\" in text body"),
        "{}",
        r.summary.reason
    );
    assert_eq!(r.summary.attachments, vec!["MP2_D12.PDF"]);
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn octet_stream_without_pdf_name_is_no_pdf() {
    let att = part(
        &[
            "Content-Type: application/octet-stream; name=\"plan.pdf.zip\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(b"PK\x03\x04zip"),
    );
    let root = multipart("mixed", "b1", &[plain("Plan zdjęć w załączniku."), att]);
    let env = envelope("Biuro <biuro@produkcja-mp2.pl>", "Plan");
    let r = read_ok(message(&refs(&env), &root));
    assert_rejected(&r, "no PDF attached");
    assert_eq!(r.summary.attachments, vec!["plan.pdf.zip"]);
    assert!(r.pdfs.is_empty());
}

#[test]
fn apple_mail_inline_pdf_between_text_parts() {
    let pdf = fake_pdf("apple");
    let inline_pdf = part(
        &[
            "Content-Disposition: inline;\n\tfilename=MP2_plan_22_10.pdf",
            "Content-Type: application/pdf;\n\tx-unix-mode=0644;\n\tname=\"MP2_plan_22_10.pdf\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&pdf),
    );
    let root = multipart(
        "mixed",
        "Apple-Mail=_0D05F982",
        &[
            part(
                &[
                    "Content-Transfer-Encoding: quoted-printable",
                    "Content-Type: text/plain;\n\tcharset=utf-8",
                ],
                "Hej,\n",
            ),
            inline_pdf,
            part(
                &[
                    "Content-Transfer-Encoding: quoted-printable",
                    "Content-Type: text/plain;\n\tcharset=utf-8",
                ],
                "\nDrabinka na przysz=C5=82y tydzie=C5=84 jutro.\nTomek",
            ),
        ],
    );
    let env = envelope(
        "=?utf-8?Q?Tomasz_Wr=C3=B3bel?= <t.wrobel@produkcja-mp2.pl>",
        "czwartek",
    );
    let r = read_ok(message(&refs(&env), &root));
    assert_matched(&r);
    // The keyword sits in the text part after the PDF.
    assert!(
        r.summary.reason.contains("\"drabinka\" in text body"),
        "{}",
        r.summary.reason
    );
    assert_eq!(r.summary.attachments, vec!["MP2_plan_22_10.pdf"]);
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn thunderbird_rfc2231_continuations_and_format_flowed() {
    let pdf = fake_pdf("tb");
    let att = part(
        &[
            "Content-Type: application/pdf;\n name*0*=UTF-8''plan_zdj%C4%99ciowy_;\n name*1*=dzie%C5%84_21.pdf",
            "Content-Disposition: attachment;\n filename*0*=UTF-8''plan_zdj%C4%99ciowy_;\n filename*1*=dzie%C5%84_21.pdf",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&pdf),
    );
    // format=flowed: the keyword is broken across a soft line break.
    let text = part(
        &[
            "Content-Type: text/plain; charset=UTF-8; format=flowed",
            "Content-Transfer-Encoding: 8bit",
        ],
        "w załączniku przesyłam plan \nzdjęciowy na poniedziałek.\n",
    );
    let root = multipart("mixed", "------------2xVX4SKJ", &[text, att]);
    let mut env = envelope("Karolina Mazur <k.mazur@mp2film.pl>", "dzień 21");
    env.push("User-Agent: Mozilla Thunderbird".into());
    let r = read_ok(message(&refs(&env), &root));
    assert_matched(&r);
    assert_eq!(r.summary.attachments, vec!["plan_zdjęciowy_dzień_21.pdf"]);
    assert_eq!(r.pdfs[0].name, "plan_zdjęciowy_dzień_21.pdf");
}

#[test]
fn rfc2231_name_in_iso_8859_2() {
    let att = part(
        &[
            "Content-Type: application/pdf",
            "Content-Disposition: attachment; filename*=iso-8859-2''plan_zdj%EAciowy_%B3%F3d%BC.pdf",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&fake_pdf("x")),
    );
    let root = multipart("mixed", "b", &[plain("MP2"), att]);
    let r = read_ok(message(&refs(&envelope("a@mp2film.pl", "x")), &root));
    assert_eq!(r.summary.attachments, vec!["plan_zdjęciowy_łódź.pdf"]);
}

#[test]
fn rfc2047_names_q_and_b_and_iso_8859_2_subject() {
    let pdf = fake_pdf("q");
    let q = part(
        &[
            "Content-Type: application/pdf; name=\"=?UTF-8?Q?plan=5Fzdj=C4=99ciowy.pdf?=\"",
            "Content-Disposition: attachment; filename=\"=?UTF-8?Q?plan=5Fzdj=C4=99ciowy.pdf?=\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&pdf),
    );
    let b = part(
        &[
            // "drabinka_środa.pdf"
            "Content-Type: application/pdf; name=\"=?utf-8?B?ZHJhYmlua2FfxZtyb2RhLnBkZg==?=\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&pdf),
    );
    let root = multipart("mixed", "b", &[plain("w załączniku"), q, b]);
    // "Zdjęcia w czwartek" in ISO-8859-2, Q-encoded: the keyword is in the subject.
    let env = envelope(
        "Halina <obsada@mp2film.pl>",
        "=?iso-8859-2?Q?Plan_zdj=EA=E6_-_czwartek?=",
    );
    let r = read_ok(message(&refs(&env), &root));
    assert_eq!(r.summary.subject.as_deref(), Some("Plan zdjęć - czwartek"));
    assert_eq!(
        r.summary.attachments,
        vec!["plan_zdjęciowy.pdf", "drabinka_środa.pdf"]
    );
    assert_matched(&r);
    assert!(
        r.summary.reason.contains("\"plan zdjęć\" in subject"),
        "{}",
        r.summary.reason
    );
    assert!(r.summary.reason.ends_with("2 PDFs"), "{}", r.summary.reason);
}

fn forward(inner_text: &str, outer_text: &str, outer_subject: &str) -> (String, Vec<u8>) {
    let pdf = fake_pdf("fwd");
    let inner_root = multipart(
        "mixed",
        "inner-b",
        &[plain(inner_text), pdf_part("MP2_plan_v2.pdf", &pdf)],
    );
    let inner = message(
        &refs(&envelope(
            "Karolina <k.mazur@mp2film.pl>",
            "Plan zdjęciowy na wtorek",
        )),
        &inner_root,
    );
    let attached = part(
        &[
            "Content-Type: message/rfc822",
            "Content-Disposition: attachment",
        ],
        &inner,
    );
    let root = multipart("mixed", "outer-b", &[plain(outer_text), attached]);
    let env = envelope("Marta <m.zielinska@mp2film.pl>", outer_subject);
    (message(&refs(&env), &root), pdf)
}

#[test]
fn forwarded_as_attachment_pdf_inside_message_rfc822() {
    let (msg, pdf) = forward(
        "przesyłam plan zdjęć",
        "Do wiadomości, harmonogram w załączonej wiadomości.",
        "PD: wtorek",
    );
    let r = read_ok(crlf(&msg));
    assert_matched(&r);
    assert_eq!(
        r.summary.from.as_deref(),
        Some("m.zielinska@mp2film.pl"),
        "outer From, not the original's"
    );
    assert_eq!(r.summary.attachments, vec!["MP2_plan_v2.pdf"]);
    assert_eq!(r.pdfs.len(), 1);
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn base64_encoded_attached_message_with_a_name() {
    let pdf = fake_pdf("b64fwd");
    let inner_root = multipart("mixed", "in", &[plain("x"), pdf_part("inner.pdf", &pdf)]);
    let inner = message(&refs(&envelope("k@mp2film.pl", "orig")), &inner_root);
    let attached = part(
        &[
            "Content-Type: message/rfc822; name=\"Plan.eml\"",
            "Content-Disposition: attachment; filename=\"Plan.eml\"",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(crlf(&inner).as_bytes()),
    );
    let root = multipart(
        "mixed",
        "out",
        &[plain("Drabinka w załączonej wiadomości"), attached],
    );
    let r = read_ok(message(&refs(&envelope("m@mp2film.pl", "PD: orig")), &root));
    assert_eq!(r.summary.attachments, vec!["Plan.eml", "inner.pdf"]);
    assert_matched(&r);
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn keyword_only_in_attached_message_does_not_count() {
    let (msg, _) = forward(
        "Plan zdjęciowy na wtorek, call time 07:00",
        "Do wiadomości.",
        "PD: wtorek",
    );
    let r = read_ok(msg);
    assert_rejected(&r, "no keyword");
    // The PDF is still found and handed over.
    assert_eq!(r.pdfs.len(), 1);
}

#[test]
fn reattached_forward_and_reply_with_revised_pdfs_keep_order() {
    let (v1, v2) = (fake_pdf("v1"), fake_pdf("v2"));
    let quoted = "> Plan zdjęciowy w załączniku\n> --\n> Karolina";
    let root = multipart(
        "mixed",
        "r",
        &[
            plain(&format!("Poprawiona wersja planu (wersja 2).\n\n{quoted}")),
            pdf_part("MP2_plan_2026-03-03.pdf", &v1),
            pdf_part("MP2_plan_2026-03-03_v2.pdf", &v2),
        ],
    );
    let mut env = envelope("Karolina <k.mazur@mp2film.pl>", "Re: wtorek");
    env.push("In-Reply-To: <orig@mp2film.pl>".into());
    let r = read_ok(message(&refs(&env), &root));
    assert_matched(&r);
    assert_eq!(
        r.summary.attachments,
        vec!["MP2_plan_2026-03-03.pdf", "MP2_plan_2026-03-03_v2.pdf"]
    );
    assert_eq!(
        r.pdfs.iter().map(|p| p.bytes.clone()).collect::<Vec<_>>(),
        vec![v1, v2]
    );
}

fn with_auth(results: &str, from: &str) -> MailRead {
    let root = multipart(
        "mixed",
        "b",
        &[
            plain("Plan zdjęciowy na jutro."),
            pdf_part("plan.pdf", &fake_pdf("a")),
        ],
    );
    let mut env = envelope(from, "MP2 plan");
    env.insert(
        0,
        format!("Authentication-Results: mx.example.net;\n\t{results}"),
    );
    read_ok(message(&refs(&env), &root))
}

#[test]
fn spoofed_dkim_fail_is_rejected() {
    let r = with_auth(
        "dkim=fail (signature verification failed) header.d=produkcja-mp2.pl header.i=@produkcja-mp2.pl;\n\tspf=fail smtp.mailfrom=produkcja-mp2.pl;\n\tdmarc=fail header.from=produkcja-mp2.pl",
        "Produkcja MP2 <plan@produkcja-mp2.pl>",
    );
    assert_rejected(&r, "rejected as spoofed: dkim=fail for produkcja-mp2.pl");
    assert_eq!(r.pdfs.len(), 1, "PDFs are still handed over");
}

#[test]
fn spf_fail_alone_is_spoofed() {
    let r = with_auth(
        "spf=fail (not permitted) smtp.mailfrom=plan@produkcja-mp2.pl",
        "plan@produkcja-mp2.pl",
    );
    assert_rejected(&r, "spf=fail for produkcja-mp2.pl");
}

#[test]
fn spf_fail_with_dkim_pass_is_accepted() {
    let r = with_auth(
        "dkim=pass (2048-bit key) header.d=produkcja-mp2.pl;\n\tspf=fail smtp.mailfrom=produkcja-mp2.pl",
        "plan@produkcja-mp2.pl",
    );
    assert_matched(&r);
}

#[test]
fn failures_for_an_unlisted_domain_do_not_spoof_a_listed_sender() {
    let r = with_auth(
        "dkim=fail header.d=mailer-tool.example",
        "plan@produkcja-mp2.pl",
    );
    assert_matched(&r);
}

#[test]
fn listed_display_name_with_unlisted_address_is_rejected() {
    let r = with_auth(
        "dkim=pass header.d=evil.example",
        "\"plan@produkcja-mp2.pl\" <plan@evil.example>",
    );
    assert_eq!(r.summary.from.as_deref(), Some("plan@evil.example"));
    assert_rejected(
        &r,
        "rejected: sender plan@evil.example not in filter.senders",
    );
}

#[test]
fn subdomain_of_a_listed_domain_is_rejected() {
    let r = with_auth(
        "dkim=pass header.d=mail.produkcja-mp2.pl",
        "plan@mail.produkcja-mp2.pl",
    );
    assert_rejected(&r, "not in filter.senders");
}

#[test]
fn keyword_matches_with_diacritics_folded_both_ways() {
    let root = multipart(
        "mixed",
        "b",
        &[
            plain("W załączniku PLAN ZDJĘĆ."),
            pdf_part("a.pdf", &fake_pdf("a")),
        ],
    );
    let msg = message(&refs(&envelope("biuro@produkcja-mp2.pl", "Jutro")), &root);
    let folded = Filter {
        keywords: vec!["plan zdjec".into()],
        ..Filter::default()
    };
    let r = read(msg.as_bytes(), &folded).expect("read");
    assert_matched(&r);
    let root = multipart(
        "mixed",
        "b",
        &[
            plain("plan zdjec na jutro"),
            pdf_part("a.pdf", &fake_pdf("a")),
        ],
    );
    let msg = message(&refs(&envelope("biuro@produkcja-mp2.pl", "Jutro")), &root);
    let accented = Filter {
        keywords: vec!["Plan Zdjęć".into()],
        ..Filter::default()
    };
    assert_matched(&read(msg.as_bytes(), &accented).expect("read"));
}

fn single_pdf_part(headers: &[&str], body: &[u8]) -> MailRead {
    let mut root = multipart(
        "mixed",
        "b",
        &[plain("Plan zdjęciowy."), part(headers, "@BODY@")],
    )
    .into_bytes();
    let at = root
        .windows(6)
        .position(|w| w == b"@BODY@")
        .expect("placeholder");
    root.splice(at..at + 6, body.iter().copied());
    let mut msg = message(&refs(&envelope("biuro@produkcja-mp2.pl", "Jutro")), "").into_bytes();
    msg.extend(root);
    read_ok(msg)
}

#[test]
fn pdf_labelled_7bit_but_base64() {
    let pdf = fake_pdf("7bit");
    let r = single_pdf_part(
        &[
            "Content-Type: application/pdf; name=\"plan.pdf\"",
            "Content-Transfer-Encoding: 7bit",
        ],
        b64(&pdf).as_bytes(),
    );
    assert_matched(&r);
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn pdf_base64_without_transfer_encoding_label() {
    let pdf = fake_pdf("unlabelled");
    let r = single_pdf_part(
        &["Content-Type: application/pdf; name=\"plan.pdf\""],
        crlf(&b64(&pdf)).as_bytes(),
    );
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn raw_binary_pdf_is_taken_as_is() {
    let pdf = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF".to_vec();
    let r = single_pdf_part(
        &[
            "Content-Type: application/pdf",
            "Content-Transfer-Encoding: binary",
        ],
        &pdf,
    );
    assert_matched(&r);
    assert_eq!(r.pdfs[0].bytes, pdf);
    assert_eq!(r.pdfs[0].name, "unnamed-1.pdf");
    assert!(
        r.summary.attachments.is_empty(),
        "an unnamed part is no named attachment"
    );
}

#[test]
fn raw_pdf_labelled_base64() {
    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF".to_vec();
    let r = single_pdf_part(
        &[
            "Content-Type: application/pdf; name=p.pdf",
            "Content-Transfer-Encoding: base64",
        ],
        &pdf,
    );
    assert_eq!(r.pdfs[0].bytes, pdf);
}

#[test]
fn newsletter_without_pdf_is_a_decoy() {
    let logo = part(
        &[
            "Content-Type: image/png; name=\"logo.png\"",
            "Content-Disposition: inline; filename=\"logo.png\"",
            "Content-ID: <logo>",
            "Content-Transfer-Encoding: base64",
        ],
        &b64(b"\x89PNG\r\n\x1a\n"),
    );
    let related = multipart(
        "related",
        "rel",
        &[
            html("<p>Kulisy MP2: plan zdjęciowy w aplikacji</p><img src=\"cid:logo\">"),
            logo,
        ],
    );
    let r = read_ok(message(
        &refs(&envelope("newsletter@mp2film.pl", "Newsletter MP2")),
        &related,
    ));
    assert_rejected(&r, "no PDF attached");
    assert_eq!(r.summary.attachments, vec!["logo.png"]);
}

#[test]
fn invoice_without_keyword_is_a_decoy() {
    let root = multipart(
        "mixed",
        "b",
        &[
            plain("W załączeniu faktura VAT."),
            pdf_part("Faktura.pdf", &fake_pdf("fv")),
        ],
    );
    let r = read_ok(message(
        &refs(&envelope("ksiegowosc@produkcja-mp2.pl", "Faktura VAT FV/1")),
        &root,
    ));
    assert_rejected(&r, "no keyword");
    assert_eq!(r.pdfs.len(), 1);
}

#[test]
fn iso_8859_2_quoted_printable_body() {
    let alt = multipart(
        "alternative",
        "----=_NextPart_001",
        &[
            part(
                &[
                    "Content-Type: text/plain;\n\tcharset=\"iso-8859-2\"",
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                "uprzejmie informuj=EA, =BFe plan zdj=EA=E6 jest w za=B3=B1czniku.",
            ),
            part(
                &[
                    "Content-Type: text/html;\n\tcharset=\"iso-8859-2\"",
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                "<p>uprzejmie informuj=EA</p>",
            ),
        ],
    );
    let root = multipart(
        "mixed",
        "----=_NextPart_000",
        &[alt, pdf_part("plan_czwartek.pdf", &fake_pdf("wlm"))],
    );
    let mut env = envelope(
        "\"Halina Pawlak\" <obsada@mp2film.pl>",
        "=?iso-8859-2?Q?Zdj=EAcia_w_czwartek?=",
    );
    env.push("X-Mailer: Microsoft Windows Live Mail 16.4.3528.331".into());
    let r = read_ok(crlf(&message(&refs(&env), &root)));
    assert_eq!(r.summary.subject.as_deref(), Some("Zdjęcia w czwartek"));
    assert_matched(&r);
    assert!(
        r.summary.reason.contains("\"plan zdjęć\" in text body"),
        "{}",
        r.summary.reason
    );
}

#[test]
fn windows_1250_and_unlabelled_8bit_bodies() {
    // "środa: plan zdjęć" — ś is 0x9C in Windows-1250, ę 0xEA, ć 0xE6.
    let cp1250: &[u8] = b"\x9croda: plan zdj\xea\xe6";
    for ct in [
        "Content-Type: text/plain; charset=windows-1250",
        "Content-Type: text/plain",
    ] {
        let r = single_pdf_part(&["Content-Type: application/pdf"], b"%PDF-1.4\n%%EOF");
        assert!(r.summary.matched);
        let mut msg = message(&refs(&envelope("biuro@produkcja-mp2.pl", "Jutro")), "").into_bytes();
        let body = multipart(
            "mixed",
            "b",
            &[
                part(&[ct, "Content-Transfer-Encoding: 8bit"], "@T@"),
                pdf_part("a.pdf", &fake_pdf("a")),
            ],
        );
        let mut body = body.into_bytes();
        let at = body
            .windows(3)
            .position(|w| w == b"@T@")
            .expect("placeholder");
        body.splice(at..at + 3, cp1250.iter().copied());
        msg.extend(body);
        let only_pl = Filter {
            keywords: vec!["plan zdjęć".into()],
            ..Filter::default()
        };
        let r = read(&msg, &only_pl).expect("read");
        assert_matched(&r);
    }
}

#[test]
fn raw_8bit_subject_in_a_legacy_code_page() {
    let mut msg = b"From: biuro@produkcja-mp2.pl\nSubject: Plan zdj\xea\xe6\nDate: Mon, 2 Mar 2026 18:00:00 +0100\n\nx\n".to_vec();
    msg.extend_from_slice(b"");
    let r = read_ok(msg);
    assert_eq!(r.summary.subject.as_deref(), Some("Plan zdjęć"));
}

#[test]
fn html_only_body_with_entities() {
    let root = multipart(
        "mixed",
        "b1=_K4oW",
        &[
            part(
                &["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                "<html><head><title>Dzie=C5=84 34</title><style>td{padding:4px}</style></head><body><table><tr><td>Call&nbsp;time</td><td>07:00</td></tr></table></body></html>",
            ),
            pdf_part("Dzien_34.pdf", &fake_pdf("h")),
        ],
    );
    let r = read_ok(message(
        &refs(&envelope(
            "Biuro Produkcji <plany@produkcja-mp2.pl>",
            "Dzień 34 – informacje na piątek",
        )),
        &root,
    ));
    assert_matched(&r);
    assert!(
        r.summary.reason.contains("\"call time\" in HTML body"),
        "{}",
        r.summary.reason
    );
}

#[test]
fn mbox_from_line_and_bare_lf() {
    let mut msg = String::from("From asystent.produkcji@gmail.com Mon Mar  2 18:00:00 2026\n");
    msg.push_str(&gmail(&fake_pdf("mbox")));
    let r = read_ok(&msg);
    assert_matched(&r);
    assert_eq!(
        r.summary.from.as_deref(),
        Some("asystent.produkcji@gmail.com")
    );
}

#[test]
fn too_large_is_an_error_naming_the_setting() {
    let small = Filter {
        max_message_bytes: 100,
        ..Filter::default()
    };
    let err = read(gmail(&fake_pdf("big")).as_bytes(), &small).expect_err("over the limit");
    assert!(matches!(err, MailError::TooLarge(_, 100)));
    assert!(
        err.to_string().contains("filter.max_message_bytes"),
        "{err}"
    );
}

#[test]
fn not_mail_inputs() {
    for input in [
        &b""[..],
        b"  \r\n",
        b"%PDF-1.4\n1 0 obj",
        b"\x00\x01\x02\xff\xfe binary junk",
        b"hello world",
    ] {
        match read(input, &filter()) {
            Err(MailError::NotMail(why)) => assert!(!why.is_empty()),
            other => panic!("{input:?}: expected NotMail, got {other:?}"),
        }
    }
}

fn nested_multiparts(depth: usize) -> String {
    let mut msg = String::from("From: biuro@produkcja-mp2.pl\nSubject: MP2\nMIME-Version: 1.0\n");
    for i in 0..depth {
        msg.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    msg.push_str("Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n");
    msg.push_str(&b64(&fake_pdf("deep")));
    msg.push('\n');
    for i in (0..depth).rev() {
        msg.push_str(&format!("--b{i}--\n"));
    }
    msg
}

#[test]
fn ten_thousand_nested_multiparts_are_refused_by_the_pre_scan() {
    let started = Instant::now();
    let r = read(nested_multiparts(10_000).as_bytes(), &filter()).expect("headers are read");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_rejected(&r, "multipart boundaries");
    assert_eq!(r.summary.from.as_deref(), Some("biuro@produkcja-mp2.pl"));
}

#[test]
fn nesting_under_the_pre_scan_is_cut_at_the_depth_limit() {
    let started = Instant::now();
    let r = read(nested_multiparts(3_000).as_bytes(), &filter()).expect("read as a message");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_rejected(&r, "nested deeper than 32 levels were ignored");
    assert!(r.pdfs.is_empty());
}

#[test]
fn deep_but_reasonable_nesting_is_read() {
    let mut inner = pdf_part("deep.pdf", &fake_pdf("d"));
    for i in 0..10 {
        inner = multipart("mixed", &format!("lvl{i}"), &[inner]);
    }
    let root = multipart("mixed", "top", &[plain("Plan zdjęciowy"), inner]);
    let r = read_ok(message(
        &refs(&envelope("biuro@produkcja-mp2.pl", "x")),
        &root,
    ));
    assert_matched(&r);
}

#[test]
fn ten_thousand_nested_attached_messages_are_refused_unread() {
    let depth = 10_000;
    let mut msg = String::new();
    for _ in 0..depth {
        msg.push_str(
            "From: biuro@produkcja-mp2.pl\nSubject: MP2\nContent-Type: message/rfc822\n\n",
        );
    }
    msg.push_str("From: x@y.pl\nSubject: end\n\nplan zdjęciowy\n");
    let started = Instant::now();
    let r = read(msg.as_bytes(), &filter()).expect("headers are read");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_rejected(&r, "attached messages");
    assert_eq!(r.summary.subject.as_deref(), Some("MP2"));
}

#[test]
fn content_hash_ignores_line_endings() {
    let lf = gmail(&fake_pdf("h"));
    let h = content_hash(lf.as_bytes());
    assert_eq!(h, content_hash(crlf(&lf).as_bytes()));
    assert_eq!(h.len(), 64);
    assert_ne!(h, content_hash(b"other"));
    assert_eq!(content_hash(b"a\r\nb\rc"), content_hash(b"a\nb\nc"));
}

#[test]
fn sender_listed_by_address_or_exact_domain() {
    let f = filter();
    assert!(sender_listed("Anyone@PRODUKCJA-MP2.pl", &f));
    assert!(sender_listed("asystent.produkcji@gmail.com", &f));
    assert!(!sender_listed("someone.else@gmail.com", &f));
    assert!(!sender_listed("x@sub.mp2film.pl", &f));
}

/// The open corpus: every verdict, attachment list and header as the truth
/// files state, and every PDF of a matched message byte-exact.
#[test]
fn open_corpus_matches_truth() {
    use sha2::{Digest, Sha256};
    let dir = std::env::var("MP2_MAIL_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/mail").into());
    let dir = std::path::Path::new(&dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("corpus {} absent; skipped", dir.display());
        return;
    };
    let mut names: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for path in names {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let Ok(truth) = std::fs::read(dir.join("truth").join(format!("{stem}.json"))) else {
            continue;
        };
        let truth: serde_json::Value = serde_json::from_slice(&truth).expect("truth json");
        let bytes = std::fs::read(&path).expect("read eml");
        total += 1;
        let r = match read(&bytes, &filter()) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{stem}: {e}"));
                continue;
            }
        };
        let s = &r.summary;
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("{stem}: {what}: {detail}"));
            }
        };
        let t_matched = truth["matched"].as_bool().unwrap_or(false);
        check(
            "matched",
            s.matched == t_matched,
            format!("got {} ({})", s.matched, s.reason),
        );
        let t_att: Vec<String> =
            serde_json::from_value(truth["attachments"].clone()).unwrap_or_default();
        check(
            "attachments",
            s.attachments == t_att,
            format!("{:?} vs {t_att:?}", s.attachments),
        );
        for key in ["from", "subject", "message_id"] {
            let got = match key {
                "from" => s.from.as_deref(),
                "subject" => s.subject.as_deref(),
                _ => s.message_id.as_deref(),
            };
            check(
                key,
                got == truth[key].as_str(),
                format!("{got:?} vs {:?}", truth[key]),
            );
        }
        // The truth prints the date in local time; the header may be in UTC.
        let instant =
            |d: Option<&str>| d.and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
        check(
            "date",
            instant(s.date.as_deref()) == instant(truth["date"].as_str()),
            format!("{:?}", s.date),
        );
        if t_matched {
            let parts = truth["parts"].as_array().cloned().unwrap_or_default();
            let good = r
                .pdfs
                .iter()
                .filter(|p| p.bytes.starts_with(b"%PDF"))
                .count();
            check(
                "a %PDF",
                good >= 1,
                format!("{} PDFs, none starts with %PDF", r.pdfs.len()),
            );
            for pdf in &r.pdfs {
                let want = parts
                    .iter()
                    .find(|p| p["filename"].as_str() == Some(pdf.name.as_str()));
                let got = hex::encode(Sha256::digest(&pdf.bytes));
                let want = want
                    .and_then(|p| p["sha256"].as_str())
                    .unwrap_or("(no truth part)");
                check(
                    "pdf sha256",
                    got == want,
                    format!("{}: {got} vs {want}", pdf.name),
                );
            }
        }
    }
    eprintln!(
        "mail corpus: {}/{total} messages fully correct",
        total
            - failures
                .iter()
                .map(|f| f.split(':').next())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn seed() -> Vec<u8> {
        let (fwd, _) = forward("plan", "harmonogram", "PD: x");
        let mut v = crlf(&gmail(&fake_pdf("seed"))).into_bytes();
        v.extend_from_slice(b"\r\n");
        v.extend(fwd.into_bytes());
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            // Below the catch_unwind net: our own code must not panic.
            let _ = read_checked(&bytes, &filter());
        }

        #[test]
        fn mutated_messages(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..40)) {
            let mut bytes = seed();
            for (at, byte, op) in edits {
                let at = at % (bytes.len() + 1);
                match op {
                    0 => bytes.insert(at, byte),
                    1 if at < bytes.len() => { bytes.remove(at); }
                    _ if at < bytes.len() => bytes[at] = byte,
                    _ => {}
                }
            }
            let _ = read_checked(&bytes, &filter());
        }

        #[test]
        fn header_soup(lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "Content-Type: multipart/mixed; boundary=x", "Content-Type: message/rfc822",
                "--x", "--x--", "", "Content-Transfer-Encoding: base64", "JVBERi0=",
                "Content-Type: application/pdf; name*0*=utf-8''%C4; name*1=x",
                "Subject: =?utf-8?B?zz?=", "From: <@>", "Authentication-Results: ; dkim=fail ( (",
                "Content-Type: text/html", "<style>", "&#xFFFFFFFF;", "=?iso-8859-2?Q?=ZZ?=",
            ]), 0..80)) {
            let msg = format!("From: a@mp2film.pl\n{}", lines.join("\n"));
            let _ = read_checked(msg.as_bytes(), &filter());
        }
    }
}

#[test]
fn encoded_words_split_inside_a_letter_are_joined() {
    // Outlook folds long B-words wherever the 75 columns end, even inside "ę".
    let split = "=?UTF-8?B?cGxhbl96ZGrE?= =?UTF-8?B?mWNpb3d5LnBkZg==?=";
    let att = part(
        &[
            &format!("Content-Type: application/pdf; name=\"{split}\""),
            "Content-Transfer-Encoding: base64",
        ],
        &b64(&fake_pdf("s")),
    );
    let root = multipart("mixed", "b", &[plain("MP2"), att]);
    let r = read_ok(message(&refs(&envelope("a@mp2film.pl", split)), &root));
    assert_eq!(r.summary.subject.as_deref(), Some("plan_zdjęciowy.pdf"));
    assert_eq!(r.summary.attachments, vec!["plan_zdjęciowy.pdf"]);
}

#[test]
fn raw_8bit_and_quoted_rfc2231_file_names() {
    let raw = b"From: a@mp2film.pl\nSubject: MP2\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"plan_zdj\xea\xe6.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=\"UTF-8''drabinka_%C5%9Broda.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n";
    let r = read_ok(&raw[..]);
    assert_eq!(
        r.summary.attachments,
        vec!["plan_zdjęć.pdf", "drabinka_środa.pdf"]
    );
    assert!(r.pdfs.iter().all(|p| p.bytes == b"%PDF-1.4\n"));
}

#[test]
fn hostile_header_fields_stay_fast() {
    let soup = "=?".repeat(200_000);
    let long_name = format!("=?UTF-8?Q?{}?=", "a".repeat(100_000));
    let msg = format!(
        "From: a@mp2film.pl\nSubject: {soup}\nContent-Type: application/pdf; name=\"{long_name}\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
    );
    let started = Instant::now();
    let r = read_ok(&msg);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.pdfs.len(), 1);
}
