//! Hostile and wrong input to the web side: each gets the right status, and nothing is stored, changed or sent.

use std::time::Duration;

use chrono::Duration as Span;
use weekly_verdicts::store::Status;
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, spawn_app};

/// Nothing stored, and no mail within a moment.
async fn assert_nothing_happened(app: &TestApp) {
    assert!(
        app.all_subscribers().is_empty(),
        "{:?}",
        app.all_subscribers()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.smtp.messages().is_empty());
}

#[tokio::test]
async fn header_injection_in_the_address_or_name_is_refused_with_400() {
    let app = spawn_app().await;
    let attempts: [(&str, &str); 7] = [
        ("ann@example.org\r\nBcc: everyone@example.org", ""),
        ("ann@example.org\nBcc: everyone@example.org", ""),
        ("ann@example.org\rBcc: everyone@example.org", ""),
        ("ann@example.org%0d%0aBcc:everyone@example.org", ""),
        ("ann@example.org", "Ann\r\nBcc: everyone@example.org"),
        ("ann@example.org", "Ann\u{0}"),
        ("ann\u{2028}x@example.org", ""),
    ];
    for (email, name) in attempts {
        let form = app.subscribe(email, name).await;
        assert_eq!(form.status(), 400, "{email:?} {name:?}");
        let json = app
            .post_json(
                "/subscribe",
                &serde_json::json!({ "email": email, "name": name }),
            )
            .await;
        assert_eq!(json.status(), 400, "{email:?} {name:?}");
        let body: serde_json::Value = json.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().len() > 10, "{body}");
    }
    assert_nothing_happened(&app).await;
}

#[tokio::test]
async fn a_one_megabyte_body_is_refused_with_413() {
    let app = spawn_app().await;
    let huge_email = format!("{}@example.org", "a".repeat(1024 * 1024));
    let form = app.subscribe(&huge_email, "").await;
    assert_eq!(form.status(), 413);
    let json = app
        .post_json("/subscribe", &serde_json::json!({ "email": huge_email }))
        .await;
    assert_eq!(json.status(), 413);
    // Without a Content-Length (chunked), the limit holds while reading.
    assert_eq!(chunked_post(&app, "/subscribe", 1024 * 1024).await, 413);
    let unsubscribe = app
        .client
        .post(app.url("/unsubscribe/x"))
        .body(vec![b'x'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(unsubscribe.status(), 413);
    assert_nothing_happened(&app).await;
}

/// POSTs `len` bytes of form data with `Transfer-Encoding: chunked` over a raw socket; returns the status code.
async fn chunked_post(app: &TestApp, path: &str, len: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\nemail={}\r\n", 16 * 1024 + 6, "b".repeat(16 * 1024));
    for _ in 0..len / (16 * 1024) {
        // The server may answer and close before everything is written.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_content_types_are_refused() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/subscribe"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let malformed = post("application/json", "{\"email\": \"ann@example.org\"")
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(
        post("application/json", "{\"email\": 42}")
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(post("application/json", "[]").await.unwrap().status(), 400);
    assert_eq!(
        post("text/plain", "email=ann@example.org")
            .await
            .unwrap()
            .status(),
        415
    );
    assert_eq!(
        post("application/x-www-form-urlencoded", "email=%FF%FE")
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post("application/x-www-form-urlencoded", "")
            .await
            .unwrap()
            .status(),
        400
    );
    assert_nothing_happened(&app).await;
}

#[tokio::test]
async fn forged_and_damaged_tokens_get_400_and_change_nothing() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    let genuine = app.confirm_path(&mail);
    let token = genuine.trim_start_matches("/confirm/").to_owned();
    let id = app.subscriber("ann@example.org").unwrap().id;

    let mut flipped = token.clone().into_bytes();
    flipped[20] = if flipped[20] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let other_key =
        weekly_verdicts::tokens::Tokens::from_secret_str("another-secret-key-entirely-123", &[])
            .unwrap()
            .sign(Purpose::Confirm, id, app.clock.now());
    let forged = [
        flipped,
        other_key,
        token[..20].to_owned(),
        "not-a-token".to_owned(),
        "%3Cscript%3E".to_owned(),
        "A".repeat(4000),
        "'%20OR%201=1--".to_owned(),
    ];
    for bad in &forged {
        let confirm = app.get(&format!("/confirm/{bad}")).await;
        assert_eq!(confirm.status(), 400, "{bad}");
        assert!(
            confirm
                .text()
                .await
                .unwrap()
                .contains("action=\"/subscribe\"")
        );
        let page = app.get(&format!("/unsubscribe/{bad}")).await;
        assert_eq!(page.status(), 400, "{bad}");
        let unsubscribe = app.post_form(&format!("/unsubscribe/{bad}"), &[]).await;
        assert_eq!(unsubscribe.status(), 400, "{bad}");
    }
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Pending
    );
    // A genuine token for a subscriber that does not exist.
    let nobody = app.tokens.sign(Purpose::Confirm, 999_999, app.clock.now());
    assert_eq!(
        app.confirm(&format!("/confirm/{nobody}")).await.status(),
        404
    );
}

#[tokio::test]
async fn a_token_only_does_what_it_was_signed_for() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let id = app.subscriber("ann@example.org").unwrap().id;
    let now = app.clock.now();
    let unsubscribe_token = app.tokens.sign(Purpose::Unsubscribe, id, now);
    let confirm_token = app.tokens.sign(Purpose::Confirm, id, now);

    let confirm_with_unsubscribe = app.get(&format!("/confirm/{unsubscribe_token}")).await;
    assert_eq!(confirm_with_unsubscribe.status(), 400);
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Pending
    );

    app.confirm(&format!("/confirm/{confirm_token}")).await;
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Confirmed
    );
    let unsubscribe_with_confirm = app
        .post_form(
            &format!("/unsubscribe/{confirm_token}"),
            &[("List-Unsubscribe", "One-Click")],
        )
        .await;
    assert_eq!(unsubscribe_with_confirm.status(), 400);
    assert_eq!(
        app.get(&format!("/unsubscribe/{confirm_token}"))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Confirmed
    );
}

