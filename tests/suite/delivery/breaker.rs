//! A relay that refuses everyone bounces nobody: replies are classified by stage and enhanced status code, and
//! the same refusal for many recipients in a row pauses the run (exit 5, status "paused" with the relay's
//! words) with those recipients still pending. Only mailbox-specific failures bounce, and `subscribers restore`
//! undoes bounces recorded by mistake.

use std::collections::HashSet;

use weekly_verdicts::delivery::RunEnd;
use weekly_verdicts::exit::ExitStatus;
use weekly_verdicts::store::Status;

use super::{AS_OF, Fixture, KEY, address, ran, verdicts};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn nobody_bounced_and_all_pending(fixture: &Fixture, n: usize) {
    let rows = fixture.ledger();
    assert_eq!(rows.len(), n);
    assert!(
        rows.iter().all(|r| r.state == "pending" && r.attempts == 0),
        "{rows:?}"
    );
    for i in 0..n {
        assert_eq!(fixture.subscriber_status(&address(i)), Status::Confirmed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_denying_everyone_bounces_nobody_exits_5_and_status_shows_the_pause_with_its_words()
{
    let denied = "554 5.7.1 Relay access denied";
    let server =
        SmtpServer::start(Script::accept_all().rule(Rule::at(Stage::Rcpt).reply(denied))).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(40);

    let send = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();

    assert_eq!(send.status.code(), Some(5), "{}", stdout(&send));
    assert!(stdout(&send).contains(denied), "{}", stdout(&send));
    nobody_bounced_and_all_pending(&fixture, 40);
    assert!(server.messages().is_empty());
    let status = verdicts(&fixture, &server.url())
        .arg("status")
        .output()
        .unwrap();
    let table = stdout(&status);
    let line = table.lines().find(|l| l.starts_with(KEY)).expect(&table);
    assert!(line.contains("paused") && line.contains(denied), "{table}");

    // The operator fixes the relay; the next run resumes and the pause is gone.
    server.set_script(Script::accept_all());
    let resumed = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stdout(&resumed));
    assert!(fixture.ledger().iter().all(|r| r.state == "sent"));
    let status = verdicts(&fixture, &server.url())
        .arg("status")
        .output()
        .unwrap();
    let table = stdout(&status);
    assert!(
        !table.contains("paused") && table.contains("delivered"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_requiring_auth_at_mail_from_pauses_the_run_and_bounces_nobody() {
    let server = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Mail).reply("530 5.7.0 Authentication required")),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(12);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    match &ran(&report).end {
        RunEnd::Halted { reason } => assert!(reason.contains("530 5.7.0"), "{reason}"),
        other => panic!("{other:?}"),
    }
    nobody_bounced_and_all_pending(&fixture, 12);
    let status = &fixture.store().delivery_counts().unwrap()[0];
    let (_, reason) = status.paused.as_ref().expect("paused");
    assert!(reason.contains("Authentication required"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_refusing_mail_from_with_a_5_1_code_still_bounces_nobody() {
    // 5.1.x reads as "bad mailbox", but at MAIL FROM the mailbox is ours.
    let server = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Mail).reply("550 5.1.0 sender rejected")),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(12);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    nobody_bounced_and_all_pending(&fixture, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_refusing_at_the_greeting_bounces_nobody() {
    let server = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Connect).reply("554 5.7.1 no SMTP service here")),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_CONCURRENCY", "2")]);
    fixture.seed(12);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    nobody_bounced_and_all_pending(&fixture, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_bounce_only_themselves_and_everyone_else_is_sent_it() {
    let unknown: HashSet<String> = [17, 101, 188].into_iter().map(address).collect();
    let mut script = Script::accept_all();
    for email in &unknown {
        script = script.rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(email)
                .reply("550 5.1.1 User unknown"),
        );
    }
    let server = SmtpServer::start(script).await;
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_CONCURRENCY", "8")]);
    fixture.seed(200);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    assert_eq!(report.exit_status(), ExitStatus::Success);
    for row in fixture.ledger() {
        let expected = if unknown.contains(&row.email) {
            "failed"
        } else {
            "sent"
        };
        assert_eq!(row.state, expected, "{row:?}");
    }
    for i in 0..200 {
        let expected = if unknown.contains(&address(i)) {
            Status::Bounced
        } else {
            Status::Confirmed
        };
        assert_eq!(
            fixture.subscriber_status(&address(i)),
            expected,
            "{}",
            address(i)
        );
    }
    assert_eq!(server.messages().len(), 197);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_unknown_user_reply_for_everyone_is_the_relays_fault_and_pauses_the_run() {
    // A relay that believes it hosts the list's domain says 5.1.1 to every address: not a list of dead
    // mailboxes.
    let server = SmtpServer::start(
        Script::accept_all()
            .rule(Rule::at(Stage::Rcpt).reply("550 5.1.1 User unknown in virtual mailbox table")),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(30);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    nobody_bounced_and_all_pending(&fixture, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_refusal_of_one_recipient_among_accepted_ones_fails_it_without_a_bounce() {
    let blocked = address(7);
    let server = SmtpServer::start(
        Script::accept_all().rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(&blocked)
                .reply("550 5.7.1 Client host rejected by the recipient's policy"),
        ),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(20);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    let row = fixture.row(&blocked);
    assert_eq!(row.state, "failed");
    assert!(row.last_error.unwrap().contains("not bounced"));
    assert_eq!(fixture.subscriber_status(&blocked), Status::Confirmed);
    assert_eq!(server.messages().len(), 19);
}
