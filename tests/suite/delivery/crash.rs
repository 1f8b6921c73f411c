//! The real `verdicts send` process killed with SIGKILL part-way through a few thousand subscribers, then run
//! again: everyone gets the issue, each with one Message-ID, duplicates bounded by what was in flight; the same
//! with DKIM signing in its pool, where a message sent again is the same bytes, signature included.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::Duration;

use weekly_verdicts::delivery::MAX_UNCOMMITTED;

use super::{AS_OF, CONCURRENCY, Fixture, address, verdicts};
use crate::support::dkim::rsa_key;
use crate::support::smtp::{Received, Rule, Script, SmtpServer, Stage};

const N: usize = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_killed_part_way_resumes_without_skipping_anyone_or_changing_message_ids() {
    killed_and_resumed(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_send_killed_part_way_keeps_the_bound_and_sends_the_same_signed_bytes_again() {
    let pem = rsa_key(false).pem;
    let messages = killed_and_resumed(&[
        ("VERDICTS_DKIM_SELECTOR", "test"),
        ("VERDICTS_DKIM_KEY", &pem),
    ])
    .await;
    let mut first: HashMap<&str, &Received> = HashMap::new();
    for message in &messages {
        assert!(message.header("DKIM-Signature").is_some(), "signed");
        if let Some(earlier) = first.insert(&message.rcpt_to[0], message) {
            assert!(
                earlier.data == message.data,
                "{} got two different messages",
                message.rcpt_to[0]
            );
        }
    }
}

/// Kills a send part-way, resumes it and checks everyone got the issue once (beyond what was in flight);
/// `env` adds settings to both runs. Every message the relay received.
async fn killed_and_resumed(env: &[(&str, &str)]) -> Vec<Received> {
    // Each message waits a little for its final reply, so the kill lands mid-way.
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20)));
    let server = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(N);

    let mut first = verdicts(&fixture, &server.url())
        .envs(env.iter().copied())
        .args(["send", "--as-of", AS_OF])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let before_kill = server
        .wait_for_messages(N / 3, Duration::from_secs(300))
        .await
        .len();
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = server.messages().len();
    assert!(
        before_kill >= N / 3 && at_kill < N,
        "killed part-way: {at_kill} of {N}"
    );

    server.set_script(Script::accept_all());
    let second = verdicts(&fixture, &server.url())
        .envs(env.iter().copied())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let messages = server.messages();
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for message in &messages {
        let id = message.header("Message-ID").expect("a Message-ID");
        ids.entry(message.rcpt_to[0].clone())
            .or_default()
            .insert(id);
    }
    for i in 0..N {
        let got = ids.get(&address(i)).map_or(0, HashSet::len);
        assert_eq!(got, 1, "{} got {got} distinct Message-IDs", address(i));
    }
    let duplicates = messages.len() - N;
    eprintln!("killed after {at_kill} messages; {duplicates} sent again on resume");
    assert!(
        duplicates <= CONCURRENCY + MAX_UNCOMMITTED,
        "{duplicates} duplicates: more than could have been in flight"
    );
    assert!(
        super::assert_all_final(&fixture, N)
            .iter()
            .all(|r| r.state == "sent")
    );

    let third = verdicts(&fixture, &server.url())
        .envs(env.iter().copied())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(third.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&third.stdout);
    assert!(stdout.contains("already delivered"), "{stdout}");
    assert_eq!(
        server.messages().len(),
        messages.len(),
        "the third send sent nothing"
    );
    messages
}
