//! The daemon end to end: a real `mp2d` process on a Maildir inbox of
//! generated schedule e-mails, driven and observed through its control socket.

mod support;

use mp2::control::{Command, HistoryEntry, ScheduleEntry};
use mp2::fixtures::demo::demo_mails;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use support::Daemon;

const WORKERS: [&str; 6] = [
    "mailbox_watcher",
    "parser_pool",
    "route_planner",
    "calendar_syncer",
    "weather_poller",
    "notifier",
];

fn cfg(daemon_extra: &str) -> String {
    mp2::config::DEMO_TOML.replace("fault_injection = true", daemon_extra)
}

fn deliver_demo(d: &Daemon) -> (usize, BTreeSet<String>) {
    let mails = demo_mails();
    let mut dates = BTreeSet::new();
    for (i, m) in mails.iter().enumerate() {
        d.deliver(&format!("{i:03}.{}.eml", m.label), &m.raw);
        dates.extend(m.expected_dates());
    }
    (mails.len(), dates)
}

/// A daemon on `cfg(daemon_extra)` that has handled the demo inbox: it,
/// the number of messages and the dates they state.
fn handled_demo(daemon_extra: &str) -> (Daemon, usize, BTreeSet<String>) {
    let mut d = Daemon::new(&cfg(daemon_extra));
    d.start();
    let (n, dates) = deliver_demo(&d);
    d.wait_until("every message handled", Duration::from_secs(60), |d| {
        all_handled(d, n)
    });
    (d, n, dates)
}

fn all_handled(d: &Daemon, n: usize) -> bool {
    d.status()
        .map(|s| s.messages.seen as usize == n && s.messages.in_flight == 0)
        .unwrap_or(false)
}

/// VEVENT UIDs per crew calendar file.
fn ics_uids(d: &Daemon) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for f in d.files("calendar") {
        if f.extension().and_then(|e| e.to_str()) != Some("ics") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let uids = text
            .lines()
            .filter_map(|l| l.strip_prefix("UID:"))
            .map(|s| s.trim().to_string())
            .collect();
        out.insert(f.file_stem().unwrap().to_string_lossy().into_owned(), uids);
    }
    out
}

#[test]
fn schedule_emails_dropped_into_new_are_handled_and_counted() {
    let (d, n, dates) = handled_demo("fault_injection = false");
    let s = d.status().unwrap();
    let matched = demo_mails().iter().filter(|m| m.matched).count();
    assert_eq!(s.messages.matched as usize, matched, "{s:?}");
    assert_eq!(s.messages.failed, 0, "{s:?}\n{}", d.log());
    assert_eq!(s.messages.done as usize, n);
    assert_eq!(s.state, "running", "{:?}", s.problems);
    for w in WORKERS {
        assert!(
            s.actors
                .iter()
                .any(|a| a.name == w && a.status == "running"),
            "{w} not running: {:?}",
            s.actors
        );
    }
    for i in ["imap", "routes", "weather", "calendar", "smtp", "sms"] {
        assert!(
            s.integrations.iter().any(|g| g.name == i),
            "integration {i} missing"
        );
    }
    assert!(s
        .integrations
        .iter()
        .any(|g| g.name == "calendar" && g.calls > 0));
    // Issue 11, finding 8: the estimate route provider computes and calls
    // nobody, so it counts no call and uses no quota.
    let routes = s.integrations.iter().find(|g| g.name == "routes").unwrap();
    assert_eq!(
        (routes.calls, routes.rate_limited),
        (0, 0),
        "estimate routes made calls"
    );

    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    let got: BTreeSet<String> = days.iter().map(|e| e.date.clone()).collect();
    assert_eq!(got, dates);
    assert_eq!(s.schedules, dates.len());
    for e in &days {
        assert_eq!(e.plans.len(), 2, "a plan per crew member on {}", e.date);
        for p in &e.plans {
            assert!(p.wake_up < p.departure && p.departure < p.call, "{p:?}");
        }
    }
    // One event per crew member per shooting day.
    let uids = ics_uids(&d);
    for crew in ["anna", "tomek"] {
        let u = &uids[crew];
        assert_eq!(u.len(), dates.len(), "{crew}: {u:?}");
        assert_eq!(
            u.iter().collect::<BTreeSet<_>>().len(),
            u.len(),
            "duplicate UIDs for {crew}"
        );
    }
    assert!(!d.files("outbox/email").is_empty());
    assert!(!d.files("outbox/sms").is_empty());

    let h: Vec<HistoryEntry> = serde_json::from_value(d.call(Command::History).unwrap()).unwrap();
    assert_eq!(h.len(), n);
    for e in &h {
        assert!(!e.reason.is_empty(), "every verdict has a reason: {e:?}");
        if e.matched {
            assert_eq!(e.stage, mp2::store::Stage::Notified, "{e:?}");
        }
    }
}

