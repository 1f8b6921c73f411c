//! Every outcome of the subscriber lifecycle, against real SQLite.

use chrono::Duration;
use rusqlite::params;

use crate::email_address::SubscriberName;
use crate::store::lifecycle_test_support::{
    confirm, email, form, newest_link, now, status_of, subscribe, unsubscribe,
};
use crate::store::{Channel, ConfirmOutcome, Origin, Source, Status, Store, SubscribeKind};

fn name(s: &str) -> SubscriberName {
    SubscriberName::parse(s).unwrap()
}

#[test]
fn subscribing_a_new_address_creates_a_pending_subscriber_and_asks_for_a_confirmation_mail() {
    let mut store = Store::open_in_memory().unwrap();
    let outcome = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Ann")),
            Source::Form,
            &form(),
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
fn subscribing_again_while_pending_keeps_the_name_until_the_new_link_is_followed_and_resends_only_after_ten_minutes()
 {
    let mut store = Store::open_in_memory().unwrap();
    let first = subscribe(&mut store, "ann@example.org", now());

    let soon = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Ann B")),
            Source::Form,
            &form(),
            now() + Duration::minutes(9),
        )
        .unwrap();
    assert_eq!(soon.subscriber_id, first.subscriber_id);
    assert_eq!(soon.kind, SubscribeKind::StillPending);
    assert!(!soon.should_send_confirmation);
    let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
    assert_eq!(
        ann.name, None,
        "a request that sent no mail changes nothing"
    );

    let later = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Ann B")),
            Source::Form,
            &form(),
            now() + Duration::minutes(10),
        )
        .unwrap();
    assert!(later.should_send_confirmation);
    let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
    assert_eq!(ann.name, None, "the name waits for the mailbox owner");
    let right_after = subscribe(&mut store, "ann@example.org", now() + Duration::minutes(11));
    assert!(
        !right_after.should_send_confirmation,
        "the window restarts at the last mail"
    );
    assert_eq!(
        confirm(
            &mut store,
            first.subscriber_id,
            now() + Duration::minutes(12)
        ),
        ConfirmOutcome::Confirmed
    );
    let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
    assert_eq!(
        ann.name.as_deref(),
        Some("Ann B"),
        "the name mailed with the newest link"
    );
}

#[test]
fn subscribing_a_confirmed_address_changes_nothing_and_sends_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    confirm(&mut store, id, now());
    let before = store.subscriber(id).unwrap().unwrap();

    let outcome = store
        .subscribe(
            &email("ann@example.org"),
            Some(&name("Other")),
            Source::Form,
            &form(),
            now() + Duration::days(1),
        )
        .unwrap();
    assert_eq!(outcome.kind, SubscribeKind::AlreadyConfirmed);
    assert!(!outcome.should_send_confirmation);
    assert_eq!(store.subscriber(id).unwrap().unwrap(), before);
}

#[test]
fn an_unsubscribed_or_bounced_reader_stays_so_until_a_new_confirmation_link_is_followed() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    let first_link = newest_link(&store, id, now());
    confirm(&mut store, id, now());
    let left = now() + Duration::days(1);
    unsubscribe(&mut store, id, left);

    let back = subscribe(&mut store, "ann@example.org", now() + Duration::days(2));
    assert_eq!(back.kind, SubscribeKind::Resubscribed);
    assert!(back.should_send_confirmation);
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!(ann.status, Status::Unsubscribed);
    assert_eq!(ann.unsubscribed_at, Some(left));
    assert_eq!(ann.status_changed_at, left);
    let origin = Origin::new(Channel::Link);
    assert_eq!(
        store
            .confirm(&first_link, &origin, now() + Duration::days(2))
            .unwrap(),
        ConfirmOutcome::NotPending(Status::Unsubscribed),
        "a link from before the opt-out"
    );

    assert_eq!(
        confirm(&mut store, id, now() + Duration::days(2)),
        ConfirmOutcome::Confirmed
    );
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!((ann.status, ann.unsubscribed_at), (Status::Confirmed, None));
    assert!(store.mark_bounced(id, now() + Duration::days(3)).unwrap());
    let again = subscribe(&mut store, "ann@example.org", now() + Duration::days(4));
    assert_eq!(again.kind, SubscribeKind::Resubscribed);
    assert_eq!(status_of(&store, id), Status::Bounced);
}

#[test]
fn every_change_enters_the_consent_history_with_its_channel_and_client_and_removal_keeps_it() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    confirm(&mut store, id, now());
    unsubscribe(&mut store, id, now());
    assert!(store.remove(&email("ANN@example.org"), now()).unwrap());
    assert_eq!(
        store.find_by_email(&email("ann@example.org")).unwrap(),
        None
    );
    let history = store.consent_history(&email("Ann@Example.org")).unwrap();
    let summary: Vec<(&str, &str, Option<&str>)> = history
        .iter()
        .map(|r| (r.event.as_str(), r.channel.as_str(), r.client.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("opt-in", "form", Some("192.0.2.7")),
            ("confirm", "link", None),
            ("opt-out", "one-click", None),
            ("remove", "cli", None),
        ]
    );
    assert!(history.iter().all(|r| r.subscriber_id == id));
    // The address itself is gone from the store; the history names it by hash.
    let stored: i64 = store
        .sqlite()
        .conn
        .query_row(
            "SELECT count(*) FROM consent_events WHERE email_hash LIKE '%ann%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);
    let again = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    assert!(again > id, "a removed reader's id is never given out again");
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
        .sqlite()
        .conn
        .execute(
            "INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (1, '2026-W48', 'a', 'b', 's', 'p', 'h', 't', 'c')",
            [],
        )
        .unwrap();
    for subscriber in [id, other] {
        store
            .sqlite()
            .conn
            .execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, ?1, 'x', 'sent')",
                params![subscriber as i64],
            )
            .unwrap();
    }

    assert!(store.remove(&email("Ann@example.org"), now()).unwrap());
    assert_eq!(store.find_by_email(&ann).unwrap(), None);
    let left: Vec<i64> = store
        .sqlite()
        .conn
        .prepare("SELECT subscriber_id FROM deliveries")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, [other as i64]);
    assert!(!store.remove(&ann, now()).unwrap());
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
    unsubscribe(&mut store, id, now());
    assert!(!store.mark_bounced(id, now()).unwrap());
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    assert!(!store.mark_bounced(12345, now()).unwrap());
}
