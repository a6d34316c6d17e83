//! The schedule-mail filter of CONTRACT §3: sender, spoofing, keyword, PDF —
//! and the one sentence that says why.
//!
//! Contract: [`judge`] is a pure function of the outer headers, the parts
//! and the [`Filter`]. The checks run in the contract's order and the reason
//! names the first that failed (or, for an accepted message, what matched),
//! so `history` tells an operator which list to edit.

use super::fold::fold;
use super::html;
use super::mime::{Body, Envelope, Part};
use crate::config::Filter;

/// The filter's decision on one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub matched: bool,
    pub reason: String,
}

/// The `filter.senders` entry an address is listed under: the address
/// itself or its exact domain (any case; subdomains do not count).
pub fn listed_entry<'f>(address: &str, filter: &'f Filter) -> Option<&'f str> {
    let address = address.trim().to_ascii_lowercase();
    let domain = address.rsplit_once('@').map(|(_, d)| d)?;
    filter.senders.iter().map(|s| s.trim()).find(|entry| {
        let e = entry.to_ascii_lowercase();
        if e.contains('@') && !e.starts_with('@') {
            e == address
        } else {
            e.trim_start_matches('@') == domain
        }
    })
}

pub fn judge(envelope: &Envelope, parts: &[Part], filter: &Filter) -> Verdict {
    let rejected = |reason: String| Verdict {
        matched: false,
        reason,
    };
    let Some(from) = envelope.from.as_deref() else {
        return rejected("rejected: the message has no From: address".into());
    };
    // A second From: lets a client show one sender while the filter and
    // the authentication results speak of another.
    if envelope.from_headers > 1 {
        return rejected(format!(
            "rejected as spoofed: the message has {} From: headers",
            envelope.from_headers
        ));
    }
    let Some(entry) = listed_entry(from, filter) else {
        return rejected(format!("rejected: sender {from} not in filter.senders"));
    };
    let sender_domain = from.trim().rsplit_once('@').map_or("", |(_, d)| d);
    let headers = AuthHeaders {
        results: &envelope.auth_results,
        arc_results: &envelope.arc_auth_results,
        trusted: filter.trusted_authserv_ids.as_deref().unwrap_or_default(),
    };
    if let Some(failure) = spoof_failure(&headers, &watched_domains(from, filter), sender_domain) {
        return rejected(format!("rejected as spoofed: {failure}"));
    }
    let keyword = find_keyword(envelope.subject.as_deref(), parts, &filter.keywords);
    let pdfs = parts
        .iter()
        .filter(|p| matches!(p.body, Body::Pdf(_)))
        .count();
    match (keyword, pdfs) {
        (Some((kw, place)), n) if n > 0 => Verdict {
            matched: true,
            reason: format!(
                "accepted: sender {entry} listed, keyword \"{kw}\" in {place}, {n} PDF{}",
                if n == 1 { "" } else { "s" }
            ),
        },
        (Some((kw, place)), _) => rejected(format!(
            "rejected: sender {entry} listed and keyword \"{kw}\" in {place}, but no PDF attached"
        )),
        (None, 0) => rejected(format!(
            "rejected: sender {entry} listed, but no keyword from filter.keywords in the subject or text and no PDF attached"
        )),
        (None, _) => rejected(format!(
            "rejected: sender {entry} listed, but no keyword from filter.keywords in the subject or text"
        )),
    }
}

