//! The test PKI the Postfix listeners present, made with `openssl` at test time: a CA (`ca.pem`), a leaf signed
//! by it for `IP:127.0.0.1` (`server.pem`, `server.key`: `CA:FALSE`, as rustls requires of an end entity), and a
//! self-signed certificate nobody trusts (`rogue.pem`, `rogue.key`: what `openssl req -x509` makes, a CA
//! certificate, the mistake that gave "CaUsedAsEndEntity"). P-256 keys: quick to make.

use std::path::Path;
use std::process::{Command, Stdio};

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// Writes the CA, the leaf and the rogue certificate into `dir`.
pub fn make(dir: &Path) {
    let ca = [
        &["req", "-x509", "-nodes"][..],
        &EC,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=verdicts test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    ]
    .concat();
    openssl(dir, &ca);
    let request = [
        &["req", "-nodes"][..],
        &EC,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat();
    openssl(dir, &request);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
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
        ],
    );
    let rogue = [
        &["req", "-x509", "-nodes"][..],
        &EC,
        &[
            "-keyout",
            "rogue.key",
            "-out",
            "rogue.pem",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
    ]
    .concat();
    openssl(dir, &rogue);
}
