//! Certificates made with `openssl` at test time for the TLS tests: a CA (`ca.pem`, `ca.key`) and a leaf signed by
//! it (`server.pem`, `server.key`). Each caller picks the key type and the leaf's names and extensions.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `openssl` in `dir`; a failure shows its stderr.
pub fn openssl(dir: &Path, args: &[&str]) {
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

/// Writes a self-signed CA, `ca.pem` and `ca.key`, whose key `new_key` makes (e.g. `["-newkey", "rsa:2048"]`).
pub fn ca(dir: &Path, new_key: &[&str]) {
    let args = [
        &["req", "-x509", "-nodes"][..],
        new_key,
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
    openssl(dir, &args);
}

/// The leaf certificate [`leaf`] makes.
pub struct Leaf<'a> {
    /// The `openssl req` arguments that make its key, e.g. `["-newkey", "rsa:2048"]`.
    pub new_key: &'a [&'a str],
    /// Its subject, e.g. `/CN=localhost`.
    pub subject: &'a str,
    /// The lines of its extensions file: subjectAltName, basicConstraints, extendedKeyUsage.
    pub extensions: &'a str,
}

/// Writes `server.key` and `server.pem`, signed by the CA [`ca`] wrote into `dir`.
pub fn leaf(dir: &Path, leaf: &Leaf<'_>) {
    let request = [
        &["req", "-nodes"][..],
        leaf.new_key,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            leaf.subject,
        ],
    ]
    .concat();
    openssl(dir, &request);
    std::fs::write(dir.join("server.ext"), leaf.extensions).unwrap();
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
}
