//! TLS to the database, with rustls (the TLS stack the mail side uses too). `sslmode` in the URL decides whether:
//! `prefer` (the default) uses TLS when the server offers it, `require` refuses a server that does not, `disable`
//! never asks. Whenever TLS is used the server's certificate is verified against the system's trusted CAs (or the
//! bundle `SSL_CERT_FILE` names) and the host name, as libpq's `verify-full` does: a database connection carries
//! every address on the list, so a certificate is never taken on trust.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use rustls::ClientConfig;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for every connection of this process; the trusted roots are read once.
pub(super) fn connector() -> Result<MakeRustlsConnect> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG
        .get_or_init(|| client_config().map(Arc::new).map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)?;
    Ok(MakeRustlsConnect::new((*config).clone()))
}

fn client_config() -> Result<ClientConfig> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        anyhow::bail!(
            "no trusted CA certificates for TLS to the database ({} errors reading the system store); install \
             ca-certificates or point SSL_CERT_FILE at a PEM bundle",
            found.errors.len()
        );
    }
    Ok(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS settings for the database")?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A hint to add to a failed connection whose error is about the server's certificate.
pub(super) fn hint(error: &str) -> &'static str {
    if error.contains("certificate") || error.contains("Certificate") {
        " (the database's TLS certificate is checked against the system's CAs and the host name: point \
         SSL_CERT_FILE at a bundle holding its CA, or use sslmode=disable on a network you trust)"
    } else {
        ""
    }
}