#[tokio::test]
async fn an_expired_confirm_token_gets_410_and_an_unsubscribe_token_never_expires() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let id = app.subscriber("ann@example.org").unwrap().id;
    let long_ago = app.clock.now() - Span::days(7) - Span::seconds(1);
    let expired = app.tokens.sign(Purpose::Confirm, id, long_ago);
    let page = app.get(&format!("/confirm/{expired}")).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("expired"));
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Pending
    );
    // Signed when the subscription began, used 400 days later.
    let old_unsubscribe = app.tokens.sign(Purpose::Unsubscribe, id, app.clock.now());
    app.clock.advance(Span::days(400));
    let response = app
        .post_form(&format!("/unsubscribe/{old_unsubscribe}"), &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Unsubscribed
    );
}

#[tokio::test]
async fn sql_and_html_metacharacters_are_stored_verbatim_and_escaped_on_pages() {
    let app = spawn_app().await;
    let email = "o'brien+tag@example.org";
    let name = "Robert'); DROP TABLE subscribers;-- <b>\"&amp;";
    assert_eq!(app.subscribe(email, name).await.status(), 200);
    let stored = app.subscriber(email).expect("stored");
    assert_eq!(stored.email, email);
    assert_eq!(stored.name.as_deref(), Some(name));
    let mail = app.mails(1).await.remove(0);
    assert_eq!(mail.rcpt_to, [email]);

    // A refused address is shown back in the form, escaped.
    let script = "<script>alert(1)</script>@example.org";
    let refused = app.subscribe(script, "<img src=x onerror=alert(1)>").await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    assert!(body.contains("&lt;script&gt;"), "{body}");
    assert!(
        body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{body}"
    );
    assert_eq!(app.all_subscribers().len(), 1);
}

#[tokio::test]
async fn very_long_input_is_refused_and_non_ascii_input_is_kept() {
    let app = spawn_app().await;
    let long_local = format!("{}@example.org", "a".repeat(65));
    let long_address = format!("a@{}.example.org", "b".repeat(250));
    let long_name = "n".repeat(101);
    for (email, name) in [
        (long_local.as_str(), ""),
        (long_address.as_str(), ""),
        ("ann@example.org", long_name.as_str()),
        ("", ""),
        ("no-at-sign", ""),
        ("ann@[192.0.2.1]", ""),
    ] {
        let response = app.subscribe(email, name).await;
        assert_eq!(response.status(), 400, "{email} {name}");
        let text = response.text().await.unwrap();
        assert!(text.contains("role=\"alert\""), "{text}");
    }
    assert!(app.all_subscribers().is_empty());

    let response = app.subscribe("zoe@Bücher.example", "Zoë 山田").await;
    assert_eq!(response.status(), 200);
    let stored = app.subscriber("zoe@xn--bcher-kva.example").expect("stored");
    assert_eq!(stored.email, "zoe@xn--bcher-kva.example");
    assert_eq!(stored.name.as_deref(), Some("Zoë 山田"));
    let mail = app.mails(1).await.remove(0);
    assert_eq!(mail.rcpt_to, ["zoe@xn--bcher-kva.example"]);
    assert!(mail.header("To").unwrap().contains("=?utf-8?"));
    // A non-ASCII local part is kept as typed (delivering it needs an SMTPUTF8 relay).
    assert_eq!(app.subscribe("josé@example.org", "").await.status(), 200);
    assert_eq!(
        app.subscriber("josé@example.org").unwrap().email,
        "josé@example.org"
    );
}
