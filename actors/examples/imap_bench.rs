//! Measures the IMAP watcher against a throw-away local Dovecot (driven by
//! `scripts/bench-imap.sh`): APPEND→accept latency over IDLE, backfill
//! throughput of the header scan, and this process's memory meanwhile.
//!
//! Usage: `imap_bench [LATENCY_MESSAGES] [BACKFILL_MESSAGES]` (50, 1000).
//! Needs `/usr/sbin/dovecot` and `openssl`, and root (mail is chowned to
//! `nobody`). Prints one `name: value` line per figure.

#[path = "../tests/support/dovecot.rs"]
mod dovecot;

use dovecot::{Dovecot, Options, PASSWORD, USER};
use mp2::config::{BackfillOrder, Filter, Imap, ImapAuth, Tls};
use mp2_actors::integrations::mailbox::imap::{self as watcher, Links, Secrets, Tuning};
use mp2_actors::integrations::mailbox::{
    Accepted, Checkpoints, Gate, Health, Incoming, Sink, Withheld,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records when each message was accepted.
#[derive(Default)]
struct TimingSink(Mutex<Vec<Instant>>);

impl Sink for TimingSink {
    fn accept(&self, _msg: Incoming) -> Result<Accepted, String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .push(Instant::now());
        Ok(Accepted::New)
    }
    fn record(&self, _msg: Withheld) -> Result<Accepted, String> {
        // The bench times downloads; headers-only records are not counted.
        Ok(Accepted::New)
    }
    fn knows_origin(&self, _origin: &str) -> bool {
        false
    }
}

#[derive(Default)]
struct MemCheckpoints(Mutex<HashMap<String, Vec<u8>>>);

impl Checkpoints for MemCheckpoints {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.lock().ok()?.get(key).cloned()
    }
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .insert(key.into(), value.to_vec());
        Ok(())
    }
}

struct OpenGate;

impl Gate for OpenGate {
    fn admit(&self) -> Result<(), String> {
        Ok(())
    }
    fn report(&self, _ok: bool) {}
}

