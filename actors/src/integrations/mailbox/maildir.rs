//! Maildir source: messages dropped into `new/` are taken in and then moved
//! to `cur/` with the `S` flag — only after the sink has persisted them, so a
//! crash in between leaves the file in `new/` to be taken again (and deduped).
//!
//! A blocking thread polls `new/` every `poll_interval`; Maildir deliveries
//! are atomic renames from `tmp/`, so a file seen in `new/` is complete.

use super::{Accepted, Health, Incoming, Sink, Withheld, WithheldWhy};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct MaildirWatcher {
    pub root: PathBuf,
    pub poll: Duration,
    pub max_bytes: usize,
    pub sink: Arc<dyn Sink>,
    pub health: Arc<dyn Health>,
    pub stop: Arc<AtomicBool>,
}

impl MaildirWatcher {
    /// Runs until `stop` is set.
    pub fn run(self) {
        for d in ["new", "cur", "tmp"] {
            if let Err(e) = fs::create_dir_all(self.root.join(d)) {
                self.health.down(&format!(
                    "cannot create Maildir folder {}: {e}",
                    self.root.join(d).display()
                ));
            }
        }
        while !self.stop.load(Ordering::SeqCst) {
            match self.scan_once() {
                Ok(_) => self.health.up(),
                Err(e) => self.health.down(&e),
            }
            // Sleep in small steps so a stop is seen quickly.
            let mut slept = Duration::ZERO;
            while slept < self.poll && !self.stop.load(Ordering::SeqCst) {
                let step = Duration::from_millis(100).min(self.poll - slept);
                std::thread::sleep(step);
                slept += step;
            }
        }
    }

    /// Takes in every message now in `new/`, oldest first. Returns how many.
    pub fn scan_once(&self) -> Result<usize, String> {
        let new = self.root.join("new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(&new)
            .map_err(|e| format!("cannot read {}: {e}", new.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| {
                (
                    e.metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(std::time::UNIX_EPOCH),
                    e.path(),
                )
            })
            .collect();
        files.sort();
        let mut n = 0;
        let total = files.len() as u64;
        for (i, (_, path)) in files.into_iter().enumerate() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let stem = unique_part(&path);
            let origin = format!("maildir:{stem}");
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size > self.max_bytes as u64 {
                // Like IMAP: recorded by its headers as over the cap, the
                // body never read into memory.
                let withheld = Withheld {
                    origin,
                    headers: read_headers(&path).unwrap_or_default(),
                    why: WithheldWhy::OverCap {
                        size,
                        cap: self.max_bytes as u64,
                    },
                };
                match self.sink.record(withheld) {
                    Ok(_) => {
                        mark_seen(&self.root, &path, &stem);
                        n += 1;
                    }
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "Message not recorded; it stays in new/");
                        break;
                    }
                }
                self.health.progress(i as u64 + 1, total);
                continue;
            }
            let bytes = match read_capped(&path, self.max_bytes) {
                Ok(b) => b,
                // Taken by a previous watcher instance that is just stopping.
                Err(e) if !path.exists() => {
                    tracing::debug!(file = %path.display(), error = %e, "Maildir file gone");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "Skipping unreadable Maildir file");
                    // Still hand it over so history records it, as an empty message.
                    format!("X-MP2-Error: {e}\r\n\r\n").into_bytes()
                }
            };
            match self.sink.accept(Incoming { origin, bytes }) {
                Ok(Accepted::New) | Ok(Accepted::Duplicate) => {
                    mark_seen(&self.root, &path, &stem);
                    n += 1;
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "Message not taken in; it stays in new/");
                    break;
                }
            }
            self.health.progress(i as u64 + 1, total);
        }
        Ok(n)
    }
}

/// The Maildir unique name: the file name before `:2,…` flags.
fn unique_part(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split(':').next().unwrap_or(&name).to_string()
}

fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let f = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() > max {
        return Err(format!(
            "larger than filter.max_message_bytes ({max} bytes)"
        ));
    }
    Ok(buf)
}

/// The header block of a file, from its first 256 KiB (a header block
/// longer than that is cut there).
fn read_headers(path: &Path) -> Result<Vec<u8>, String> {
    let f = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(256 << 10)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    let head = mp2::store::headers_only(&buf).len();
    buf.truncate(head);
    Ok(buf)
}

/// new/NAME → cur/NAME:2,S (the Maildir way of saying "seen").
fn mark_seen(root: &Path, path: &Path, stem: &str) {
    let to = root.join("cur").join(format!("{stem}:2,S"));
    if let Err(e) = fs::rename(path, &to) {
        tracing::warn!(file = %path.display(), error = %e, "Could not move handled message to cur/");
    }
}
