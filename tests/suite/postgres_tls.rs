//! TLS to a PostgreSQL store: a cluster of the test's own with `ssl=on` and a certificate for 127.0.0.1 signed by a
//! CA made at test time. With that CA trusted (`SSL_CERT_FILE`) the store is reached over TLS; without it the
//! connection is refused, naming the certificate; `sslmode=disable` goes without TLS.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::pki::{self, Leaf};

/// A PostgreSQL cluster started by `scripts/pg-cluster`, stopped on drop.
struct Cluster {
    dir: PathBuf,
    url: String,
}

impl Cluster {
    fn start_with_tls(certs: &Path) -> Option<Cluster> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster");
        if crate::support::postgres::admin_url().is_none() {
            // Same rule as the other PostgreSQL tests: no cluster from scripts/test means no PostgreSQL here.
            crate::support::postgres::fresh_database("TLS to a PostgreSQL store");
            return None;
        }
        let dir = certs.join("cluster");
        let options = format!(
            "-c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key",
            certs.display()
        );
        let output = Command::new(&script)
            .arg("start")
            .arg(&dir)
            .env("PG_OPTIONS", options)
            .output()
            .expect("pg-cluster runs");
        assert!(output.status.success(), "{output:?}");
        let url = String::from_utf8(output.stdout).unwrap().trim().to_string();
        Some(Cluster { dir, url })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster");
        let _ = Command::new(script).arg("stop").arg(&self.dir).output();
    }
}

/// `verdicts check` on `url`, trusting `ca` if given (and nothing else: SSL_CERT_FILE replaces the system's CAs).
fn check(dir: &Path, url: &str, ca: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .arg("check")
        .current_dir(dir)
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", url)
        .env(
            "VERDICTS_CONTENT_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        );
    match ca {
        Some(ca) => command.env("SSL_CERT_FILE", ca),
        None => command.env_remove("SSL_CERT_FILE"),
    };
    command.output().expect("verdicts runs")
}

#[test]
fn a_postgres_store_is_reached_over_verified_tls_and_refused_with_an_unknown_certificate() {
    let certs = tempfile::tempdir().unwrap();
    // The server runs as the `postgres` user when the tests run as root: it must reach and read its key.
    let certs_path = certs.path().to_path_buf();
    std::fs::set_permissions(
        &certs_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    pki::ca(&certs_path, &EC);
    pki::leaf(
        &certs_path,
        &Leaf {
            new_key: &EC,
            subject: "/CN=127.0.0.1",
            extensions: "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        },
    );
    let key = certs_path.join("server.key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    if is_root() {
        let chown = Command::new("chown")
            .args(["postgres"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(chown.success());
    }
    let Some(cluster) = Cluster::start_with_tls(&certs_path) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let ca = certs_path.join("ca.pem");

    let required = format!("{}?sslmode=require", cluster.url);
    let output = check(work.path(), &required, Some(&ca));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout.contains("over TLS (TLSv1."), "{stdout}");

    // The default (sslmode=prefer) takes the TLS the server offers, and verifies it too.
    let output = check(work.path(), &cluster.url, Some(&ca));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("over TLS"),
        "{output:?}"
    );

    // A CA bundle without the server's CA: refused, and the message says why and what to do.
    let other = tempfile::tempdir().unwrap();
    pki::ca(other.path(), &EC);
    let output = check(work.path(), &required, Some(&other.path().join("ca.pem")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("certificate") && stderr.contains("SSL_CERT_FILE"),
        "{stderr}"
    );

    let plain = format!("{}?sslmode=disable", cluster.url);
    let output = check(work.path(), &plain, Some(&other.path().join("ca.pem")));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("without TLS"),
        "{output:?}"
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}
