//! A send of several editions killed with SIGKILL part-way, after which every reader changes their topics, then
//! run again: each reader still gets the edition the ledger recorded when the issue was created (a message sent
//! again is the same bytes), readers of an edition with nothing new get none, and the new choices wait for the
//! next issue.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{ImportRow, Status};

use super::topics::{ledger_rows, read};
use super::{AS_OF, Fixture, KEY, address, as_of, verdicts};
use crate::support::smtp::{Received, Rule, Script, SmtpServer, Stage};

const N: usize = 1200;

/// Reader `i`'s choice, and the subject its edition has (`None`: nothing new, no mail; "" the full issue's).
fn choice(i: usize) -> (&'static [&'static str], Option<&'static str>) {
    match i % 6 {
        0 => (&[], Some("")),
        1 => (
            &["Search"],
            Some("New verdict: Perplexity vs Kagi Assistant"),
        ),
        2 => (&["Voice"], Some("New verdict: Deepgram vs AssemblyAI")),
        3 => (
            &["Search", "Voice"],
            Some("2 new verdicts: Perplexity vs Kagi Assistant and Deepgram vs AssemblyAI"),
        ),
        4 => (
            &["Developer Tools"],
            Some("New verdict: SmolLM3 vs Code Llama 4"),
        ),
        _ => (&["Design"], None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_of_editions_killed_part_way_resumes_with_each_readers_recorded_edition() {
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20)));
    let server = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    let rows: Vec<ImportRow> = (0..N)
        .map(|i| ImportRow {
            email: SubscriberEmail::parse(&address(i)).unwrap(),
            name: None,
            status: Status::Confirmed,
            categories: Categories::from_names(choice(i).0),
            created_at: None,
            confirmed_at: None,
        })
        .collect();
    fixture.store().import(&rows, as_of()).unwrap();
    let mailed = (0..N).filter(|i| choice(*i).1.is_some()).count();

    let mut first = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    server
        .wait_for_messages(mailed / 3, Duration::from_secs(300))
        .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = server.messages().len();
    assert!(at_kill < mailed, "killed part-way: {at_kill} of {mailed}");

    // Everyone changes their mind after the issue was created: this issue keeps what its ledger recorded.
    rusqlite::Connection::open(fixture.db())
        .unwrap()
        .execute_batch("UPDATE subscribers SET categories = 'Voice', paused_until = NULL")
        .unwrap();
    server.set_script(Script::accept_all());
    let second = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let full_subject = fixture
        .store()
        .issue_by_key(KEY)
        .unwrap()
        .unwrap()
        .issue
        .subject;
    let messages = server.messages();
    let mut by: HashMap<String, Vec<&Received>> = HashMap::new();
    for message in &messages {
        by.entry(message.rcpt_to[0].clone())
            .or_default()
            .push(message);
    }
    for i in 0..N {
        let got = by.get(&address(i)).map(Vec::as_slice).unwrap_or_default();
        match choice(i).1 {
            None => assert!(got.is_empty(), "{} follows Design and got mail", address(i)),
            Some(subject) => {
                assert!(!got.is_empty(), "{} got nothing", address(i));
                let expected = if subject.is_empty() {
                    full_subject.as_str()
                } else {
                    subject
                };
                for message in got {
                    assert_eq!(read(message).subject, expected, "{}", address(i));
                    assert!(
                        message.data == got[0].data,
                        "{} got two different messages",
                        address(i)
                    );
                }
            }
        }
    }
    eprintln!(
        "killed after {at_kill} messages; {} sent again on resume",
        messages.len() - mailed
    );
    let rows = tokio::task::block_in_place(|| ledger_rows(&fixture.config.database));
    let skipped = rows
        .values()
        .filter(|(state, reason)| {
            state == "skipped" && reason.as_deref() == Some("nothing new in Design this week")
        })
        .count();
    assert_eq!(skipped, N - mailed);
    assert_eq!(
        rows.values().filter(|(state, _)| state == "sent").count(),
        mailed
    );
}
