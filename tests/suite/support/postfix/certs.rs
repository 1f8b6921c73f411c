//! The test PKI the Postfix listeners present, made with `openssl` at test time: a CA (`ca.pem`), a leaf signed
//! by it for `IP:127.0.0.1` (`server.pem`, `server.key`: `CA:FALSE`, as rustls requires of an end entity), and a
//! self-signed certificate nobody trusts (`rogue.pem`, `rogue.key`: what `openssl req -x509` makes, a CA
//! certificate, the mistake that gave "CaUsedAsEndEntity"). P-256 keys: quick to make.

use std::path::Path;

use crate::support::pki::{self, Leaf, openssl};

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// Writes the CA, the leaf and the rogue certificate into `dir`.
pub fn make(dir: &Path) {
    pki::ca(dir, &EC);
    pki::leaf(
        dir,
        &Leaf {
            new_key: &EC,
            subject: "/CN=127.0.0.1",
            extensions: "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
        },
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
