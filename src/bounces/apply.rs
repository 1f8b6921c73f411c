//! Applying what a returned message reports: the subscription comes from the signed return path it came back to
//! (never from the text), the report goes to `Store::record_bounce_report`, and the outcome is said in one line.
//!
//! Ignored, and said why: a message with no return path of ours, one whose token is forged or damaged, one whose
//! report names a recipient who is a different reader than the token's (a token copied into someone else's
//! report), a subscription no longer on the list, and an automatic reply.

use anyhow::Result;
use chrono::{DateTime, Utc};
use lettre::Address;

use super::read::{Reading, Recipient, Report};
use crate::email_address::SubscriberEmail;
use crate::store::{BounceKind, BounceReport, ReportOutcome, Store};
use crate::tokens::Tokens;
use crate::tokens::verp::{ReturnPathError, ReturnPathTarget};

/// What ingesting needs besides the message.
pub struct Context<'a> {
    pub tokens: &'a Tokens,
    pub bounce_address: &'a Address,
    pub soft_bounce_limit: u32,
    pub now: DateTime<Utc>,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Recorded; the line says for whom and with what outcome.
    Recorded(String),
    /// Understood, and nothing to do (or refused on purpose); the line says why.
    Ignored(String),
    /// Not a report this command can read; the line says why.
    NotUnderstood(String),
}

impl Handled {
    pub fn understood(&self) -> bool {
        !matches!(self, Handled::NotUnderstood(_))
    }
}

impl std::fmt::Display for Handled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handled::Recorded(line) => write!(f, "{line}"),
            Handled::Ignored(line) => write!(f, "ignored: {line}"),
            Handled::NotUnderstood(line) => write!(f, "not understood: {line}"),
        }
    }
}

/// Applies `reading` to the store. An error is the store's (nothing was recorded for this message).
pub fn apply(store: &mut Store, reading: Reading, context: &Context<'_>) -> Result<Handled> {
    let report = match reading {
        Reading::Report(report) => report,
        Reading::AutoReply => {
            return Ok(Handled::Ignored("an automatic reply, not a bounce".into()));
        }
        Reading::NotUnderstood(why) => return Ok(Handled::NotUnderstood(why)),
    };
    let target = match find_target(&report, context) {
        Ok(target) => target,
        Err(why) => {
            tracing::warn!("bounce ignored: {why}");
            return Ok(Handled::Ignored(why));
        }
    };
    // Our messages have one recipient each: the report's most serious word about it decides.
    let Some(recipient) = report
        .recipients
        .iter()
        .filter(|r| r.kind.is_some())
        .max_by_key(|r| severity(r.kind))
    else {
        return Ok(Handled::Ignored(format!(
            "{} for subscriber {}: nothing to act on ({})",
            report.source,
            target.subscriber_id,
            report
                .recipients
                .first()
                .map_or("no recipient", |r| r.reason.as_str())
        )));
    };
    let Some(subscriber) = store.subscriber(target.subscriber_id)? else {
        return Ok(Handled::Ignored(format!(
            "{} for subscriber {}, who is not on the list",
            report.source, target.subscriber_id
        )));
    };
    if let Some(other) = other_reader(store, recipient, subscriber.id)? {
        let why = format!(
            "{} with the return path of subscriber {} names another reader ({other}): a token in someone \
             else's report",
            report.source, subscriber.id
        );
        tracing::warn!("bounce ignored: {why}");
        return Ok(Handled::Ignored(why));
    }
    let kind = recipient.kind.unwrap_or(BounceKind::Soft);
    let outcome = store.record_bounce_report(
        &BounceReport {
            subscriber_id: target.subscriber_id,
            issue_id: Some(target.issue_id),
            kind,
            reason: recipient.reason.clone(),
            source: report.source,
        },
        context.soft_bounce_limit,
        context.now,
    )?;
    // The issue by its key, as `status` names it (its id if it is gone).
    let issue = store
        .issue_key(target.issue_id)?
        .unwrap_or_else(|| format!("#{}", target.issue_id));
    let line = format!(
        "{} for {} (subscriber {}, issue {issue}): {kind} \"{}\": {outcome}",
        report.source, subscriber.email, subscriber.id, recipient.reason
    );
    Ok(match outcome {
        ReportOutcome::NotOnList => Handled::Ignored(line),
        _ => Handled::Recorded(line),
    })
}

fn severity(kind: Option<BounceKind>) -> u8 {
    match kind {
        Some(BounceKind::Complaint) => 3,
        Some(BounceKind::Hard) => 2,
        Some(BounceKind::Soft) => 1,
        None => 0,
    }
}

/// The first of the report's return paths that is ours. One that is ours but does not verify stops the search:
/// a forged or damaged token is refused, not passed over for a weaker clue.
fn find_target(report: &Report, context: &Context<'_>) -> Result<ReturnPathTarget, String> {
    for address in &report.return_paths {
        match context
            .tokens
            .read_return_path(address, context.bounce_address)
        {
            Ok(target) => return Ok(target),
            Err(ReturnPathError::NotOurs) => continue,
            Err(error) => {
                return Err(format!(
                    "{} to the return path {address:?}: {error}",
                    report.source
                ));
            }
        }
    }
    Err(format!(
        "{} that came back to no return path of {} (looked at: {})",
        report.source,
        context.bounce_address,
        if report.return_paths.is_empty() {
            "nothing".to_string()
        } else {
            report.return_paths.join(", ")
        }
    ))
}

/// The address of a different subscriber, when the report names a recipient who is on the list as someone other
/// than `id`. A recipient not on the list (a forwarding address) is no evidence either way.
fn other_reader(store: &Store, recipient: &Recipient, id: u64) -> Result<Option<String>> {
    let Some(email) = recipient
        .address
        .as_deref()
        .and_then(|a| SubscriberEmail::parse(a).ok())
    else {
        return Ok(None);
    };
    Ok(store
        .find_by_email(&email)?
        .filter(|found| found.id != id)
        .map(|found| found.email))
}
