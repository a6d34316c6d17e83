//! The systemd unit is valid and hardened, and the shipped example
//! configuration passes `check-config`.

mod support;

use std::process::Command;

fn unit_with_built_binaries(dir: &std::path::Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/systemd/mp2d.service"
    ))
    .unwrap();
    let unit = unit
        .replace("/usr/bin/mp2d", &support::mp2d().display().to_string())
        .replace("/usr/bin/mp2ctl", &support::mp2ctl().display().to_string());
    let p = dir.join("mp2d.service");
    std::fs::write(&p, unit).unwrap();
    p
}

#[test]
fn unit_verifies_and_is_hardened() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: systemd-analyze not installed (scripts/test installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_with_built_binaries(dir.path());
    let v = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let s = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(&unit)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&s.stdout);
    let line = out
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .expect("exposure line");
    let score: f32 = line
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("score");
    assert!(score <= 2.0, "exposure {score} too high:\n{out}");
}

#[test]
fn example_and_demo_configs_pass_check_config() {
    // The demo config names a Maildir beside it (`mp2d --demo` writes one):
    // check it where that inbox exists.
    let demo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(demo.path().join("inbox/new")).unwrap();
    std::fs::write(demo.path().join("mp2.toml"), mp2::config::DEMO_TOML).unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/mp2.example.toml");
    for path in [example, demo.path().join("mp2.toml")] {
        let f = path.display().to_string();
        let out = Command::new(support::mp2ctl())
            .arg("check-config")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::create_dir_all(dir.path().join("m/new")).unwrap();
    std::fs::write(&p, "[production]\nname = \"MP2\"\n[mailbox]\nkind = \"maildir\"\npath = \"m\"\n[[crew]]\nid = \"a b\"\nname = \"A\"\nhome = { address = \"x\" }\n").unwrap();
    let out = Command::new(support::mp2ctl())
        .arg("check-config")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("{}:7: crew[0].id:", p.display())),
        "{err}"
    );
}

#[test]
fn check_config_reports_warnings_apart_and_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mp2.toml");
    std::fs::create_dir_all(dir.path().join("inbox/new")).unwrap();
    let text = mp2::config::DEMO_TOML.replace(
        "[routes]\nprovider = \"estimate\"\n",
        "[routes]\nprovider = \"estimate\"\nendpoint = \"http://127.0.0.1:5000\"\n",
    );
    assert_ne!(text, mp2::config::DEMO_TOML, "demo config layout changed");
    std::fs::write(&p, &text).unwrap();
    let out = Command::new(support::mp2ctl())
        .arg("check-config")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = text
        .lines()
        .position(|l| l.starts_with("endpoint"))
        .unwrap()
        + 1;
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{}:{line}: routes.endpoint: warning: is not used with provider = \"estimate\" (it belongs to another provider); remove it, or change provider if that one was meant\n", p.display())
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}: ok, 1 warning(s) above\n", p.display())
    );
}