/// The first keyword (in filter order) found in the subject, else in a text
/// part of the message itself (not of an attached message), and where.
fn find_keyword<'f>(
    subject: Option<&str>,
    parts: &[Part],
    keywords: &'f [String],
) -> Option<(&'f str, &'static str)> {
    let wanted: Vec<(&str, String)> = keywords
        .iter()
        .map(|k| (k.as_str(), fold(k)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    // A whole-word occurrence names the keyword in the reason before a mere
    // substring ("MP2" inside "www.mp2film.pl"); either one matches.
    let in_text = |text: &str| {
        let found = || wanted.iter().filter(|(_, f)| text.contains(f.as_str()));
        found()
            .find(|(_, f)| occurs_as_word(text, f))
            .or_else(|| found().next())
            .map(|(k, _)| *k)
    };
    if let Some(k) = subject.map(fold).as_deref().and_then(in_text) {
        return Some((k, "subject"));
    }
    // A text file attached to the message is not its body.
    for part in parts
        .iter()
        .filter(|p| !p.in_attached_message && !p.attachment)
    {
        let Body::Text { html, text } = &part.body else {
            continue;
        };
        let folded = if *html {
            fold(&html::to_text(text))
        } else {
            fold(text)
        };
        if let Some(k) = in_text(&folded) {
            return Some((k, if *html { "HTML body" } else { "text body" }));
        }
    }
    None
}

/// Whether `needle` occurs in `text` with no letter or digit right before
/// or after it.
fn occurs_as_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Domains whose authentication failures mean spoofing: every listed domain,
/// and the sender's own domain (a listed Gmail address is spoofed when
/// gmail.com fails).
fn watched_domains(from: &str, filter: &Filter) -> Vec<String> {
    let mut domains: Vec<String> = filter
        .senders
        .iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.contains('@') || s.starts_with('@'))
        .map(|s| s.trim_start_matches('@').to_string())
        .collect();
    if let Some((_, d)) = from.trim().rsplit_once('@') {
        domains.push(d.to_ascii_lowercase());
    }
    domains.retain(|d| !d.is_empty());
    domains
}

/// One `method=result` of an `Authentication-Results` header.
#[derive(Debug, PartialEq)]
struct AuthResult {
    method: String,
    result: String,
    /// Domains of its `header.d`, `header.i`, `header.from`, `smtp.mailfrom`.
    domains: Vec<String>,
}

/// Reads the results of one header value: `authserv-id; method=result
/// (comment) ptype.property=value …; …`. Comments go first; segments without
/// a `method=result` (the authserv-id) are skipped, which also reads
/// Exchange's id-less variant.
fn auth_results(value: &str) -> Vec<AuthResult> {
    let value = strip_comments(value);
    let mut out = Vec::new();
    for segment in value.split(';') {
        let segment = segment.replace(" =", "=").replace("= ", "=");
        let mut tokens = segment.split_whitespace();
        let Some((method, result)) = tokens.next().and_then(|t| t.split_once('=')) else {
            continue;
        };
        if method.contains('.') || method.is_empty() {
            continue;
        }
        let domains = tokens
            .filter_map(|t| t.split_once('='))
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                [".d", ".i", ".from", ".mailfrom"]
                    .iter()
                    .any(|s| k.ends_with(s))
            })
            .map(|(_, v)| {
                let v = v.trim_matches(|c: char| c == '"' || c == '\'' || c == ',');
                v.rsplit_once('@')
                    .map_or(v, |(_, d)| d)
                    .trim_end_matches('.')
                    .to_ascii_lowercase()
            })
            .filter(|d| !d.is_empty())
            .collect();
        out.push(AuthResult {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            domains,
        });
    }
    out
}

fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The authserv-id of a header value (RFC 8601 §2.2): the first word of its
/// first segment, after ARC's `i=N;` instance tag; `None` for Exchange's
/// id-less variant, which starts with a result.
fn authserv_id(value: &str) -> Option<String> {
    let value = strip_comments(value);
    let mut segments = value.split(';').map(str::trim);
    let mut first = segments.next()?;
    if first.to_ascii_lowercase().starts_with("i=") {
        first = segments.next()?;
    }
    let id = first.split_whitespace().next()?;
    (!id.contains('=')).then(|| id.to_ascii_lowercase())
}

/// The headers the receiving side wrote (RFC 8601 §5): those whose
/// authserv-id is trusted when the operator lists ids, else only the
/// topmost one — every header below it may have come with the message.
fn written_by_receiver<'h>(headers: &'h [String], trusted: &[String]) -> Vec<&'h str> {
    if trusted.is_empty() {
        return headers.first().map(String::as_str).into_iter().collect();
    }
    headers
        .iter()
        .filter(|h| {
            authserv_id(h)
                .is_some_and(|id| trusted.iter().any(|t| t.trim().eq_ignore_ascii_case(&id)))
        })
        .map(String::as_str)
        .collect()
}

/// What rule 4 reads from a message's headers.
pub(crate) struct AuthHeaders<'a> {
    /// `Authentication-Results` values, topmost first.
    pub results: &'a [String],
    /// `ARC-Authentication-Results` values, topmost first.
    pub arc_results: &'a [String],
    /// `filter.trusted_authserv_ids`; empty: trust the topmost header only.
    pub trusted: &'a [String],
}

