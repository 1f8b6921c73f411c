//! Confirmation mails through Postfix, from the web form (`verdicts serve`) and from `verdicts subscribers add`:
//! over STARTTLS because Postfix offers it, introducing themselves with the sender domain as the digest does.

use std::process::Command;

use super::said;
use crate::delivery::Fixture;
use crate::support::app::form_body;
use crate::support::postfix::{Delivered, Postfix};
use crate::support::served::Served;

/// Starts `verdicts serve --no-schedule` as a real process that sends through `postfix`.
fn serve(fixture: &Fixture, postfix: &Postfix) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .args(["serve", "--no-schedule"])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_SMTP_URL", postfix.url(postfix.tls))
        .env("VERDICTS_TLS_CA_FILE", postfix.ca_file())
        .env("VERDICTS_LISTEN", "127.0.0.1:0")
        .env("VERDICTS_LOG", "info");
    Served::start(&mut command)
}

/// One confirmation mail to `to`, encrypted, from the sender domain.
fn assert_confirmation(messages: &[Delivered], to: &str) {
    assert_eq!(messages.len(), 1, "one confirmation mail");
    let message = &messages[0];
    assert_eq!(message.delivered_to(), to);
    assert!(message.text().contains("/confirm/"), "{}", message.text());
    let received = message.received();
    assert!(
        received.contains("with ESMTPS"),
        "STARTTLS was offered: {received}"
    );
    assert!(
        received.starts_with("from verdicts.example.org "),
        "EHLO with the sender domain (helo_name): {received}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_mail_from_serve_goes_through_postfix_over_starttls() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    let served = serve(&fixture, &postfix);

    let response = reqwest::Client::new()
        .post(format!("{}/subscribe", served.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("email", "new.reader@example.org"),
            ("name", "New Reader"),
            ("website", ""),
        ]))
        .send()
        .await
        .unwrap();

    assert!(response.status().is_success(), "{}", response.status());
    assert_confirmation(&postfix.delivered(1), "new.reader@example.org");
}

#[test]
fn subscribers_add_sends_the_confirmation_mail_through_postfix_over_starttls() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let fixture = Fixture::new(None, &[]);

    let added = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["subscribers", "add", "added@example.org", "--name", "Added"])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_SMTP_URL", postfix.url(postfix.tls))
        .env("VERDICTS_TLS_CA_FILE", postfix.ca_file())
        .output()
        .unwrap();

    assert_eq!(added.status.code(), Some(0), "{}", said(&added));
    assert_confirmation(&postfix.delivered(1), "added@example.org");
}
