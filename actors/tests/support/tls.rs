// Test certificates, made with openssl in a directory: a CA (`ca.pem`,
// `ca.key`), an unrelated CA (`other-ca.pem`) for "not trusted" cases, and
// a server certificate for 127.0.0.1 and localhost signed by the first
// (`server.pem`, `server.key`). Shared by the Dovecot and Radicale harnesses
// and the HTTP client's unit tests.

use std::path::Path;
use std::process::Command;

pub fn certs(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("server.ext");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for (key, pem, cn) in [
        ("ca.key", "ca.pem", "mp2 test CA"),
        ("other-ca.key", "other-ca.pem", "mp2 unrelated CA"),
    ] {
        let subj = format!("/CN={cn}");
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", key, "-out", pem, "-days", "2", "-subj", &subj],
        ]
        .concat());
    }
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}
