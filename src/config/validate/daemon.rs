//! `[daemon]`, `[parser]` and `[integrations.*]`: how the daemon itself runs.

use super::Validator;
use crate::config::{Config, INTEGRATIONS};

pub(super) fn daemon(cfg: &Config, v: &mut Validator<'_>) {
    if cfg.daemon.timezone.parse::<chrono_tz::Tz>().is_err() {
        v.err(
            "daemon",
            "timezone",
            &format!(
                "unknown time zone {:?}; use an IANA name such as \"Europe/Warsaw\"",
                cfg.daemon.timezone
            ),
        );
    }
    if cfg.daemon.queue_capacity == 0 {
        v.err("daemon", "queue_capacity", "must be at least 1");
    }
    if cfg.daemon.retry_limit == 0 {
        v.err("daemon", "retry_limit", "must be at least 1");
    }
    if cfg.daemon.retry_max < cfg.daemon.retry_first {
        v.err(
            "daemon",
            "retry_max",
            "must not be shorter than daemon.retry_first",
        );
    }
    if cfg.daemon.retain_raw < std::time::Duration::from_secs(3600) {
        v.err(
            "daemon",
            "retain_raw",
            "must be at least \"1h\" (raw mail is what reprocess reads); e.g. \"30d\"",
        );
    }
    if cfg.daemon.restart_intensity == 0 {
        v.err("daemon", "restart_intensity", "must be at least 1");
    }
    if let Some(m) = &cfg.daemon.metrics {
        if let Err(why) = metrics_address(m) {
            v.err("daemon", "metrics", &why);
        }
    }
}

/// `daemon.metrics`: a loopback address with a port. The metrics carry no
/// secrets but say what the office is doing; other hosts get them through
/// a proxy the operator chooses, not from mp2.
pub fn metrics_address(text: &str) -> Result<std::net::SocketAddr, String> {
    let addr: std::net::SocketAddr = text
        .parse()
        .map_err(|_| format!("{text:?} is not an address and port; use e.g. \"127.0.0.1:9187\""))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{text:?} is not a loopback address: metrics are served on 127.0.0.1 or [::1] only (put a proxy in front to reach them from elsewhere)"
        ));
    }
    Ok(addr)
}

pub(super) fn parser(cfg: &Config, v: &mut Validator<'_>) {
    if cfg.parser.workers == 0 || cfg.parser.workers > 64 {
        v.err("parser", "workers", "must be 1..64");
    }
}

pub(super) fn integrations(cfg: &Config, v: &mut Validator<'_>) {
    for (name, i) in &cfg.integrations {
        let table = format!("integrations.{name}");
        if !INTEGRATIONS.contains(&name.as_str()) {
            v.err(
                "integrations",
                name,
                &format!(
                    "unknown integration{}; use one of {}",
                    closest(name)
                        .map(|c| format!(" (did you mean \"{c}\"?)"))
                        .unwrap_or_default(),
                    INTEGRATIONS.join(", ")
                ),
            );
        }
        if let Err(e) = i.quota() {
            v.err(&table, "rate", &e);
        }
        if i.burst == 0 {
            v.err(&table, "burst", "must be at least 1");
        }
        if i.breaker_failures == 0 {
            v.err(&table, "breaker_failures", "must be at least 1");
        }
        if i.timeout.is_zero() {
            v.err(&table, "timeout", "must be above zero");
        }
    }
}

/// The integration name one letter away from a misspelt one, if any.
fn closest(name: &str) -> Option<&'static str> {
    INTEGRATIONS.into_iter().find(|known| {
        let (a, b): (Vec<char>, Vec<char>) = (known.chars().collect(), name.chars().collect());
        let (short, long) = if a.len() <= b.len() {
            (&a, &b)
        } else {
            (&b, &a)
        };
        match long.len() - short.len() {
            // One letter changed, or swapped with its neighbour.
            0 => {
                let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
                diff.len() == 1
                    || (diff.len() == 2
                        && diff[1] == diff[0] + 1
                        && a[diff[0]] == b[diff[1]]
                        && a[diff[1]] == b[diff[0]])
            }
            // One letter added or left out.
            1 => (0..long.len()).any(|skip| {
                long.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, c)| c)
                    .eq(short.iter())
            }),
            _ => false,
        }
    })
}