/// `Some("dkim=fail for produkcja-mp2.pl")` when a header the receiving side
/// wrote reports `dkim=fail`, `spf=fail` or `dmarc=fail` on a watched domain
/// (a result naming no domain is about the sender's) and no such header
/// reports `dkim=pass` for that domain. A failure in any
/// `ARC-Authentication-Results` counts too: forging one can only get the
/// forger's own mail rejected, while an earlier hop's failure is exactly what
/// a forwarded forgery looks like. A pass there does not count — nothing
/// says who wrote it. Subdomains count: a failure on `mail.produkcja-mp2.pl`
/// is about the production's domain.
pub(crate) fn spoof_failure(
    headers: &AuthHeaders<'_>,
    watched: &[String],
    sender_domain: &str,
) -> Option<String> {
    // The watched domains a result is about.
    let about = |r: &AuthResult| -> Vec<String> {
        if r.domains.is_empty() {
            return vec![sender_domain.to_ascii_lowercase()];
        }
        watched
            .iter()
            .filter(|w| {
                r.domains
                    .iter()
                    .any(|d| d == *w || d.ends_with(&format!(".{w}")))
            })
            .cloned()
            .collect()
    };
    let trusted: Vec<AuthResult> = written_by_receiver(headers.results, headers.trusted)
        .into_iter()
        .flat_map(auth_results)
        .collect();
    let passed: Vec<String> = trusted
        .iter()
        .filter(|r| r.method == "dkim" && r.result == "pass")
        .flat_map(|r| about(r))
        .collect();
    let arc: Vec<AuthResult> = headers
        .arc_results
        .iter()
        .flat_map(|h| auth_results(h))
        .collect();
    let mut failures: Vec<String> = Vec::new();
    let sources = trusted
        .iter()
        .map(|r| (r, ""))
        .chain(arc.iter().map(|r| (r, " (ARC)")));
    for (r, source) in sources {
        if !matches!(r.method.as_str(), "dkim" | "spf" | "dmarc") || r.result != "fail" {
            continue;
        }
        for domain in about(r) {
            if passed.contains(&domain) {
                continue;
            }
            let what = format!("{}=fail for {domain}{source}", r.method);
            if !failures.contains(&what) {
                failures.push(what);
            }
        }
    }
    (!failures.is_empty()).then(|| failures.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Vec<String> {
        vec!["produkcja-mp2.pl".into()]
    }

    /// Rule 4 over `Authentication-Results` values alone, default trust.
    fn spoof(h: &[String]) -> Option<String> {
        let headers = AuthHeaders {
            results: h,
            arc_results: &[],
            trusted: &[],
        };
        spoof_failure(&headers, &watched(), "produkcja-mp2.pl")
    }

    #[test]
    fn reads_results_past_comments() {
        let r = auth_results(
            "mx.example.net; dkim=fail (signature; verification failed) header.d=produkcja-mp2.pl header.i=@produkcja-mp2.pl; spf=pass smtp.mailfrom=x@produkcja-mp2.pl",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].method, "dkim");
        assert_eq!(r[0].result, "fail");
        assert_eq!(r[0].domains, vec!["produkcja-mp2.pl", "produkcja-mp2.pl"]);
        assert_eq!(r[1].domains, vec!["produkcja-mp2.pl"]);
    }

    #[test]
    fn dkim_fail_on_listed_domain_is_spoofed() {
        let h = vec![
            "mx; dkim=fail header.d=produkcja-mp2.pl; spf=fail smtp.mailfrom=produkcja-mp2.pl"
                .to_string(),
        ];
        assert_eq!(
            spoof(&h).as_deref(),
            Some("dkim=fail for produkcja-mp2.pl, spf=fail for produkcja-mp2.pl")
        );
    }

    #[test]
    fn dkim_pass_outweighs_spf_fail() {
        let h = vec![
            "mx; dkim=pass header.d=produkcja-mp2.pl; spf=fail smtp.mailfrom=produkcja-mp2.pl"
                .to_string(),
        ];
        assert_eq!(spoof(&h), None);
    }

    #[test]
    fn only_the_topmost_header_counts_by_default() {
        let h = vec![
            "mx.example.org; dkim=fail header.d=produkcja-mp2.pl".to_string(),
            "evil.example; dkim=pass header.d=produkcja-mp2.pl".to_string(),
        ];
        assert_eq!(spoof(&h).as_deref(), Some("dkim=fail for produkcja-mp2.pl"));
        // A failure below the topmost header is the sender's word, too.
        let h = vec![
            "mx.example.org; dkim=pass header.d=produkcja-mp2.pl".to_string(),
            "evil.example; dkim=fail header.d=produkcja-mp2.pl".to_string(),
        ];
        assert_eq!(spoof(&h), None);
    }

    #[test]
    fn trusted_authserv_ids_pick_the_headers() {
        let h = vec![
            "relay.internal.example; spf=pass smtp.mailfrom=relay.example".to_string(),
            "mx.google.com; dkim=fail header.d=produkcja-mp2.pl".to_string(),
            "evil.example; dkim=pass header.d=produkcja-mp2.pl".to_string(),
        ];
        let trusted = vec!["MX.google.com".to_string()];
        let headers = AuthHeaders {
            results: &h,
            arc_results: &[],
            trusted: &trusted,
        };
        assert_eq!(
            spoof_failure(&headers, &watched(), "produkcja-mp2.pl").as_deref(),
            Some("dkim=fail for produkcja-mp2.pl")
        );
        assert_eq!(spoof(&h), None, "by default the relay's header decides");
    }

    #[test]
    fn a_pass_excuses_only_its_own_domain() {
        let watched = vec!["produkcja-mp2.pl".to_string(), "mp2film.pl".to_string()];
        let h = vec![
            "mx; dkim=pass header.d=mp2film.pl; dmarc=fail header.from=produkcja-mp2.pl"
                .to_string(),
        ];
        let headers = AuthHeaders {
            results: &h,
            arc_results: &[],
            trusted: &[],
        };
        assert_eq!(
            spoof_failure(&headers, &watched, "produkcja-mp2.pl").as_deref(),
            Some("dmarc=fail for produkcja-mp2.pl")
        );
    }

    #[test]
    fn arc_failures_count_and_arc_passes_do_not() {
        let h = vec!["mx.example.org; spf=pass smtp.mailfrom=lists.example.net".to_string()];
        let arc = vec!["i=1; lists.example.net; dkim=fail header.d=produkcja-mp2.pl".to_string()];
        let headers = AuthHeaders {
            results: &h,
            arc_results: &arc,
            trusted: &[],
        };
        assert_eq!(
            spoof_failure(&headers, &watched(), "produkcja-mp2.pl").as_deref(),
            Some("dkim=fail for produkcja-mp2.pl (ARC)")
        );
        let h = vec!["mx.example.org; dkim=fail header.d=produkcja-mp2.pl".to_string()];
        let arc = vec!["i=1; evil.example; dkim=pass header.d=produkcja-mp2.pl".to_string()];
        let headers = AuthHeaders {
            results: &h,
            arc_results: &arc,
            trusted: &[],
        };
        assert!(spoof_failure(&headers, &watched(), "produkcja-mp2.pl").is_some());
        assert_eq!(
            authserv_id("i=1; mx.microsoft.com 1; spf=pass").as_deref(),
            Some("mx.microsoft.com")
        );
        assert_eq!(authserv_id("dkim=none header.d=none"), None);
    }

    #[test]
    fn failures_on_other_domains_do_not_count() {
        let h = vec!["mx; dkim=fail header.d=newsletter-tool.com".to_string()];
        assert_eq!(spoof(&h), None);
    }

    #[test]
    fn exchange_idless_header_with_none_is_not_a_failure() {
        let h = vec!["dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=produkcja-mp2.pl;".to_string()];
        assert_eq!(spoof(&h), None);
    }

    #[test]
    fn whole_words_are_preferred_for_the_reason() {
        let parts = vec![Part {
            name: None,
            attachment: false,
            in_attached_message: false,
            body: Body::Text {
                html: false,
                text: "Plan zdjęciowy.\n-- \nwww.mp2film.pl".into(),
            },
        }];
        let filter = Filter::default();
        let found = find_keyword(Some("jutro"), &parts, &filter.keywords);
        assert_eq!(found, Some(("plan zdjęciowy", "text body")));
        assert!(occurs_as_word("a mp2, b", "mp2"));
        assert!(!occurs_as_word("mp2film", "mp2"));
    }

    #[test]
    fn listing_is_exact() {
        let f = Filter {
            senders: vec!["produkcja-mp2.pl".into(), "Asystent@Gmail.com".into()],
            ..Filter::default()
        };
        assert_eq!(
            listed_entry("Jan@Produkcja-MP2.pl", &f),
            Some("produkcja-mp2.pl")
        );
        assert_eq!(listed_entry("jan@mail.produkcja-mp2.pl", &f), None);
        assert_eq!(
            listed_entry("asystent@gmail.com", &f),
            Some("Asystent@Gmail.com")
        );
        assert_eq!(listed_entry("other@gmail.com", &f), None);
        assert_eq!(listed_entry("no-at-sign", &f), None);
    }
}