#[test]
fn fault_panic_restarts_each_worker_and_status_returns_to_running() {
    let mut d = Daemon::new(&cfg("fault_injection = true"));
    d.start();
    for w in WORKERS {
        let before = d
            .status()
            .unwrap()
            .actors
            .iter()
            .find(|a| a.name == w)
            .map(|a| a.restarts)
            .unwrap();
        d.call(Command::FaultPanic { actor: w.into() }).unwrap();
        d.wait_until(
            &format!("{w} restarted and running"),
            Duration::from_secs(10),
            |d| {
                let s = d.status().unwrap();
                s.state == "running"
                    && s.actors
                        .iter()
                        .any(|a| a.name == w && a.status == "running" && a.restarts == before + 1)
            },
        );
    }
    // The pipeline still works after all that.
    let (n, _) = deliver_demo(&d);
    d.wait_until("every message handled", Duration::from_secs(60), |d| {
        all_handled(d, n)
    });
}

#[test]
fn fault_injection_is_refused_unless_enabled() {
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    d.start();
    let e = d
        .call(Command::FaultPanic {
            actor: "notifier".into(),
        })
        .unwrap_err();
    assert!(e.contains("fault injection is disabled"), "{e}");
    let e = Daemon::new(&cfg("fault_injection = true"));
    drop(e);
}

#[test]
fn too_many_restarts_mark_a_part_down_then_it_recovers() {
    let mut d = Daemon::new(&cfg("fault_injection = true\nrestart_intensity = 2\nrestart_period = \"60s\"\ndown_retry = \"3s\""));
    d.start();
    for i in 0..3 {
        d.wait_until("route_planner running", Duration::from_secs(10), |d| {
            d.status()
                .unwrap()
                .actors
                .iter()
                .any(|a| a.name == "route_planner" && a.status == "running")
        });
        d.call(Command::FaultPanic {
            actor: "route_planner".into(),
        })
        .unwrap_or_else(|e| panic!("panic #{i}: {e}"));
    }
    d.wait_until(
        "degraded with route_planner down",
        Duration::from_secs(5),
        |d| {
            let s = d.status().unwrap();
            s.state == "degraded"
                && s.actors
                    .iter()
                    .any(|a| a.name == "route_planner" && a.status == "down")
        },
    );
    // The rest keeps working: mail is still taken in and parsed meanwhile.
    d.wait_until(
        "route_planner retried and running",
        Duration::from_secs(10),
        |d| {
            let s = d.status().unwrap();
            s.state == "running"
                && s.actors
                    .iter()
                    .any(|a| a.name == "route_planner" && a.status == "running")
        },
    );
}

