//! The issue as the workers send it: one subscriber's message at a time, stamped from one build, then
//! DKIM-signed over those bytes when DKIM is configured.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use lettre::Address;

use super::stamp::{Personal, Stamp};
use crate::digest::{Recipient, RenderedIssue};
use crate::mail::DkimSigner;
use crate::mail::dkim::{BodyTemplate, StampedBody};
use crate::tokens::verp::ReturnPaths;
use crate::tokens::{Purpose, Tokens};

/// The issue as every worker needs it: rendered once, signed links and DKIM per message.
pub struct Edition {
    pub issue_id: i64,
    pub issue: RenderedIssue,
    /// When the issue was created: its messages' Date and the time their links are signed at, so a message
    /// sent again after a crash is the same message.
    pub composed_at: DateTime<Utc>,
    pub tokens: Tokens,
    pub dkim: Option<Arc<DkimSigner>>,
    /// Envelope sender (bounces go here), unless `return_paths` gives each message its own.
    pub sender: Address,
    /// With `bounce_address`: each message's envelope sender names its subscription and this issue (VERP).
    return_paths: Option<ReturnPaths>,
    /// Messages are stamped from one build rather than built one by one.
    stamp: Option<Stamp>,
    /// The stamp's body as DKIM hashes it, made once: a stamped message's body hash costs one pass over the
    /// bytes after its first slot rather than a canonicalisation of its whole body.
    body: Option<Arc<BodyTemplate>>,
    /// Whether a stamped message matched lettre's build yet (release builds check the first one; debug builds
    /// check them all); a mismatch turns stamping off for the run.
    stamp_checked: AtomicBool,
    /// The stand-in has no display name: the first recipient with one is checked too.
    stamp_checked_named: AtomicBool,
    stamp_off: AtomicBool,
    /// The issue is an edition: each message carries the subscriber's preferences link too.
    has_preferences_link: bool,
}

/// Who one message goes to: the subscriber's id (it signs their unsubscribe link), address and name.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    pub subscriber_id: u64,
    pub email: &'a str,
    pub name: Option<&'a str>,
}

/// A built message.
pub struct Built {
    pub message_id: String,
    pub to: Address,
    /// The envelope sender (MAIL FROM) of this message.
    pub sender: Address,
    pub raw: Vec<u8>,
}

impl Edition {
    pub fn new(
        issue_id: i64,
        issue: RenderedIssue,
        composed_at: DateTime<Utc>,
        tokens: Tokens,
        dkim: Option<Arc<DkimSigner>>,
        sender: Address,
    ) -> Edition {
        let token_len = tokens.sign(Purpose::Unsubscribe, 0, composed_at).len();
        let stamp = Stamp::new(&issue, composed_at, token_len)
            .inspect_err(|e| tracing::warn!("building each message in full: {e:#}"))
            .ok();
        let body = match (&dkim, &stamp) {
            (Some(_), Some(stamp)) => {
                let (raw, slots) = stamp.stand_in();
                let template = BodyTemplate::new(raw, slots);
                if template.is_none() {
                    tracing::info!("DKIM hashes each message's whole body");
                }
                template.map(Arc::new)
            }
            _ => None,
        };
        Edition {
            issue_id,
            composed_at,
            tokens,
            dkim,
            sender,
            return_paths: None,
            stamp,
            body,
            stamp_checked: AtomicBool::new(false),
            stamp_checked_named: AtomicBool::new(false),
            stamp_off: AtomicBool::new(false),
            has_preferences_link: issue.has_preferences_link(),
            issue,
        }
    }

    /// Whether DKIM takes stamped messages' body hashes from the issue's template (see `mail::dkim::body`).
    pub fn hashes_bodies_from_template(&self) -> bool {
        self.body.is_some()
    }

    /// The VERP return paths, if the messages have them.
    pub fn return_paths(&self) -> Option<&ReturnPaths> {
        self.return_paths.as_ref()
    }

    /// The same edition with a VERP envelope sender per message (see [`ReturnPaths`]).
    pub fn with_return_paths(mut self, return_paths: Option<ReturnPaths>) -> Edition {
        self.return_paths = return_paths;
        self
    }

