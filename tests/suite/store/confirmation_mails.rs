//! The confirmation mail queue: filled by subscribe, emptied by the sender, retried with backoff, and never sending
//! a link that would do nothing; on each backend.

use chrono::{DateTime, Duration, Utc};
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberName;
use weekly_verdicts::store::{
    CONFIRMATION_MAIL_ATTEMPTS, CONFIRMATION_MAIL_CLAIM, QueueTake, QueuedConfirmation, Source,
    Store,
};

use crate::store::people::{confirm, email, form, now, queued, subscribe, unsubscribe};
use crate::support::postgres::backends;

#[test]
fn a_subscribe_queues_one_mail_with_the_name_and_nonce_and_sending_it_takes_it_off() {
    for backend in backends("a_subscribe_queues_one_mail") {
        let mut store = Store::open(&backend.database).unwrap();
        assert_eq!(
            store.next_confirmation_mail_at().unwrap(),
            None,
            "{}",
            backend.name
        );
        let ann = SubscriberName::parse("Ann").unwrap();
        let id = store
            .subscribe(
                &email("Ann@Example.org"),
                Some(&ann),
                &Categories::everything(),
                Source::Form,
                &form(),
                now(),
            )
            .unwrap()
            .subscriber_id;
        assert_eq!(
            store.next_confirmation_mail_at().unwrap(),
            Some(now()),
            "{}",
            backend.name
        );
        assert_eq!(
            queued(&mut store, now() - Duration::seconds(1), 10).unwrap(),
            [],
            "{}: not due before it was queued",
            backend.name
        );
        let due = queued(&mut store, now(), 10).unwrap();
        assert_eq!(due.len(), 1, "{}", backend.name);
        let mail = &due[0];
        assert_eq!(
            (
                mail.subscriber_id,
                mail.email.as_str(),
                mail.name.as_deref(),
                mail.attempts
            ),
            (id, "Ann@example.org", Some("Ann"), 0),
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .name_to_confirm(&weekly_verdicts::tokens::Link {
                    subscriber_id: id,
                    nonce: Some(mail.nonce),
                    issued_at: now()
                })
                .unwrap(),
            Some(Some("Ann".to_owned())),
            "{}: the queued nonce is the subscription's",
            backend.name
        );
        store.confirmation_mail_sent(mail).unwrap();
        assert_eq!(
            queued(&mut store, now(), 10).unwrap(),
            [],
            "{}",
            backend.name
        );
        assert_eq!(
            store.next_confirmation_mail_at().unwrap(),
            None,
            "{}",
            backend.name
        );
    }
}