#[test]
fn kill_9_mid_pipeline_then_restart_loses_nothing_and_repeats_nothing() {
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    d.start();
    let (n, dates) = deliver_demo(&d);
    // Kill as soon as the first message is in, while the rest is in flight.
    d.wait_until("first message seen", Duration::from_secs(30), |d| {
        d.status().map(|s| s.messages.seen >= 1).unwrap_or(false)
    });
    d.kill9();
    let emails_before = d.files("outbox/email").len();
    d.start();
    d.wait_until(
        "every message handled after restart",
        Duration::from_secs(60),
        |d| all_handled(d, n),
    );
    let s = d.status().unwrap();
    assert_eq!(s.messages.failed, 0, "{}", d.log());
    let uids = ics_uids(&d);
    for crew in ["anna", "tomek"] {
        assert_eq!(
            uids[crew].len(),
            dates.len(),
            "{crew}: no duplicate or missing events"
        );
    }
    // Notifications are keyed by crew, day version and channel: a file per key,
    // so the count equals the number of distinct keys, however often replayed.
    let emails = d.files("outbox/email");
    assert!(emails.len() >= emails_before);
    let names: BTreeSet<_> = emails
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), emails.len());

    // A second restart on the same state does nothing new.
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    let snapshot: Vec<_> = d
        .files("outbox/email")
        .into_iter()
        .chain(d.files("outbox/sms"))
        .collect();
    let ics_before = std::fs::read(d.path("calendar/anna.ics")).unwrap();
    d.start();
    std::thread::sleep(Duration::from_secs(3));
    let after: Vec<_> = d
        .files("outbox/email")
        .into_iter()
        .chain(d.files("outbox/sms"))
        .collect();
    assert_eq!(snapshot, after, "a restart sent nothing again");
    assert_eq!(
        ics_before,
        std::fs::read(d.path("calendar/anna.ics")).unwrap()
    );
    assert_eq!(d.status().unwrap().messages.seen as usize, n);
}

#[test]
fn sigterm_exits_zero_within_ten_seconds() {
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    d.start();
    deliver_demo(&d);
    std::thread::sleep(Duration::from_millis(300));
    let (code, took) = d.sigterm();
    assert_eq!(code, Some(0), "{}", d.log());
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(!d.socket().exists(), "socket removed on exit");
}