    /// The subscriber's message, signed on this thread.
    pub fn build(&self, job: Addressee<'_>) -> Result<Built> {
        let (mut built, slots) = self.unsigned(job)?;
        if let Some(dkim) = &self.dkim {
            built.raw = match self.stamped_body(slots) {
                Some(body) => dkim.sign_stamped(&built.raw, &body)?,
                None => dkim.sign(&built.raw)?,
            };
        }
        Ok(built)
    }

    /// The subscriber's message, signed in the signing pool (one thread per core) when DKIM is on.
    pub async fn build_pooled(&self, job: Addressee<'_>) -> Result<Built> {
        let (mut built, slots) = self.unsigned(job)?;
        if let Some(dkim) = &self.dkim {
            built.raw = dkim
                .sign_pooled(built.raw, self.stamped_body(slots))
                .await?;
        }
        Ok(built)
    }

    /// What the signer needs to hash a stamped message's body from the template.
    fn stamped_body(&self, slots: Option<Vec<Range<usize>>>) -> Option<StampedBody> {
        Some(StampedBody {
            template: Arc::clone(self.body.as_ref()?),
            slots: slots?,
        })
    }

    /// The message, and where its stamp's slots are when it was stamped.
    fn unsigned(&self, job: Addressee<'_>) -> Result<(Built, Option<Vec<Range<usize>>>)> {
        let to: Address = job
            .email
            .parse()
            .with_context(|| format!("{:?} is not an address lettre accepts", job.email))?;
        let token = self
            .tokens
            .sign(Purpose::Unsubscribe, job.subscriber_id, self.composed_at);
        // Only an edition has a "Change" link; the full issue's messages stay as they were.
        let preferences = self.has_preferences_link.then(|| {
            self.tokens
                .sign(Purpose::Preferences, job.subscriber_id, self.composed_at)
        });
        let recipient = Recipient {
            subscriber_id: job.subscriber_id,
            email: to.clone(),
            name: job.name,
            unsubscribe_token: &token,
            preferences_token: preferences.as_deref(),
        };
        let message_id = self.issue.message_id(&recipient);
        let preferences_url = preferences
            .as_deref()
            .map(|token| self.issue.preferences_url(Some(token)));
        let stamped = match &self.stamp {
            Some(stamp) if !self.stamp_off.load(Ordering::Relaxed) => stamp.fill(&Personal {
                recipient: &recipient,
                message_id: &message_id,
                unsubscribe_url: &self.issue.unsubscribe_url(&token),
                preferences_url: preferences_url.as_deref(),
            }),
            _ => None,
        };
        let check = cfg!(debug_assertions)
            || !self.stamp_checked.swap(true, Ordering::Relaxed)
            || (job.name.is_some() && !self.stamp_checked_named.swap(true, Ordering::Relaxed));
        let sender = match &self.return_paths {
            Some(paths) => paths.sender(job.subscriber_id, self.issue_id),
            None => self.sender.clone(),
        };
        let (raw, slots) = match stamped {
            Some(stamped) if !check => (stamped.raw, Some(stamped.slots)),
            stamped => {
                let built = self
                    .issue
                    .message(&recipient, self.composed_at)?
                    .formatted();
                let Some(stamped) = stamped else {
                    return Ok((
                        Built {
                            message_id,
                            to,
                            sender,
                            raw: built,
                        },
                        None,
                    ));
                };
                if stamped.raw == built {
                    (built, Some(stamped.slots))
                } else {
                    // Debug builds (the test suite) fail the message, so a difference cannot go unnoticed.
                    anyhow::ensure!(
                        !cfg!(debug_assertions),
                        "the stamped message to {} differs from lettre's build",
                        job.email
                    );
                    tracing::warn!(
                        "a stamped message differed from lettre's build; building each in full"
                    );
                    self.stamp_off.store(true, Ordering::Relaxed);
                    (built, None)
                }
            }
        };
        Ok((
            Built {
                message_id,
                to,
                sender,
                raw,
            },
            slots,
        ))
    }
}
