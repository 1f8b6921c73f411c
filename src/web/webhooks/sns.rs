//! Amazon SNS over HTTP: the envelope every SNS POST carries, the string SNS signs (fields in the documented
//! order), and the check of its signature against the certificates the operator configured
//! (`ses_certificate_file`), since nothing may be fetched at run time. Pure: the clock is passed in.

use std::path::Path;

use anyhow::{Context, Result};
use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::der::Encode;

use crate::config::TopicArns;

/// The JSON document of an SNS POST (`Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL", default)]
    pub subscribe_url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
}

/// Why a POST is not taken as coming from SNS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("SignatureVersion {0:?} is not 1 or 2")]
    SignatureVersion(String),
    #[error(
        "SigningCertURL {0:?} is not an https URL of sns.<region>.amazonaws.com ending in .pem"
    )]
    CertificateUrl(String),
    #[error("Type {0:?} is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation")]
    Kind(String),
    #[error("{0} is missing, which a {1} is signed over")]
    MissingField(&'static str, String),
    #[error("the signature is not base64")]
    SignatureEncoding,
    #[error("no configured certificate is valid at {0}")]
    NoValidCertificate(DateTime<Utc>),
    #[error("the signature does not verify with the configured certificate")]
    BadSignature,
    #[error("topic {0} is not in ses_topic_arns")]
    Topic(String),
}

/// The bytes SNS signs: `Name\nvalue\n` for each signed field present, in the order the SNS documentation gives
/// for the message's type.
pub fn string_to_sign(envelope: &Envelope) -> Result<String, Refusal> {
    let missing = |name| Refusal::MissingField(name, envelope.kind.clone());
    let mut fields: Vec<(&str, &str)> = vec![
        ("Message", &envelope.message),
        ("MessageId", &envelope.message_id),
    ];
    match envelope.kind.as_str() {
        "Notification" => {
            if let Some(subject) = &envelope.subject {
                fields.push(("Subject", subject));
            }
            fields.push(("Timestamp", &envelope.timestamp));
        }
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            let url = envelope.subscribe_url.as_deref();
            fields.push(("SubscribeURL", url.ok_or_else(|| missing("SubscribeURL"))?));
            fields.push(("Timestamp", &envelope.timestamp));
            let token = envelope.token.as_deref();
            fields.push(("Token", token.ok_or_else(|| missing("Token"))?));
        }
        other => return Err(Refusal::Kind(other.to_owned())),
    }
    fields.push(("TopicArn", &envelope.topic_arn));
    fields.push(("Type", &envelope.kind));
    Ok(fields
        .into_iter()
        .map(|(name, value)| format!("{name}\n{value}\n"))
        .collect())
}

/// Whether `url` looks like an SNS signing certificate's: `https://sns.<region>.amazonaws.com[.cn]/….pem`, with no
/// user, port, query or fragment. The certificate itself is the configured one; this only refuses a message that
/// says it was signed by something else.
pub fn is_sns_certificate_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let region = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        .and_then(|h| h.strip_prefix("sns."));
    let region_ok = region.is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    region_ok && path.ends_with(".pem") && !path.contains(['?', '#', '@']) && !path.contains("..")
}

/// One configured certificate: its public key and when it is valid.
struct SigningKey {
    spki: Vec<u8>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

/// The configured certificates and topic allow-list; checks an envelope.
pub struct Verifier {
    keys: Vec<SigningKey>,
    topics: TopicArns,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("certificates", &self.keys.len())
            .field("topics", &self.topics)
            .finish()
    }
}

impl Verifier {
    /// Reads the PEM file of one or more certificates; an unreadable file or one without a certificate is an error
    /// naming it.
    pub fn load(path: &Path, topics: TopicArns) -> Result<Verifier> {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading ses_certificate_file {}", path.display()))?;
        Verifier::from_pem(&pem, topics)
            .with_context(|| format!("ses_certificate_file {}", path.display()))
    }

    /// Pure: the certificates of a PEM text.
    pub fn from_pem(pem: &[u8], topics: TopicArns) -> Result<Verifier> {
        let certificates = Certificate::load_pem_chain(pem)
            .map_err(|e| anyhow::anyhow!("not a PEM file of certificates: {e}"))?;
        anyhow::ensure!(!certificates.is_empty(), "holds no certificate");
        let mut keys = Vec::new();
        for certificate in certificates {
            let tbs = &certificate.tbs_certificate;
            let time = |t: x509_cert::time::Time| {
                DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            };
            keys.push(SigningKey {
                spki: tbs
                    .subject_public_key_info
                    .to_der()
                    .map_err(|e| anyhow::anyhow!("a certificate's public key: {e}"))?,
                not_before: time(tbs.validity.not_before),
                not_after: time(tbs.validity.not_after),
            });
        }
        Ok(Verifier { keys, topics })
    }

    /// The latest expiry among the certificates, for the log at start.
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        self.keys.iter().map(|key| key.not_after).max()
    }

    /// Whether `envelope` was signed by SNS with one of the configured certificates valid at `now`, for an allowed
    /// topic.
    pub fn verify(&self, envelope: &Envelope, now: DateTime<Utc>) -> Result<(), Refusal> {
        let algorithm = match envelope.signature_version.as_str() {
            "1" => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "2" => &RSA_PKCS1_2048_8192_SHA256,
            other => return Err(Refusal::SignatureVersion(other.to_owned())),
        };
        if !is_sns_certificate_url(&envelope.signing_cert_url) {
            return Err(Refusal::CertificateUrl(envelope.signing_cert_url.clone()));
        }
        let signed = string_to_sign(envelope)?;
        let signature = STANDARD
            .decode(envelope.signature.trim())
            .map_err(|_| Refusal::SignatureEncoding)?;
        let valid: Vec<&SigningKey> = self
            .keys
            .iter()
            .filter(|key| key.not_before <= now && now <= key.not_after)
            .collect();
        if valid.is_empty() {
            return Err(Refusal::NoValidCertificate(now));
        }
        let verified = valid.iter().any(|key| {
            UnparsedPublicKey::new(algorithm, &key.spki)
                .verify(signed.as_bytes(), &signature)
                .is_ok()
        });
        if !verified {
            return Err(Refusal::BadSignature);
        }
        // After the signature: only a genuine message learns which topics are taken.
        if !self.topics.allows(&envelope.topic_arn) {
            return Err(Refusal::Topic(envelope.topic_arn.clone()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