#[test]
fn invalid_config_exits_2_naming_file_line_and_key() {
    let d = Daemon::new(&cfg("fault_injection = false").replace(
        "timezone = \"Europe/Warsaw\"",
        "timezone = \"Europe/Atlantis\"",
    ));
    let out = std::process::Command::new(support::mp2d())
        .arg("--config")
        .arg(&d.config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().next().unwrap_or("");
    let tz_line = mp2::config::DEMO_TOML
        .lines()
        .position(|l| l.starts_with("timezone"))
        .unwrap()
        + 1;
    assert!(
        line.contains(&format!(
            "{}:{tz_line}: daemon.timezone",
            d.config.display()
        )),
        "{err}"
    );
}

#[test]
fn a_second_daemon_on_the_same_socket_is_refused() {
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    d.start();
    let out = std::process::Command::new(support::mp2d())
        .arg("--config")
        .arg(&d.config)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already") || err.contains("locked"), "{err}");
    assert!(d.status().is_some(), "the first one still answers");
}

#[test]
fn mutating_commands_are_refused_to_other_users() {
    use std::os::unix::fs::PermissionsExt;
    if !support::users::root() {
        eprintln!("skipped: needs root to run mp2ctl as another user");
        return;
    }
    let mut d = Daemon::new(&cfg("fault_injection = true"));
    d.start();
    // Let `nobody` reach the socket at all, so the daemon's own check is what refuses.
    let bin = support::users::reachable_mp2ctl(d.dir());
    std::fs::set_permissions(d.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket().to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut all = vec!["--socket", socket.as_str()];
        all.extend_from_slice(args);
        support::users::run_as(&bin, 65534, 65534, &all)
    };
    let ok = run(&["status", "--json"]);
    assert!(
        ok.status.success(),
        "read-only commands are open: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = run(&["fault", "panic", "notifier"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("permission denied"));
    let refused = run(&["reprocess", "<x@y>"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("permission denied"));
    for args in [
        &["correct", "2024-03-15", "call_time=07:00"][..],
        &["attention", "dismiss", "1"],
        &["layouts", "forget", "abcd"],
    ] {
        let refused = run(args);
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("permission denied"),
            "{args:?}"
        );
    }
    assert!(
        run(&["attention", "--json"]).status.success(),
        "reading is open"
    );
}

/// The README's way to let an operator run mutating commands is a
/// supplementary membership of the daemon's group; SO_PEERCRED reports only
/// the primary gid, so the daemon must ask the group database.
#[test]
fn supplementary_group_members_may_mutate_and_others_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    if !support::users::root() {
        eprintln!("skipped: needs root to run mp2ctl as another user");
        return;
    }
    let member = support::users::Member::find_or_create();
    let mut d = Daemon::new(&cfg("fault_injection = true"));
    d.start_in_group(member.group);
    let bin = support::users::reachable_mp2ctl(d.dir());
    std::fs::set_permissions(d.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket().to_string_lossy().into_owned();
    let fault = ["--socket", socket.as_str(), "fault", "panic", "notifier"];
    let ok = support::users::run_as(&bin, member.uid, member.primary_gid, &fault);
    assert!(
        ok.status.success(),
        "uid {} is in group {} (supplementary): {}",
        member.uid,
        member.group,
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = support::users::run_as(&bin, 65534, 65534, &fault);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("permission denied"));
}

/// Outside systemd the daemon sets its own umask: the store, the outbox
/// and the ICS files hold crew phones and home addresses.
#[test]
fn files_the_daemon_writes_are_private_outside_systemd() {
    use std::os::unix::fs::PermissionsExt;
    let (d, _, _) = handled_demo("fault_injection = false");
    let mut seen = 0;
    let mut stack: Vec<std::path::PathBuf> = ["state", "outbox", "calendar"]
        .iter()
        .map(|r| d.path(r))
        .collect();
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is mode {mode:o}", p.display());
        seen += 1;
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    assert!(
        seen > 10,
        "the store, outbox and calendars were written ({seen})"
    );
    let socket = std::fs::metadata(d.socket()).unwrap().permissions().mode() & 0o777;
    assert_eq!(socket, 0o660, "the group may still talk to the daemon");
}

#[test]
fn mp2ctl_commands_against_a_running_daemon() {
    let (d, n, _) = handled_demo("fault_injection = false");
    let ctl = |args: &[&str]| {
        let out = std::process::Command::new(support::mp2ctl())
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = ctl(&["status", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in [
        "state",
        "uptime_s",
        "actors",
        "integrations",
        "messages",
        "schedules",
    ] {
        assert!(v.get(k).is_some(), "status --json lacks {k}");
    }
    let (_, out, _) = ctl(&["schedules"]);
    assert!(out.contains("wake"), "{out}");
    let (_, out, _) = ctl(&["history", "--json"]);
    let h: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let id = h.iter().find(|e| e["matched"] == true).unwrap()["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, err) = ctl(&["reprocess", &id]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("queued"));
    d.wait_until(
        "reprocessed message done again",
        Duration::from_secs(30),
        |d| all_handled(d, n),
    );
    let (code, _, err) = ctl(&["reprocess", "<nope@nowhere>"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no message"), "{err}");
}

#[test]
fn systemd_readiness_and_stopping_are_notified() {
    use std::os::unix::net::UnixDatagram;
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    let sock_path = d.path("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    d.start_with_env(&[("NOTIFY_SOCKET", &sock_path)]);
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"READY=1");
    let (code, _) = d.sigterm();
    assert_eq!(code, Some(0));
    // STATUS= lines (the watchdog task's) may come in between.
    let mut got = Vec::new();
    for _ in 0..50 {
        let n = sock.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        if got.last().is_some_and(|m| m == "STOPPING=1") {
            return;
        }
        assert!(got.last().unwrap().starts_with("STATUS="), "{got:?}");
    }
    panic!("no STOPPING=1: {got:?}");
}

#[test]
fn logs_go_to_the_journal_when_systemd_started_us() {
    use std::os::unix::net::UnixDatagram;
    let journal = std::path::Path::new("/run/systemd/journal/socket");
    if journal.exists() || std::fs::create_dir_all("/run/systemd/journal").is_err() {
        eprintln!("skipped: a real journal runs here, or /run is not writable");
        return;
    }
    let sock = UnixDatagram::bind(journal).unwrap();
    struct Cleanup;
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_file("/run/systemd/journal/socket");
        }
    }
    let _cleanup = Cleanup;
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // Read as journald would, all along, so the daemon never blocks on a full socket.
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buf = vec![0u8; 65536];
        while !seen.contains("mp2d running") {
            let Ok(n) = sock.recv(&mut buf) else { break };
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        seen
    });
    let mut d = Daemon::new(&cfg("fault_injection = false"));
    let stream = d.path("journal-stream");
    d.start_with_env(&[("JOURNAL_STREAM", &stream)]);
    let seen = reader.join().unwrap();
    assert!(
        seen.contains("MESSAGE") && seen.contains("mp2d running"),
        "{seen}"
    );
    assert!(seen.contains("SYSLOG_IDENTIFIER"), "{seen}");
    assert!(!d.log().contains("mp2d running"), "not on stderr as well");
}

/// The raw bytes the store keeps of each message, read after the daemon
/// stopped (the store is the daemon's; it is closed by then).
fn raw_of(d: &Daemon) -> Vec<(mp2::store::MessageRecord, Vec<u8>)> {
    let store = mp2::store::Store::open(&d.path("state")).unwrap();
    store
        .history()
        .unwrap()
        .into_iter()
        .map(|m| {
            let raw = store.raw(&m.key).unwrap().unwrap_or_default();
            (m, raw)
        })
        .collect()
}

#[test]
fn mail_not_taken_keeps_headers_only_and_old_raw_mail_is_cut_to_headers() {
    let (mut d, n, _) = handled_demo("fault_injection = false\nretain_raw = \"30d\"");
    d.sigterm();
    let kept = raw_of(&d);
    assert_eq!(kept.len(), n);
    for (m, raw) in &kept {
        let head = mp2::store::headers_only(raw);
        if m.matched {
            assert!(
                head.len() < raw.len(),
                "{}: a schedule keeps its body for reprocess",
                m.subject
            );
        } else {
            assert_eq!(
                head.len(),
                raw.len(),
                "{} ({}): only headers kept",
                m.subject,
                m.verdict
            );
            assert!(
                String::from_utf8_lossy(raw).contains("Message-ID"),
                "headers are kept"
            );
        }
    }
    // Past daemon.retain_raw (a cutoff after every message), the sweep cuts
    // the schedules too, and `reprocess` says why it cannot.
    {
        let store = mp2::store::Store::open(&d.path("state")).unwrap();
        let cut = store.expire_raw("9999-01-01T00:00:00.000Z").unwrap();
        assert_eq!(cut, kept.iter().filter(|(m, _)| m.matched).count());
        store.flush().unwrap();
    }
    assert!(raw_of(&d)
        .iter()
        .all(|(_, r)| mp2::store::headers_only(r).len() == r.len()));
    d.start();
    let id = kept
        .iter()
        .find(|(m, _)| m.matched)
        .unwrap()
        .0
        .message_id
        .clone();
    let e = d.call(Command::Reprocess { message_id: id }).unwrap_err();
    assert!(e.contains("only the headers"), "{e}");
}

#[test]
fn purge_removes_a_crew_members_plans_notifications_and_events_and_no_one_elses() {
    let (mut d, _, dates) = handled_demo("fault_injection = false");
    let mine = |d: &Daemon, who: &str| {
        ["outbox/email", "outbox/sms"]
            .iter()
            .flat_map(|dir| d.files(dir))
            .filter(|f| f.file_name().unwrap().to_string_lossy().split('_').nth(1) == Some(who))
            .count()
    };
    assert!(mine(&d, "anna") > 0 && mine(&d, "tomek") > 0);
    assert!(d.path("calendar/anna.ics").exists());
    let r = d
        .call(Command::Purge {
            crew: "anna".into(),
        })
        .unwrap();
    assert_eq!(r["plans"].as_u64(), Some(dates.len() as u64), "{r}");
    assert!(r["notifications"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(mine(&d, "anna"), 0, "anna's notification copies are gone");
    assert!(
        !d.path("calendar/anna.ics").exists(),
        "anna's calendar is gone"
    );
    assert!(
        mine(&d, "tomek") > 0 && d.path("calendar/tomek.ics").exists(),
        "tomek keeps his"
    );
    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    for day in &days {
        assert!(day.plans.iter().all(|p| p.crew != "anna"), "{}", day.date);
        assert!(day.plans.iter().any(|p| p.crew == "tomek"), "{}", day.date);
    }
    d.sigterm();
    let store = mp2::store::Store::open(&d.path("state")).unwrap();
    for date in &dates {
        assert!(store.plan(date, "anna").unwrap().is_none());
        assert!(store.plan(date, "tomek").unwrap().is_some());
    }
}

#[test]
fn audit_lists_every_mutating_command_with_who_when_and_outcome() {
    let (mut d, _, _) = handled_demo("fault_injection = false");
    let socket = d.socket().to_string_lossy().into_owned();
    let ctl = |args: &[&str]| {
        std::process::Command::new(support::mp2ctl())
            .arg("--socket")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap()
    };
    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    let correct = format!("correct {} call_time=07:45", days[0].date);
    let correct_args: Vec<&str> = correct.split(' ').collect();
    let sent: [&[&str]; 6] = [
        &correct_args,
        &["reprocess", "<nobody@nowhere>"],
        &["attention", "dismiss", "999"],
        &["layouts", "forget", "no-such-rule"],
        &["fault", "panic", "notifier"],
        &["purge", "--crew", "tomek"],
    ];
    for args in sent {
        ctl(args);
    }
    ctl(&["status"]); // read-only: not audited
    let out = ctl(&["audit", "--json"]);
    let entries: Vec<mp2::store::AuditEntry> = serde_json::from_slice(&out.stdout).unwrap();
    let commands: Vec<&str> = entries.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(
        commands,
        [
            correct.as_str(),
            "reprocess <nobody@nowhere>",
            "attention dismiss 999",
            "layouts forget no-such-rule",
            "fault panic notifier",
            "purge --crew tomek"
        ]
    );
    let me = unsafe { libc::geteuid() };
    for e in &entries {
        assert_eq!(e.uid, Some(me));
        assert!(e.user.is_some() && e.at.ends_with('Z'), "{e:?}");
    }
    assert_eq!(entries[0].outcome, "ok", "{:?}", entries[0]);
    assert!(
        entries[1].outcome.starts_with("failed: no message"),
        "{:?}",
        entries[1]
    );
    assert!(
        entries[4]
            .outcome
            .starts_with("failed: fault injection is disabled"),
        "{:?}",
        entries[4]
    );
    assert_eq!(entries[5].outcome, "ok");
    // Kept in the store: still there after a restart.
    d.sigterm();
    d.start();
    let again: Vec<mp2::store::AuditEntry> =
        serde_json::from_value(d.call(Command::Audit).unwrap()).unwrap();
    assert_eq!(again, entries);
    // Someone without the right is refused, and that is recorded too.
    if support::users::root() {
        use std::os::unix::fs::PermissionsExt;
        let bin = support::users::reachable_mp2ctl(d.dir());
        std::fs::set_permissions(d.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
        support::users::run_as(
            &bin,
            65534,
            65534,
            &["--socket", &socket, "purge", "--crew", "anna"],
        );
        let all: Vec<mp2::store::AuditEntry> =
            serde_json::from_value(d.call(Command::Audit).unwrap()).unwrap();
        let last = all.last().unwrap();
        assert_eq!(
            (last.uid, last.outcome.as_str()),
            (Some(65534), "refused"),
            "{last:?}"
        );
    }
}

/// Issue 9: `status`, `schedules` and `history` as a person reads them: one
/// line per stage and integration (limiter and breaker actors behind their
/// integration), what the rate-limit count means, rejected mail apart from
/// done; every field of a day with `?` and a reason where the sheet is
/// silent; the mail's own date beside when mp2 took it.
#[test]
fn human_status_schedules_and_history_read_for_people() {
    let (d, n, _) = handled_demo("fault_injection = false");
    let ctl = |args: &[&str]| {
        let out = std::process::Command::new(support::mp2ctl())
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };

    let s = d.status().unwrap();
    let rejected = demo_mails().iter().filter(|m| !m.matched).count();
    assert!(rejected > 0, "the demo holds mail the filter turns away");
    assert_eq!(s.messages.rejected as usize, rejected, "{s:?}");
    let text = ctl(&["status"]);
    let mail = text.lines().find(|l| l.starts_with("mail: ")).unwrap();
    let done = n - rejected;
    assert!(
        mail.contains(&format!("{n} seen"))
            && mail.contains(&format!("({done} done"))
            && mail.contains(&format!("{rejected} rejected by the filter")),
        "{mail}"
    );
    assert!(!mail.contains(&format!("{n} done")), "{mail}");
    assert!(
        !text.contains("limiter.") && !text.contains("breaker."),
        "{text}"
    );
    for w in WORKERS {
        let rows: Vec<_> = text
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{w} ")))
            .collect();
        assert_eq!(rows.len(), 1, "{w}: {text}");
        assert!(rows[0].contains("running"), "{text}");
    }
    for i in &s.integrations {
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", i.name)))
            .unwrap_or_else(|| panic!("no {} line: {text}", i.name));
        assert!(row.contains(&format!("{} calls", i.calls)), "{row}");
        if i.rate_limited > 0 {
            assert!(
                row.contains(&format!("{} waited for the rate limit", i.rate_limited)),
                "{row}"
            );
        }
    }
    if s.integrations.iter().any(|i| i.rate_limited > 0) {
        assert!(text.contains("pacing, not failures"), "{text}");
    }
    let lines = text.lines().count();
    assert!(lines <= 20, "one line per stage and integration: {text}");

    let days: Vec<ScheduleEntry> =
        serde_json::from_value(d.call(Command::Schedules).unwrap()).unwrap();
    let text = ctl(&["schedules"]);
    let sections: Vec<&str> = text
        .split("\n\n")
        .filter(|s| !s.trim().is_empty())
        .collect();
    assert_eq!(sections.len(), days.len(), "{text}");
    let mut unknown_wrap = 0;
    for (e, section) in days.iter().zip(&sections) {
        assert!(section.starts_with(&e.date), "{section}");
        let row = |label: &str| {
            section
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{label}:")))
                .unwrap_or_else(|| panic!("no {label}: in {section}"))
        };
        for label in [
            "shoot day",
            "version",
            "call",
            "wrap",
            "base",
            "set",
            "scenes",
            "departments",
            "weather",
        ] {
            row(label);
        }
        match &e.schedule.wrap_time {
            Some(w) => assert!(row("wrap").ends_with(w.as_str()), "{section}"),
            None => {
                assert!(row("wrap").contains("? (not on the sheet)"), "{section}");
                unknown_wrap += 1;
            }
        }
        if e.schedule.shoot_day.is_none() {
            assert!(row("shoot day").contains("? ("), "{section}");
        }
        for p in &e.plans {
            let l = section
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", p.crew)))
                .unwrap();
            for t in [&p.wake_up, &p.departure, &p.arrivals.location, &p.call] {
                assert!(l.contains(&t[11..16]), "{l}");
            }
            assert!(l.contains("wake"), "{l}");
        }
    }
    assert!(
        unknown_wrap > 0,
        "the demo has a day whose sheet gives no wrap"
    );

    let h: Vec<HistoryEntry> = serde_json::from_value(d.call(Command::History).unwrap()).unwrap();
    let text = ctl(&["history"]);
    for e in &h {
        let date = e
            .date
            .as_deref()
            .expect("every demo mail has a Date: header");
        let sent = chrono::DateTime::parse_from_rfc2822(date)
            .unwrap()
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let l = text
            .lines()
            .find(|l| l.contains(&e.message_id))
            .unwrap_or_else(|| panic!("{} not listed: {text}", e.message_id));
        assert!(
            l.contains(&format!("taken {}", e.received)) && l.contains(&format!("sent {sent}")),
            "{l}"
        );
    }
}

fn scrape(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Issue 9: `[daemon] metrics` serves Prometheus text on loopback with the
/// status counters, breaker states, attention count and queue depths; an
/// address other hosts could reach is refused.
#[test]
fn prometheus_metrics_on_loopback_match_status() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut d = Daemon::new(&cfg(&format!(
        "fault_injection = false\nmetrics = \"127.0.0.1:{port}\""
    )));
    d.start();
    let (n, _) = deliver_demo(&d);
    d.wait_until("every message handled", Duration::from_secs(60), |d| {
        all_handled(d, n)
    });
    let reply = scrape(port, "/metrics");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let s = d.status().unwrap();
    let value = |series: &str| -> u64 {
        body.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in {body}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("mp2_up"), 1);
    assert_eq!(value("mp2_degraded"), 0);
    assert_eq!(value("mp2_messages{state=\"seen\"}"), s.messages.seen);
    assert_eq!(value("mp2_messages{state=\"done\"}"), s.messages.done);
    assert_eq!(
        value("mp2_messages{state=\"rejected\"}"),
        s.messages.rejected
    );
    assert_eq!(value("mp2_schedules"), s.schedules as u64);
    assert_eq!(value("mp2_attention"), s.attention as u64);
    for stage in ["seen", "parsed", "planned", "synced"] {
        assert_eq!(value(&format!("mp2_queue_depth{{stage=\"{stage}\"}}")), 0);
    }
    assert_eq!(value("mp2_outbox{state=\"sent\"}"), s.outbox.sent);
    assert_eq!(value("mp2_outbox{state=\"dead\"}"), 0);
    // Each stage took every message it handled: a histogram per stage whose
    // +Inf bucket is its count, and whose buckets only grow.
    for stage in [
        "parser_pool",
        "route_planner",
        "calendar_syncer",
        "notifier",
    ] {
        let count = value(&format!("mp2_stage_seconds_count{{stage=\"{stage}\"}}"));
        assert!(count >= 1, "{stage} timed nothing");
        assert_eq!(
            value(&format!(
                "mp2_stage_seconds_bucket{{stage=\"{stage}\",le=\"+Inf\"}}"
            )),
            count
        );
        let buckets: Vec<u64> = body
            .lines()
            .filter(|l| l.starts_with(&format!("mp2_stage_seconds_bucket{{stage=\"{stage}\",")))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(
            buckets.windows(2).all(|w| w[0] <= w[1]),
            "{stage}: {buckets:?}"
        );
    }
    for w in WORKERS {
        assert_eq!(value(&format!("mp2_actor_up{{actor=\"{w}\"}}")), 1);
    }
    for i in &s.integrations {
        let l = |m: &str| format!("{m}{{integration=\"{}\"}}", i.name);
        assert_eq!(value(&l("mp2_integration_calls_total")), i.calls);
        assert_eq!(
            value(&l("mp2_integration_rate_limited_total")),
            i.rate_limited
        );
        assert_eq!(
            value(&format!(
                "mp2_breaker_state{{integration=\"{}\",state=\"closed\"}}",
                i.name
            )),
            1
        );
        assert_eq!(
            value(&format!(
                "mp2_breaker_state{{integration=\"{}\",state=\"open\"}}",
                i.name
            )),
            0
        );
    }
    assert!(body.contains("# TYPE mp2_integration_calls_total counter"));
    assert!(scrape(port, "/").starts_with("HTTP/1.1 404"));

    // Off the loopback: check-config and the daemon both refuse it.
    let open = d.path("open.toml");
    std::fs::write(
        &open,
        cfg("fault_injection = false\nmetrics = \"0.0.0.0:9187\""),
    )
    .unwrap();
    let out = std::process::Command::new(support::mp2ctl())
        .arg("check-config")
        .arg(&open)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("daemon.metrics") && err.contains("not a loopback address"),
        "{err}"
    );
}
