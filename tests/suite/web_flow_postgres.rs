//! The web side on PostgreSQL: the subscription lifecycle through the real server (subscribe, the mailed confirm
//! link, the digest's one-click unsubscribe) with `database` set to a PostgreSQL database, and a crowd of
//! concurrent requests for one address. Skipped, saying so, without the test cluster.

use std::time::Duration;

use weekly_verdicts::store::Status;

use crate::support::app::spawn_app_with;
use crate::support::postgres::fresh_database;
use crate::web_flow::{digest_for, one_click_path};

#[tokio::test]
async fn on_postgresql_subscribe_confirm_by_mailed_link_then_one_click_unsubscribe() {
    let Some(database) = fresh_database("on_postgresql_subscribe_confirm_then_unsubscribe") else {
        return;
    };
    let app = spawn_app_with(|config| config.database = database).await;
    assert_eq!(app.store().backend_name(), "PostgreSQL");

    let response = app.subscribe("ann@example.org", "Ann").await;
    assert_eq!(response.status(), 200);
    let ann = app.subscriber("ann@example.org").expect("stored");
    assert_eq!(
        (ann.status, ann.name.as_deref()),
        (Status::Pending, Some("Ann"))
    );

    let mail = app.mails(1).await.remove(0);
    assert_eq!(mail.rcpt_to, ["ann@example.org"]);
    let confirm = app.confirm_path(&mail);
    let page = app.confirm(&confirm).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("You're subscribed"));
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Confirmed
    );
    assert_eq!(app.confirm(&confirm).await.status(), 200);

    let digest = digest_for(&app, ann.id, "ann@example.org");
    let one_click = one_click_path(&app, &digest);
    let response = app
        .post_form(&one_click, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(response.status(), 200);
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(ann.status, Status::Unsubscribed);
    assert_eq!(ann.unsubscribed_at, Some(app.clock.now()));

    let events: Vec<String> = app
        .store()
        .consent_history(&"ann@example.org".parse().unwrap())
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(events, ["opt-in", "confirm", "opt-out"]);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn on_postgresql_fifty_concurrent_subscribes_of_one_address_leave_one_row_and_one_mail() {
    let Some(database) = fresh_database("on_postgresql_fifty_concurrent_subscribes") else {
        return;
    };
    let app = spawn_app_with(|config| config.database = database).await;
    let mut requests = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = app.url("/subscribe");
        let email = if i % 2 == 0 {
            "crowd@example.org"
        } else {
            "Crowd@EXAMPLE.org"
        };
        requests.push(tokio::spawn(async move {
            client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("email={}", email.replace('@', "%40")))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(app.all_subscribers().len(), 1);
    app.mails(1).await;
    // Give a wrongly queued second mail the time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.smtp.messages().len(), 1);
}

#[tokio::test]
async fn on_postgresql_the_preferences_page_from_a_delivered_issue_shows_saves_pauses_and_unsubscribes()
 {
    let Some(database) = fresh_database("on_postgresql_the_preferences_page_round_trip") else {
        return;
    };
    let app = spawn_app_with(|config| config.database = database).await;
    assert_eq!(app.store().backend_name(), "PostgreSQL");
    crate::web_topics::preferences_round_trip(&app).await;
}
