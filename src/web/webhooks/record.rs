//! From parsed provider events to the store: each recipient is looked up by address, and a report is recorded for
//! those on the list (with the issue, when the event carries one of our Message-IDs naming that reader). Addresses
//! that are not on the list, or not addresses at all, are logged and skipped.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{BounceReport, ReportOutcome, ReportSource, Store};
use crate::web::webhooks::event::{ProviderEvent, our_message_id};

/// What became of one event, for the log and the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Recorded(ReportOutcome),
    /// Not an address we could have sent to, or not on the list.
    NotOnList,
}

/// Where a batch of events goes, and what applies to it.
pub struct Target {
    pub source: ReportSource,
    /// Our sender domain, which our Message-IDs end in.
    pub domain: String,
    /// Consecutive soft-bounced issues that make a reader bounced.
    pub soft_bounce_limit: u32,
}

/// Records every event in one go on the store (in the blocking pool).
pub fn record_all(
    store: &mut Store,
    target: &Target,
    events: &[ProviderEvent],
    now: DateTime<Utc>,
) -> Result<Vec<Handled>> {
    let source = target.source;
    let mut handled = Vec::with_capacity(events.len());
    for event in events {
        let Ok(email) = SubscriberEmail::parse(&event.recipient) else {
            tracing::info!(
                ?source,
                "webhook: {:?} is not an address on the list; ignored",
                event.recipient
            );
            handled.push(Handled::NotOnList);
            continue;
        };
        let Some(subscriber) = store.find_by_email(&email)? else {
            tracing::info!(?source, "webhook: {email} is not on the list; ignored");
            handled.push(Handled::NotOnList);
            continue;
        };
        let issue_id = match event
            .message_id
            .as_deref()
            .and_then(|id| our_message_id(id, &target.domain))
        {
            // The Message-ID names the reader too: one naming someone else says nothing about this issue.
            Some((key, named)) if named == subscriber.id => {
                store.issue_by_key(&key)?.map(|issue| issue.id)
            }
            _ => None,
        };
        let report = BounceReport {
            subscriber_id: subscriber.id,
            issue_id,
            kind: event.kind,
            reason: event.reason.clone(),
            source,
        };
        let outcome = store.record_bounce_report(&report, target.soft_bounce_limit, now)?;
        tracing::info!(
            ?source,
            subscriber = subscriber.id,
            ?issue_id,
            kind = ?event.kind,
            ?outcome,
            "webhook: {}",
            event.reason
        );
        handled.push(Handled::Recorded(outcome));
    }
    Ok(handled)
}
