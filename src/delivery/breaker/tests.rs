use chrono::{TimeZone, Utc};

use super::{Breaker, Refusal};
use crate::mail::Blame;
use crate::store::{DeliveryResult, Outcome};

fn outcome(id: u64, failed: bool) -> Outcome {
    Outcome {
        issue_id: 1,
        subscriber_id: id,
        at: Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
        result: if failed {
            DeliveryResult::Failed {
                error: "refused".into(),
                bounce: true,
            }
        } else {
            DeliveryResult::Sent {
                reply: "250 ok".into(),
            }
        },
    }
}

fn refusal(key: &str, blame: Blame) -> Option<Refusal> {
    Some(Refusal {
        key: key.into(),
        reply: format!("550 {key}"),
        blame,
    })
}

#[test]
fn ten_identical_refusals_in_a_row_trip_it_and_none_of_them_is_recorded() {
    let breaker = Breaker::new(200);
    for id in 1..10 {
        let seen = breaker.observe(outcome(id, true), refusal("denied", Blame::Relay));
        assert!(seen.record.is_empty() && seen.tripped.is_none(), "{id}");
    }
    let seen = breaker.observe(outcome(10, true), refusal("denied", Blame::Relay));
    assert!(seen.record.is_empty());
    assert!(seen.tripped.unwrap().contains("refused 10 recipient(s)"));
    // In flight when it tripped: the same reply is dropped, anything else is recorded.
    assert!(
        breaker
            .observe(outcome(11, true), refusal("denied", Blame::Relay))
            .record
            .is_empty()
    );
    assert_eq!(breaker.observe(outcome(12, false), None).record.len(), 1);
    assert!(breaker.release().is_empty());
}

#[test]
fn a_few_refusals_among_accepted_messages_are_recorded_when_the_pass_ends() {
    let breaker = Breaker::new(200);
    let mut recorded = 0;
    for id in 1..=200 {
        let bad = id % 67 == 0;
        let seen = breaker.observe(
            outcome(id, bad),
            if bad {
                refusal("unknown", Blame::Mailbox)
            } else {
                None
            },
        );
        assert!(seen.tripped.is_none());
        recorded += seen.record.len();
    }
    recorded += breaker.release().len();
    assert_eq!(recorded, 200);
}

#[test]
fn nine_in_ten_of_the_last_answers_being_the_same_refusal_trips_it() {
    let breaker = Breaker::new(1000);
    let mut tripped = None;
    for id in 1..=200 {
        let bad = id % 10 != 0;
        let seen = breaker.observe(
            outcome(id, bad),
            if bad {
                refusal("denied", Blame::Relay)
            } else {
                None
            },
        );
        if seen.tripped.is_some() {
            tripped = Some(id);
            break;
        }
    }
    // The window is full from the 100th answer; the first refusal after that finds 90 of the last 100.
    assert_eq!(tripped, Some(101));
}

#[test]
fn a_tiny_list_refused_entirely_trips_it_but_two_dead_mailboxes_of_two_bounce() {
    let five = Breaker::new(5);
    let trips: Vec<bool> = (1..=5)
        .map(|id| {
            five.observe(outcome(id, true), refusal("denied", Blame::Relay))
                .tripped
                .is_some()
        })
        .collect();
    assert!(trips[4]);

    let two = Breaker::new(2);
    for id in 1..=2 {
        assert!(
            two.observe(outcome(id, true), refusal("unknown", Blame::Mailbox))
                .tripped
                .is_none()
        );
    }
    assert_eq!(two.release().len(), 2);
}
