//! The list hygiene rules as a pure function of the reader's standing.

use crate::store::Status;
use crate::store::bounces::{
    BounceKind, BounceReport, Change, ReportOutcome, ReportSource, Standing, decide,
};

fn report(kind: BounceKind) -> BounceReport {
    BounceReport {
        subscriber_id: 7,
        issue_id: Some(5),
        kind,
        reason: "4.2.2 mailbox full".into(),
        source: ReportSource::Dsn,
    }
}

fn standing(status: Status, soft_bounces: u32, last: Option<i64>, delivered: bool) -> Standing {
    Standing {
        status,
        soft_bounces,
        soft_bounce_issue: last,
        delivered_since: delivered,
    }
}

#[test]
fn a_soft_bounce_on_the_next_issue_counts_on_and_the_limit_bounces() {
    let soft = report(BounceKind::Soft);
    let (change, outcome) = decide(
        &standing(Status::Confirmed, 1, Some(4), false),
        &soft,
        Some(5),
        3,
    );
    assert_eq!(change, Change::CountSoft { count: 2, issue: 5 });
    assert_eq!(outcome, ReportOutcome::SoftCounted(2));
    let (change, outcome) = decide(
        &standing(Status::Confirmed, 2, Some(4), false),
        &soft,
        Some(5),
        3,
    );
    assert!(
        matches!(change, Change::Bounce { reason } if reason.starts_with("3 consecutive issues"))
    );
    assert_eq!(outcome, ReportOutcome::Bounced);
}

#[test]
fn a_delivery_since_the_last_soft_bounce_starts_the_count_again() {
    let (_, outcome) = decide(
        &standing(Status::Confirmed, 2, Some(2), true),
        &report(BounceKind::Soft),
        Some(5),
        3,
    );
    assert_eq!(outcome, ReportOutcome::SoftCounted(1));
}

#[test]
fn a_second_soft_bounce_for_the_same_or_an_older_issue_changes_nothing() {
    for last in [5, 6] {
        let (change, outcome) = decide(
            &standing(Status::Confirmed, 1, Some(last), false),
            &report(BounceKind::Soft),
            Some(5),
            3,
        );
        assert_eq!(
            (change, outcome),
            (Change::Nothing, ReportOutcome::AlreadyDone)
        );
    }
}

#[test]
fn bounces_leave_readers_who_already_left_as_they_are_but_a_complaint_flags_them() {
    for status in [Status::Unsubscribed, Status::Bounced, Status::Complained] {
        for kind in [BounceKind::Hard, BounceKind::Soft] {
            let (_, outcome) = decide(&standing(status, 0, None, false), &report(kind), Some(5), 3);
            assert_eq!(outcome, ReportOutcome::AlreadyDone, "{status} {kind}");
        }
    }
    for status in [
        Status::Unsubscribed,
        Status::Bounced,
        Status::Pending,
        Status::Confirmed,
    ] {
        let (change, outcome) = decide(
            &standing(status, 0, None, false),
            &report(BounceKind::Complaint),
            Some(5),
            3,
        );
        assert_eq!(
            (change, outcome),
            (Change::Complain, ReportOutcome::Complained)
        );
    }
    let (_, outcome) = decide(
        &standing(Status::Complained, 0, None, false),
        &report(BounceKind::Complaint),
        Some(5),
        3,
    );
    assert_eq!(outcome, ReportOutcome::AlreadyDone);
}

#[test]
fn a_limit_of_one_bounces_at_the_first_soft_bounce() {
    let (_, outcome) = decide(
        &standing(Status::Confirmed, 0, None, false),
        &report(BounceKind::Soft),
        Some(5),
        1,
    );
    assert_eq!(outcome, ReportOutcome::Bounced);
}
