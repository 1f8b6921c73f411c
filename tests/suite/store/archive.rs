//! The archive's view of the store: past issues as sent, newest first, each with its comparisons in the
//! email's order.

use chrono::Duration;
use weekly_verdicts::store::{Status, Store};

use crate::store::issue_fixtures::{add, created, new_issue, now, outcome, sent};
use crate::support::postgres::backends;

#[test]
fn the_archive_lists_issues_newest_first_with_their_comparisons_in_order() {
    for backend in backends("the_archive_lists_issues_newest_first") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        assert!(store.archived_issues().unwrap().is_empty(), "{name}");
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let w47 = now() - Duration::days(7);
        let (old, _) = created(
            store
                .create_issue(&new_issue("2026-W47", w47, &["zeta", "alpha", "mid"]), w47)
                .unwrap(),
            name,
        );
        store.record(&[outcome(old.id, ann, sent())], w47).unwrap();
        store.complete_issue(old.id, w47).unwrap();
        store
            .create_issue(&new_issue("2026-W48", now(), &["c"]), now())
            .unwrap();

        let issues = store.archived_issues().unwrap();
        let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["2026-W48", "2026-W47"], "{name}");
        let w47_issue = &issues[1];
        let slugs: Vec<&str> = w47_issue
            .comparisons
            .iter()
            .map(|c| c.slug.as_str())
            .collect();
        assert_eq!(slugs, ["zeta", "alpha", "mid"], "{name}");
        assert_eq!(w47_issue.comparisons[0].title, "zeta title", "{name}");
        assert_eq!(w47_issue.subject, "2026-W47 subject", "{name}");
        assert_eq!(w47_issue.preheader, "pre", "{name}");
        assert_eq!(w47_issue.html, "<p>html</p>", "{name}");
        assert_eq!(w47_issue.window_end, w47, "{name}");
        assert_eq!(w47_issue.window_start, w47 - Duration::days(7), "{name}");
        assert_eq!(w47_issue.created_at, w47, "{name}");
        assert_eq!(w47_issue.completed_at, Some(w47), "{name}");
        assert_eq!(issues[0].completed_at, None, "{name}: still sending");

        assert_eq!(
            store.archived_issue("2026-W47").unwrap().as_ref(),
            Some(w47_issue),
            "{name}"
        );
        assert_eq!(store.archived_issue("2026-W01").unwrap(), None, "{name}");
    }
}
