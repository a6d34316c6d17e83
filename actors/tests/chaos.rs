//! Chaos: a real `mp2d` on a real Dovecot, Radicale and SMTP server and the
//! HTTP fakes, fed a stream of mixed mail by IMAP APPEND while it is
//! SIGKILLed at random moments, its SMTP and CalDAV servers are cut for a
//! while, and once its store is rolled back to a copy taken earlier (a
//! power cut). Then it is left to drain, and what reached the outside world
//! is counted against what was sent in (see [`Figures`]).
//!
//! `scripts/chaos [--mails N] [--kills K] [--seed S]` runs the full one
//! (`the_full_chaos`, ignored in the suite); `a_small_chaos_loses_nothing`
//! is the suite's short run. Parameters come from `MP2_CHAOS_MAILS`,
//! `MP2_CHAOS_KILLS`, `MP2_CHAOS_SEED` and `MP2_CHAOS_DRAIN_SECS`.

#[path = "support/chaos_figures.rs"]
mod chaos_figures;
#[path = "support/chaos_mail.rs"]
mod chaos_mail;
#[path = "support/chaos_world.rs"]
mod chaos_world;
#[path = "support/dovecot.rs"]
mod dovecot;
#[path = "support/radicale.rs"]
mod radicale;
#[path = "../../tests/support/mod.rs"]
mod support;

use chaos_figures::{assert_nothing_lost, count, history, measure, status, Figures};
use chaos_mail::{Kind, Mail, Rng};
use chaos_world::World;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use support::Daemon;

/// Biggest message the daemon takes: above the 1 GiB flate bomb's ~1.4 MB
/// of base64, so the bomb reaches the parser and the oversize mail does not.
const MAX_MESSAGE_BYTES: usize = 3 << 20;

struct Params {
    mails: usize,
    kills: usize,
    seed: u64,
    /// The longest wait for the daemon to drain once the chaos is over.
    drain_limit: Duration,
}

impl Params {
    fn from_env(mails: usize, kills: usize, seed: Option<u64>, drain_secs: u64) -> Params {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let clock = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 % 1_000_000_000)
                .unwrap_or(1)
        };
        Params {
            mails: num("MP2_CHAOS_MAILS").map_or(mails, |n| n as usize),
            kills: num("MP2_CHAOS_KILLS").map_or(kills, |n| n as usize),
            seed: num("MP2_CHAOS_SEED").or(seed).unwrap_or_else(clock),
            drain_limit: Duration::from_secs(num("MP2_CHAOS_DRAIN_SECS").unwrap_or(drain_secs)),
        }
    }
}

/// What happens at one tick of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Kill,
    CutSmtp(Duration),
    CutCaldav(Duration),
    Snapshot,
    PowerCut,
}

/// The run's schedule: ticks 0..mails each append one message; a quarter
/// as many idle ticks follow, so some kills land while the backlog drains.
fn schedule(rng: &mut Rng, mails: usize, kills: usize) -> (usize, BTreeMap<usize, Vec<Act>>) {
    let ticks = mails + mails / 4 + 4;
    let mut acts: BTreeMap<usize, Vec<Act>> = BTreeMap::new();
    for _ in 0..kills {
        acts.entry(rng.between(1, ticks))
            .or_default()
            .push(Act::Kill);
    }
    let cut = |rng: &mut Rng| Duration::from_secs(rng.between(6, 16) as u64);
    let c = cut(rng);
    acts.entry(rng.between(mails / 5, mails * 3 / 5 + 1))
        .or_default()
        .push(Act::CutSmtp(c));
    let c = cut(rng);
    acts.entry(rng.between(mails / 5, mails * 3 / 5 + 1))
        .or_default()
        .push(Act::CutCaldav(c));
    let snap = rng.between(mails / 4, mails / 2 + 1);
    acts.entry(snap).or_default().push(Act::Snapshot);
    acts.entry(rng.between(snap + 1, mails * 3 / 4 + 2))
        .or_default()
        .push(Act::PowerCut);
    (ticks, acts)
}

