//! Bulk delivery through Postfix: every recipient once, DKIM intact after Postfix's added headers, 550 rejects
//! bouncing only those recipients, and a 450 deferral retried after Postfix closed the idle connection.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::delivery::{self, RetryPolicy};
use weekly_verdicts::store::Status;

use super::{per_recipient, said, send};
use crate::delivery::{Fixture, address, as_of, assert_all_final, send_job};
use crate::support::dkim::rsa_key;
use crate::support::postfix::{Delivered, IDLE_TIMEOUT, Postfix};

/// dkimpy's verdict on every message (one process for all), with `record` served for
/// `test._domainkey.verdicts.example.org`.
fn dkimpy_verdicts(messages: &[Delivered], record: &str) -> Vec<String> {
    let script = r#"
import sys, dkim
record = sys.argv[1].encode()
def dns(name, timeout=5):
    assert name == b"test._domainkey.verdicts.example.org.", name
    return record
for path in sys.stdin.read().split():
    with open(path, "rb") as f:
        print(path, dkim.verify(f.read(), dnsfunc=dns))
"#;
    let mut python = Command::new("python3")
        .args(["-c", script, record])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let paths: Vec<String> = messages
        .iter()
        .map(|m| m.path.display().to_string())
        .collect();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(paths.join("\n").as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dkimpy failed (pip install dkimpy)"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn two_hundred_recipients_each_get_one_copy_through_postfix_and_dkimpy_verifies_every_copy() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let key = rsa_key(true);
    let fixture = Fixture::new(None, &[]);
    fixture.seed(200);

    let sent = send(
        &fixture,
        &postfix.url(postfix.plain),
        &[
            ("VERDICTS_DKIM_SELECTOR", "test"),
            ("VERDICTS_DKIM_KEY", &key.pem),
        ],
    );

    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    let rows = assert_all_final(&fixture, 200);
    assert!(rows.iter().all(|row| row.state == "sent"), "{rows:?}");
    let messages = postfix.delivered(200);
    let counts = per_recipient(&messages);
    for i in 0..200 {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
    assert_eq!(messages.len(), 200);
    assert!(
        messages[0].received().contains("by postfix.test (Postfix)"),
        "Postfix added its headers: {}",
        messages[0].received()
    );
    let verdicts = dkimpy_verdicts(&messages, &key.record);
    assert_eq!(verdicts.len(), 200);
    let failed: Vec<&String> = verdicts.iter().filter(|v| !v.ends_with(" True")).collect();
    assert!(failed.is_empty(), "dkimpy rejects: {failed:?}");
}

#[test]
fn recipients_postfix_rejects_with_550_bounce_and_only_they_miss_the_issue() {
    let rejected = [address(3), address(7)];
    let Some(postfix) = Postfix::start(&[
        (&rejected[0], "550 5.1.1 no such user"),
        (&rejected[1], "550 5.1.1 no such user"),
    ]) else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    fixture.seed(20);

    let sent = send(&fixture, &postfix.url(postfix.plain), &[]);

    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    for row in assert_all_final(&fixture, 20) {
        if rejected.contains(&row.email) {
            assert_eq!(row.state, "failed", "{row:?}");
            let error = row.last_error.clone().unwrap_or_default();
            assert!(error.contains("550 5.1.1"), "{row:?}");
            assert_eq!(fixture.subscriber_status(&row.email), Status::Bounced);
        } else {
            assert_eq!(row.state, "sent", "{row:?}");
            assert_eq!(fixture.subscriber_status(&row.email), Status::Confirmed);
        }
    }
    let counts = per_recipient(&postfix.delivered(18));
    assert_eq!(counts.len(), 18);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert!(rejected.iter().all(|r| !counts.contains_key(r)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_450_deferral_is_retried_after_postfix_closed_the_idle_connection_without_charging_a_421()
{
    let deferred = address(2);
    let Some(postfix) = Postfix::start(&[(&deferred, "450 4.2.1 try again later")]) else {
        return;
    };
    let fixture = Fixture::new(
        Some(&postfix.url(postfix.idle)),
        &[
            ("VERDICTS_MAX_ATTEMPTS", "2"),
            ("VERDICTS_CONCURRENCY", "2"),
        ],
    );
    fixture.seed(6);
    // The retry comes due after Postfix would have closed an idle client (at least 1.25 × IDLE_TIMEOUT, with the
    // jitter), well within the run's patience.
    let step = Duration::from_millis(IDLE_TIMEOUT * 2500);
    let options = delivery::SendOptions {
        retry: RetryPolicy {
            max_attempts: 2,
            base: step,
            cap: step,
            wait_in_run: Duration::from_secs(120),
        },
        ..fixture.options()
    };

    send_job(&fixture.config, &Secrets::default(), as_of(), options)
        .await
        .unwrap();

    let row = fixture.row(&deferred);
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 2), "{row:?}");
    let error = row.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("450 4.2.1") && !error.contains("421"),
        "{row:?}"
    );
    postfix.wait_for_disconnects(Duration::from_secs(10));
    let log = postfix.log();
    let refusals = log
        .lines()
        .filter(|line| line.contains("reject: RCPT") && line.contains(&format!("to=<{deferred}>")))
        .count();
    assert_eq!(
        refusals, 2,
        "both attempts reached Postfix's RCPT check:\n{log}"
    );
    assert!(
        !log.contains("timeout after"),
        "no connection was left for Postfix to time out:\n{log}"
    );
    for line in postfix.disconnects() {
        assert!(line.contains("quit=1"), "{line}");
    }
    let delivered = per_recipient(&postfix.delivered(5));
    assert_eq!(delivered.len(), 5);
}

#[test]
fn with_reply_to_set_the_dkim_signature_covers_reply_to_and_verifies_after_postfix() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let key = rsa_key(true);
    let fixture = Fixture::new(None, &[]);
    fixture.seed(2);

    let sent = send(
        &fixture,
        &postfix.url(postfix.plain),
        &[
            ("VERDICTS_DKIM_SELECTOR", "test"),
            ("VERDICTS_DKIM_KEY", &key.pem),
            (
                "VERDICTS_REPLY_TO",
                "Editors <editors@verdicts.example.org>",
            ),
        ],
    );

    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    let messages = postfix.delivered(2);
    assert_eq!(messages.len(), 2);
    for message in &messages {
        assert!(message.header("Reply-To").is_some(), "{}", message.text());
        let signature = message.header("DKIM-Signature").expect("signed");
        let signed: String = signature
            .split(';')
            .find_map(|tag| tag.trim().strip_prefix("h="))
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert!(
            signed
                .split(':')
                .any(|h| h.eq_ignore_ascii_case("reply-to")),
            "Reply-To is not signed: h={signed}"
        );
    }
    let verdicts = dkimpy_verdicts(&messages, &key.record);
    assert!(
        verdicts.iter().all(|v| v.ends_with(" True")),
        "{verdicts:?}"
    );
}
