//! Bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left alone.

use chrono::{DateTime, Utc};

use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::Status;

/// One subscriber to import, already validated (see `subscribers_csv::parse_import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub email: SubscriberEmail,
    pub name: Option<SubscriberName>,
    pub status: Status,
    /// When the list the row came from first saw the address; the import time if unknown.
    pub created_at: Option<DateTime<Utc>>,
    /// When the address was confirmed there; the import time if unknown and the status is confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New subscribers, whatever their status.
    pub added: u64,
    /// Rows whose address was already on the list: nothing about it changed.
    pub skipped_existing: u64,
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use chrono::{DateTime, TimeZone, Utc};

    use crate::email_address::{SubscriberEmail, SubscriberName};
    use crate::store::{Channel, ImportRow, ImportSummary, Origin, Source, Status};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn row(email: &str, status: Status) -> ImportRow {
        ImportRow {
            email: SubscriberEmail::parse(email).unwrap(),
            name: None,
            status,
            created_at: None,
            confirmed_at: None,
        }
    }

    #[test]
    fn an_import_adds_new_addresses_with_their_status_and_source_import() {
        let mut store = Store::open_in_memory().unwrap();
        let mut ann = row("ann@example.org", Status::Confirmed);
        ann.name = Some(SubscriberName::parse("Ann").unwrap());
        let rows = [ann, row("bob@example.org", Status::Unsubscribed)];
        let summary = store.import(&rows, now()).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 2,
                skipped_existing: 0
            }
        );

        let ann = store.find_by_email(&rows[0].email).unwrap().unwrap();
        assert_eq!(ann.status, Status::Confirmed);
        assert_eq!(ann.source, Source::Import);
        assert_eq!(ann.name.as_deref(), Some("Ann"));
        assert_eq!(ann.confirmed_at, Some(now()));
        let bob = store.find_by_email(&rows[1].email).unwrap().unwrap();
        assert_eq!(bob.status, Status::Unsubscribed);
        assert_eq!(bob.unsubscribed_at, Some(now()));
    }

    #[test]
    fn an_import_never_resubscribes_an_unsubscribed_address() {
        let mut store = Store::open_in_memory().unwrap();
        let email = SubscriberEmail::parse("gone@example.org").unwrap();
        store
            .add(&email, None, Status::Confirmed, Source::Cli, now())
            .unwrap();
        store
            .unsubscribe_email(&email, &Origin::new(Channel::Cli), now())
            .unwrap();

        let rows = [
            row("GONE@example.org", Status::Confirmed),
            row("new@example.org", Status::Confirmed),
        ];
        let summary = store.import(&rows, now()).unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 1,
                skipped_existing: 1
            }
        );
        let gone = store.find_by_email(&email).unwrap().unwrap();
        assert_eq!(gone.status, Status::Unsubscribed);
        assert_eq!(gone.source, Source::Cli);
    }

    #[test]
    fn a_failing_import_leaves_the_store_unchanged() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .import(&[row("before@example.org", Status::Confirmed)], now())
            .unwrap();
        // Make the third insert fail inside the database, after two rows went in.
        store
            .sqlite()
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON subscribers
                 WHEN NEW.email = 'boom@example.org'
                 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;",
            )
            .unwrap();
        let rows = [
            row("one@example.org", Status::Confirmed),
            row("two@example.org", Status::Pending),
            row("boom@example.org", Status::Confirmed),
        ];
        let err = store.import(&rows, now()).unwrap_err();
        assert!(
            format!("{err:#}").contains("nothing was imported"),
            "{err:#}"
        );
        let emails: Vec<String> = store
            .list(None)
            .unwrap()
            .into_iter()
            .map(|s| s.email)
            .collect();
        assert_eq!(emails, ["before@example.org"]);
    }

    #[test]
    fn imported_creation_and_confirmation_times_are_kept() {
        let mut store = Store::open_in_memory().unwrap();
        let earlier = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let mut kept = row("old@example.org", Status::Confirmed);
        kept.created_at = Some(earlier);
        kept.confirmed_at = Some(earlier);
        store.import(&[kept], now()).unwrap();
        let old = store.list(None).unwrap().remove(0);
        assert_eq!(old.created_at, earlier);
        assert_eq!(old.confirmed_at, Some(earlier));
        assert_eq!(old.status_changed_at, now());
    }
}
