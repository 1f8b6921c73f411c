//! Provider webhooks: `POST /webhooks/postmark` (HTTP basic auth), `/webhooks/mailgun` (HMAC-SHA256 signature,
//! stale or replayed ones refused) and `/webhooks/ses` (Amazon SNS notifications, signature checked against the
//! configured certificate). Each turns the provider's bounce and complaint events into bounce reports for the
//! store. A route is off (404) while its secret or certificate is not configured; a request that fails its
//! provider's authentication gets 401 and changes nothing.
//!
//! Parsing and verification are pure functions, one file per provider ([`postmark`], [`mailgun`], [`sns`] and
//! [`ses`]); [`handlers`] does the HTTP and [`record`] the store.

pub mod event;
mod handlers;
pub mod mailgun;
pub mod postmark;
mod record;
pub mod ses;
pub mod sns;

use anyhow::Result;
use axum::Router;
use axum::routing::any;

use crate::config::{Config, Secrets};
use crate::web::AppState;

/// Where the webhook routes live; they take larger bodies and are not rate-limited per client (a provider posts
/// every event from a few addresses, and each request must authenticate anyway).
pub const PREFIX: &str = "/webhooks/";

/// Largest webhook body, in bytes: an SNS message may be 256 KiB (SES includes the original headers).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The webhooks this server answers, with their secrets; `Debug` shows which are on, never a secret.
#[derive(Debug, Default)]
pub struct Webhooks {
    postmark: Option<postmark::Credentials>,
    mailgun: Option<Mailgun>,
    ses: Option<sns::Verifier>,
}

/// Mailgun's key and the tokens already used with it.
#[derive(Debug)]
struct Mailgun {
    key: mailgun::SigningKey,
    replays: mailgun::ReplayCache,
}

impl Webhooks {
    /// Each webhook whose secret (or, for SES, certificate file) is configured; an unreadable certificate file is
    /// an error naming it.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Webhooks> {
        let ses = match &config.ses_certificate_file {
            Some(path) => {
                let verifier = sns::Verifier::load(path, config.ses_topic_arns.clone())?;
                Some(verifier)
            }
            None => None,
        };
        Ok(Webhooks {
            postmark: secrets
                .postmark_webhook_password
                .as_deref()
                .and_then(|password| {
                    postmark::Credentials::new(&config.postmark_webhook_user, password)
                }),
            mailgun: secrets
                .mailgun_signing_key
                .as_deref()
                .and_then(mailgun::SigningKey::new)
                .map(|key| Mailgun {
                    key,
                    replays: mailgun::ReplayCache::default(),
                }),
            ses,
        })
    }

    /// The paths of the webhooks that are on, for the log at start.
    pub fn enabled(&self) -> Vec<&'static str> {
        [
            (self.postmark.is_some(), "/webhooks/postmark"),
            (self.mailgun.is_some(), "/webhooks/mailgun"),
            (self.ses.is_some(), "/webhooks/ses"),
        ]
        .into_iter()
        .filter_map(|(on, path)| on.then_some(path))
        .collect()
    }

    /// The latest expiry of the configured SNS certificates, if SES is on.
    pub fn ses_certificate_expires(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.ses.as_ref().and_then(sns::Verifier::expires)
    }
}

/// The three routes (every method, so that while one is off no method tells it apart from an unknown path).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/postmark", any(handlers::postmark))
        .route("/webhooks/mailgun", any(handlers::mailgun))
        .route("/webhooks/ses", any(handlers::ses))
}

#[cfg(test)]
mod tests {
    use super::Webhooks;
    use crate::config::{Config, Secrets};

    #[test]
    fn a_webhook_is_on_only_with_its_secret_and_debug_never_shows_one() {
        let none = Webhooks::from_config(&Config::default(), &Secrets::default()).unwrap();
        assert!(none.enabled().is_empty());
        let secrets = Secrets {
            postmark_webhook_password: Some("pm-s3cret".into()),
            mailgun_signing_key: Some("mg-s3cret".into()),
            ..Secrets::default()
        };
        let hooks = Webhooks::from_config(&Config::default(), &secrets).unwrap();
        assert_eq!(hooks.enabled(), ["/webhooks/postmark", "/webhooks/mailgun"]);
        let shown = format!("{hooks:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
