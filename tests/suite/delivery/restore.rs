//! `verdicts subscribers restore`: bounces recorded by mistake are undone, by address or by time, and the
//! command says what it restored.

use super::{AS_OF, Fixture, address, verdicts};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};
use weekly_verdicts::store::Status;

/// A send in which `address(1)` and `address(3)` bounce.
async fn two_bounced() -> (Fixture, SmtpServer) {
    let mut script = Script::accept_all();
    for i in [1, 3] {
        script = script.rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(&address(i))
                .reply("550 5.1.1 User unknown"),
        );
    }
    let server = SmtpServer::start(script).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(6);
    let sent = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    assert_eq!(fixture.subscriber_status(&address(1)), Status::Bounced);
    assert_eq!(fixture.subscriber_status(&address(3)), Status::Bounced);
    (fixture, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_an_address_confirms_it_again_and_says_so() {
    let (fixture, server) = two_bounced().await;

    let output = verdicts(&fixture, &server.url())
        .args(["subscribers", "restore", &address(1), &address(2)])
        .output()
        .unwrap();

    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    assert!(out.contains(&format!("restored {}", address(1))), "{out}");
    assert!(err.contains("confirmed, not bounced"), "{err}");
    assert_eq!(fixture.subscriber_status(&address(1)), Status::Confirmed);
    assert_eq!(fixture.subscriber_status(&address(3)), Status::Bounced);

    let history = verdicts(&fixture, &server.url())
        .args(["subscribers", "history", &address(1)])
        .output()
        .unwrap();
    let history = String::from_utf8_lossy(&history.stdout);
    let bounce = history
        .find("bounce")
        .expect("the bounce is in the history");
    let restore = history
        .find("restore")
        .expect("the restore is in the history");
    assert!(
        bounce < restore,
        "the restore follows the bounce:\n{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_by_time_confirms_everyone_bounced_since_then_and_nobody_earlier() {
    let (fixture, server) = two_bounced().await;

    let later = verdicts(&fixture, &server.url())
        .args(["subscribers", "restore", "--bounced-since", "2999-01-01"])
        .output()
        .unwrap();
    assert_eq!(later.status.code(), Some(0));
    assert_eq!(fixture.subscriber_status(&address(1)), Status::Bounced);

    let output = verdicts(&fixture, &server.url())
        .args(["subscribers", "restore", "--bounced-since", "2000-01-01"])
        .output()
        .unwrap();

    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("restored ")).count(),
        2,
        "{out}"
    );
    assert_eq!(fixture.subscriber_status(&address(1)), Status::Confirmed);
    assert_eq!(fixture.subscriber_status(&address(3)), Status::Confirmed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_address_among_those_to_restore_changes_nothing() {
    let (fixture, server) = two_bounced().await;

    let output = verdicts(&fixture, &server.url())
        .args(["subscribers", "restore", &address(1), "not an address"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing was restored"));
    assert_eq!(fixture.subscriber_status(&address(1)), Status::Bounced);
    let unknown = verdicts(&fixture, &server.url())
        .args(["subscribers", "restore", "nobody@example.org"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
}
