//! Following confirm and unsubscribe links: every outcome, against real SQLite.

use crate::content::Categories;
use chrono::Duration;

use crate::store::lifecycle_test_support::{
    confirm, email, id_only, newest_link, now, status_of, subscribe, unsubscribe,
};
use crate::store::{Channel, ConfirmOutcome, Origin, Source, Status, Store, UnsubscribeOutcome};

#[test]
fn a_confirm_link_older_than_the_latest_state_change_or_the_newest_mail_does_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    let first = newest_link(&store, id, now());
    let resent_at = now() + Duration::minutes(10);
    subscribe(&mut store, "ann@example.org", resent_at);
    let origin = Origin::new(Channel::Link);
    assert_eq!(
        store.confirm(&first, &origin, resent_at).unwrap(),
        ConfirmOutcome::Superseded
    );
    assert_eq!(status_of(&store, id), Status::Pending);
    // An id-only link (sent before links carried nonces) still confirms a pending row it is not older than.
    assert_eq!(
        store
            .confirm(
                &id_only(id, now() - Duration::seconds(1)),
                &origin,
                resent_at
            )
            .unwrap(),
        ConfirmOutcome::Superseded
    );
    assert_eq!(
        store
            .confirm(&id_only(id, now()), &origin, resent_at)
            .unwrap(),
        ConfirmOutcome::Confirmed
    );
}

#[test]
fn confirming_reports_each_outcome_and_changes_only_pending_subscribers() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    let later = now() + Duration::hours(1);
    assert_eq!(confirm(&mut store, id, later), ConfirmOutcome::Confirmed);
    let ann = store.subscriber(id).unwrap().unwrap();
    assert_eq!(
        (ann.status, ann.confirmed_at, ann.status_changed_at),
        (Status::Confirmed, Some(later), later)
    );
    assert_eq!(
        confirm(&mut store, id, later),
        ConfirmOutcome::AlreadyConfirmed
    );

    let old = newest_link(&store, id, later);
    unsubscribe(&mut store, id, later);
    let origin = Origin::new(Channel::Link);
    assert_eq!(
        store.confirm(&old, &origin, later).unwrap(),
        ConfirmOutcome::NotPending(Status::Unsubscribed)
    );
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    for missing in [id + 1, u64::MAX] {
        assert_eq!(
            store
                .confirm(&id_only(missing, later), &origin, later)
                .unwrap(),
            ConfirmOutcome::NotFound
        );
    }
}

#[test]
fn a_bounced_subscriber_cannot_confirm_an_old_link() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
    let old = newest_link(&store, id, now());
    store.mark_bounced(id, now()).unwrap();
    assert_eq!(
        store
            .confirm(&old, &Origin::new(Channel::Link), now())
            .unwrap(),
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
            unsubscribe(&mut store, id, later),
            UnsubscribeOutcome::Unsubscribed
        );
        assert_eq!(
            store.subscriber(id).unwrap().unwrap().unsubscribed_at,
            Some(later)
        );
    }
    let much_later = now() + Duration::days(30);
    assert_eq!(
        unsubscribe(&mut store, pending, much_later),
        UnsubscribeOutcome::AlreadyUnsubscribed
    );
    let unchanged = store.subscriber(pending).unwrap().unwrap();
    assert_eq!(
        (unchanged.unsubscribed_at, unchanged.status_changed_at),
        (Some(later), later)
    );
    assert_eq!(
        unsubscribe(&mut store, 999, later),
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
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    assert_eq!(
        store
            .unsubscribe_email(&email("ANN@Example.org"), &Origin::new(Channel::Cli), now())
            .unwrap(),
        UnsubscribeOutcome::Unsubscribed
    );
    assert_eq!(status_of(&store, id), Status::Unsubscribed);
    assert_eq!(
        store
            .unsubscribe_email(
                &email("nobody@example.org"),
                &Origin::new(Channel::Cli),
                now()
            )
            .unwrap(),
        UnsubscribeOutcome::NotFound
    );
}
