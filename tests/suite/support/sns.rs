//! An Amazon SNS stand-in for the SES webhook tests: a signing certificate and key `openssl` makes at test time,
//! messages signed by `openssl dgst` over the string the SNS documentation describes (built here, apart from the
//! code under test), and SES bounce and complaint notifications as SES writes them.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::pki::openssl;

pub const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:ses-bounces";
pub const CERT_URL: &str = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem";

/// A signing certificate and key (`sns.pem`, `sns.key`), and a second key SNS never had (`other.key`).
pub struct Signer {
    dir: tempfile::TempDir,
}

impl Signer {
    pub fn new() -> Signer {
        let dir = tempfile::tempdir().unwrap();
        for (key, cert) in [("sns.key", "sns.pem"), ("other.key", "other.pem")] {
            openssl(
                dir.path(),
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    cert,
                    "-days",
                    "30",
                    "-subj",
                    "/CN=sns.amazonaws.com",
                ],
            );
        }
        Signer { dir }
    }

    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("sns.pem")
    }

    /// Base64 of `openssl dgst -sha1|-sha256 -sign KEY` over `text`.
    pub fn sign(&self, text: &str, version: &str, key: &str) -> String {
        let file = self.dir.path().join("to-sign.txt");
        std::fs::write(&file, text).unwrap();
        let digest = if version == "1" { "-sha1" } else { "-sha256" };
        let output = Command::new("openssl")
            .args(["dgst", digest, "-sign", key, "to-sign.txt"])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        STANDARD.encode(output.stdout)
    }

    /// An SNS message of `kind` carrying `fields` (name, value) in the signed order, signed with `key`.
    pub fn message(&self, fields: &[(&str, &str)], version: &str, key: &str) -> Value {
        let signed: String = fields
            .iter()
            .map(|(name, value)| format!("{name}\n{value}\n"))
            .collect();
        let mut message = json!({
            "SignatureVersion": version,
            "Signature": self.sign(&signed, version, key),
            "SigningCertURL": CERT_URL,
            "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
        });
        for (name, value) in fields {
            message[*name] = json!(value);
        }
        message
    }

    /// A Notification with `body` as its Message (and a Subject, which is signed too).
    pub fn notification(&self, body: &Value, version: &str) -> Value {
        self.notification_with(body, version, "sns.key")
    }

    pub fn notification_with(&self, body: &Value, version: &str, key: &str) -> Value {
        let message = body.to_string();
        self.message(
            &[
                ("Message", &message),
                ("MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"),
                ("Subject", "Amazon SES Email Event Notification"),
                ("Timestamp", "2026-11-23T09:00:05.123Z"),
                ("TopicArn", TOPIC),
                ("Type", "Notification"),
            ],
            version,
            key,
        )
    }
}

pub fn ses_bounce(kind: &str, email: &str, message_id: &str) -> Value {
    json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": kind, "bounceSubType": "General", "timestamp": "2026-11-23T09:00:04.000Z",
            "feedbackId": "0102017e-1a2b", "reportingMTA": "dsn; a27-1.smtp-out.eu-west-1.amazonses.com",
            "bouncedRecipients": [{"emailAddress": email, "action": "failed", "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 <ann@example.org>: Recipient address rejected"}]},
        "mail": {"timestamp": "2026-11-23T09:00:00.000Z", "source": "digest@verdicts.example.org",
            "messageId": "0102017e-aaaa", "destination": [email], "headersTruncated": false,
            "commonHeaders": {"from": ["digest@verdicts.example.org"], "to": [email],
                "messageId": format!("<{message_id}>"), "subject": "This week"}}
    })
}

pub fn ses_complaint(email: &str) -> Value {
    json!({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": email}], "timestamp": "2026-11-23T10:00:00.000Z",
            "feedbackId": "0102017e-cccc", "complaintFeedbackType": "abuse",
            "userAgent": "Yahoo!-Mail-Feedback/2.0"},
        "mail": {"timestamp": "2026-11-23T09:00:00.000Z", "source": "digest@verdicts.example.org",
            "messageId": "0102017e-bbbb", "destination": [email]}
    })
}
