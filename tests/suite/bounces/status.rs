//! `verdicts status` shows each issue's bounce and complaint rates, warns when complaints pass 0.1% and warns
//! loudly at 0.3%; `status --json` and `/metrics` carry the counts.

use chrono::Duration;
use weekly_verdicts::store::{
    BounceKind, BounceReport, DeliveryResult, IssueCreated, NewIssue, Outcome, ReportSource, Status,
};

use crate::delivery::{Fixture, as_of};

const READERS: usize = 1000;

/// A store whose one issue went to [`READERS`] readers, `complaints` of whom complained and one hard-bounced.
fn issue_with(complaints: u64) -> Fixture {
    let fixture = Fixture::new(None, &[]);
    fixture.seed(READERS);
    let mut store = fixture.store();
    let issue = NewIssue {
        key: "2026-W47".into(),
        window_start: as_of() - Duration::days(7),
        window_end: as_of(),
        subject: "s".into(),
        preheader: "p".into(),
        html: "<p>h</p>".into(),
        text: "t".into(),
        comparisons: Vec::new(),
    };
    let IssueCreated::Created { issue, .. } = store.create_issue(&issue, as_of()).unwrap() else {
        panic!("not created")
    };
    let readers = store.list(Some(Status::Confirmed)).unwrap();
    let outcomes: Vec<Outcome> = readers
        .iter()
        .map(|s| Outcome {
            issue_id: issue.id,
            subscriber_id: s.id,
            at: as_of(),
            result: DeliveryResult::Sent {
                reply: "250 ok".into(),
            },
        })
        .collect();
    store.record(&outcomes, as_of()).unwrap();
    let report = |id, kind| BounceReport {
        subscriber_id: id,
        issue_id: Some(issue.id),
        kind,
        reason: "test".into(),
        source: ReportSource::Arf,
    };
    for reader in readers.iter().take(complaints as usize) {
        store
            .record_bounce_report(&report(reader.id, BounceKind::Complaint), 3, as_of())
            .unwrap();
    }
    store
        .record_bounce_report(
            &report(readers[READERS - 1].id, BounceKind::Hard),
            3,
            as_of(),
        )
        .unwrap();
    fixture
}

fn status(fixture: &Fixture, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .arg("status")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn status_shows_the_rates_and_warns_above_a_tenth_of_a_percent_and_loudly_at_three_tenths() {
    let quiet = status(&issue_with(1), &[]);
    assert!(
        quiet.contains("0.10%") && quiet.contains("bounces"),
        "{quiet}"
    );
    assert!(!quiet.to_lowercase().contains("warning"), "{quiet}");

    let warned = status(&issue_with(2), &[]);
    assert!(
        warned.contains("warning: 2026-W47: 2 complaints of 1000 sent (0.20%) is above 0.1%"),
        "{warned}"
    );
    assert!(!warned.contains("WARNING"), "{warned}");

    let fixture = issue_with(3);
    let alarmed = status(&fixture, &[]);
    assert!(
        alarmed
            .contains("WARNING: 2026-W47: 3 complaints of 1000 sent (0.30%) is at or above 0.3%"),
        "{alarmed}"
    );

    let json: serde_json::Value = serde_json::from_str(&status(&fixture, &["--json"])).unwrap();
    let reports = &json["issues"][0]["reports"];
    assert_eq!(reports["complaints"], 3, "{json}");
    assert_eq!(reports["hard"], 1, "{json}");
    assert_eq!(json["subscribers"]["complained"], 3, "{json}");
}
