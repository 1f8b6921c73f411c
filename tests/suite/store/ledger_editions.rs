//! Editions in the ledger, on each backend: a row keeps the categories its reader followed when the issue was
//! created (whatever they choose afterwards), a paused reader's row is skipped with the date, claims and pages
//! carry the edition, an edition with nothing new is skipped whole, and the counts say why rows were skipped.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{
    Channel, ClaimRequest, DeliveryResult, Origin, SkippedBy, Source, Status, Store, TopicsChange,
};

use crate::store::issue_fixtures::{created, new_issue, now, outcome};
use crate::support::postgres::backends;

fn reader(store: &mut Store, address: &str, names: &[&str]) -> u64 {
    store
        .add(
            &SubscriberEmail::parse(address).unwrap(),
            None,
            &Categories::from_names(names),
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap()
}

fn choose(store: &mut Store, address: &str, names: &[&str], paused_weeks: Option<i64>) {
    let change = TopicsChange {
        categories: Categories::from_names(names),
        paused_until: paused_weeks.map(|w| now() + Duration::weeks(w)),
    };
    store
        .set_topics_by_email(
            &SubscriberEmail::parse(address).unwrap(),
            &change,
            &Origin::new(Channel::Cli),
            now(),
        )
        .unwrap()
        .unwrap();
}

#[test]
fn the_ledger_keeps_each_readers_categories_at_the_snapshot_and_skips_a_paused_reader_until_the_date()
 {
    for backend in backends("the_ledger_keeps_each_readers_categories_at_the_snapshot") {
        let mut store = Store::open(&backend.database).unwrap();
        let all = reader(&mut store, "all@example.org", &[]);
        let search = reader(&mut store, "search@example.org", &["Search"]);
        let both = reader(&mut store, "both@example.org", &["Voice", "Search"]);
        let paused = reader(&mut store, "paused@example.org", &["Voice"]);
        choose(&mut store, "paused@example.org", &["Voice"], Some(2));

        let week1 = new_issue("2026-W48", now(), &["a"]);
        let (issue, recipients) = created(
            store
                .create_issue(&week1, now() + Duration::hours(1))
                .unwrap(),
            backend.name,
        );
        assert_eq!(recipients, 4, "{}", backend.name);
        // Changed after the snapshot: this issue keeps what the ledger recorded.
        choose(&mut store, "search@example.org", &["Voice"], None);

        let due = store
            .claim_due(&ClaimRequest {
                issue_id: issue.id,
                owner: "sender-a",
                after: 0,
                limit: 10,
                now: now() + Duration::hours(1),
                claim_for: Duration::minutes(5),
            })
            .unwrap();
        let editions: Vec<(u64, Categories)> = due
            .iter()
            .map(|d| (d.subscriber_id, d.categories.clone()))
            .collect();
        assert_eq!(
            editions,
            vec![
                (all, Categories::everything()),
                (search, Categories::from_names(["Search"])),
                (both, Categories::from_names(["Search", "Voice"])),
            ],
            "{}: the paused reader is not due",
            backend.name
        );
        assert_eq!(
            store
                .due_deliveries(issue.id, 0, 10, now() + Duration::hours(1))
                .unwrap()
                .iter()
                .map(|d| d.categories.clone())
                .collect::<Vec<_>>(),
            editions.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            "{}",
            backend.name
        );
        let counts = store.ledger_counts(issue.id).unwrap();
        assert_eq!((counts.pending, counts.skipped), (3, 1), "{}", backend.name);
        assert_eq!(
            counts.skipped_by,
            SkippedBy {
                paused: 1,
                ..SkippedBy::default()
            },
            "{}",
            backend.name
        );
        let reason = row_reason(&backend.database, issue.id, paused);
        assert_eq!(
            reason.as_deref(),
            Some("paused until 2026-12-07 09:00 UTC"),
            "{}",
            backend.name
        );

        // Three weeks on the pause is over, and the changed choice applies.
        let later = now() + Duration::weeks(3);
        let week4 = new_issue("2026-W51", later, &["b"]);
        let (next, _) = created(store.create_issue(&week4, later).unwrap(), backend.name);
        let due: Vec<(u64, Categories)> = store
            .due_deliveries(next.id, 0, 10, later)
            .unwrap()
            .into_iter()
            .map(|d| (d.subscriber_id, d.categories))
            .collect();
        assert!(
            due.contains(&(paused, Categories::from_names(["Voice"]))),
            "{}",
            backend.name
        );
        assert!(
            due.contains(&(search, Categories::from_names(["Voice"]))),
            "{}",
            backend.name
        );
    }
}

#[test]
fn an_edition_with_nothing_new_is_skipped_whole_and_counted_apart_from_readers_who_left() {
    for backend in backends("an_edition_with_nothing_new_is_skipped_whole") {
        let mut store = Store::open(&backend.database).unwrap();
        reader(&mut store, "all@example.org", &[]);
        let design = reader(&mut store, "design@example.org", &["Design"]);
        reader(&mut store, "design2@example.org", &["design"]);
        let search = reader(&mut store, "search@example.org", &["Search"]);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            backend.name,
        );
        let editions = store.ledger_editions(issue.id).unwrap();
        assert_eq!(
            editions.len(),
            4,
            "{}: one per distinct stored choice",
            backend.name
        );
        for choice in [
            Categories::everything(),
            Categories::from_names(["Design"]),
            Categories::from_names(["design"]),
            Categories::from_names(["Search"]),
        ] {
            assert!(editions.contains(&choice), "{}: {choice:?}", backend.name);
        }
        let skipped = store
            .skip_edition(
                issue.id,
                &Categories::from_names(["Design"]),
                "nothing new in Design this week",
            )
            .unwrap();
        assert_eq!(skipped, 1, "{}", backend.name);
        store
            .skip_edition(
                issue.id,
                &Categories::from_names(["design"]),
                "nothing new in design this week",
            )
            .unwrap();
        assert_eq!(
            row_reason(&backend.database, issue.id, design).as_deref(),
            Some("nothing new in Design this week"),
            "{}",
            backend.name
        );
        store
            .record(
                &[outcome(
                    issue.id,
                    search,
                    DeliveryResult::Skipped {
                        reason:
                            "not sent: the subscriber is unsubscribed since the issue was created"
                                .into(),
                    },
                )],
                now(),
            )
            .unwrap();
        assert_eq!(
            store.ledger_editions(issue.id).unwrap(),
            vec![Categories::everything()],
            "{}: only due rows count",
            backend.name
        );
        let counts = store.ledger_counts(issue.id).unwrap();
        assert_eq!(counts.skipped, 3, "{}", backend.name);
        assert_eq!(
            counts.skipped_by,
            SkippedBy {
                paused: 0,
                nothing_new: 2,
                left: 1
            },
            "{}",
            backend.name
        );
        let status = store.delivery_counts().unwrap();
        assert_eq!(status[0].counts, counts, "{}", backend.name);
        assert_eq!(
            store.newest_issue_status().unwrap().unwrap().counts,
            counts,
            "{}",
            backend.name
        );
        assert!(!store.complete_issue(issue.id, now()).unwrap());
    }
}

