//! The one way out: [`Mailer`], built once from the configuration and secrets, owns where mail goes (the relay of
//! `smtp_url` or the outbox folder), the DKIM signer and the envelope sender. One-off mails (confirmations, test
//! copies) go through [`Mailer::send`] or [`Mailer::send_raw`]; the delivery workers take the same [`Route`],
//! signer and sender from it and hold one connection each for many messages. Tests put an outbox or a
//! capturing relay behind it with [`Mailer::new`].

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use lettre::{Address, Message};

use super::dkim::DkimSigner;
use super::outbox::Outbox;
use super::relay::Relay;
use super::smtp::{Attempt, SmtpConnection, Timeouts};
use crate::config::{Config, Secrets};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Route {
    /// The relay of `smtp_url`, with how long each step may take.
    Smtp { relay: Relay, timeouts: Timeouts },
    /// A folder of `.eml` files (no `smtp_url`).
    Outbox(Outbox),
}

/// Every mail leaves through one of these: same relay settings, same EHLO name, same DKIM signature.
#[derive(Debug, Clone)]
pub struct Mailer {
    route: Route,
    dkim: Option<Arc<DkimSigner>>,
    sender: Address,
}

impl Mailer {
    /// `smtp_url` parsed once (its password from `VERDICTS_SMTP_PASSWORD`, the EHLO name `helo_name` (default
    /// the sender's domain) unless the URL names one, the CAs of `tls_ca_file`), else the outbox folder; the DKIM key when configured; the From address as the
    /// envelope sender. An error names the setting that is wrong.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Mailer> {
        let route = match &config.smtp_url {
            Some(url) => {
                let mut relay =
                    Relay::parse(url, secrets.smtp_password.as_deref(), config.helo_name())?;
                if let Some(path) = &config.tls_ca_file {
                    relay.roots = super::tls_trust::load_ca_file(path)?;
                }
                Route::Smtp {
                    relay,
                    timeouts: Timeouts::default(),
                }
            }
            None => Route::Outbox(Outbox::new(&config.outbox_dir)),
        };
        let dkim = DkimSigner::from_config(config, secrets)?;
        Ok(Mailer::new(route, dkim, config.from.email.clone()))
    }

    pub fn new(route: Route, dkim: Option<DkimSigner>, sender: Address) -> Mailer {
        Mailer {
            route,
            dkim: dkim.map(Arc::new),
            sender,
        }
    }

    /// The same mailer with other SMTP timeouts (tests shorten them).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Mailer {
        if let Route::Smtp { timeouts: t, .. } = &mut self.route {
            *t = timeouts;
        }
        self
    }

    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The signer every message is signed with, when DKIM is configured.
    pub fn dkim(&self) -> Option<&Arc<DkimSigner>> {
        self.dkim.as_ref()
    }

    /// The envelope sender (MAIL FROM): where bounces go.
    pub fn sender(&self) -> &Address {
        &self.sender
    }

    /// Where mail goes, for messages to the user: the relay URL without its password, or the outbox folder.
    pub fn destination(&self) -> String {
        match &self.route {
            Route::Smtp { relay, .. } => relay.to_string(),
            Route::Outbox(outbox) => outbox.dir().display().to_string(),
        }
    }

    /// Signs (when DKIM is configured) and sends one message built by lettre to its envelope recipients. Returns
    /// what happened ("written to …", or the relay's reply); an error names the recipient.
    pub async fn send(&self, message: &Message) -> Result<String> {
        let mut message = message.clone();
        if let Some(dkim) = &self.dkim {
            dkim.sign(&mut message);
        }
        let message_id = message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or("message")
            .to_string();
        let raw = message.formatted();
        let mut said = Vec::new();
        for to in message.envelope().to() {
            said.push(self.send_raw(to, &message_id, &raw).await?);
        }
        Ok(said.join("; "))
    }

    /// Sends one formatted message (already signed, if it is to be) to `to` over a connection of its own, or
    /// writes it into the outbox.
    pub async fn send_raw(&self, to: &Address, message_id: &str, raw: &[u8]) -> Result<String> {
        match &self.route {
            Route::Outbox(outbox) => {
                let path = outbox.deliver(message_id, raw)?;
                Ok(format!("written to {}", path.display()))
            }
            Route::Smtp { relay, timeouts } => {
                let mut connection = SmtpConnection::open(relay, *timeouts)
                    .await
                    .with_context(|| format!("sending to {to}"))?;
                let attempt = connection.send(&self.sender, to, raw).await;
                connection.quit().await;
                match attempt {
                    Attempt::Sent { reply } => Ok(format!("{relay} accepted it: {reply}")),
                    Attempt::Refused { stage, reply, .. } => {
                        bail!("{relay} refused the message to {to} at {stage}: {reply}")
                    }
                    Attempt::Lost { error } => {
                        bail!("the connection to {relay} broke sending to {to}: {error}")
                    }
                    Attempt::Unsendable { reason } => bail!("{reason}"),
                }
            }
        }
    }
}
