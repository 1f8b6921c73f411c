//! Readers' topics on each backend: the choice made when subscribing, read and changed through a preferences
//! link (with its consent history entry), a pause, and who a link may act for.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{Channel, Origin, Source, Status, Store, TopicsChange};

use crate::store::people::{
    confirm, email, form, id_only, now, query_count, status_of, subscribe, unsubscribe,
};
use crate::support::postgres::backends;

fn chosen(names: &[&str]) -> Categories {
    Categories::from_names(names)
}

fn page() -> Origin {
    Origin::from_client(Channel::Link, "192.0.2.9")
}

#[test]
fn a_new_address_keeps_the_topics_it_subscribed_with_and_confirming_keeps_them() {
    for backend in backends("a_new_address_keeps_the_topics_it_subscribed_with") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = store
            .subscribe(
                &email("ann@example.org"),
                None,
                &chosen(&["Search", "Voice"]),
                Source::Form,
                &form(),
                now(),
            )
            .unwrap()
            .subscriber_id;
        let stored = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(
            stored.categories,
            chosen(&["Search", "Voice"]),
            "{}",
            backend.name
        );
        assert_eq!(stored.paused_until, None, "{}", backend.name);
        confirm(&mut store, ann, now());
        let topics = store
            .reader_topics(&id_only(ann, now()), now())
            .unwrap()
            .unwrap();
        assert_eq!(
            topics.categories,
            chosen(&["Search", "Voice"]),
            "{}",
            backend.name
        );
        assert_eq!(topics.status, Status::Confirmed, "{}", backend.name);
        assert_eq!(topics.email, "ann@example.org", "{}", backend.name);

        let bob = store
            .add(
                &email("bob@example.org"),
                None,
                &chosen(&["Voice"]),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        let listed = store.list(Some(Status::Confirmed)).unwrap();
        let bob_row = listed.iter().find(|s| s.id == bob).unwrap();
        assert_eq!(bob_row.categories, chosen(&["Voice"]), "{}", backend.name);
    }
}

#[test]
fn a_subscribe_request_for_a_known_address_changes_its_topics_only_when_the_mailed_link_is_followed()
 {
    for backend in backends("a_subscribe_request_for_a_known_address_changes_its_topics") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        confirm(&mut store, ann, now());
        let ask = |store: &mut Store, names: &[&str], minutes: i64| {
            store
                .subscribe(
                    &email("ann@example.org"),
                    None,
                    &chosen(names),
                    Source::Form,
                    &form(),
                    now() + Duration::minutes(minutes),
                )
                .unwrap()
        };
        ask(&mut store, &["Search"], 1);
        assert!(
            store
                .subscriber(ann)
                .unwrap()
                .unwrap()
                .categories
                .is_everything(),
            "{}: a confirmed reader's topics change only through their own link",
            backend.name
        );

        unsubscribe(&mut store, ann, now() + Duration::minutes(2));
        let paused = TopicsChange {
            categories: Categories::everything(),
            paused_until: Some(now() + Duration::weeks(8)),
        };
        store
            .set_topics_by_email(
                &email("ann@example.org"),
                &paused,
                &Origin::new(Channel::Cli),
                now(),
            )
            .unwrap()
            .unwrap();
        ask(&mut store, &["Voice"], 30);
        assert!(
            store
                .subscriber(ann)
                .unwrap()
                .unwrap()
                .categories
                .is_everything(),
            "{}: a request waits for its link",
            backend.name
        );
        confirm(&mut store, ann, now() + Duration::minutes(31));
        let ann_now = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(ann_now.categories, chosen(&["Voice"]), "{}", backend.name);
        assert_eq!(
            ann_now.paused_until, None,
            "{}: subscribing again ends a pause",
            backend.name
        );
    }
}

