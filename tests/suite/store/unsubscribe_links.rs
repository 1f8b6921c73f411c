//! Unsubscribing, by link and by address: every outcome, on each backend.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{Channel, Origin, Source, Status, Store, UnsubscribeOutcome};

use crate::store::people::{
    confirm, email, id_only, newest_link, now, status_of, subscribe, unsubscribe,
};
use crate::support::postgres::backends;

#[test]
fn unsubscribing_works_from_any_status_and_repeating_it_changes_nothing() {
    for backend in backends("unsubscribing_works_from_any_status") {
        let mut store = Store::open(&backend.database).unwrap();
        let pending = subscribe(&mut store, "pending@example.org", now()).subscriber_id;
        let bounced = subscribe(&mut store, "bounced@example.org", now()).subscriber_id;
        store.mark_bounced(bounced, now()).unwrap();
        let later = now() + Duration::days(1);
        for id in [pending, bounced] {
            assert_eq!(
                unsubscribe(&mut store, id, later),
                UnsubscribeOutcome::Unsubscribed,
                "{}",
                backend.name
            );
            assert_eq!(
                store.subscriber(id).unwrap().unwrap().unsubscribed_at,
                Some(later),
                "{}",
                backend.name
            );
        }
        let much_later = now() + Duration::days(30);
        assert_eq!(
            unsubscribe(&mut store, pending, much_later),
            UnsubscribeOutcome::AlreadyUnsubscribed,
            "{}",
            backend.name
        );
        let unchanged = store.subscriber(pending).unwrap().unwrap();
        assert_eq!(
            (unchanged.unsubscribed_at, unchanged.status_changed_at),
            (Some(later), later),
            "{}",
            backend.name
        );
        assert_eq!(
            unsubscribe(&mut store, 999, later),
            UnsubscribeOutcome::NotFound,
            "{}",
            backend.name
        );
        assert_eq!(
            unsubscribe(&mut store, u64::MAX, later),
            UnsubscribeOutcome::NotFound,
            "{}",
            backend.name
        );
    }
}

#[test]
fn an_unsubscribe_link_made_for_an_earlier_state_of_the_subscription_is_stale() {
    for backend in backends("an_unsubscribe_link_made_for_an_earlier_state") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let bound = newest_link(&mut store, id, now());
        confirm(&mut store, id, now());
        assert_eq!(
            store
                .unsubscribe(&bound, &Origin::new(Channel::OneClick), now())
                .unwrap(),
            UnsubscribeOutcome::Stale,
            "{}: the nonce changed with the confirmation",
            backend.name
        );
        assert_eq!(
            store
                .unsubscribe(
                    &id_only(id, now() - Duration::days(1)),
                    &Origin::new(Channel::OneClick),
                    now()
                )
                .unwrap(),
            UnsubscribeOutcome::Stale,
            "{}: an id-only link older than the row",
            backend.name
        );
        assert_eq!(status_of(&store, id), Status::Confirmed, "{}", backend.name);
    }
}

#[test]
fn unsubscribing_by_address_ignores_case_and_reports_unknown_addresses() {
    for backend in backends("unsubscribing_by_address_ignores_case") {
        let mut store = Store::open(&backend.database).unwrap();
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
            UnsubscribeOutcome::Unsubscribed,
            "{}",
            backend.name
        );
        assert_eq!(
            status_of(&store, id),
            Status::Unsubscribed,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .unsubscribe_email(&email("ann@example.org"), &Origin::new(Channel::Cli), now())
                .unwrap(),
            UnsubscribeOutcome::AlreadyUnsubscribed,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .unsubscribe_email(
                    &email("nobody@example.org"),
                    &Origin::new(Channel::Cli),
                    now()
                )
                .unwrap(),
            UnsubscribeOutcome::NotFound,
            "{}",
            backend.name
        );
    }
}