#[derive(Default)]
struct Progress {
    up: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

impl Health for Progress {
    fn up(&self) {
        self.up.store(true, Ordering::Relaxed);
    }
    fn down(&self, reason: &str) {
        eprintln!("down: {reason}");
    }
    fn progress(&self, done: u64, total: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
}

/// A realistic message: ~2 KB of headers and a ~48 KB base64 attachment,
/// so the header-first scan has something to skip.
fn realistic(n: usize, listed: bool) -> Vec<u8> {
    let from = if listed {
        "biuro@mp2film.pl"
    } else {
        "newsletter@shop.example"
    };
    let mut m = String::new();
    for hop in 0..4 {
        m.push_str(&format!(
            "Received: from mx{hop}.relay.example (mx{hop}.relay.example [192.0.2.{hop}])\r\n\tby mail.example.org with ESMTPS id {n:08x}{hop}\r\n\tfor <plan@example.org>; Mon, 2 Jun 2025 10:00:0{hop} +0200\r\n"
        ));
    }
    m.push_str(&format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mp2film.pl; s=sel;\r\n\th=from:to:subject:date:message-id; bh={};\r\n\tb={}\r\n",
        "A".repeat(44),
        "B".repeat(340)
    ));
    m.push_str(&format!(
        "From: Biuro <{from}>\r\nTo: plan@example.org\r\nSubject: Plan zdjęciowy {n}\r\nMessage-ID: <bench-{n}@mp2.test>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nW załączniku plan.\r\n--b\r\nContent-Type: application/pdf; name=plan.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ));
    for _ in 0..640 {
        m.push_str("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n");
    }
    m.push_str("--b--\r\n");
    m.into_bytes()
}

fn cfg(d: &Dovecot) -> Imap {
    Imap {
        host: "127.0.0.1".into(),
        port: d.imap_port,
        tls: Tls::None,
        ca_file: None,
        username: USER.into(),
        password_file: None,
        auth: ImapAuth::Login,
        oauth2: None,
        folder: "INBOX".into(),
        idle: true,
        poll_interval: Duration::from_secs(60),
        mark_keyword: "$MP2Handled".into(),
        move_to: None,
        backfill: BackfillOrder::NewestFirst,
        backfill_limit: 0,
    }
}

fn start(
    d: &Dovecot,
    sink: Arc<TimingSink>,
    health: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let links = Links {
        sink,
        checkpoints: Arc::new(MemCheckpoints::default()),
        gate: Arc::new(OpenGate),
        health,
    };
    let filter = Filter {
        senders: vec!["mp2film.pl".into()],
        ..Filter::default()
    };
    let secrets: watcher::SecretSource = Arc::new(|| {
        Ok(Secrets {
            password: Some(PASSWORD.into()),
            ..Secrets::default()
        })
    });
    watcher::spawn(cfg(d), filter, secrets, links, Tuning::default(), stop)
        .expect("spawn the watcher")
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn wait(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn latency(count: usize) {
    let d = Dovecot::start(Options::default());
    let sink = Arc::new(TimingSink::default());
    let health = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let thread = start(&d, sink.clone(), health.clone(), stop.clone());
    wait("watcher up", Duration::from_secs(10), || {
        health.up.load(Ordering::Relaxed)
    });
    std::thread::sleep(Duration::from_millis(300)); // let it enter IDLE
    let mut client = d.client();
    let mut took = Vec::with_capacity(count);
    for n in 0..count {
        let msg = realistic(n, true);
        let sent = Instant::now();
        client.append("INBOX", &msg).finish().expect("APPEND");
        wait("accept", Duration::from_secs(10), || {
            sink.0.lock().map(|v| v.len() > n).unwrap_or(false)
        });
        let accepted = sink.0.lock().expect("sink")[n];
        took.push(accepted - sent);
        std::thread::sleep(Duration::from_millis(50)); // back in IDLE
    }
    took.sort();
    println!("idle_latency_messages: {count}");
    println!(
        "idle_latency_p50_ms: {:.1}",
        percentile(&took, 0.50).as_secs_f64() * 1e3
    );
    println!(
        "idle_latency_p95_ms: {:.1}",
        percentile(&took, 0.95).as_secs_f64() * 1e3
    );
    println!(
        "idle_latency_max_ms: {:.1}",
        took.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
}

fn backfill(count: usize, every_nth_listed: usize) {
    let mut d = Dovecot::start(Options::default());
    d.stop();
    for n in 0..count {
        d.drop_in(
            n,
            &realistic(n, every_nth_listed > 0 && n % every_nth_listed == 0),
        );
    }
    d.resume();
    // Dovecot indexes the new files on first access; do that outside the
    // measurement so only the watcher is timed.
    drop(d.flags("INBOX"));
    let sink = Arc::new(TimingSink::default());
    let health = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let rss_before = rss_kib("VmRSS:");
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib("VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let thread = start(&d, sink.clone(), health.clone(), stop.clone());
    wait("backfill", Duration::from_secs(120), || {
        let total = health.total.load(Ordering::Relaxed);
        total > 0 && health.done.load(Ordering::Relaxed) == total
    });
    let took = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let accepted = sink.0.lock().map(|v| v.len()).unwrap_or(0);
    let label = if every_nth_listed > 0 {
        format!("backfill_1_in_{every_nth_listed}_listed")
    } else {
        "backfill_none_listed".into()
    };
    println!("{label}_messages: {count} (accepted {accepted})");
    println!("{label}_seconds: {:.2}", took.as_secs_f64());
    println!(
        "{label}_msgs_per_s: {:.0}",
        count as f64 / took.as_secs_f64()
    );
    println!("{label}_rss_before_kib: {rss_before}");
    println!("{label}_rss_peak_kib: {}", peak.load(Ordering::Relaxed));
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
}

fn main() {
    if !Dovecot::available() {
        std::process::exit(2);
    }
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("counts are whole numbers"));
    let latency_count = args.next().unwrap_or(50).max(1);
    let backfill_count = args.next().unwrap_or(1000).max(1);
    latency(latency_count);
    backfill(backfill_count, 0);
    backfill(backfill_count, 10);
    println!("process_peak_rss_kib: {}", rss_kib("VmHWM:"));
}
