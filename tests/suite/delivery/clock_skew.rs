//! A sender whose clock is far from the PostgreSQL server's refuses to share the ledger: senders judge each
//! other's claims by their own clocks, so a clock ahead by most of the claim time would take over pages another
//! sender is still sending. It says by how much and which way, and creates and sends nothing; a sender on time
//! sends as usual. Skipped, saying so, without the PostgreSQL test cluster.

use weekly_verdicts::clock::Clock;
use weekly_verdicts::config::Secrets;

use super::senders::seed;
use super::{Fixture, send_job};
use crate::support::postgres::fresh_database;
use crate::support::smtp::{Script, SmtpServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_ten_minutes_ahead_of_the_database_refuses_and_creates_nothing_while_one_on_time_sends()
 {
    let Some(database) = fresh_database("a_sender_ten_minutes_ahead_of_the_database_refuses")
    else {
        return;
    };
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = database.to_string();
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_DATABASE", url.as_str())]);
    seed(&database, 5);

    let ahead = Clock::manual(weekly_verdicts::clock::now() + chrono::Duration::minutes(10));
    let options = weekly_verdicts::delivery::SendOptions {
        clock: ahead,
        ..fixture.options()
    };
    let refused = send_job(
        &fixture.config,
        &Secrets::default(),
        super::as_of(),
        options,
    )
    .await
    .expect_err("a clock ten minutes ahead must not share the ledger");
    let said = format!("{refused:#}");
    assert!(said.contains("s ahead of the database server's"), "{said}");
    assert!(said.contains("nothing was created or sent"), "{said}");
    let store = weekly_verdicts::store::Store::open(&database).unwrap();
    assert!(
        store.delivery_counts().unwrap().is_empty(),
        "an issue was created"
    );
    assert_eq!(server.connections(), 0);

    let on_time = weekly_verdicts::delivery::SendOptions {
        clock: Clock::manual(weekly_verdicts::clock::now()),
        ..fixture.options()
    };
    send_job(
        &fixture.config,
        &Secrets::default(),
        super::as_of(),
        on_time,
    )
    .await
    .unwrap();
    let mut received: Vec<String> = server
        .messages()
        .into_iter()
        .map(|m| m.rcpt_to[0].clone())
        .collect();
    received.sort();
    let mut expected: Vec<String> = (0..5).map(super::address).collect();
    expected.sort();
    assert_eq!(received, expected);
}
