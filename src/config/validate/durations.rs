//! Durations that are too short to be meant: `"0s"` polling spins a core
//! (issue 8), a zero timeout fails every call, a zero breaker reset hammers a
//! server that is down. Each key has the smallest value that still makes sense.

use super::Validator;
use crate::config::{Config, Mailbox, INTEGRATIONS};
use crate::duration;
use std::time::Duration;

const MS: fn(u64) -> Duration = Duration::from_millis;
const S: fn(u64) -> Duration = Duration::from_secs;

pub(super) fn durations(cfg: &Config, v: &mut Validator<'_>) {
    let d = &cfg.daemon;
    at_least(
        v,
        "daemon",
        "restart_period",
        d.restart_period,
        S(1),
        "restarts are counted within this window",
    );
    at_least(
        v,
        "daemon",
        "down_retry",
        d.down_retry,
        S(1),
        "a part marked down would be retried in a tight loop",
    );
    at_least(
        v,
        "daemon",
        "retry_first",
        d.retry_first,
        MS(100),
        "a failing server would be asked again in a tight loop",
    );
    match &cfg.mailbox {
        Mailbox::Maildir(m) => at_least(
            v,
            "mailbox",
            "poll_interval",
            m.poll_interval,
            MS(100),
            "looking at new/ faster keeps a core busy",
        ),
        Mailbox::Imap(i) => at_least(
            v,
            "mailbox",
            "poll_interval",
            i.poll_interval,
            S(5),
            "polling the IMAP server faster gets the account throttled",
        ),
    }
    at_least(
        v,
        "weather",
        "poll_interval",
        cfg.weather.poll_interval,
        S(1),
        "faster polling only spends the API quota",
    );
    at_least(
        v,
        "parser",
        "ocr_timeout",
        cfg.parser.ocr_timeout,
        S(1),
        "OCR of a single page takes longer than that",
    );
    for name in INTEGRATIONS {
        let Some(i) = cfg.integrations.get(name) else {
            continue;
        };
        let table = format!("integrations.{name}");
        at_least(
            v,
            &table,
            "timeout",
            i.timeout,
            MS(100),
            "every call would time out",
        );
        at_least(
            v,
            &table,
            "breaker_reset",
            i.breaker_reset,
            MS(100),
            "an open breaker would retry a failing server in a tight loop",
        );
    }
}

fn at_least(
    v: &mut Validator<'_>,
    table: &str,
    key: &str,
    value: Duration,
    min: Duration,
    why: &str,
) {
    if value < min {
        v.err(
            table,
            key,
            &format!(
                "\"{}\" is too short ({why}); use at least \"{}\"",
                written(value),
                duration::format(min)
            ),
        );
    }
}

/// A duration as the operator would have written it (`"0s"`, not `"0ms"`).
fn written(d: Duration) -> String {
    if d.is_zero() {
        "0s".into()
    } else {
        duration::format(d)
    }
}
