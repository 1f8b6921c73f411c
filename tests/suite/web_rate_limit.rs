//! The per-client POST limit against the real server: one-click unsubscribes with a valid token are never
//! refused by it, and behind a trusted proxy each visitor gets a bucket of their own, while forwarding headers
//! from anyone else are ignored.

use reqwest::header::CONTENT_TYPE;
use weekly_verdicts::config::TrustedProxies;
use weekly_verdicts::store::Status;
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, form_body, spawn_app_with};

/// The subscribe form posted with an `X-Forwarded-For` header; the status code.
async fn subscribe_via(app: &TestApp, email: &str, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/subscribe"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", forwarded_for)
        .body(form_body(&[
            ("email", email),
            ("name", ""),
            ("website", ""),
        ]))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn one_click(app: &TestApp, token: &str) -> u16 {
    app.client
        .post(app.url(&format!("/unsubscribe/{token}")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_one_click_unsubscribe_with_a_valid_token_is_never_refused_by_the_subscribe_limit() {
    let app = spawn_app_with(|config| config.post_rate_limit_per_minute = 3).await;
    assert_eq!(app.subscribe("leaver@example.org", "").await.status(), 200);
    assert_eq!(app.subscribe("two@example.org", "").await.status(), 200);
    assert_eq!(app.subscribe("three@example.org", "").await.status(), 200);
    // The address has used up its POSTs.
    assert_eq!(app.subscribe("four@example.org", "").await.status(), 429);

    let id = app.subscriber("leaver@example.org").unwrap().id;
    let token = app.tokens.sign(Purpose::Unsubscribe, id, app.clock.now());
    assert_eq!(one_click(&app, &token).await, 200);
    assert_eq!(
        app.subscriber("leaver@example.org").unwrap().status,
        Status::Unsubscribed
    );
    // Repeating it (mail clients retry) is never refused either.
    assert_eq!(one_click(&app, &token).await, 200);
    // A forged token counts like any other POST, so it is refused now.
    assert_eq!(one_click(&app, "not-a-real-token").await, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app = spawn_app_with(|config| {
        config.post_rate_limit_per_minute = 2;
        config.trusted_proxies = TrustedProxies::parse(["127.0.0.1/32"]).unwrap();
    })
    .await;
    assert_eq!(
        subscribe_via(&app, "a1@example.org", "203.0.113.1").await,
        200
    );
    assert_eq!(
        subscribe_via(&app, "a2@example.org", "203.0.113.1").await,
        200
    );
    assert_eq!(
        subscribe_via(&app, "a3@example.org", "203.0.113.1").await,
        429
    );
    // A made-up entry on the left does not buy a new bucket: the proxy appended the real address.
    assert_eq!(
        subscribe_via(&app, "a4@example.org", "198.51.100.7, 203.0.113.1").await,
        429
    );
    // Another visitor behind the same proxy is not affected.
    assert_eq!(
        subscribe_via(&app, "b1@example.org", "203.0.113.2").await,
        200
    );
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    for trusted in [
        TrustedProxies::default(),
        TrustedProxies::parse(["10.0.0.0/8"]).unwrap(),
    ] {
        let app = spawn_app_with(|config| {
            config.post_rate_limit_per_minute = 2;
            config.trusted_proxies = trusted;
        })
        .await;
        assert_eq!(
            subscribe_via(&app, "c1@example.org", "203.0.113.1").await,
            200
        );
        assert_eq!(
            subscribe_via(&app, "c2@example.org", "203.0.113.2").await,
            200
        );
        // The peer (127.0.0.1) is the client, whatever the header says.
        assert_eq!(
            subscribe_via(&app, "c3@example.org", "203.0.113.3").await,
            429
        );
    }
}