fn run(p: &Params) -> Option<Figures> {
    if !chaos_world::available() {
        return None;
    }
    let mut rng = Rng::new(p.seed);
    let today = chrono::Local::now().date_naive();
    let t = Instant::now();
    let mails = chaos_mail::stream(p.seed, p.mails, MAX_MESSAGE_BYTES, today);
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for m in &mails {
        *kinds.entry(m.kind).or_default() += 1;
    }
    eprintln!(
        "chaos: seed {}: {} mails made in {:.1} s: {kinds:?}",
        p.seed,
        mails.len(),
        t.elapsed().as_secs_f64()
    );

    let mut world = World::start();
    let mut d = Daemon::new("");
    let cfg = world.config(d.dir(), MAX_MESSAGE_BYTES);
    d.write("mp2.toml", &cfg);
    d.start();

    let (ticks, acts) = schedule(&mut rng, p.mails, p.kills);
    eprintln!("chaos: {ticks} ticks; at tick: {acts:?}");
    let mut f = Figures::default();
    let mut imap = None;
    let mut smtp_back: Option<Instant> = None;
    let mut caldav_back: Option<Instant> = None;
    let mut snapshot: Option<tempfile::TempDir> = None;
    for tick in 0..ticks {
        if let Some(m) = mails.get(tick) {
            append(&world, &mut imap, m);
            f.appended += 1;
        }
        for act in acts.get(&tick).into_iter().flatten() {
            match *act {
                Act::Kill => {
                    f.peak_rss_kb = f.peak_rss_kb.max(peak_rss(&d));
                    d.kill9();
                    f.kills += 1;
                    d.start();
                }
                Act::CutSmtp(for_) => {
                    world.cut_smtp();
                    smtp_back = Some(Instant::now() + for_);
                }
                Act::CutCaldav(for_) => {
                    world.calendar.stop();
                    caldav_back = Some(Instant::now() + for_);
                }
                Act::Snapshot => snapshot = Some(copy_store(&d)),
                Act::PowerCut => {
                    let Some(copy) = snapshot.take() else {
                        continue;
                    };
                    f.peak_rss_kb = f.peak_rss_kb.max(peak_rss(&d));
                    d.kill9();
                    f.kills += 1;
                    f.power_cuts += 1;
                    let state = d.path("state");
                    std::fs::remove_dir_all(&state).expect("remove store");
                    copy_dir(copy.path(), &state);
                    d.start();
                }
            }
        }
        if smtp_back.is_some_and(|at| Instant::now() >= at) {
            world.restore_smtp();
            smtp_back = None;
        }
        if caldav_back.is_some_and(|at| Instant::now() >= at) {
            world.calendar.start();
            caldav_back = None;
        }
        std::thread::sleep(Duration::from_millis(rng.between(0, 80) as u64));
        if tick % 100 == 99 {
            let m = status(&d)
                .map(|s| s["messages"].clone())
                .unwrap_or_default();
            eprintln!(
                "chaos: tick {}/{ticks}, {} kills, messages {m}",
                tick + 1,
                f.kills
            );
        }
    }
    // The chaos is over: every server back (a cut lasts what it was
    // given), then the daemon drains.
    for at in [smtp_back, caldav_back].into_iter().flatten() {
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
    }
    world.restore_smtp();
    if caldav_back.is_some() {
        world.calendar.start();
    }
    let ids: BTreeSet<String> = mails.iter().map(|m| m.message_id.clone()).collect();
    let t = Instant::now();
    let drained = drain(&d, &ids, p.drain_limit);
    f.drained = drained.is_some();
    f.drain = drained.unwrap_or_else(|| t.elapsed());
    f.peak_rss_kb = f.peak_rss_kb.max(peak_rss(&d));
    measure(&d, &world, &mails, &mut f);
    f.print(p.seed, p.mails, p.kills);
    if !f.drained || !f.lost_messages.is_empty() || !f.lost_notifications.is_empty() {
        eprintln!("--- mp2d log (tail) ---\n{}", tail(&d.log(), 80));
    }
    if let Some(keep) = std::env::var_os("MP2_CHAOS_KEEP_LOG") {
        std::fs::write(&keep, d.log()).expect("MP2_CHAOS_KEEP_LOG");
        eprintln!(
            "chaos: mp2d log kept in {}",
            std::path::Path::new(&keep).display()
        );
    }
    Some(f)
}

