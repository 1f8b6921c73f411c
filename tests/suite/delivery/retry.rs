//! The retry schedule from the configuration (`retry_base_seconds`, `retry_max_seconds`,
//! `retry_wait_in_run_seconds`), as the real binary reads it from the environment.

use chrono::{DateTime, Utc};

use super::{AS_OF, Fixture, address, verdicts};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

fn one_busy_mailbox() -> Script {
    Script::accept_all().rule(
        Rule::at(Stage::Rcpt)
            .for_recipient(&address(2))
            .reply("451 4.3.0 try again later")
            .times(1),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_may_not_wait_leaves_the_retry_to_the_next_run_at_the_configured_delay() {
    let server = SmtpServer::start(one_busy_mailbox()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);
    let before = weekly_verdicts::clock::now();

    let output = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .env("VERDICTS_RETRY_BASE_SECONDS", "60")
        .env("VERDICTS_RETRY_MAX_SECONDS", "120")
        .env("VERDICTS_RETRY_WAIT_IN_RUN_SECONDS", "0")
        .output()
        .unwrap();

    let after = weekly_verdicts::clock::now();
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let conn = rusqlite::Connection::open(fixture.db()).unwrap();
    let next: String = conn
        .query_row(
            "SELECT next_attempt_at FROM deliveries WHERE email = ?1 AND state = 'deferred'",
            [address(2)],
            |row| row.get(0),
        )
        .unwrap();
    let next: DateTime<Utc> = next.parse().unwrap();
    // Equal jitter: between half and all of the first step.
    assert!(
        next >= before + chrono::Duration::seconds(30)
            && next <= after + chrono::Duration::seconds(60),
        "{next}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_configured_retry_is_waited_for_and_the_run_completes() {
    let server = SmtpServer::start(one_busy_mailbox()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);

    let output = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .env("VERDICTS_RETRY_BASE_SECONDS", "1")
        .env("VERDICTS_RETRY_MAX_SECONDS", "1")
        .env("VERDICTS_RETRY_WAIT_IN_RUN_SECONDS", "60")
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(fixture.row(&address(2)).state, "sent");
    assert_eq!(fixture.row(&address(2)).attempts, 2);
}
