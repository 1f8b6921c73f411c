//! One mail path: confirmation mails (`subscribers add`), test copies (`send --to`) and the digest all leave
//! through the same `Mailer`, so they honour `smtp_url` alike, say the same EHLO and are all DKIM-signed;
//! `check` refuses a bad `smtp_url` naming the bad part.

use std::process::Output;

use super::{AS_OF, Fixture, verdicts};
use crate::support::dkim::{TestKey, dkimpy, rsa_key};
use crate::support::smtp::{Received, Script, SmtpServer};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The message as dkimpy reads it from a file (with its final CRLF).
fn verifies(message: &Received, key: &TestKey) -> bool {
    let mut raw = message.data.clone();
    raw.extend_from_slice(b"\r\n");
    dkimpy(&raw, &[("test", &key.record)]) == [true]
}

/// A fresh RSA key: (its PEM for `VERDICTS_DKIM_KEY`, the key for [`verifies`]).
fn test_key() -> (String, TestKey) {
    let key = rsa_key(false);
    (key.pem.clone(), key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_add_mails_the_confirmation_through_smtp_url_signed_with_dkim() {
    let (private_pem, public_key) = test_key();
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);

    let output = verdicts(&fixture, &server.url())
        .env("VERDICTS_DKIM_SELECTOR", "test")
        .env("VERDICTS_DKIM_KEY", &private_pem)
        .args(["subscribers", "add", "new@example.org"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("via smtp://"),
        "{}",
        stderr(&output)
    );
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["new@example.org"]);
    assert!(messages[0].raw_text().contains("/confirm/"));
    assert!(
        verifies(&messages[0], &public_key),
        "the confirmation verifies"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_copy_from_send_to_is_signed_with_dkim_like_the_digest() {
    let (private_pem, public_key) = test_key();
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);

    let output = verdicts(&fixture, &server.url())
        .env("VERDICTS_DKIM_SELECTOR", "test")
        .env("VERDICTS_DKIM_KEY", &private_pem)
        .args(["send", "--as-of", AS_OF, "--to", "editor@example.com"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].header("DKIM-Signature").is_some());
    assert!(
        verifies(&messages[0], &public_key),
        "the test copy verifies"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_none_works_for_the_confirmation_and_the_digest_alike_with_one_ehlo_name() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = format!("{}?tls=none", server.url());
    let fixture = Fixture::new(Some(&url), &[]);
    fixture.seed(2);

    let added = verdicts(&fixture, &url)
        .args(["subscribers", "add", "new@example.org"])
        .output()
        .unwrap();
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let sent = verdicts(&fixture, &url)
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));

    assert_eq!(server.messages().len(), 3, "one confirmation, two digests");
    let mut ehlo: Vec<String> = server
        .commands()
        .into_iter()
        .map(|(_, command)| command)
        .filter(|command| command.to_ascii_uppercase().starts_with("EHLO"))
        .collect();
    ehlo.dedup();
    assert_eq!(ehlo, ["EHLO verdicts.example.org"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_a_password_is_refused_alike_by_subscribers_add_and_send() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = format!("smtp://me@{}", server.addr());
    let fixture = Fixture::new(None, &[]);
    fixture.seed(2);

    let added = verdicts(&fixture, &url)
        .env_remove("VERDICTS_SMTP_PASSWORD")
        .args(["subscribers", "add", "new@example.org"])
        .output()
        .unwrap();
    let sent = verdicts(&fixture, &url)
        .env_remove("VERDICTS_SMTP_PASSWORD")
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();

    for output in [&added, &sent] {
        assert_ne!(output.status.code(), Some(0));
        assert!(
            stderr(output).contains("the user \"me\" has no password"),
            "{}",
            stderr(output)
        );
    }
    assert_eq!(server.connections(), 0);
    let email = weekly_verdicts::email_address::SubscriberEmail::parse("new@example.org").unwrap();
    assert!(fixture.store().find_by_email(&email).unwrap().is_none());
}

#[test]
fn check_refuses_a_bad_smtp_url_naming_the_bad_part() {
    let fixture = Fixture::new(None, &[]);
    for (url, part) in [
        ("smtp://relay.example.org?tls=maybe", "tls=\"maybe\""),
        (
            "smtp://relay.example.org:99999",
            "\"relay.example.org:99999\"",
        ),
        (
            "smtp://me@relay.example.org",
            "the user \"me\" has no password",
        ),
    ] {
        let output = verdicts(&fixture, url)
            .env_remove("VERDICTS_SMTP_PASSWORD")
            .arg("check")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{url}: {}", stderr(&output));
        assert!(stderr(&output).contains(part), "{url}: {}", stderr(&output));
    }
}
