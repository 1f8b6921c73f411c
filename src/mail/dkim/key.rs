//! DKIM private keys as people make them: PEM in the variable itself or in the file it names; RSA as PKCS#8
//! (`openssl genrsa` in OpenSSL 3, `openssl genpkey -algorithm rsa`) or PKCS#1 (`-----BEGIN RSA PRIVATE
//! KEY-----`, `openssl genrsa -traditional`); Ed25519 as PKCS#8 (`openssl genpkey -algorithm ed25519`).
//! Every error names the variable, and the file when the key came from one.

use std::path::Path;

use aws_lc_rs::signature::{Ed25519KeyPair, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::{self, PemObject};

/// The variable of the RSA key.
pub const RSA_VAR: &str = "VERDICTS_DKIM_KEY";
/// The variable of the Ed25519 key.
pub const ED25519_VAR: &str = "VERDICTS_DKIM_ED25519_KEY";

/// A key's PEM text and where it came from, for errors.
struct Source {
    pem: Vec<u8>,
    origin: String,
}

/// The PEM in `value`, or the file it names.
fn read(var: &str, value: &str) -> Result<Source, String> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(Source {
            pem: value.as_bytes().to_vec(),
            origin: var.to_string(),
        });
    }
    let path = Path::new(value.trim());
    match std::fs::read(path) {
        Ok(pem) => Ok(Source {
            pem,
            origin: format!("{var} (file {})", path.display()),
        }),
        // A long or multi-line value is a mangled key, not a path: it is not echoed.
        Err(e) if value.len() <= 255 && !value.contains('\n') => Err(format!(
            "{var}: cannot read the key file {}: {e}",
            path.display()
        )),
        Err(_) => Err(format!(
            "{var} is neither a PEM private key (-----BEGIN PRIVATE KEY-----) nor the path of a readable file"
        )),
    }
}

/// The first private key in the PEM, whatever its kind.
fn private_key(source: &Source) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(&source.pem).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "{}: no private key in it (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)",
            source.origin
        ),
        e => format!("{}: not valid PEM: {e}", source.origin),
    })
}

/// The RSA key of `VERDICTS_DKIM_KEY`.
pub fn rsa(value: &str) -> Result<RsaKeyPair, String> {
    let source = read(RSA_VAR, value)?;
    let origin = &source.origin;
    let refused = |e: aws_lc_rs::error::KeyRejected| {
        format!(
            "{origin}: not a usable RSA private key ({e}); DKIM signing takes RSA keys of 2048 to 4096 bits"
        )
    };
    match private_key(&source)? {
        PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()).map_err(refused),
        PrivateKeyDer::Pkcs8(der) => {
            let der = der.secret_pkcs8_der();
            RsaKeyPair::from_pkcs8(der).map_err(|e| {
                if Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).is_ok() {
                    format!(
                        "{origin} holds an Ed25519 key: put it in {ED25519_VAR} (with dkim_ed25519_selector) \
                         and an RSA key here"
                    )
                } else {
                    refused(e)
                }
            })
        }
        _ => Err(format!(
            "{origin} holds an elliptic-curve (EC) key: DKIM signs with RSA (here) or Ed25519 ({ED25519_VAR})"
        )),
    }
}

/// The Ed25519 key of `VERDICTS_DKIM_ED25519_KEY`.
pub fn ed25519(value: &str) -> Result<Ed25519KeyPair, String> {
    let source = read(ED25519_VAR, value)?;
    let origin = &source.origin;
    match private_key(&source)? {
        PrivateKeyDer::Pkcs8(der) => {
            let der = der.secret_pkcs8_der();
            // OpenSSL writes PKCS#8 v1, without the public key: the unchecked variant accepts it.
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| {
                if RsaKeyPair::from_pkcs8(der).is_ok() {
                    format!(
                        "{origin} holds an RSA key: put it in {RSA_VAR} and an Ed25519 key here"
                    )
                } else {
                    format!(
                        "{origin}: not an Ed25519 private key ({e}); make one with \
                         `openssl genpkey -algorithm ed25519`"
                    )
                }
            })
        }
        PrivateKeyDer::Pkcs1(_) => Err(format!(
            "{origin} holds an RSA key: put it in {RSA_VAR} and an Ed25519 key here"
        )),
        _ => Err(format!(
            "{origin}: not an Ed25519 private key; make one with `openssl genpkey -algorithm ed25519`"
        )),
    }
}
