//! DKIM signing of each built message, when `dkim_selector` and `VERDICTS_DKIM_KEY` are set.
//!
//! relaxed/relaxed over every header a receiver judges: lettre's `default_config` signs only From, Subject, To and
//! Date with *simple* header canonicalization, which is not enough (RFC 8058 section 4 wants List-Unsubscribe and
//! List-Unsubscribe-Post signed for one-click) and failed to verify in independent verifiers.

use std::path::Path;

use anyhow::{Context, Result, bail};
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;

use crate::config::{Config, Secrets};

/// The headers in `h=`.
pub const SIGNED_HEADERS: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Signs messages for the sender's domain.
#[derive(Debug)]
pub struct DkimSigner {
    config: DkimConfig,
}

impl DkimSigner {
    /// `None` when DKIM is not configured; an error when half of it is, or the key is unusable.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Option<DkimSigner>> {
        match (&config.dkim_selector, &secrets.dkim_key) {
            (None, None) => Ok(None),
            (Some(_), None) => bail!(
                "dkim_selector is set but VERDICTS_DKIM_KEY is not: set it to the PKCS#1 PEM private key \
                 (or a path to it), or remove dkim_selector to send unsigned"
            ),
            (None, Some(_)) => bail!(
                "VERDICTS_DKIM_KEY is set but dkim_selector is not: set dkim_selector to the selector \
                 published in DNS ({{selector}}._domainkey.{})",
                config.sender_domain()
            ),
            (Some(selector), Some(key)) => {
                let pem = read_key(key)?;
                Ok(Some(DkimSigner::new(
                    selector,
                    config.sender_domain(),
                    &pem,
                )?))
            }
        }
    }

    pub fn new(selector: &str, domain: &str, pkcs1_pem: &str) -> Result<DkimSigner> {
        if pkcs1_pem.contains("BEGIN PRIVATE KEY") {
            bail!(
                "the DKIM key is PKCS#8 (BEGIN PRIVATE KEY); convert it to PKCS#1 with \
                 `openssl rsa -in key.pem -traditional -out key.rsa.pem`"
            );
        }
        let key = DkimSigningKey::new(pkcs1_pem, DkimSigningAlgorithm::Rsa).map_err(|e| {
            anyhow::anyhow!("the DKIM key is not a PKCS#1 RSA private key in PEM: {e}")
        })?;
        let headers = SIGNED_HEADERS
            .iter()
            .map(|name| HeaderName::new_from_ascii_str(name))
            .collect();
        let relaxed = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        Ok(DkimSigner {
            config: DkimConfig::new(
                selector.to_string(),
                domain.to_string(),
                key,
                headers,
                relaxed,
            ),
        })
    }

    /// Adds the DKIM-Signature header.
    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }
}

/// The key itself, or the file a path names.
fn read_key(value: &str) -> Result<String> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.to_string());
    }
    let path = Path::new(value.trim());
    // The value is not echoed: it may be a mangled key rather than a path.
    std::fs::read_to_string(path).context(
        "VERDICTS_DKIM_KEY is neither a PEM key (-----BEGIN RSA PRIVATE KEY-----) nor the path of a readable file",
    )
}
