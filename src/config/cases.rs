//! One test per mistake `check-config` must catch (issue 9), each with the
//! message the operator reads.

use super::*;

const FILE: &str = "/etc/mp2/mp2.toml";

/// The smallest valid configuration; each case changes one thing.
const BASE: &str = "[production]\nname = \"MP2\"\n\n[mailbox]\nkind = \"maildir\"\npath = \"inbox\"\n\n[[crew]]\nid = \"anna\"\nname = \"Anna\"\nhome = { address = \"ul. Stylowa 7\" }\n";

fn errors(text: &str) -> String {
    Config::from_str_at(text, Path::new(FILE))
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
}

fn warnings(text: &str) -> Vec<String> {
    Config::from_str_at(text, Path::new(FILE))
        .expect("valid apart from warnings")
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect()
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(BASE), "");
    assert!(warnings(BASE).is_empty());
}

#[test]
fn maildir_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mp2.toml");
    std::fs::write(&file, BASE).unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    let inbox = dir.path().join("inbox");
    assert_eq!(
        e,
        format!(
            "{}:6: mailbox.path: the Maildir {} does not exist (or is not a folder), so no mail would ever be seen; fix the path, or create it with `mkdir -p {1}/new {1}/cur {1}/tmp` and deliver the office's mail there",
            file.display(),
            inbox.display()
        )
    );
    std::fs::create_dir_all(inbox.join("new")).unwrap();
    Config::load(&file).unwrap();
}

#[test]
fn zero_poll_interval_is_an_error_not_a_busy_core() {
    let text = BASE.replace(
        "path = \"inbox\"\n",
        "path = \"inbox\"\npoll_interval = \"0s\"\n",
    );
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:7: mailbox.poll_interval: \"0s\" is too short (looking at new/ faster keeps a core busy); use at least \"100ms\""
    );
}

#[test]
fn too_short_durations_name_their_minimum() {
    let text = format!("{BASE}\n[integrations.routes]\ntimeout = \"10ms\"\nbreaker_reset = \"0s\"\n\n[daemon]\ndown_retry = \"0s\"\n");
    assert_eq!(
        errors(&text),
        [
            "/etc/mp2/mp2.toml:14: integrations.routes.timeout: \"10ms\" is too short (every call would time out); use at least \"100ms\"",
            "/etc/mp2/mp2.toml:15: integrations.routes.breaker_reset: \"0s\" is too short (an open breaker would retry a failing server in a tight loop); use at least \"100ms\"",
            "/etc/mp2/mp2.toml:18: daemon.down_retry: \"0s\" is too short (a part marked down would be retried in a tight loop); use at least \"1s\"",
        ]
        .join("\n")
    );
}

#[test]
fn no_crew_is_an_error() {
    let text = BASE.split("[[crew]]").next().unwrap();
    assert_eq!(
        errors(text),
        "/etc/mp2/mp2.toml:1: crew: no [[crew]] member is configured, so nobody would be planned for or told anything; add one [[crew]] table per person with id, name, home and channels"
    );
}

#[test]
fn no_production_is_an_error() {
    let text = BASE.replace("[production]\nname = \"MP2\"\n", "");
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:1: production: the [production] table is missing; add it with name = \"...\" (the film's name, as the office writes it) and base = { address = \"...\" } where the unit base is"
    );
}

#[test]
fn keys_of_another_provider_are_warnings_apart_from_errors() {
    let text = format!("{BASE}\n[routes]\nprovider = \"estimate\"\napi_key_file = \"/etc/mp2/maps.secret\"\n\n[calendar]\nprovider = \"ics\"\ndir = \"calendar\"\ntoken_file = \"google.token\"\n");
    assert_eq!(
        warnings(&text),
        [
            "/etc/mp2/mp2.toml:15: routes.api_key_file: warning: is not used with provider = \"estimate\" (it belongs to another provider); remove it, or change provider if that one was meant",
            "/etc/mp2/mp2.toml:20: calendar.token_file: warning: is not used with provider = \"ics\" (it belongs to another provider); remove it, or change provider if that one was meant",
        ]
    );
    // Next to a real error they come after it, still marked as warnings.
    let broken = text.replace("name = \"Anna\"", "name = \"Anna\"\nchannels = [\"sms\"]");
    let e = errors(&broken);
    let lines: Vec<&str> = e.lines().collect();
    assert!(lines[0].contains("crew[0].phone: is required"), "{e}");
    assert!(lines[1..].iter().all(|l| l.contains(": warning: ")), "{e}");
}

#[test]
fn duration_unit_error_names_the_key() {
    let text = BASE.replace(
        "path = \"inbox\"\n",
        "path = \"inbox\"\npoll_interval = \"5 minutes\"\n",
    );
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:7: mailbox.poll_interval: unknown unit \" minutes\" in duration \"5 minutes\"; use ms, s, m, h or d"
    );
}

#[test]
fn missing_mailbox_names_the_table() {
    let text = BASE.replace("[mailbox]\nkind = \"maildir\"\npath = \"inbox\"\n", "");
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:1: mailbox: the [mailbox] table is missing; add it with kind = \"imap\" (host, username, password_file) or kind = \"maildir\" (path)"
    );
}