#[test]
fn a_preferences_link_saves_topics_and_a_pause_in_the_consent_history_and_keeps_every_link_working()
{
    for backend in backends("a_preferences_link_saves_topics_and_a_pause") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        confirm(&mut store, ann, now());
        let link = id_only(ann, now() + Duration::hours(1));
        let later = now() + Duration::days(1);
        let until = now() + Duration::weeks(3);
        let change = TopicsChange {
            categories: chosen(&["Voice", "Search"]),
            paused_until: Some(until),
        };
        let saved = store
            .set_topics(&link, &change, &page(), later)
            .unwrap()
            .unwrap();
        assert_eq!(
            saved.categories,
            chosen(&["Search", "Voice"]),
            "{}",
            backend.name
        );
        assert_eq!(saved.paused_until, Some(until), "{}", backend.name);
        assert_eq!(
            store.reader_topics(&link, later).unwrap().as_ref(),
            Some(&saved),
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .reader_topics(&link, until)
                .unwrap()
                .unwrap()
                .paused_until,
            None,
            "{}: a pause that is over is no pause",
            backend.name
        );

        let history = store.consent_history(&email("ann@example.org")).unwrap();
        let last = history.last().unwrap();
        assert_eq!(
            (
                last.event.as_str(),
                last.channel.as_str(),
                last.client.as_deref()
            ),
            ("topics", "link", Some("192.0.2.9")),
            "{}",
            backend.name
        );
        assert_eq!(
            last.detail.as_deref(),
            Some("topics: Search, Voice; paused until 2026-12-14 09:00 UTC"),
            "{}",
            backend.name
        );
        assert_eq!(last.at, later, "{}", backend.name);

        let everything = TopicsChange {
            categories: Categories::everything(),
            paused_until: None,
        };
        let back = store
            .set_topics(&link, &everything, &page(), later)
            .unwrap()
            .unwrap();
        assert!(back.categories.is_everything(), "{}", backend.name);
        assert_eq!(back.paused_until, None, "{}", backend.name);
        assert_eq!(
            status_of(&store, ann),
            Status::Confirmed,
            "{}: topics are not a state change",
            backend.name
        );
        // Mails already sent carry links bound to the nonce of the time: a topics change must not void them.
        let nonce = format!("SELECT link_nonce FROM subscribers WHERE id = {ann}");
        let before = query_count(&backend.database, &nonce);
        store.set_topics(&link, &change, &page(), later).unwrap();
        assert_eq!(
            query_count(&backend.database, &nonce),
            before,
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_preferences_link_for_an_unknown_removed_or_older_subscription_does_nothing() {
    for backend in backends("a_preferences_link_for_an_unknown_removed_or_older") {
        let mut store = Store::open(&backend.database).unwrap();
        let change = TopicsChange {
            categories: chosen(&["Search"]),
            paused_until: None,
        };
        for id in [999, u64::MAX] {
            assert_eq!(
                store.reader_topics(&id_only(id, now()), now()).unwrap(),
                None
            );
            assert_eq!(
                store
                    .set_topics(&id_only(id, now()), &change, &page(), now())
                    .unwrap(),
                None,
                "{}",
                backend.name
            );
        }

        let ann = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        confirm(&mut store, ann, now());
        let old_link = id_only(ann, now());
        assert!(store.remove(&email("ann@example.org"), now()).unwrap());
        assert_eq!(
            store.reader_topics(&old_link, now()).unwrap(),
            None,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .set_topics(&old_link, &change, &page(), now())
                .unwrap(),
            None,
            "{}",
            backend.name
        );

        // Re-added, the address is a new subscription: the old link names the old id and never reaches it.
        let again = store
            .add(
                &email("ann@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now() + Duration::days(1),
            )
            .unwrap();
        assert_ne!(again, ann, "{}", backend.name);
        assert_eq!(
            store
                .set_topics(&old_link, &change, &page(), now())
                .unwrap(),
            None
        );
        assert!(
            store
                .subscriber(again)
                .unwrap()
                .unwrap()
                .categories
                .is_everything(),
            "{}",
            backend.name
        );
        // An id-only link older than the row it names is refused, as an unsubscribe link would be.
        let before = id_only(again, now());
        assert_eq!(
            store.reader_topics(&before, now()).unwrap(),
            None,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .set_topics_by_email(&email("nobody@example.org"), &change, &page(), now())
                .unwrap(),
            None,
            "{}",
            backend.name
        );
    }
}
