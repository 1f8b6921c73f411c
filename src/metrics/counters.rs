//! [`Counters`]: running totals of this process, kept in atomics so the delivery workers and the ledger writer
//! pay one relaxed add per message and never a lock. Each server (and each run that is not under one) holds its
//! own handle, so tests that run many servers in one process do not see each other's numbers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::store::{DeliveryResult, Outcome};

/// A message's recorded outcome, as the ledger writer committed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageResult {
    Sent,
    Deferred,
    Failed,
    Skipped,
}

impl MessageResult {
    pub const ALL: [MessageResult; 4] = [
        MessageResult::Sent,
        MessageResult::Deferred,
        MessageResult::Failed,
        MessageResult::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageResult::Sent => "sent",
            MessageResult::Deferred => "deferred",
            MessageResult::Failed => "failed",
            MessageResult::Skipped => "skipped",
        }
    }
}

/// The command an SMTP reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStage {
    Mail,
    Rcpt,
    Data,
    DataEnd,
}

impl ReplyStage {
    pub const ALL: [ReplyStage; 4] = [
        ReplyStage::Mail,
        ReplyStage::Rcpt,
        ReplyStage::Data,
        ReplyStage::DataEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStage::Mail => "mail",
            ReplyStage::Rcpt => "rcpt",
            ReplyStage::Data => "data",
            ReplyStage::DataEnd => "data_end",
        }
    }
}

/// The first digit of a reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyClass {
    Positive,
    Transient,
    Permanent,
}

impl ReplyClass {
    pub const ALL: [ReplyClass; 3] = [
        ReplyClass::Positive,
        ReplyClass::Transient,
        ReplyClass::Permanent,
    ];