/// The reason recorded in one ledger row.
fn row_reason(
    database: &weekly_verdicts::store::Database,
    issue_id: i64,
    subscriber_id: u64,
) -> Option<String> {
    let sql = format!(
        "SELECT last_error FROM deliveries WHERE issue_id = {issue_id} AND subscriber_id = {subscriber_id}"
    );
    match database {
        weekly_verdicts::store::Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(&sql, [], |row| row.get(0))
            .unwrap(),
        weekly_verdicts::store::Database::Postgres(url) => url
            .config()
            .connect(postgres::NoTls)
            .unwrap()
            .query_one(&sql, &[])
            .unwrap()
            .get(0),
    }
}

#[test]
fn confirmed_readers_are_counted_by_choice_with_those_paused_at_the_time_asked() {
    for backend in backends("confirmed_readers_are_counted_by_choice") {
        let mut store = Store::open(&backend.database).unwrap();
        reader(&mut store, "all@example.org", &[]);
        reader(&mut store, "s1@example.org", &["Search"]);
        reader(&mut store, "s2@example.org", &["Search"]);
        choose(&mut store, "s2@example.org", &["Search"], Some(2));
        reader(&mut store, "v@example.org", &["Voice", "Search"]);
        // Readers no longer on the list count for nothing.
        reader(&mut store, "gone@example.org", &["Design"]);
        assert!(
            store
                .remove(&SubscriberEmail::parse("gone@example.org").unwrap(), now())
                .unwrap()
        );
        let pending = SubscriberEmail::parse("pending@example.org").unwrap();
        store
            .add(
                &pending,
                None,
                &Categories::from_names(["Design"]),
                Status::Pending,
                Source::Cli,
                now(),
            )
            .unwrap();

        let counted = |at| -> Vec<(Vec<String>, u64, u64)> {
            store
                .confirmed_choices(at)
                .unwrap()
                .into_iter()
                .map(|c| {
                    let names = c.categories.names().map(str::to_string).collect();
                    (names, c.readers, c.paused)
                })
                .collect()
        };
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut expected = vec![
            (strings(&[]), 1, 0),
            (strings(&["Search"]), 2, 1),
            (strings(&["Search", "Voice"]), 1, 0),
        ];
        let mut got = counted(now());
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{}", backend.name);
        // Three weeks on, the pause is over.
        let mut later = counted(now() + Duration::weeks(3));
        later.sort();
        expected[1].2 = 0;
        expected.sort();
        assert_eq!(later, expected, "{}", backend.name);
    }
}
