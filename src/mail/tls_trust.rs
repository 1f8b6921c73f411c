//! Which relay certificates the sender trusts, and what to tell the operator when it does not trust one.
//!
//! Trust is the system store (rustls-native-certs: `/etc/ssl/certs`, or the file named by `SSL_CERT_FILE`) plus
//! the CAs in `tls_ca_file`. A certificate the sender does not trust is not a passing fault: reconnecting or
//! running again meets the same certificate. [`untrusted`] recognises that failure in an error chain and says, in
//! one sentence, which relay, what is wrong with its certificate, and which setting fixes it.

use std::path::Path;

use anyhow::{Result, bail};
use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParametersBuilder};

/// The certificates of `tls_ca_file`, read and checked: at least one PEM certificate, each one parseable as a
/// trust anchor. The error names the setting and the file.
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate>> {
    let shown = path.display();
    let pem = match std::fs::read(path) {
        Ok(pem) => pem,
        Err(e) => bail!("tls_ca_file = {shown:?}: cannot read it: {e}"),
    };
    let text = String::from_utf8_lossy(&pem);
    let blocks: Vec<&str> = text
        .match_indices("-----BEGIN CERTIFICATE-----")
        .map(|(start, _)| &text[start..])
        .collect();
    if blocks.is_empty() {
        bail!(
            "tls_ca_file = {shown:?} holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"): it should hold \
             the CA certificate(s) that signed the relay's certificate"
        );
    }
    let mut certificates = Vec::with_capacity(blocks.len());
    for (n, block) in blocks.iter().enumerate() {
        let end = block
            .find("-----END CERTIFICATE-----")
            .map(|at| at + "-----END CERTIFICATE-----".len());
        let Some(end) = end else {
            bail!(
                "tls_ca_file = {shown:?}: certificate {} has no END line",
                n + 1
            );
        };
        let pem = &block.as_bytes()[..end];
        let certificate = Certificate::from_pem(pem);
        // Adding it to an empty store is what parses it as a trust anchor.
        let parsed = certificate.and_then(|c| {
            TlsParametersBuilder::new("check.invalid".into())
                .certificate_store(CertificateStore::None)
                .add_root_certificate(c)
                .build_rustls()
        });
        if let Err(e) = parsed {
            bail!(
                "tls_ca_file = {shown:?}: certificate {} is not a valid X.509 certificate: {e}",
                n + 1
            );
        }
        certificates.push(Certificate::from_pem(pem)?);
    }
    Ok(certificates)
}

/// The TLS parameters for `host`: the system store plus `extra` CAs.
pub fn parameters(
    host: &str,
    extra: &[Certificate],
) -> Result<lettre::transport::smtp::client::TlsParameters, lettre::transport::smtp::Error> {
    let mut builder = TlsParametersBuilder::new(host.to_string());
    for certificate in extra {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder.build_rustls()
}

/// When `error` (anywhere in its chain) is a certificate the sender does not trust: the plain sentence for the
/// operator, naming `relay`, what is wrong, and the fix. `None` for any other failure.
pub fn untrusted(error: &(dyn std::error::Error + 'static), relay: &str) -> Option<String> {
    let mut chain = String::new();
    let mut next = Some(error);
    while let Some(e) = next {
        chain.push_str(&e.to_string());
        chain.push_str(": ");
        next = e.source();
    }
    untrusted_text(&chain, relay)
}

/// [`untrusted`] on the error's text (rustls says "invalid peer certificate: …").
pub fn untrusted_text(error: &str, relay: &str) -> Option<String> {
    let (_, detail) = error.split_once("invalid peer certificate: ")?;
    let detail = detail.trim_end_matches([' ', ':']);
    const ADD_CA: &str =
        "set tls_ca_file (VERDICTS_TLS_CA_FILE) to a PEM file holding the CA that signed it";
    let (what, fix) = if detail.contains("CaUsedAsEndEntity") {
        (
            "is a CA certificate, not a server certificate (what `openssl req -x509` makes)".to_string(),
            "give the relay a server certificate (basicConstraints CA:FALSE) signed by that CA, and \
             set tls_ca_file (VERDICTS_TLS_CA_FILE) to the CA's PEM file"
                .to_string(),
        )
    } else if detail.contains("UnknownIssuer") {
        (
            "is signed by an issuer this machine does not trust".to_string(),
            ADD_CA.to_string(),
        )
    } else if detail.contains("not valid for name") || detail.contains("NotValidForName") {
        (
            format!("does not name the host in smtp_url ({detail})"),
            "put a host name the certificate names in smtp_url, or give the relay a certificate for the name \
             you use"
                .to_string(),
        )
    } else if detail.contains("expired") || detail.contains("Expired") {
        (
            "has expired".to_string(),
            "the relay's operator must renew it".to_string(),
        )
    } else if detail.contains("not valid yet") || detail.contains("NotValidYet") {
        (
            "is not valid yet (check this machine's clock)".to_string(),
            "correct the clock, or wait until the certificate is valid".to_string(),
        )
    } else {
        (
            format!("is not trusted ({detail})"),
            format!("{ADD_CA}, or fix the relay's certificate"),
        )
    };
    Some(format!(
        "the TLS certificate of the relay {relay} {what}; running again cannot help: {fix}"
    ))
}

#[cfg(test)]
mod tests {
    use super::untrusted_text;

    #[test]
    fn each_trust_failure_gets_its_own_sentence_with_the_host_and_the_fix() {
        let relay = "smtp://127.0.0.1:2525";
        let cases = [
            (
                "Connection error: invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
                "is a CA certificate",
                "tls_ca_file",
            ),
            (
                "Connection error: invalid peer certificate: UnknownIssuer",
                "issuer this machine does not trust",
                "tls_ca_file",
            ),
            (
                "invalid peer certificate: certificate not valid for name \"mx.example.org\"; certificate is only \
                 valid for DnsName(\"other.example.org\")",
                "does not name the host",
                "smtp_url",
            ),
            (
                "invalid peer certificate: certificate expired: verification time 2 (UNIX), but …",
                "has expired",
                "renew",
            ),
        ];
        for (error, what, fix) in cases {
            let sentence = untrusted_text(error, relay).unwrap();
            assert!(sentence.contains(relay), "{sentence}");
            assert!(sentence.contains(what), "{sentence}");
            assert!(sentence.contains(fix), "{sentence}");
        }
        assert_eq!(
            untrusted_text("Connection refused (os error 111)", relay),
            None
        );
    }

    #[test]
    fn a_ca_file_without_certificates_or_with_a_broken_one_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        let err = super::load_ca_file(&empty).unwrap_err().to_string();
        assert!(
            err.contains("tls_ca_file") && err.contains("empty.pem") && err.contains("no PEM"),
            "{err}"
        );

        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = super::load_ca_file(&broken).unwrap_err().to_string();
        assert!(
            err.contains("broken.pem") && err.contains("certificate 1"),
            "{err}"
        );

        let missing = super::load_ca_file(&dir.path().join("missing.pem")).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
    }
}
