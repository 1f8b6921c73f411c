//! Sends the queued confirmation mails (see `Store::due_confirmation_mails`) off the request path: `POST
//! /subscribe` only writes the request and its queued mail in one transaction and answers, so its timing is the
//! same whatever the address's state, and a mail queued before a crash goes out after the restart.
//!
//! [`run`] is started with the [`AppState`] and drains the queue whenever [`MailQueue::wake`] is called (after each
//! subscribe), when a retry falls due, and once at start. [`send_one`] builds and signs one mail, and
//! [`hand_to_mailer`] is the one place a confirmation mail leaves this program.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::mail::Mailer;
use crate::store::{QueueTake, QueuedConfirmation, Store};
use crate::tokens::{Purpose, Tokens};
use crate::web::AppState;
use crate::web::confirmation_mail::{self, Confirmation};

/// Mails taken from the queue per store round trip.
const BATCH: usize = 20;
/// Longest sleep between looks at the queue: another process (`subscribers add`, a second `serve`) may have queued
/// mail this one was not woken for.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// The handle that wakes and stops [`run`]. Clones share it.
#[derive(Clone)]
pub struct MailQueue {
    inner: Arc<QueueInner>,
}

struct QueueInner {
    wake: Notify,
    stop: watch::Sender<bool>,
    /// This process, as the claims on the mails it takes name it.
    owner: String,
}

impl Default for MailQueue {
    fn default() -> MailQueue {
        MailQueue {
            inner: Arc::new(QueueInner {
                wake: Notify::new(),
                stop: watch::Sender::new(false),
                owner: crate::lease::owner_id(),
            }),
        }
    }
}

impl MailQueue {
    /// Something was queued: look now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Finish the mail in hand and stop; mails still queued stay queued for the next start.
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }
}

/// Starts [`run`] as background work of `state` (so that shutdown lets the mail in hand finish), if there is a
/// Tokio runtime (there is in `serve` and in tests).
pub fn start(state: &AppState) {
    if tokio::runtime::Handle::try_current().is_ok() {
        state.spawn_background(run(state.clone()));
    }
}

/// Drains the queue until [`MailQueue::stop`].
pub async fn run(state: AppState) {
    let queue = state.mail_queue().clone();
    let mut stop = queue.inner.stop.subscribe();
    let now = state.now();
    if let Err(error) = state
        .store()
        .run(move |store| release_claims_of_the_dead(store, now))
        .await
    {
        tracing::error!("confirmation mail queue: {error:#}");
    }
    loop {
        if *stop.borrow() {
            return;
        }
        let pause = match drain(&state, &stop).await {
            Ok(next_due) => next_due
                .map(|at| (at - state.now()).to_std().unwrap_or(Duration::ZERO))
                .map_or(IDLE_POLL, |wait| wait.min(IDLE_POLL)),
            Err(error) => {
                tracing::error!("confirmation mail queue: {error:#}");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = queue.inner.wake.notified() => {}
            () = tokio::time::sleep(pause.max(Duration::from_millis(50))) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends every mail due now; returns when the next queued one falls due.
async fn drain(state: &AppState, stop: &watch::Receiver<bool>) -> Result<Option<DateTime<Utc>>> {
    let owner = state.mail_queue().inner.owner.clone();
    loop {
        let now = state.now();
        let owner = owner.clone();
        let due = state
            .store()
            .run(move |store| {
                store.due_confirmation_mails(&QueueTake {
                    now,
                    limit: BATCH,
                    owner: &owner,
                    only: None,
                })
            })
            .await?;
        let exhausted = due.len() < BATCH;
        for mail in due {
            if *stop.borrow() {
                return Ok(None);
            }
            let now = state.now();
            let sent = send_one(state.config(), state.tokens(), state.mailer(), &mail, now).await;
            state
                .store()
                .run(move |store| record_attempt(store, &mail, &sent, now))
                .await?;
        }
        if exhausted {
            return state
                .store()
                .run(|store| store.next_confirmation_mail_at())
                .await;
        }
    }
}

/// Gives back the mails claimed by processes of this host that have died (a `serve` killed while sending), so they
/// go out now rather than when their claims run out. Done at start: that is when a killed `serve` is replaced.
fn release_claims_of_the_dead(store: &mut Store, now: DateTime<Utc>) -> Result<()> {
    for owner in store.confirmation_mail_claimants()? {
        if crate::lease::holder_is_dead_here(&owner) {
            let released = store.release_confirmation_claims(&owner, now)?;
            tracing::info!(
                "{released} confirmation mail(s) taken by {owner}, which has exited, are due again"
            );
        }
    }
    Ok(())
}

/// Takes the queued mail off the queue, or schedules its retry; logs what happened.
pub fn record_attempt(
    store: &mut Store,
    mail: &QueuedConfirmation,
    sent: &Result<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    match sent {
        Ok(said) => {
            tracing::info!(subscriber = mail.subscriber_id, "confirmation email {said}");
            store.confirmation_mail_sent(mail)
        }
        Err(error) => {
            let given_up = store.confirmation_mail_failed(mail, &format!("{error:#}"), now)?;
            if given_up {
                tracing::error!(
                    subscriber = mail.subscriber_id,
                    "the confirmation email failed {} times and was given up (the reader can ask again): {error:#}",
                    mail.attempts + 1
                );
            } else {
                tracing::warn!(
                    subscriber = mail.subscriber_id,
                    "the confirmation email failed; it will be retried: {error:#}"
                );
            }
            Ok(())
        }
    }
}

/// Builds the confirmation mail for `mail`, its link bound to the subscription's nonce, and sends it.
pub async fn send_one(
    config: &Config,
    tokens: &Tokens,
    mailer: &Mailer,
    mail: &QueuedConfirmation,
    now: DateTime<Utc>,
) -> Result<String> {
    let email = SubscriberEmail::parse(&mail.email)
        .with_context(|| format!("the stored address {:?} cannot be mailed", mail.email))?;
    let name = mail
        .name
        .as_deref()
        .map(SubscriberName::parse)
        .transpose()
        .ok()
        .flatten();
    let token = tokens.sign_bound(Purpose::Confirm, mail.subscriber_id, mail.nonce, now);
    let confirmation = Confirmation {
        subscriber_id: mail.subscriber_id,
        email: &email,
        name: name.as_ref(),
        token: &token,
    };
    let message = confirmation_mail::message(config, &confirmation, now)?;
    hand_to_mailer(mailer, &message).await
}

/// The one place a confirmation mail is handed to the mail seam (signed there when DKIM is on); what the
/// transport said ("accepted via smtp://…: 250 …", or "written to …").
pub async fn hand_to_mailer(mailer: &Mailer, message: &lettre::Message) -> Result<String> {
    mailer.send(message).await
}