    /// 2xx, 4xx, 5xx; anything else (a 3xx where a final reply was due, a garbled code) is not counted.
    pub fn of(code: u16) -> Option<ReplyClass> {
        match code / 100 {
            2 => Some(ReplyClass::Positive),
            4 => Some(ReplyClass::Transient),
            5 => Some(ReplyClass::Permanent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyClass::Positive => "2xx",
            ReplyClass::Transient => "4xx",
            ReplyClass::Permanent => "5xx",
        }
    }
}

/// HTTP methods get a label of their own; any other (a client may send anything) counts as `OTHER`, so a
/// client cannot grow the number of series.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/// The running totals of one server or run. Clones share them.
#[derive(Clone, Default)]
pub struct Counters {
    inner: Arc<Inner>,
}

/// One route's requests by (method, status).
type ByMethodAndStatus = BTreeMap<(&'static str, u16), u64>;

#[derive(Default)]
struct Inner {
    /// By [`MessageResult`], in the order of `ALL`.
    messages: [AtomicU64; 4],
    /// By [`ReplyStage`] then [`ReplyClass`].
    replies: [[AtomicU64; 3]; 4],
    /// By route template, then (method, status). A request is no message: one short lock each is cheap enough.
    http: Mutex<BTreeMap<String, ByMethodAndStatus>>,
}

/// The totals at one moment, for the exposition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub messages: Vec<(MessageResult, u64)>,
    pub replies: Vec<(ReplyStage, ReplyClass, u64)>,
    /// `(method, route template, status, count)`, by route, then method and status.
    pub http: Vec<(&'static str, String, u16, u64)>,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters").finish_non_exhaustive()
    }
}

impl Counters {
    /// Counts outcomes the ledger writer has just committed.
    pub fn add_outcomes(&self, outcomes: &[Outcome]) {
        for outcome in outcomes {
            let result = match outcome.result {
                DeliveryResult::Sent { .. } => MessageResult::Sent,
                DeliveryResult::Deferred { .. } => MessageResult::Deferred,
                DeliveryResult::Failed { .. } => MessageResult::Failed,
                DeliveryResult::Skipped { .. } => MessageResult::Skipped,
            };
            self.inner.messages[result as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an SMTP reply by the command it answered and its code's class (a code outside 2xx, 4xx and 5xx is
    /// not counted).
    pub fn add_reply(&self, stage: ReplyStage, code: u16) {
        if let Some(class) = ReplyClass::of(code) {
            self.inner.replies[stage as usize][class as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a request by its method, the route template it matched (`None`: no route) and its status.
    pub fn add_request(&self, method: &str, route: Option<&str>, status: u16) {
        let method = METHODS
            .into_iter()
            .find(|known| *known == method)
            .unwrap_or("OTHER");
        let route = route.unwrap_or("(unmatched)");
        let mut http = self.inner.http.lock().unwrap_or_else(|p| p.into_inner());
        // The route's name is copied once, the first time it is seen, not per request.
        if !http.contains_key(route) {
            http.insert(route.to_owned(), BTreeMap::new());
        }
        if let Some(by_status) = http.get_mut(route) {
            *by_status.entry((method, status)).or_insert(0) += 1;
        }
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CountersSnapshot {
            messages: MessageResult::ALL
                .into_iter()
                .map(|result| (result, load(&self.inner.messages[result as usize])))
                .collect(),
            replies: ReplyStage::ALL
                .into_iter()
                .flat_map(|stage| ReplyClass::ALL.into_iter().map(move |class| (stage, class)))
                // A positive reply decides a message only after its data: no empty series for the others.
                .filter(|(stage, class)| {
                    *stage == ReplyStage::DataEnd || *class != ReplyClass::Positive
                })
                .map(|(stage, class)| {
                    let count = load(&self.inner.replies[stage as usize][class as usize]);
                    (stage, class, count)
                })
                .collect(),
            http: self
                .inner
                .http
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .flat_map(|(route, by_status)| {
                    by_status
                        .iter()
                        .map(|((method, status), count)| (*method, route.clone(), *status, *count))
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Counters, MessageResult, ReplyClass, ReplyStage};

    #[test]
    fn replies_are_counted_by_the_command_they_answered_and_their_class_and_odd_codes_are_not() {
        let counters = Counters::default();
        counters.add_reply(ReplyStage::DataEnd, 250);
        counters.add_reply(ReplyStage::Rcpt, 550);
        counters.add_reply(ReplyStage::Rcpt, 451);
        counters.add_reply(ReplyStage::Data, 354);
        counters.add_reply(ReplyStage::Mail, 999);
        let replies = counters.snapshot().replies;
        let count = |stage, class| {
            replies
                .iter()
                .find(|(s, c, _)| *s == stage && *c == class)
                .map(|(_, _, n)| *n)
                .unwrap()
        };
        assert_eq!(count(ReplyStage::DataEnd, ReplyClass::Positive), 1);
        assert_eq!(count(ReplyStage::Rcpt, ReplyClass::Permanent), 1);
        assert_eq!(count(ReplyStage::Rcpt, ReplyClass::Transient), 1);
        assert_eq!(replies.iter().map(|(_, _, n)| n).sum::<u64>(), 3);
        assert_eq!(replies.len(), 9, "2xx for data_end only: {replies:?}");
    }

    #[test]
    fn an_unknown_http_method_is_counted_as_other_and_a_request_without_a_route_as_unmatched() {
        let counters = Counters::default();
        counters.add_request("GET", Some("/confirm/{token}"), 200);
        counters.add_request("GET", Some("/confirm/{token}"), 200);
        counters.add_request("BREW", None, 404);
        assert_eq!(
            counters.snapshot().http,
            vec![
                ("OTHER", "(unmatched)".to_string(), 404, 1),
                ("GET", "/confirm/{token}".to_string(), 200, 2),
            ]
        );
        assert!(
            counters
                .snapshot()
                .messages
                .iter()
                .all(|(result, n)| *n == 0 && MessageResult::ALL.contains(result))
        );
    }
}
