//! STARTTLS and implicit TLS with AUTH, against a Python TLS SMTP server (`tests/fixtures/tls_smtp.py`) whose
//! certificate is signed by a CA made at test time and trusted through `SSL_CERT_FILE`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{AS_OF, Fixture, verdicts};
use crate::support::pki::{self, Leaf};

const USER: &str = "digest@verdicts.example.org";
const PASSWORD: &str = "s3cret-for-the-test";

/// A CA (`ca.pem`) and a certificate for `localhost` signed by it (`server.pem`, `server.key`).
fn certificates(dir: &Path) {
    const RSA: [&str; 2] = ["-newkey", "rsa:2048"];
    pki::ca(dir, &RSA);
    pki::leaf(
        dir,
        &Leaf {
            new_key: &RSA,
            subject: "/CN=localhost",
            extensions: "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        },
    );
}

/// The TLS server and a reader of its event lines, once it listens.
fn start(dir: &Path, mode: &str) -> (Child, u16, BufReader<std::process::ChildStdout>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls_smtp.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([mode, "server.pem", "server.key", USER, PASSWORD])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut events = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    events.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    (child, port, events)
}

fn send_test_copy(fixture: &Fixture, url: &str, password: &str) -> std::process::Output {
    verdicts(fixture, url)
        .args(["send", "--as-of", AS_OF, "--to", "reader@example.org"])
        .env("SSL_CERT_FILE", fixture.dir.path().join("ca.pem"))
        .env("VERDICTS_SMTP_PASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn starttls_and_implicit_tls_log_in_and_deliver_and_a_bad_password_is_refused_with_advice() {
    let fixture = Fixture::new(None, &[]);
    certificates(fixture.dir.path());
    for (mode, url) in [
        (
            "starttls",
            "smtp://digest%40verdicts.example.org@localhost:{port}?tls=required",
        ),
        (
            "implicit",
            "smtps://digest%40verdicts.example.org@localhost:{port}",
        ),
        // No tls= parameter: STARTTLS because the relay offers it (the server refuses mail without TLS).
        (
            "starttls",
            "smtp://digest%40verdicts.example.org@localhost:{port}",
        ),
    ] {
        let (mut server, port, mut events) = start(fixture.dir.path(), mode);
        let url = url.replace("{port}", &port.to_string());

        let sent = send_test_copy(&fixture, &url, PASSWORD);
        let refused = send_test_copy(&fixture, &url, "wrong password");
        server.kill().unwrap();
        server.wait().unwrap();

        assert_eq!(
            sent.status.code(),
            Some(0),
            "{mode}: {}",
            String::from_utf8_lossy(&sent.stderr)
        );
        let log: Vec<String> = (&mut events).lines().map(Result::unwrap).collect();
        assert_eq!(
            log,
            [
                "tls",
                "auth ok",
                "received digest@verdicts.example.org reader@example.org",
                "tls",
                "auth refused"
            ],
            "{mode}"
        );
        assert_ne!(refused.status.code(), Some(0), "{mode}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("VERDICTS_SMTP_PASSWORD"),
            "{mode}: {stderr}"
        );
        assert!(
            !stderr.contains("wrong password"),
            "{mode}: the password leaked: {stderr}"
        );
    }
}
