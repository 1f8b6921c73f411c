//! Following confirm links: every outcome, and the name a link confirms, on each backend.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberName;
use weekly_verdicts::store::{Channel, ConfirmOutcome, Origin, Source, Status, Store};

use crate::store::people::{
    confirm, email, form, id_only, newest_link, now, status_of, subscribe, unsubscribe,
};
use crate::support::postgres::backends;

#[test]
fn a_confirm_link_older_than_the_latest_state_change_or_the_newest_mail_does_nothing() {
    for backend in backends("a_confirm_link_older_than_the_latest_state_change") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let first = newest_link(&mut store, id, now());
        let resent_at = now() + Duration::minutes(10);
        subscribe(&mut store, "ann@example.org", resent_at);
        let origin = Origin::new(Channel::Link);
        assert_eq!(
            store.confirm(&first, &origin, resent_at).unwrap(),
            ConfirmOutcome::Superseded,
            "{}",
            backend.name
        );
        assert_eq!(status_of(&store, id), Status::Pending, "{}", backend.name);
        // An id-only link (sent before links carried nonces) still confirms a pending row it is not older than.
        assert_eq!(
            store
                .confirm(
                    &id_only(id, now() - Duration::seconds(1)),
                    &origin,
                    resent_at
                )
                .unwrap(),
            ConfirmOutcome::Superseded,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .confirm(&id_only(id, now()), &origin, resent_at)
                .unwrap(),
            ConfirmOutcome::Confirmed,
            "{}",
            backend.name
        );
    }
}

#[test]
fn confirming_reports_each_outcome_and_changes_only_pending_subscribers() {
    for backend in backends("confirming_reports_each_outcome") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let old = newest_link(&mut store, id, now());
        let later = now() + Duration::hours(1);
        assert_eq!(
            confirm(&mut store, id, later),
            ConfirmOutcome::Confirmed,
            "{}",
            backend.name
        );
        let ann = store.subscriber(id).unwrap().unwrap();
        assert_eq!(
            (ann.status, ann.confirmed_at, ann.status_changed_at),
            (Status::Confirmed, Some(later), later),
            "{}",
            backend.name
        );
        let origin = Origin::new(Channel::Link);
        assert_eq!(
            store.confirm(&old, &origin, later).unwrap(),
            ConfirmOutcome::AlreadyConfirmed,
            "{}",
            backend.name
        );

        unsubscribe(&mut store, id, later);
        assert_eq!(
            store.confirm(&old, &origin, later).unwrap(),
            ConfirmOutcome::NotPending(Status::Unsubscribed),
            "{}",
            backend.name
        );
        assert_eq!(
            status_of(&store, id),
            Status::Unsubscribed,
            "{}",
            backend.name
        );
        for missing in [id + 1, u64::MAX] {
            assert_eq!(
                store
                    .confirm(&id_only(missing, later), &origin, later)
                    .unwrap(),
                ConfirmOutcome::NotFound,
                "{}",
                backend.name
            );
        }
    }
}

#[test]
fn a_bound_link_confirms_the_name_asked_for_with_it_and_an_id_only_link_keeps_the_stored_name() {
    for backend in backends("a_bound_link_confirms_the_name_asked_for_with_it") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = SubscriberName::parse("Ann").unwrap();
        let bob = SubscriberName::parse("Bob").unwrap();
        let origin = Origin::new(Channel::Link);
        let bound = store
            .subscribe(
                &email("ann@example.org"),
                Some(&ann),
                &Categories::everything(),
                Source::Form,
                &form(),
                now(),
            )
            .unwrap()
            .subscriber_id;
        let link = newest_link(&mut store, bound, now());
        assert_eq!(
            store.name_to_confirm(&link).unwrap(),
            Some(Some("Ann".to_owned())),
            "{}",
            backend.name
        );
        assert_eq!(
            store.name_to_confirm(&id_only(bound, now())).unwrap(),
            None,
            "{}",
            backend.name
        );
        assert_eq!(
            store.confirm(&link, &origin, now()).unwrap(),
            ConfirmOutcome::Confirmed
        );
        assert_eq!(
            store.name_to_confirm(&link).unwrap(),
            None,
            "{}: a used link names nothing",
            backend.name
        );

        let id_only_row = store
            .subscribe(
                &email("bob@example.org"),
                Some(&bob),
                &Categories::everything(),
                Source::Form,
                &form(),
                now(),
            )
            .unwrap()
            .subscriber_id;
        // A second request with another name: the pending name changes, the stored one stays until confirmed.
        let renamed = SubscriberName::parse("Robert").unwrap();
        store
            .subscribe(
                &email("bob@example.org"),
                Some(&renamed),
                &Categories::everything(),
                Source::Form,
                &form(),
                now() + Duration::minutes(10),
            )
            .unwrap();
        assert_eq!(
            store
                .confirm(
                    &id_only(id_only_row, now() + Duration::minutes(10)),
                    &origin,
                    now()
                )
                .unwrap(),
            ConfirmOutcome::Confirmed,
            "{}",
            backend.name
        );
        let names: Vec<Option<String>> = store
            .list(None)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [Some("Ann".to_owned()), Some("Bob".to_owned())],
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_bounced_subscriber_cannot_confirm_an_old_link() {
    for backend in backends("a_bounced_subscriber_cannot_confirm_an_old_link") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let old = newest_link(&mut store, id, now());
        store.mark_bounced(id, now()).unwrap();
        assert_eq!(
            store
                .confirm(&old, &Origin::new(Channel::Link), now())
                .unwrap(),
            ConfirmOutcome::NotPending(Status::Bounced),
            "{}",
            backend.name
        );
    }
}
