//! Every outcome of the subscriber lifecycle, against real SQLite.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::params;

use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{
    ConfirmOutcome, Source, Status, Store, SubscribeKind, SubscribeOutcome, UnsubscribeOutcome,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

fn name(s: &str) -> SubscriberName {
    SubscriberName::parse(s).unwrap()
}

fn subscribe(store: &mut Store, address: &str, at: DateTime<Utc>) -> SubscribeOutcome {
    store
        .subscribe(&email(address), None, Source::Form, at)
        .unwrap()
}

fn status_of(store: &Store, id: u64) -> Status {
    store.subscriber(id).unwrap().unwrap().status
}

#[test]
fn subscribing_a_new_address_creates_a_pending_subscriber_and_asks_for_a_confirmation_mail() {
    let mut store = Store::open_in_memory().unwrap();
    let outcome = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Ann")),
            Source::Form,
            now(),
        )
        .unwrap();
    assert_eq!(outcome.kind, SubscribeKind::Created);
    assert!(outcome.should_send_confirmation);
    let ann = store.subscriber(outcome.subscriber_id).unwrap().unwrap();
    assert_eq!(ann.email, "ann@example.org");
    assert_eq!(ann.name.as_deref(), Some("Ann"));
    assert_eq!(ann.status, Status::Pending);
    assert_eq!(ann.source, Source::Form);
    assert_eq!(ann.created_at, now());
    assert_eq!(ann.confirmed_at, None);
}

#[test]
fn subscribing_again_while_pending_refreshes_the_name_and_resends_only_after_ten_minutes() {
    let mut store = Store::open_in_memory().unwrap();
    let first = subscribe(&mut store, "ann@example.org", now());

    let soon = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Ann B")),
            Source::Form,
            now() + Duration::minutes(9),
        )
        .unwrap();
    assert_eq!(soon.subscriber_id, first.subscriber_id);
    assert_eq!(soon.kind, SubscribeKind::StillPending);
    assert!(!soon.should_send_confirmation);
    let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
    assert_eq!(ann.name.as_deref(), Some("Ann B"));

    let later = subscribe(&mut store, "ann@example.org", now() + Duration::minutes(10));
    assert!(later.should_send_confirmation);
    let right_after = subscribe(&mut store, "ann@example.org", now() + Duration::minutes(11));
    assert!(
        !right_after.should_send_confirmation,
        "the window restarts at the last mail"
    );
    let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
    assert_eq!(
        ann.name.as_deref(),
        Some("Ann B"),
        "no name given keeps the old one"
    );
}

#[test]
fn subscribing_a_confirmed_address_changes_nothing_and_sends_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    store.confirm(id, now()).unwrap();
    let before = store.subscriber(id).unwrap().unwrap();

    let outcome = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Other")),
            Source::Form,
            now() + Duration::days(1),
        )
        .unwrap();
    assert_eq!(outcome.kind, SubscribeKind::AlreadyConfirmed);
    assert!(!outcome.should_send_confirmation);
    assert_eq!(store.subscriber(id).unwrap().unwrap(), before);
}

#[test]
fn subscribing_after_unsubscribing_or_bouncing_needs_a_new_confirmation() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    store.confirm(id, now()).unwrap();
    store.unsubscribe(id, now() + Duration::days(1)).unwrap();

    let back = subscribe(&mut store, "ann@example.org", now() + Duration::days(2));
    assert_eq!(back.kind, SubscribeKind::Resubscribed);
    assert!(back.should_send_confirmation);
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!(ann.status, Status::Pending);
    assert_eq!(ann.confirmed_at, None);
    assert_eq!(ann.unsubscribed_at, None);

    store.confirm(id, now() + Duration::days(2)).unwrap();
    assert!(store.mark_bounced(id, now() + Duration::days(3)).unwrap());
    let again = subscribe(&mut store, "ann@example.org", now() + Duration::days(4));
    assert_eq!(again.kind, SubscribeKind::Resubscribed);
    assert_eq!(status_of(&store, id), Status::Pending);
}