/// APPENDs over one IMAP session, opened again after an error.
fn append(world: &World, imap: &mut Option<imap::Session<std::net::TcpStream>>, m: &Mail) {
    for _ in 0..3 {
        let s = imap.get_or_insert_with(|| world.mailbox.client());
        if s.append("INBOX", &m.raw).finish().is_ok() {
            return;
        }
        *imap = None;
    }
    panic!("APPEND of {} failed three times", m.message_id);
}

/// VmHWM of the running daemon, in kB (0 when not running).
fn peak_rss(d: &Daemon) -> u64 {
    let Some(pid) = d.child.as_ref().map(|c| c.id()) else {
        return 0;
    };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The store as a power cut at this moment leaves it: the daemon is
/// stopped (SIGSTOP) while the files are copied, so the copy is one
/// instant of what it had written, and then goes on.
fn copy_store(d: &Daemon) -> tempfile::TempDir {
    let pid = d.child.as_ref().expect("running").id() as i32;
    let copy = tempfile::tempdir().expect("snapshot dir");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    copy_dir(&d.path("state"), copy.path());
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    copy
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read store dir").flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy store file");
        }
    }
}

/// Nothing in flight, nothing waiting in the outbox.
fn idle(s: &Value) -> bool {
    count(s, &["messages", "in_flight"]) == 0
        && ["queued", "sending", "failed_retrying"]
            .iter()
            .all(|k| count(s, &["outbox", k]) == 0)
}

/// Waits (bounded) until every appended message is in history and the
/// daemon is idle, or until it has been idle with nothing changing for
/// 30 s (then what is missing will not come). The time it took to get
/// there (not counting those 30 s), or `None` when it never did.
fn drain(d: &Daemon, ids: &BTreeSet<String>, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut last: Option<(Value, Instant)> = None;
    while start.elapsed() < limit {
        if let Some(s) = status(d) {
            if idle(&s) {
                let seen: BTreeSet<String> = history(d)
                    .iter()
                    .filter_map(|h| {
                        h["message_id"]
                            .as_str()
                            .map(|m| m.trim_matches(['<', '>']).to_string())
                    })
                    .collect();
                if ids.is_subset(&seen) {
                    return Some(start.elapsed());
                }
                let counts = s["messages"].clone();
                match &last {
                    Some((c, since)) if *c == counts => {
                        if since.elapsed() > Duration::from_secs(30) {
                            return Some(since.duration_since(start));
                        }
                    }
                    _ => last = Some((counts, Instant::now())),
                }
            } else {
                last = None;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

/// The full run: 500 mails, 20 kills (`scripts/chaos`).
#[test]
#[ignore = "minutes long: scripts/chaos runs it"]
fn the_full_chaos() {
    let p = Params::from_env(500, 20, None, 900);
    if let Some(f) = run(&p) {
        assert_nothing_lost(&f);
    }
}

/// The suite's short chaos: 40 mails, 3 kills, each server cut once, one
/// power cut; nothing lost, no event twice or stale, no notification lost.
#[test]
fn a_small_chaos_loses_nothing() {
    let p = Params::from_env(40, 3, Some(11), 180);
    if let Some(f) = run(&p) {
        assert_nothing_lost(&f);
    }
}
