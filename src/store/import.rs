//! Bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left alone.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::consent::{self, Channel, ConsentEvent, Entry, Origin};
use crate::store::subscribers::{NewSubscriber, insert_new};
use crate::store::{Source, Status, Store};

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

impl Store {
    /// Adds the rows' new addresses with source `import`, all or nothing. An address already on the list is left
    /// exactly as it is, so an import never re-subscribes someone who unsubscribed. Importing an unsubscribed or
    /// bounced row for a new address records it as such, which keeps later imports from adding it as confirmed.
    pub fn import(&mut self, rows: &[ImportRow], now: DateTime<Utc>) -> Result<ImportSummary> {
        let tx = self.write_transaction()?;
        let mut summary = ImportSummary::default();
        for row in rows {
            let new = NewSubscriber {
                email: &row.email,
                name: row.name.as_ref(),
                status: row.status,
                source: Source::Import,
                created_at: row.created_at.unwrap_or(now),
                confirmed_at: match row.status {
                    Status::Confirmed => Some(row.confirmed_at.unwrap_or(now)),
                    _ => row.confirmed_at,
                },
                now,
            };
            let inserted = insert_new(&tx, &new)
                .with_context(|| format!("importing {}; nothing was imported", row.email))?;
            match inserted {
                Some(id) => {
                    summary.added += 1;
                    let detail = format!("imported as {}", row.status);
                    consent::record(
                        &tx,
                        &Entry {
                            subscriber_id: id,
                            email_key: &row.email.key(),
                            event: ConsentEvent::Import,
                            origin: &Origin::new(Channel::Import),
                            detail: Some(&detail),
                            at: now,
                        },
                    )?;
                }
                None => summary.skipped_existing += 1,
            }
        }
        tx.commit()
            .context("committing the import; nothing was imported")?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use crate::email_address::{SubscriberEmail, SubscriberName};
    use crate::store::{Channel, ImportRow, ImportSummary, Origin, Source, Status, Store};

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
