//! [`Secrets`]: the keys and passwords read from the environment only, never from `verdicts.toml`,
//! and kept out of `Debug` output.

use std::collections::BTreeMap;
use std::fmt;

/// Secrets, read from the environment only.
#[derive(Clone, Default)]
pub struct Secrets {
    /// `VERDICTS_SECRET`: the token signing key (else one is generated and kept in the store).
    pub token_key: Option<String>,
    /// `VERDICTS_SECRET_RETIRED`: comma-separated earlier keys, still accepted.
    pub retired_token_keys: Vec<String>,
    /// `VERDICTS_SMTP_PASSWORD`: the password of every relay in `smtp_url` that names a user.
    pub smtp_password: Option<String>,
    /// `VERDICTS_SMTP_PASSWORD_<N>`: the password of the relay at position N (from 1) of `smtp_url`.
    pub smtp_passwords: BTreeMap<usize, String>,
    /// `VERDICTS_DKIM_KEY`: the RSA key, PKCS#8 or PKCS#1 PEM, or a path to a file holding it.
    pub dkim_key: Option<String>,
    /// `VERDICTS_DKIM_ED25519_KEY`: the Ed25519 key, PKCS#8 PEM, or a path to a file holding it.
    pub dkim_ed25519_key: Option<String>,
    /// `VERDICTS_METRICS_TOKEN`: the bearer token `GET /metrics` requires; unset, `/metrics` is off (404).
    pub metrics_token: Option<String>,
    /// `VERDICTS_POSTMARK_WEBHOOK_PASSWORD`: the basic-auth password of `POST /webhooks/postmark`; unset, it is
    /// off (404).
    pub postmark_webhook_password: Option<String>,
    /// `VERDICTS_MAILGUN_SIGNING_KEY`: Mailgun's HTTP webhook signing key; unset, `POST /webhooks/mailgun` is off
    /// (404).
    pub mailgun_signing_key: Option<String>,
}

impl Secrets {
    pub fn from_env() -> Secrets {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Secrets {
            token_key: var("VERDICTS_SECRET"),
            retired_token_keys: var("VERDICTS_SECRET_RETIRED")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            smtp_password: var("VERDICTS_SMTP_PASSWORD"),
            smtp_passwords: std::env::vars()
                .filter(|(_, value)| !value.is_empty())
                .filter_map(|(name, value)| Some((relay_password_position(&name)?, value)))
                .collect(),
            dkim_key: var("VERDICTS_DKIM_KEY"),
            dkim_ed25519_key: var("VERDICTS_DKIM_ED25519_KEY"),
            metrics_token: var("VERDICTS_METRICS_TOKEN"),
            postmark_webhook_password: var("VERDICTS_POSTMARK_WEBHOOK_PASSWORD"),
            mailgun_signing_key: var("VERDICTS_MAILGUN_SIGNING_KEY"),
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: bool| if v { "set" } else { "unset" };
        f.debug_struct("Secrets")
            .field("token_key", &set(self.token_key.is_some()))
            .field("smtp_password", &set(self.smtp_password.is_some()))
            .field(
                "smtp_passwords",
                &self.smtp_passwords.keys().collect::<Vec<_>>(),
            )
            .field("dkim_key", &set(self.dkim_key.is_some()))
            .field("dkim_ed25519_key", &set(self.dkim_ed25519_key.is_some()))
            .field("metrics_token", &set(self.metrics_token.is_some()))
            .field(
                "postmark_webhook_password",
                &set(self.postmark_webhook_password.is_some()),
            )
            .field(
                "mailgun_signing_key",
                &set(self.mailgun_signing_key.is_some()),
            )
            .finish()
    }
}

/// N of `VERDICTS_SMTP_PASSWORD_<N>`, a secret and not a setting.
pub(super) fn relay_password_position(name: &str) -> Option<usize> {
    name.strip_prefix("VERDICTS_SMTP_PASSWORD_")?.parse().ok()
}