#[test]
fn adding_from_the_cli_sets_the_status_and_refuses_an_existing_address() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .add(
            &email("ann@example.org"),
            None,
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!((ann.status, ann.source), (Status::Confirmed, Source::Cli));
    assert_eq!(ann.confirmed_at, Some(now()));

    let err = store
        .add(
            &email("ANN@example.org"),
            None,
            Status::Pending,
            Source::Cli,
            now(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ANN@example.org is already on the list (as ann@example.org, status confirmed); remove it first to add it again"
    );
}

#[test]
fn confirming_reports_each_outcome_and_changes_only_pending_subscribers() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    let later = now() + Duration::hours(1);
    assert_eq!(store.confirm(id, later).unwrap(), ConfirmOutcome::Confirmed);
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!(
        (ann.status, ann.confirmed_at, ann.status_changed_at),
        (Status::Confirmed, Some(later), later)
    );
    assert_eq!(
        store.confirm(id, later).unwrap(),
        ConfirmOutcome::AlreadyConfirmed
    );

    store.unsubscribe(id, later).unwrap();
    assert_eq!(
        store.confirm(id, later).unwrap(),
        ConfirmOutcome::NotPending(Status::Unsubscribed)
    );
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    assert_eq!(
        store.confirm(id + 1, later).unwrap(),
        ConfirmOutcome::NotFound
    );
    assert_eq!(
        store.confirm(u64::MAX, later).unwrap(),
        ConfirmOutcome::NotFound
    );
}

#[test]
fn a_bounced_subscriber_cannot_confirm_an_old_link() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    store.mark_bounced(id, now()).unwrap();
    assert_eq!(
        store.confirm(id, now()).unwrap(),
        ConfirmOutcome::NotPending(Status::Bounced)
    );
}

#[test]
fn unsubscribing_works_from_any_status_and_repeating_it_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let pending = subscribe(&mut store, "pending@example.org", now()).subscriber_id;
    let bounced = subscribe(&mut store, "bounced@example.org", now()).subscriber_id;
    store.mark_bounced(bounced, now()).unwrap();
    let later = now() + Duration::days(1);
    for id in [pending, bounced] {
        assert_eq!(
            store.unsubscribe(id, later).unwrap(),
            UnsubscribeOutcome::Unsubscribed
        );
        assert_eq!(
            store.subscriber(id).unwrap().unwrap().unsubscribed_at,
            Some(later)
        );
    }
    let much_later = now() + Duration::days(30);
    assert_eq!(
        store.unsubscribe(pending, much_later).unwrap(),
        UnsubscribeOutcome::AlreadyUnsubscribed
    );
    let unchanged = store.subscriber(pending).unwrap().unwrap();
    assert_eq!(
        (unchanged.unsubscribed_at, unchanged.status_changed_at),
        (Some(later), later)
    );
    assert_eq!(
        store.unsubscribe(999, later).unwrap(),
        UnsubscribeOutcome::NotFound
    );
}

#[test]
fn unsubscribing_by_address_ignores_case_and_reports_unknown_addresses() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .add(
            &email("ann@example.org"),
            None,
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    assert_eq!(
        store
            .unsubscribe_email(&email("ANN@Example.org"), now())
            .unwrap(),
        UnsubscribeOutcome::Unsubscribed
    );
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    assert_eq!(
        store
            .unsubscribe_email(&email("nobody@example.org"), now())
            .unwrap(),
        UnsubscribeOutcome::NotFound
    );
}

#[test]
fn removing_deletes_the_subscriber_and_their_deliveries() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = email("ann@example.org");
    let id = store
        .add(&ann, None, Status::Confirmed, Source::Cli, now())
        .unwrap();
    let other = store
        .add(
            &email("bob@example.org"),
            None,
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    store
        .conn
        .execute(
            "INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (1, '2026-W48', 'a', 'b', 's', 'p', 'h', 't', 'c')",
            [],
        )
        .unwrap();
    for subscriber in [id, other] {
        store
            .conn
            .execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, ?1, 'x', 'sent')",
                params![subscriber as i64],
            )
            .unwrap();
    }

    assert!(store.remove(&email("Ann@example.org")).unwrap());
    assert_eq!(store.find_by_email(&ann).unwrap(), None);
    let left: Vec<i64> = store
        .conn
        .prepare("SELECT subscriber_id FROM deliveries")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, [other as i64]);
    assert!(!store.remove(&ann).unwrap());
}

#[test]
fn a_bounce_does_not_override_an_unsubscribe() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .add(
            &email("ann@example.org"),
            None,
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    store.unsubscribe(id, now()).unwrap();
    assert!(!store.mark_bounced(id, now()).unwrap());
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    assert!(!store.mark_bounced(12345, now()).unwrap());
}
