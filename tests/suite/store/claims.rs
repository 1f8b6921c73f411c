//! Senders claiming pages of one issue's ledger: on PostgreSQL two senders never hold the same row, a claim that
//! ran out or was released goes to the next sender, a recorded outcome ends the claim; on SQLite (one sender at a
//! time, under the send lease) a claim is just the page of due rows.

use std::collections::HashSet;
use weekly_verdicts::content::Categories;

use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{
    ClaimRequest, DeliveryResult, ImportRow, IssueCreated, NewIssue, Outcome, Status, Store,
};

use crate::support::postgres::backends;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// A store with `n` confirmed subscribers and an issue for them; the issue's id.
fn issue_for(store: &mut Store, n: usize) -> i64 {
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| ImportRow {
            email: SubscriberEmail::parse(&format!("c{i:04}@example.org")).unwrap(),
            name: None,
            status: Status::Confirmed,
            categories: Categories::everything(),
            created_at: None,
            confirmed_at: None,
        })
        .collect();
    store.import(&rows, noon() - Duration::days(1)).unwrap();
    let new = NewIssue {
        key: "2026-W48".into(),
        window_start: noon() - Duration::days(7),
        window_end: noon(),
        subject: "Claims".into(),
        preheader: "p".into(),
        html: "<p>h</p>".into(),
        text: "t".into(),
        comparisons: Vec::new(),
    };
    match store.create_issue(&new, noon()).unwrap() {
        IssueCreated::Created { issue, .. } => issue.id,
        other => panic!("no issue created: {other:?}"),
    }
}

fn claim(
    store: &mut Store,
    issue_id: i64,
    owner: &str,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<u64> {
    store
        .claim_due(&ClaimRequest {
            issue_id,
            owner,
            after: 0,
            limit,
            now,
            claim_for: Duration::seconds(60),
        })
        .unwrap()
        .into_iter()
        .map(|due| due.subscriber_id)
        .collect()
}

#[test]
fn a_claimed_page_is_left_to_its_sender_until_the_claim_runs_out() {
    for backend in backends("a_claimed_page_is_left_to_its_sender") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let issue = issue_for(&mut store, 5);
        let all = claim(&mut store, issue, "a", 10, noon());
        assert_eq!(all.len(), 5, "{name}");
        if !store.shares_senders() {
            let again = claim(&mut store, issue, "b", 3, noon());
            assert_eq!(again, all[..3], "{name}: a claim is the page of due rows");
            assert_eq!(store.next_claim_expiry(issue, "b", noon()).unwrap(), None);
            continue;
        }
        assert!(
            claim(&mut store, issue, "b", 10, noon()).is_empty(),
            "{name}: a holds every row"
        );
        assert_eq!(
            store.next_claim_expiry(issue, "b", noon()).unwrap(),
            Some(noon() + Duration::seconds(60)),
            "{name}"
        );
        assert_eq!(
            store.next_claim_expiry(issue, "a", noon()).unwrap(),
            Some(noon()),
            "{name}: between passes a's own unsent rows are there for a to claim again now"
        );
        assert_eq!(
            claim(&mut store, issue, "a", 10, noon() + Duration::seconds(5)),
            all,
            "{name}: a sender claims its own rows again"
        );
        let later = noon() + Duration::seconds(66);
        assert_eq!(
            claim(&mut store, issue, "b", 10, later),
            all,
            "{name}: rows whose claim ran out go to the next sender"
        );
    }
}

#[test]
fn a_live_claim_is_kept_past_its_end_and_one_that_ran_out_is_not_taken_back() {
    for backend in backends("a_live_claim_is_kept_past_its_end") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let issue = issue_for(&mut store, 4);
        if !store.shares_senders() {
            let later = noon() + Duration::seconds(120);
            assert_eq!(store.extend_claims(issue, "a", noon(), later).unwrap(), 0);
            continue;
        }
        assert_eq!(
            store.next_claim_expiry(issue, "b", noon()).unwrap(),
            Some(noon()),
            "{name}: a due row nobody holds is there to claim now, so a sender that found it locked looks again"
        );
        let ids = claim(&mut store, issue, "a", 2, noon());
        assert_eq!(ids.len(), 2, "{name}");
        // Half way through a's claim (60 s), a keeps its rows for another minute.
        let half = noon() + Duration::seconds(30);
        let kept = store
            .extend_claims(issue, "a", half, half + Duration::seconds(60))
            .unwrap();
        assert_eq!(kept, 2, "{name}");
        let past_first_end = noon() + Duration::seconds(70);
        let taken = claim(&mut store, issue, "b", 10, past_first_end);
        assert_eq!(
            taken.len(),
            2,
            "{name}: b gets only the two rows a never held, not a's kept ones: {taken:?}"
        );
        assert!(taken.iter().all(|id| !ids.contains(id)), "{name}");
        // b's claim runs out (at +130 s) before b keeps it: c takes the rows, and b can no longer keep them.
        let late = noon() + Duration::seconds(140);
        assert_eq!(claim(&mut store, issue, "c", 10, late).len(), 4, "{name}");
        assert_eq!(
            store
                .extend_claims(issue, "b", late, late + Duration::seconds(60))
                .unwrap(),
            0,
            "{name}: rows another sender took are not taken back"
        );
        assert_eq!(
            store
                .extend_claims(issue, "c", late, late - Duration::seconds(1))
                .unwrap(),
            0,
            "{name}: a claim is never shortened"
        );
    }
}

