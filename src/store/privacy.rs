//! Personal data that does not stay: raw mail kept only as long as
//! `daemon.retain_raw` (headers only for mail mp2 did not take as a
//! schedule), and everything about one crew member removed on request
//! (`mp2ctl purge --crew ID`).

use super::{Result, Stage, Store};

/// The header block of a message (up to and including the blank line), or
/// all of it when it has no body.
pub fn headers_only(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => &raw[..a.min(b)],
        (Some(a), None) | (None, Some(a)) => &raw[..a],
        (None, None) => raw,
    }
}

/// What a purge removed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Purged {
    /// Dates the crew member had a plan for (their calendar events go too).
    pub dates: Vec<String>,
    pub plans: usize,
    /// Notification records (sent marks, outbox entries).
    pub notifications: usize,
}

impl Store {
    /// Cuts the raw bytes of finished messages taken in before `cutoff`
    /// (RFC 3339) down to their headers. Returns how many were cut.
    /// Messages still in the pipeline keep their bytes: a crash or a retry
    /// needs them.
    pub fn expire_raw(&self, cutoff: &str) -> Result<usize> {
        let mut cut = 0;
        for rec in self.history()? {
            let finished = matches!(rec.stage, Stage::Notified | Stage::Failed);
            if !finished || rec.received.as_str() >= cutoff {
                continue;
            }
            let Some(raw) = self.raw.get(rec.key.as_bytes())? else {
                continue;
            };
            let head = headers_only(&raw);
            if head.len() < raw.len() {
                self.raw.insert(rec.key.as_bytes(), head)?;
                cut += 1;
            }
        }
        if cut > 0 {
            self.flush()?;
        }
        Ok(cut)
    }

    /// Whether a message's body is gone (retention), so it cannot be
    /// parsed again.
    pub fn raw_is_headers_only(&self, key: &str) -> Result<bool> {
        Ok(self
            .raw
            .get(key.as_bytes())?
            .is_some_and(|r| headers_only(&r).len() == r.len()))
    }

    /// Removes one crew member's plans and notification records. Their
    /// calendar events and notification files are the caller's to remove
    /// (they live outside the store); `dates` says which days.
    pub fn purge_crew(&self, crew: &str) -> Result<Purged> {
        let mut out = Purged::default();
        for kv in self.plans.iter() {
            let (k, _) = kv?;
            let key = String::from_utf8_lossy(&k).into_owned();
            if let Some((date, who)) = key.split_once('\0') {
                if who == crew {
                    self.plans.remove(&k)?;
                    out.plans += 1;
                    out.dates.push(date.to_string());
                }
            }
        }
        // Effect keys name the crew member between colons:
        // `notify:CREW:DATE:…`, `weather:CREW:DATE:…`, `calendar:CREW:…`.
        let needle = format!(":{crew}:");
        for kv in self.effects.iter() {
            let (k, _) = kv?;
            if String::from_utf8_lossy(&k).contains(&needle) {
                self.effects.remove(&k)?;
                out.notifications += 1;
            }
        }
        out.notifications += self.outbox_remove_crew(crew)?;
        out.dates.sort();
        out.dates.dedup();
        self.flush()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_only_stops_at_the_blank_line() {
        assert_eq!(
            headers_only(b"A: 1\r\nB: 2\r\n\r\nbody"),
            b"A: 1\r\nB: 2\r\n\r\n"
        );
        assert_eq!(headers_only(b"A: 1\n\nbody\r\n\r\nmore"), b"A: 1\n\n");
        assert_eq!(headers_only(b"A: 1"), b"A: 1");
    }
}