#[test]
fn missing_file_says_what_to_do_without_a_fake_line() {
    let e = Config::load(Path::new("/nonexistent/mp2.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "/nonexistent/mp2.toml: cannot read the configuration (No such file or directory"
        ),
        "{e}"
    );
    assert!(
        e.ends_with(
            "pass the right file with --config, or start from /usr/share/doc/mp2/mp2.example.toml"
        ),
        "{e}"
    );
}

#[test]
fn misspelt_integration_is_located_and_corrected() {
    let text = format!("{BASE}\n[integrations.smss]\nrate = \"1/s\"\n");
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:13: integrations.smss: unknown integration (did you mean \"sms\"?); use one of imap, routes, weather, calendar, smtp, sms"
    );
}

#[test]
fn bad_channel_names_the_crew_member() {
    let text = format!("{BASE}\n[[crew]]\nid = \"tomek\"\nname = \"Tomek\"\nhome = {{ address = \"x\" }}\nchannels = [\"email\", \"fax\"]\n");
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:17: crew[1].channels: \"fax\" is not a choice here; write one of \"email\" or \"sms\""
    );
}

#[test]
fn quoted_number_says_to_drop_the_quotes() {
    let text = format!("{BASE}\n[buffers]\nparking = \"10\"\n");
    assert_eq!(
        errors(&text),
        "/etc/mp2/mp2.toml:14: buffers.parking: is the text \"10\", but must be a whole number, 0 or more, without quotes (e.g. 15)"
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused_for_every_http_provider() {
    let remote = [
        "[routes]\nprovider = \"google\"\nendpoint = \"http://maps.example.org\"\napi_key_file = \"k\"\n",
        "[weather]\nprovider = \"openweathermap\"\nendpoint = \"http://owm.example.org/\"\napi_key_file = \"k\"\n",
        "[calendar]\nprovider = \"caldav\"\nurl = \"http://dav.example.org/{crew}/\"\nusername = \"u\"\npassword_file = \"p\"\n",
        "[calendar]\nprovider = \"google\"\nurl = \"http://10.0.0.7/calendar/v3\"\ntoken_file = \"t\"\n",
        "[notify.sms]\nprovider = \"twilio\"\nendpoint = \"http://twilio.example.org\"\naccount_sid = \"AC1\"\nauth_token_file = \"t\"\nfrom = \"+48500000000\"\n",
    ];
    for table in remote {
        let e = errors(&format!("{BASE}\n{table}"));
        let key = if table.contains("url =") {
            "url"
        } else {
            "endpoint"
        };
        assert!(
            e.starts_with("/etc/mp2/mp2.toml:")
                && e.contains(&format!(".{key}: \"http://"))
                && e.contains("unencrypted")
                && e.contains("use https://"),
            "{table}: {e}"
        );
    }
    assert_eq!(
        errors(&format!("{BASE}\n[weather]\nprovider = \"open-meteo\"\nendpoint = \"http://meteo.example.org\"\n")),
        "/etc/mp2/mp2.toml:15: weather.endpoint: \"http://meteo.example.org\" would send requests (and their credentials) unencrypted to another machine; use https://meteo.example.org (http:// is only allowed to a loopback host such as 127.0.0.1)"
    );
    for local in [
        "http://127.0.0.1:5232/{crew}/",
        "http://localhost/",
        "http://[::1]:8080/",
        "https://dav.example.org/{crew}/",
    ] {
        let t = format!(
            "{BASE}\n[calendar]\nprovider = \"caldav\"\nurl = \"{local}\"\nca_file = \"ca.pem\"\n"
        );
        assert_eq!(errors(&t), "", "{local}");
    }
    let e = errors(&format!("{BASE}\n[calendar]\nprovider = \"caldav\"\nurl = \"https://mp2:hunter2@dav.example.org/\"\n"));
    assert!(e.contains("calendar.url") && !e.contains("hunter2"), "{e}");
}

#[test]
fn secret_files_must_exist_and_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    let file = dir.path().join("mp2.toml");
    std::fs::write(
        &file,
        format!(
            "{BASE}\n[weather]\nprovider = \"openweathermap\"\napi_key_file = \"owm.secret\"\n"
        ),
    )
    .unwrap();
    let secret = dir.path().join("owm.secret");
    let e = Config::load(&file).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}:15: weather.api_key_file: the secret file owm.secret does not exist",
            file.display()
        )),
        "{e}"
    );
    std::fs::write(&secret, "key\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:15: weather.api_key_file: secret file {} is open to its group and every user (mode 0644); make it private with `chmod 600 {1}` (owned by the user mp2d runs as)",
            file.display(),
            secret.display()
        )
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(Config::load(&file)
        .unwrap_err()
        .to_string()
        .contains("open to its group"));
    let cfg = Config::from_str_at(&std::fs::read_to_string(&file).unwrap(), &file).unwrap();
    assert!(cfg
        .read_secret(Path::new("owm.secret"))
        .unwrap_err()
        .contains("chmod 600"));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    Config::load(&file).unwrap();
    assert_eq!(cfg.read_secret(Path::new("owm.secret")).unwrap(), "key");
}

#[test]
fn a_ca_file_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    let file = dir.path().join("mp2.toml");
    std::fs::write(
        &file,
        format!("{BASE}\n[routes]\nprovider = \"osrm\"\nendpoint = \"https://osrm.example.org\"\nca_file = \"office-ca.pem\"\n"),
    )
    .unwrap();
    let e = Config::load(&file).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}:16: routes.ca_file: the CA file {} does not exist",
            file.display(),
            dir.path().join("office-ca.pem").display()
        )),
        "{e}"
    );
    std::fs::write(
        dir.path().join("office-ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    Config::load(&file).unwrap();
}
