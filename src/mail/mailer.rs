//! The one way out: [`Mailer`], built once from the configuration and secrets, owns where mail goes (the relays
//! of `smtp_url`, with their failover, or the outbox folder), the DKIM signer and the envelope sender. One-off
//! mails (confirmations, test copies) go through [`Mailer::send`] or [`Mailer::send_raw`]; the delivery workers
//! take the same [`Route`], signer and sender from it and hold one connection each for many messages. Tests put
//! an outbox or a capturing relay behind it with [`Mailer::new`].

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use lettre::{Address, Message};

use super::dkim::DkimSigner;
use super::outbox::Outbox;
use super::relays::{ListSettings, Relays};
use super::smtp::{Attempt, SmtpConnection, Timeouts};
use crate::clock::Clock;
use crate::config::{Config, Secrets};
use crate::metrics::Counters;

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Route {
    /// The relays of `smtp_url` in priority order, with how long each step may take.
    Smtp { relays: Relays, timeouts: Timeouts },
    /// A folder of `.eml` files (no `smtp_url`).
    Outbox(Outbox),
}

/// Every mail leaves through one of these: same relay settings, same EHLO name, same DKIM signature.
#[derive(Debug, Clone)]
pub struct Mailer {
    route: Route,
    dkim: Option<Arc<DkimSigner>>,
    sender: Address,
    /// When a relay that is down may be tried again.
    clock: Clock,
    /// Where SMTP replies are counted (see [`Mailer::with_counters`]).
    counters: Counters,
}

impl Mailer {
    /// `smtp_url` parsed once (each relay's password from `VERDICTS_SMTP_PASSWORD_<N>` or
    /// `VERDICTS_SMTP_PASSWORD`, the EHLO name `helo_name` (default: the sender's domain) unless the URL names
    /// one, the CAs of `tls_ca_file`), else the outbox folder; the DKIM key when configured; the From address as
    /// the envelope sender. An error names the setting that is wrong.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Mailer> {
        let roots = match &config.tls_ca_file {
            Some(path) => super::tls_trust::load_ca_file(path)?,
            None => Vec::new(),
        };
        let route = match &config.smtp_url {
            Some(url) => Route::Smtp {
                relays: Relays::parse(
                    url,
                    &ListSettings {
                        hello: config.helo_name(),
                        password: secrets.smtp_password.as_deref(),
                        passwords: &secrets.smtp_passwords,
                        // At most a day: the configuration checks it.
                        cooldown: chrono::Duration::seconds(
                            i64::try_from(config.relay_cooldown_seconds).unwrap_or(86_400),
                        ),
                        roots: &roots,
                    },
                )?,
                timeouts: Timeouts::default(),
            },
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
            clock: Clock::System,
            counters: Counters::default(),
        }
    }

    /// The same mailer reading the time for relay cool-downs from `clock` (a run's clock; a hand-set one in tests).
    pub fn with_clock(mut self, clock: Clock) -> Mailer {
        self.clock = clock;
        self
    }

    /// The same mailer counting the SMTP replies of its messages (one-off mails and, through the workers, an
    /// issue's) into `counters`.
    pub fn with_counters(mut self, counters: Counters) -> Mailer {
        self.counters = counters;
        self
    }

    /// Where this mailer's SMTP replies are counted.
    pub fn counters(&self) -> &Counters {
        &self.counters
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

    /// Where mail goes, for messages to the user: the relay URLs without their passwords, or the outbox folder.
    pub fn destination(&self) -> String {
        match &self.route {
            Route::Smtp { relays, .. } => relays
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            Route::Outbox(outbox) => outbox.dir().display().to_string(),
        }
    }

    /// Signs (when DKIM is configured) and sends one message built by lettre to its envelope recipients. Returns
    /// what happened ("written to …", or the relay's reply); an error names the recipient.
    pub async fn send(&self, message: &Message) -> Result<String> {
        let message_id = message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or("message")
            .to_string();
        let mut raw = message.formatted();
        if let Some(dkim) = &self.dkim {
            raw = dkim.sign(&raw)?;
        }
        let mut said = Vec::new();
        for to in message.envelope().to() {
            said.push(self.send_raw(to, &message_id, &raw).await?);
        }
        Ok(said.join("; "))
    }

    /// Sends one formatted message (already signed, if it is to be) to `to` over a connection of its own to the
    /// first relay of the list that answers, or writes it into the outbox.
    pub async fn send_raw(&self, to: &Address, message_id: &str, raw: &[u8]) -> Result<String> {
        match &self.route {
            Route::Outbox(outbox) => {
                let path = outbox.deliver(message_id, raw)?;
                Ok(format!("written to {}", path.display()))
            }
            Route::Smtp { relays, timeouts } => {
                let (index, mut connection) = self
                    .connect(relays, *timeouts)
                    .await
                    .with_context(|| format!("sending to {to}"))?;
                let relay = relays.get(index);
                let attempt = connection.send(&self.sender, to, raw).await;
                connection.quit().await;
                match attempt {
                    Attempt::Sent { reply } => Ok(format!("accepted via {relay}: {reply}")),
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

    /// A connection to the relay of the list to use now; a relay that fails to connect is cooled down and the
    /// next one tried. A one-off mail has no later pass to wait for, so it tries every relay once before giving
    /// up, cooling down or not: the cool-downs only decide the order. The error lists what each relay said.
    async fn connect(
        &self,
        relays: &Relays,
        timeouts: Timeouts,
    ) -> Result<(usize, SmtpConnection)> {
        let mut tried = vec![false; relays.len()];
        let mut failures = Vec::new();
        for _ in 0..relays.len() {
            let (chosen, _) = relays.choose(self.clock.now());
            let index = if tried[chosen] {
                tried.iter().position(|t| !t).unwrap_or(chosen)
            } else {
                chosen
            };
            tried[index] = true;
            match SmtpConnection::open(relays.get(index), timeouts).await {
                Ok(mut connection) => {
                    connection.count_replies(&self.counters);
                    return Ok((index, connection));
                }
                Err(e) => {
                    failures.push(e.to_string());
                    relays.down(index, self.clock.now());
                }
            }
        }
        bail!("{}", failures.join("; then "))
    }
}
