//! `GET /metrics`: a [`StoreSnapshot`] and the process's [`CountersSnapshot`] written as one page in the
//! Prometheus text format. Pure: the handler reads both and calls [`render`]. Every metric name is here.

use super::counters::CountersSnapshot;
use super::snapshot::StoreSnapshot;
use super::text::{Kind, Page};

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub const SUBSCRIBERS: &str = "verdicts_subscribers";
pub const LEDGER_ROWS: &str = "verdicts_issue_ledger_rows";
pub const ISSUE_PAUSED: &str = "verdicts_issue_paused";
pub const ISSUE_COMPLETE: &str = "verdicts_issue_complete";
pub const ISSUE_NEXT_RETRY: &str = "verdicts_issue_next_retry_timestamp_seconds";
pub const ISSUE_CLAIMED: &str = "verdicts_issue_claimed_rows";
pub const ISSUE_SKIPPED: &str = "verdicts_issue_skipped_rows";
pub const ISSUE_REPORTS: &str = "verdicts_issue_bounce_reports";
pub const LEASE_HELD: &str = "verdicts_send_lease_held";
pub const LEASE_EXPIRY: &str = "verdicts_send_lease_expiry_timestamp_seconds";
pub const MESSAGES: &str = "verdicts_messages_total";
pub const SMTP_REPLIES: &str = "verdicts_smtp_replies_total";
pub const HTTP_REQUESTS: &str = "verdicts_http_requests_total";