#[test]
fn due_mails_come_oldest_first_up_to_the_limit() {
    for backend in backends("due_mails_come_oldest_first_up_to_the_limit") {
        let mut store = Store::open(&backend.database).unwrap();
        for (address, minutes) in [
            ("c@example.org", 2),
            ("a@example.org", 0),
            ("b@example.org", 1),
        ] {
            subscribe(&mut store, address, now() + Duration::minutes(minutes));
        }
        let due: Vec<String> = queued(&mut store, now() + Duration::hours(1), 2)
            .unwrap()
            .into_iter()
            .map(|mail| mail.email)
            .collect();
        assert_eq!(due, ["a@example.org", "b@example.org"], "{}", backend.name);
        assert_eq!(
            queued(&mut store, now() + Duration::hours(1), usize::MAX)
                .unwrap()
                .len(),
            3,
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_failed_mail_is_retried_with_growing_waits_and_given_up_after_the_last_attempt() {
    for backend in backends("a_failed_mail_is_retried_with_growing_waits") {
        let mut store = Store::open(&backend.database).unwrap();
        subscribe(&mut store, "ann@example.org", now());
        let mut at = now();
        for attempt in 1..CONFIRMATION_MAIL_ATTEMPTS {
            let mail = queued(&mut store, at, 10).unwrap().remove(0);
            assert_eq!(mail.attempts, attempt - 1, "{}", backend.name);
            assert!(
                !store
                    .confirmation_mail_failed(&mail, "450 try later", at)
                    .unwrap()
            );
            let retry = at + Duration::seconds(30 * (1 << attempt));
            assert_eq!(
                store.next_confirmation_mail_at().unwrap(),
                Some(retry),
                "{}",
                backend.name
            );
            assert_eq!(
                queued(&mut store, retry - Duration::seconds(1), 10).unwrap(),
                [],
                "{}: not due before its retry time",
                backend.name
            );
            at = retry;
        }
        let last = queued(&mut store, at, 10).unwrap().remove(0);
        assert_eq!(
            last.attempts,
            CONFIRMATION_MAIL_ATTEMPTS - 1,
            "{}",
            backend.name
        );
        assert!(
            store
                .confirmation_mail_failed(&last, "450 try later", at)
                .unwrap(),
            "{}",
            backend.name
        );
        assert_eq!(
            store.next_confirmation_mail_at().unwrap(),
            None,
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_mail_whose_subscription_moved_on_is_dropped_and_a_newer_request_replaces_it() {
    for backend in backends("a_mail_whose_subscription_moved_on_is_dropped") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let old = queued(&mut store, now(), 10).unwrap().remove(0);
        let resent = now() + Duration::minutes(10);
        subscribe(&mut store, "ann@example.org", resent);
        let due = queued(&mut store, resent, 10).unwrap();
        assert_eq!(due.len(), 1, "{}: one mail per address", backend.name);
        assert_ne!(due[0].nonce, old.nonce, "{}", backend.name);
        // Sending or failing the replaced mail touches the newer one in no way.
        store.confirmation_mail_sent(&old).unwrap();
        assert!(!store.confirmation_mail_failed(&old, "550", resent).unwrap());
        assert_eq!(
            queued(&mut store, resent, 10).unwrap(),
            due,
            "{}",
            backend.name
        );

        confirm(&mut store, ann, resent);
        let bob = subscribe(&mut store, "bob@example.org", resent).subscriber_id;
        unsubscribe(&mut store, bob, resent);
        let carl = subscribe(&mut store, "carl@example.org", resent).subscriber_id;
        store.mark_bounced(carl, resent).unwrap();
        assert_eq!(
            queued(&mut store, resent, 10).unwrap(),
            [],
            "{}",
            backend.name
        );
        assert_eq!(
            store.next_confirmation_mail_at().unwrap(),
            None,
            "{}",
            backend.name
        );
    }
}

fn take(at: DateTime<Utc>, owner: &str) -> QueueTake<'_> {
    QueueTake {
        now: at,
        limit: 100,
        owner,
        only: None,
    }
}

fn ids(mails: &[QueuedConfirmation]) -> Vec<u64> {
    mails.iter().map(|mail| mail.subscriber_id).collect()
}

#[test]
fn a_taken_mail_is_left_alone_by_other_readers_until_its_claim_ends_or_is_given_back() {
    for backend in backends("a_taken_mail_is_left_alone_by_other_readers") {
        let mut first = Store::open(&backend.database).unwrap();
        let mut second = Store::open(&backend.database).unwrap();
        let ann = subscribe(&mut first, "ann@example.org", now()).subscriber_id;
        let bob = subscribe(&mut first, "bob@example.org", now()).subscriber_id;
        // `subscribers add` takes its own mail and leaves the rest.
        let own = QueueTake {
            only: Some(bob),
            ..take(now(), "add")
        };
        assert_eq!(
            ids(&first.due_confirmation_mails(&own).unwrap()),
            [bob],
            "{}",
            backend.name
        );
        assert_eq!(
            ids(&first
                .due_confirmation_mails(&take(now(), "serve-1"))
                .unwrap()),
            [ann],
            "{}",
            backend.name
        );
        // A second instance finds nothing to send while the mails are claimed...
        assert_eq!(
            second
                .due_confirmation_mails(&take(now(), "serve-2"))
                .unwrap(),
            [],
            "{}",
            backend.name
        );
        let mut claimants = second.confirmation_mail_claimants().unwrap();
        claimants.sort();
        assert_eq!(claimants, ["add", "serve-1"], "{}", backend.name);
        // ...takes what a process that died had claimed once it is given back...
        assert_eq!(
            second
                .release_confirmation_claims("serve-1", now())
                .unwrap(),
            1,
            "{}",
            backend.name
        );
        assert_eq!(
            ids(&second
                .due_confirmation_mails(&take(now(), "serve-2"))
                .unwrap()),
            [ann],
            "{}",
            backend.name
        );
        // ...and everything once the claims have run out.
        let later = now() + CONFIRMATION_MAIL_CLAIM;
        assert_eq!(
            ids(&second
                .due_confirmation_mails(&take(later, "serve-2"))
                .unwrap()),
            [ann, bob],
            "{}",
            backend.name
        );
    }
}

#[test]
fn instances_taking_the_queue_at_once_take_each_mail_once() {
    let Some(database) =
        crate::support::postgres::fresh_database("instances_taking_the_queue_at_once")
    else {
        return;
    };
    let mut store = Store::open(&database).unwrap();
    for n in 0..60 {
        subscribe(&mut store, &format!("reader{n}@example.org"), now());
    }
    let taken: Vec<u64> = std::thread::scope(|scope| {
        let takers: Vec<_> = (0..6)
            .map(|t| {
                let database = &database;
                scope.spawn(move || {
                    let mut store = Store::open(database).unwrap();
                    let owner = format!("serve-{t}");
                    let mut mine = Vec::new();
                    loop {
                        let batch = store
                            .due_confirmation_mails(&QueueTake {
                                limit: 4,
                                ..take(now(), &owner)
                            })
                            .unwrap();
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(ids(&batch));
                    }
                })
            })
            .collect();
        takers.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    let mut sorted = taken.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 60, "every mail taken");
    assert_eq!(taken.len(), 60, "no mail taken twice");
}
