//! The list the copy tests move: a SQLite store in every state with a sent issue, and the `store copy` command.

use std::process::{Command, Output};
use weekly_verdicts::content::Categories;

use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Channel, Origin, Source, Status};

use crate::delivery::{AS_OF, Fixture, as_of, verdicts};
use crate::support::smtp::{Received, SmtpServer};

/// `verdicts store copy --to URL` on the fixture's SQLite store.
pub fn store_copy(fixture: &Fixture, to: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["store", "copy", "--to", to])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_DATABASE_PASSWORD")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_LOG", "warn")
        .output()
        .unwrap()
}

pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn email(address: &str) -> SubscriberEmail {
    SubscriberEmail::parse(address).unwrap()
}

/// The token in `List-Unsubscribe: <https://…/unsubscribe/TOKEN>, <mailto:…>`.
pub fn unsubscribe_token(message: &Received) -> String {
    let header = message.header("List-Unsubscribe").unwrap();
    let url = header.split(['<', '>']).nth(1).unwrap();
    url.rsplit('/').next().unwrap().to_string()
}

/// A SQLite store with readers in every state, their consent history, a queued confirmation mail, a removed
/// reader (holding the largest id ever given out), the scheduler's state, and the week's issue sent by a real
/// `verdicts send` to `server`.
pub fn sent_list(server: &SmtpServer) -> Fixture {
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);
    let mut store = fixture.store();
    let now = as_of();
    let bounced = store
        .add(
            &email("bounced@example.org"),
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now,
        )
        .unwrap();
    assert!(store.mark_bounced(bounced, now).unwrap());
    store
        .add(
            &email("left@example.org"),
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now,
        )
        .unwrap();
    store
        .unsubscribe_email(&email("left@example.org"), &Origin::new(Channel::Cli), now)
        .unwrap();
    // Topics and a pause, so their columns are copied with values in them.
    let change = weekly_verdicts::store::TopicsChange {
        categories: Categories::from_names(["Design", "Search"]),
        paused_until: Some(now + chrono::Duration::weeks(2)),
    };
    store
        .set_topics_by_email(
            &email("left@example.org"),
            &change,
            &Origin::new(Channel::Cli),
            now,
        )
        .unwrap()
        .unwrap();
    let voice = weekly_verdicts::store::TopicsChange {
        categories: Categories::from_names(["Voice"]),
        paused_until: None,
    };
    store
        .set_topics_by_email(
            &email(&crate::delivery::address(0)),
            &voice,
            &Origin::new(Channel::Cli),
            now,
        )
        .unwrap()
        .unwrap();
    let name = weekly_verdicts::email_address::SubscriberName::parse_optional("Pat Pending")
        .unwrap()
        .unwrap();
    store
        .subscribe(
            &email("pending@example.org"),
            Some(&name),
            &Categories::from_names(["Voice"]),
            Source::Form,
            &Origin::from_client(Channel::Form, "192.0.2.7"),
            now,
        )
        .unwrap();
    store
        .add(
            &email("forgotten@example.org"),
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now,
        )
        .unwrap();
    assert!(store.remove(&email("forgotten@example.org"), now).unwrap());
    store.record_scheduler_fire(now).unwrap();
    drop(store);

    let sent = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    assert_eq!(server.messages().len(), 5, "the five confirmed readers");
    fixture
}