#[test]
fn recording_an_outcome_or_releasing_the_claims_lets_the_other_senders_in_at_once() {
    for backend in backends("recording_an_outcome_or_releasing_the_claims") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        if !store.shares_senders() {
            let issue = issue_for(&mut store, 2);
            assert_eq!(store.release_claims(issue, "a", noon()).unwrap(), 0);
            continue;
        }
        let issue = issue_for(&mut store, 4);
        let ids = claim(&mut store, issue, "a", 10, noon());
        // a defers the first (due again at once) and stops without sending the rest.
        store
            .record(
                &[Outcome {
                    issue_id: issue,
                    subscriber_id: ids[0],
                    at: noon(),
                    result: DeliveryResult::Deferred {
                        error: "451 try later".into(),
                        next_attempt_at: noon(),
                    },
                }],
                noon(),
            )
            .unwrap();
        assert_eq!(
            claim(&mut store, issue, "b", 10, noon()),
            ids[..1],
            "{name}: the recorded row is nobody's any more"
        );
        assert_eq!(
            store.release_claims(issue, "a", noon()).unwrap(),
            3,
            "{name}"
        );
        assert_eq!(
            store.next_claim_expiry(issue, "c", noon()).unwrap(),
            Some(noon()),
            "{name}: released claims have run out, so a sender waiting on them claims again at once"
        );
        assert_eq!(
            claim(&mut store, issue, "c", 10, noon()),
            ids[1..],
            "{name}: released rows are taken at once"
        );
    }
}

#[test]
fn senders_claiming_at_once_never_take_the_same_row() {
    const N: usize = 600;
    for backend in backends("senders_claiming_at_once_never_take_the_same_row") {
        let mut store = Store::open(&backend.database).unwrap();
        if !store.shares_senders() {
            continue;
        }
        let issue = issue_for(&mut store, N);
        let senders: Vec<_> = (0..4)
            .map(|n| {
                let database = backend.database.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&database).unwrap();
                    let owner = format!("sender-{n}");
                    let mut mine = Vec::new();
                    let mut after = 0;
                    loop {
                        let page = store
                            .claim_due(&ClaimRequest {
                                issue_id: issue,
                                owner: &owner,
                                after,
                                limit: 7,
                                now: noon(),
                                claim_for: Duration::seconds(60),
                            })
                            .unwrap();
                        let Some(last) = page.last() else { break };
                        after = last.subscriber_id;
                        mine.extend(page.into_iter().map(|due| due.subscriber_id));
                    }
                    mine
                })
            })
            .collect();
        let mut seen = HashSet::new();
        let mut total = 0;
        for sender in senders {
            let mine = sender.join().unwrap();
            total += mine.len();
            seen.extend(mine);
        }
        assert_eq!(seen.len(), N, "every row claimed");
        assert_eq!(total, N, "no row claimed twice");
    }
}

#[test]
fn the_issue_status_counts_the_rows_senders_hold_until_they_are_recorded() {
    for backend in backends("the_issue_status_counts_the_rows_senders_hold") {
        let mut store = Store::open(&backend.database).unwrap();
        let issue_id = issue_for(&mut store, 6);
        // The count reads the database's clock, so these claims run from now.
        let now = weekly_verdicts::clock::now();
        let held = claim(&mut store, issue_id, "sender-a", 4, now);
        assert_eq!(held.len(), 4, "{}", backend.name);
        let claimed = |store: &Store| store.newest_issue_status().unwrap().unwrap().claimed;
        let expected = if backend.name == "PostgreSQL" { 4 } else { 0 };
        assert_eq!(claimed(&store), expected, "{}", backend.name);
        let outcomes: Vec<Outcome> = held
            .iter()
            .map(|&subscriber_id| Outcome {
                issue_id,
                subscriber_id,
                at: now,
                result: DeliveryResult::Sent {
                    reply: "250 ok".into(),
                },
            })
            .collect();
        store.record(&outcomes, now).unwrap();
        assert_eq!(claimed(&store), 0, "{}", backend.name);
        assert_eq!(
            store.delivery_counts().unwrap()[0].claimed,
            0,
            "{}",
            backend.name
        );
    }
}