/// The whole page.
pub fn render(store: &StoreSnapshot, counters: &CountersSnapshot) -> String {
    let mut page = Page::default();
    page.metric(
        SUBSCRIBERS,
        Kind::Gauge,
        "Subscribers by state (pending, confirmed, unsubscribed, bounced, complained), read from the store at scrape time.",
    );
    for (state, n) in store.subscribers.by_state() {
        page.sample(SUBSCRIBERS, &[("state", state)], n);
    }

    let current = store.issues.first();
    page.metric(
        LEDGER_ROWS,
        Kind::Gauge,
        "Ledger rows of the current (newest) issue by state, read from the store at scrape time.",
    );
    if let Some(issue) = current {
        for (state, n) in issue.ledger.by_state() {
            page.sample(LEDGER_ROWS, &[("issue", &issue.key), ("state", state)], n);
        }
    }
    page.metric(
        ISSUE_SKIPPED,
        Kind::Gauge,
        "Skipped ledger rows of the current issue by why: the reader paused, their topics had nothing new, or \
         they left after the issue was created.",
    );
    if let Some(issue) = current {
        for (reason, n) in issue.ledger.skipped_by.by_reason() {
            page.sample(
                ISSUE_SKIPPED,
                &[("issue", &issue.key), ("reason", reason)],
                n,
            );
        }
    }
    page.metric(
        ISSUE_PAUSED,
        Kind::Gauge,
        "1 when the current issue is paused on a relay fault (see `verdicts status`), else 0.",
    );
    if let Some(issue) = current {
        let paused = u8::from(issue.paused.is_some() && issue.completed_at.is_none());
        page.sample(ISSUE_PAUSED, &[("issue", &issue.key)], paused);
    }
    page.metric(
        ISSUE_COMPLETE,
        Kind::Gauge,
        "1 when every recipient of the current issue is settled, else 0.",
    );
    if let Some(issue) = current {
        let complete = u8::from(issue.completed_at.is_some());
        page.sample(ISSUE_COMPLETE, &[("issue", &issue.key)], complete);
    }
    page.metric(
        ISSUE_NEXT_RETRY,
        Kind::Gauge,
        "Unix time of the earliest retry among the current issue's deferred rows (absent when none waits).",
    );
    if let Some((issue, next)) = current.and_then(|i| i.next_retry_at.map(|next| (i, next))) {
        page.sample(ISSUE_NEXT_RETRY, &[("issue", &issue.key)], next.timestamp());
    }

    page.metric(
        ISSUE_CLAIMED,
        Kind::Gauge,
        "Rows of the current issue that senders have claimed and not recorded yet (PostgreSQL, where several \
         senders share the ledger; 0 on SQLite).",
    );
    if let Some(issue) = current {
        page.sample(ISSUE_CLAIMED, &[("issue", &issue.key)], issue.claimed);
    }
    page.metric(
        ISSUE_REPORTS,
        Kind::Gauge,
        "Readers of the current issue whose message bounced (hard, soft) or who marked it as spam (complaint), \
         reported after the send.",
    );
    if let Some(issue) = current {
        let r = &issue.reports;
        for (kind, n) in [
            ("hard", r.hard),
            ("soft", r.soft),
            ("complaint", r.complaints),
        ] {
            page.sample(ISSUE_REPORTS, &[("issue", &issue.key), ("kind", kind)], n);
        }
    }

    page.metric(
        LEASE_HELD,
        Kind::Gauge,
        "1 while a sender holds the send lease (a send is running), else 0.",
    );
    page.sample(LEASE_HELD, &[], u8::from(store.send_lease.is_some()));
    page.metric(
        LEASE_EXPIRY,
        Kind::Gauge,
        "Unix time until which the send lease is renewed (absent when nobody holds it).",
    );
    if let Some(lease) = &store.send_lease {
        page.sample(LEASE_EXPIRY, &[], lease.expires_at.timestamp());
    }

    page.metric(
        MESSAGES,
        Kind::Counter,
        "Messages whose outcome this process recorded in the ledger, by result (a deferral counts each time).",
    );
    for (result, n) in &counters.messages {
        page.sample(MESSAGES, &[("result", result.as_str())], n);
    }
    page.metric(
        SMTP_REPLIES,
        Kind::Counter,
        "SMTP replies that decided a message this process sent, by the command they answered and their class.",
    );
    for (stage, class, n) in &counters.replies {
        page.sample(
            SMTP_REPLIES,
            &[("stage", stage.as_str()), ("class", class.as_str())],
            n,
        );
    }
    page.metric(
        HTTP_REQUESTS,
        Kind::Counter,
        "HTTP requests this process answered, by method, route template and status code.",
    );
    for (method, route, status, n) in &counters.http {
        page.sample(
            HTTP_REQUESTS,
            &[
                ("method", method),
                ("route", route),
                ("status", &status.to_string()),
            ],
            n,
        );
    }
    page.finish()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::render;
    use crate::metrics::Counters;
    use crate::metrics::snapshot::{
        IssueSnapshot, LeaseSnapshot, LedgerRows, Paused, StoreSnapshot, SubscriberCounts,
    };

    fn snapshot() -> StoreSnapshot {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let issue = |key: &str, sent| IssueSnapshot {
            key: key.into(),
            subject: "Verdicts".into(),
            created_at: at,
            completed_at: None,
            state: "paused",
            paused: Some(Paused {
                at,
                reason: "554 relay says no".into(),
            }),
            next_retry_at: Some(at),
            ledger: LedgerRows {
                pending: 2,
                sent,
                total: sent + 2,
                ..LedgerRows::default()
            },
            claimed: 2,
            reports: crate::metrics::rates::IssueReports {
                hard: 1,
                ..Default::default()
            },
        };
        StoreSnapshot {
            taken_at: at,
            subscribers: SubscriberCounts {
                pending: 1,
                confirmed: 5,
                unsubscribed: 2,
                bounced: 0,
                complained: 0,
            },
            send_lease: Some(LeaseSnapshot {
                holder: "host:42".into(),
                expires_at: at,
            }),
            issues: vec![issue("2026-W48", 3), issue("2026-W47", 7)],
        }
    }

    #[test]
    fn the_page_shows_the_current_issue_only_with_its_key_and_the_lease_as_unix_time() {
        let counters = Counters::default();
        counters.add_request("GET", Some("/confirm/{token}"), 200);
        let page = render(&snapshot(), &counters.snapshot());
        for line in [
            "verdicts_subscribers{state=\"confirmed\"} 5",
            "verdicts_subscribers{state=\"bounced\"} 0",
            "verdicts_subscribers{state=\"complained\"} 0",
            "verdicts_issue_ledger_rows{issue=\"2026-W48\",state=\"sent\"} 3",
            "verdicts_issue_ledger_rows{issue=\"2026-W48\",state=\"pending\"} 2",
            "verdicts_issue_paused{issue=\"2026-W48\"} 1",
            "verdicts_issue_complete{issue=\"2026-W48\"} 0",
            "verdicts_issue_next_retry_timestamp_seconds{issue=\"2026-W48\"} 1795424400",
            "verdicts_issue_claimed_rows{issue=\"2026-W48\"} 2",
            "verdicts_issue_bounce_reports{issue=\"2026-W48\",kind=\"hard\"} 1",
            "verdicts_issue_bounce_reports{issue=\"2026-W48\",kind=\"complaint\"} 0",
            "verdicts_send_lease_held 1",
            "verdicts_send_lease_expiry_timestamp_seconds 1795424400",
            "verdicts_messages_total{result=\"sent\"} 0",
            "verdicts_smtp_replies_total{stage=\"data_end\",class=\"2xx\"} 0",
            "verdicts_http_requests_total{method=\"GET\",route=\"/confirm/{token}\",status=\"200\"} 1",
        ] {
            assert!(page.lines().any(|l| l == line), "no {line:?} in:\n{page}");
        }
        assert!(
            !page.contains("2026-W47"),
            "only the current issue:\n{page}"
        );
        assert!(!page.contains("host:42"), "the holder is no label:\n{page}");
    }

    #[test]
    fn without_issues_or_a_lease_the_page_says_the_lease_is_free_and_has_no_issue_series() {
        let mut empty = snapshot();
        empty.issues.clear();
        empty.send_lease = None;
        let page = render(&empty, &Counters::default().snapshot());
        assert!(
            page.lines().any(|l| l == "verdicts_send_lease_held 0"),
            "{page}"
        );
        assert!(!page.contains("issue=\""), "{page}");
        assert!(
            !page
                .lines()
                .any(|l| l.starts_with("verdicts_send_lease_expiry_timestamp_seconds ")),
            "{page}"
        );
        // Every metric is still announced, so a dashboard finds its names before the first issue.
        assert!(
            page.contains("# TYPE verdicts_issue_ledger_rows gauge"),
            "{page}"
        );
    }
}
