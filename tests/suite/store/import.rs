//! Bulk import: all rows in one transaction, addresses already present left alone, on each backend.

use chrono::{TimeZone, Utc};
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::{SubscriberEmail, SubscriberName};
use weekly_verdicts::store::{Channel, ImportRow, ImportSummary, Origin, Source, Status, Store};

use crate::store::people::{email, execute, now};
use crate::support::postgres::backends;

fn row(address: &str, status: Status) -> ImportRow {
    ImportRow {
        email: SubscriberEmail::parse(address).unwrap(),
        name: None,
        status,
        categories: Categories::everything(),
        created_at: None,
        confirmed_at: None,
    }
}

#[test]
fn an_import_adds_new_addresses_with_their_status_and_source_import() {
    for backend in backends("an_import_adds_new_addresses") {
        let mut store = Store::open(&backend.database).unwrap();
        let mut ann = row("ann@example.org", Status::Confirmed);
        ann.name = Some(SubscriberName::parse("Ann").unwrap());
        let rows = [ann, row("bob@example.org", Status::Unsubscribed)];
        let summary = store.import(&rows, now()).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 2,
                skipped_existing: 0
            },
            "{}",
            backend.name
        );

        let ann = store.find_by_email(&rows[0].email).unwrap().unwrap();
        assert_eq!(ann.status, Status::Confirmed, "{}", backend.name);
        assert_eq!(ann.source, Source::Import, "{}", backend.name);
        assert_eq!(ann.name.as_deref(), Some("Ann"), "{}", backend.name);
        assert_eq!(ann.confirmed_at, Some(now()), "{}", backend.name);
        let bob = store.find_by_email(&rows[1].email).unwrap().unwrap();
        assert_eq!(bob.status, Status::Unsubscribed, "{}", backend.name);
        assert_eq!(bob.unsubscribed_at, Some(now()), "{}", backend.name);
        let history = store.consent_history(&rows[1].email).unwrap();
        let summary: Vec<_> = history
            .iter()
            .map(|r| (r.event.as_str(), r.channel.as_str(), r.detail.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [("import", "import", Some("imported as unsubscribed"))],
            "{}",
            backend.name
        );
    }
}

#[test]
fn an_import_never_resubscribes_an_unsubscribed_address_and_counts_repeats_within_it() {
    for backend in backends("an_import_never_resubscribes_an_unsubscribed_address") {
        let mut store = Store::open(&backend.database).unwrap();
        let gone = email("gone@example.org");
        store
            .add(
                &gone,
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        store
            .unsubscribe_email(&gone, &Origin::new(Channel::Cli), now())
            .unwrap();

        let rows = [
            row("GONE@example.org", Status::Confirmed),
            row("new@example.org", Status::Confirmed),
            row("NEW@example.org", Status::Pending),
        ];
        let summary = store.import(&rows, now()).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 1,
                skipped_existing: 2
            },
            "{}",
            backend.name
        );
        let gone = store.find_by_email(&gone).unwrap().unwrap();
        assert_eq!(gone.status, Status::Unsubscribed, "{}", backend.name);
        assert_eq!(gone.source, Source::Cli, "{}", backend.name);
        let new = store
            .find_by_email(&email("new@example.org"))
            .unwrap()
            .unwrap();
        assert_eq!(
            new.status,
            Status::Confirmed,
            "{}: the first row wins",
            backend.name
        );
    }
}

#[test]
fn a_failing_import_leaves_the_store_unchanged() {
    for backend in backends("a_failing_import_leaves_the_store_unchanged") {
        let mut store = Store::open(&backend.database).unwrap();
        store
            .import(&[row("before@example.org", Status::Confirmed)], now())
            .unwrap();
        // Make the third insert fail inside the database, after two rows went in.
        execute(
            &backend.database,
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON subscribers
             WHEN NEW.email = 'boom@example.org'
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;",
            "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
             CREATE TRIGGER refuse_boom BEFORE INSERT ON subscribers
             FOR EACH ROW WHEN (NEW.email = 'boom@example.org') EXECUTE FUNCTION refuse_boom();",
        );
        let rows = [
            row("one@example.org", Status::Confirmed),
            row("two@example.org", Status::Pending),
            row("boom@example.org", Status::Confirmed),
        ];
        let err = store.import(&rows, now()).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("nothing was imported"),
            "{}: {message}",
            backend.name
        );
        assert!(
            message.contains("boom@example.org"),
            "{}: {message}",
            backend.name
        );
        let emails: Vec<String> = store
            .list(None)
            .unwrap()
            .into_iter()
            .map(|s| s.email)
            .collect();
        assert_eq!(emails, ["before@example.org"], "{}", backend.name);
        assert_eq!(
            store.consent_history(&email("one@example.org")).unwrap(),
            [],
            "{}",
            backend.name
        );
        // The connection is usable after the failed transaction.
        store
            .import(&[row("after@example.org", Status::Confirmed)], now())
            .unwrap();
    }
}

#[test]
fn imported_creation_and_confirmation_times_are_kept() {
    for backend in backends("imported_creation_and_confirmation_times_are_kept") {
        let mut store = Store::open(&backend.database).unwrap();
        let earlier = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let mut kept = row("old@example.org", Status::Confirmed);
        kept.created_at = Some(earlier);
        kept.confirmed_at = Some(earlier);
        store.import(&[kept], now()).unwrap();
        let old = store.list(None).unwrap().remove(0);
        assert_eq!(old.created_at, earlier, "{}", backend.name);
        assert_eq!(old.confirmed_at, Some(earlier), "{}", backend.name);
        assert_eq!(old.status_changed_at, now(), "{}", backend.name);
    }
}

#[test]
fn a_long_import_keeps_file_order_for_ids_and_history_and_skips_a_repeat_far_down_the_file() {
    for backend in backends("a_long_import_keeps_file_order") {
        let mut store = Store::open(&backend.database).unwrap();
        let mut rows: Vec<ImportRow> = (0..2500)
            .map(|i| row(&format!("reader{i}@example.org"), Status::Confirmed))
            .collect();
        rows[1700] = row("READER3@example.org", Status::Pending);
        rows[2400].name = Some(SubscriberName::parse("Late Reader").unwrap());
        let summary = store.import(&rows, now()).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 2499,
                skipped_existing: 1
            },
            "{}",
            backend.name
        );
        let listed = store.list(None).unwrap();
        let in_file_order: Vec<&str> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1700)
            .map(|(_, r)| r.email.as_str())
            .collect();
        let listed_emails: Vec<&str> = listed.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(
            listed_emails, in_file_order,
            "{}: ids follow the file",
            backend.name
        );
        let reader3 = store
            .find_by_email(&email("reader3@example.org"))
            .unwrap()
            .unwrap();
        assert_eq!(
            reader3.status,
            Status::Confirmed,
            "{}: the first row wins",
            backend.name
        );
        let late = store.find_by_email(&rows[2400].email).unwrap().unwrap();
        assert_eq!(
            late.name.as_deref(),
            Some("Late Reader"),
            "{}",
            backend.name
        );
        let history = store.consent_history(&rows[2400].email).unwrap();
        assert_eq!(history.len(), 1, "{}", backend.name);
        assert_eq!(history[0].subscriber_id, late.id, "{}", backend.name);
        assert_eq!(
            store
                .consent_history(&email("reader3@example.org"))
                .unwrap()
                .len(),
            1,
            "{}",
            backend.name
        );
    }
}
