//! The subscriber lifecycle (subscribe, add, bounce, remove): every outcome, on each backend.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberName;
use weekly_verdicts::store::{
    Channel, ConfirmOutcome, Origin, Source, Status, Store, SubscribeKind,
};

use crate::store::people::{
    confirm, email, form, newest_link, now, status_of, subscribe, unsubscribe,
};
use crate::support::postgres::backends;

fn name(s: &str) -> SubscriberName {
    SubscriberName::parse(s).unwrap()
}

#[test]
fn subscribing_a_new_address_creates_a_pending_subscriber_and_asks_for_a_confirmation_mail() {
    for backend in backends("subscribing_a_new_address_creates_a_pending_subscriber") {
        let mut store = Store::open(&backend.database).unwrap();
        let outcome = store
            .subscribe(
                &email("ann@example.org"),
                Some(&name("Ann")),
                &Categories::everything(),
                Source::Form,
                &form(),
                now(),
            )
            .unwrap();
        assert_eq!(outcome.kind, SubscribeKind::Created, "{}", backend.name);
        assert!(outcome.should_send_confirmation, "{}", backend.name);
        let ann = store.subscriber(outcome.subscriber_id).unwrap().unwrap();
        assert_eq!(ann.email, "ann@example.org", "{}", backend.name);
        assert_eq!(ann.name.as_deref(), Some("Ann"), "{}", backend.name);
        assert_eq!(ann.status, Status::Pending, "{}", backend.name);
        assert_eq!(ann.source, Source::Form, "{}", backend.name);
        assert_eq!(ann.created_at, now(), "{}", backend.name);
        assert_eq!(ann.confirmed_at, None, "{}", backend.name);
    }
}

#[test]
fn subscribing_again_while_pending_keeps_the_name_until_the_new_link_is_followed_and_resends_only_after_ten_minutes()
 {
    for backend in backends("subscribing_again_while_pending_keeps_the_name") {
        let mut store = Store::open(&backend.database).unwrap();
        let first = subscribe(&mut store, "ann@example.org", now());
        let again = |store: &mut Store, minutes: i64| {
            store
                .subscribe(
                    &email("ann@example.org"),
                    Some(&name("Ann B")),
                    &Categories::everything(),
                    Source::Form,
                    &form(),
                    now() + Duration::minutes(minutes),
                )
                .unwrap()
        };

        let soon = again(&mut store, 9);
        assert_eq!(soon.subscriber_id, first.subscriber_id, "{}", backend.name);
        assert_eq!(soon.kind, SubscribeKind::StillPending, "{}", backend.name);
        assert!(!soon.should_send_confirmation, "{}", backend.name);
        let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
        assert_eq!(
            ann.name, None,
            "{}: a request that sent no mail changes nothing",
            backend.name
        );

        let later = again(&mut store, 10);
        assert!(later.should_send_confirmation, "{}", backend.name);
        let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
        assert_eq!(
            ann.name, None,
            "{}: the name waits for the mailbox owner",
            backend.name
        );
        let right_after = subscribe(&mut store, "ann@example.org", now() + Duration::minutes(11));
        assert!(
            !right_after.should_send_confirmation,
            "{}: the window restarts at the last mail",
            backend.name
        );
        assert_eq!(
            confirm(
                &mut store,
                first.subscriber_id,
                now() + Duration::minutes(12)
            ),
            ConfirmOutcome::Confirmed,
            "{}",
            backend.name
        );
        let ann = store.subscriber(first.subscriber_id).unwrap().unwrap();
        assert_eq!(
            ann.name.as_deref(),
            Some("Ann B"),
            "{}: the name mailed with the newest link",
            backend.name
        );
    }
}

#[test]
fn subscribing_a_confirmed_address_changes_nothing_and_sends_nothing() {
    for backend in backends("subscribing_a_confirmed_address_changes_nothing") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        confirm(&mut store, id, now());
        let before = store.subscriber(id).unwrap().unwrap();

        let outcome = store
            .subscribe(
                &email("ann@example.org"),
                Some(&name("Other")),
                &Categories::everything(),
                Source::Form,
                &form(),
                now() + Duration::days(1),
            )
            .unwrap();
        assert_eq!(
            outcome.kind,
            SubscribeKind::AlreadyConfirmed,
            "{}",
            backend.name
        );
        assert!(!outcome.should_send_confirmation, "{}", backend.name);
        assert_eq!(
            store.subscriber(id).unwrap().unwrap(),
            before,
            "{}",
            backend.name
        );
    }
}

#[test]
fn an_unsubscribed_or_bounced_reader_stays_so_until_a_new_confirmation_link_is_followed() {
    for backend in backends("an_unsubscribed_or_bounced_reader_stays_so") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let first_link = newest_link(&mut store, id, now());
        confirm(&mut store, id, now());
        let left = now() + Duration::days(1);
        unsubscribe(&mut store, id, left);

        let back = subscribe(&mut store, "ann@example.org", now() + Duration::days(2));
        assert_eq!(back.kind, SubscribeKind::Resubscribed, "{}", backend.name);
        assert!(back.should_send_confirmation, "{}", backend.name);
        let ann = store.subscriber(id).unwrap().unwrap();
        assert_eq!(ann.status, Status::Unsubscribed, "{}", backend.name);
        assert_eq!(ann.unsubscribed_at, Some(left), "{}", backend.name);
        assert_eq!(ann.status_changed_at, left, "{}", backend.name);
        let origin = Origin::new(Channel::Link);
        assert_eq!(
            store
                .confirm(&first_link, &origin, now() + Duration::days(2))
                .unwrap(),
            ConfirmOutcome::NotPending(Status::Unsubscribed),
            "{}: a link from before the opt-out",
            backend.name
        );

        assert_eq!(
            confirm(&mut store, id, now() + Duration::days(2)),
            ConfirmOutcome::Confirmed,
            "{}",
            backend.name
        );
        let ann = store.subscriber(id).unwrap().unwrap();
        assert_eq!(
            (ann.status, ann.unsubscribed_at),
            (Status::Confirmed, None),
            "{}",
            backend.name
        );
        assert!(
            store.mark_bounced(id, now() + Duration::days(3)).unwrap(),
            "{}",
            backend.name
        );
        let again = subscribe(&mut store, "ann@example.org", now() + Duration::days(4));
        assert_eq!(again.kind, SubscribeKind::Resubscribed, "{}", backend.name);
        assert_eq!(status_of(&store, id), Status::Bounced, "{}", backend.name);
    }
}

#[test]
fn adding_from_the_cli_sets_the_status_and_refuses_an_existing_address() {
    for backend in backends("adding_from_the_cli_sets_the_status") {
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
        let ann = store.subscriber(id).unwrap().unwrap();
        assert_eq!(
            (ann.status, ann.source),
            (Status::Confirmed, Source::Cli),
            "{}",
            backend.name
        );
        assert_eq!(ann.confirmed_at, Some(now()), "{}", backend.name);

        let err = store
            .add(
                &email("ANN@example.org"),
                None,
                &Categories::everything(),
                Status::Pending,
                Source::Cli,
                now(),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ANN@example.org is already on the list (as ann@example.org, status confirmed); remove it first to add it again",
            "{}",
            backend.name
        );
        assert_eq!(store.list(None).unwrap().len(), 1, "{}", backend.name);
    }
}
