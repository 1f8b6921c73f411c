//! `GET /metrics` through the real server (off without a token, 401 with a wrong one, the numbers after readers
//! subscribe, confirm, leave and an issue goes out over SMTP) and `verdicts status --json` from the real binary
//! on the same store.

use std::path::Path;
use std::process::Command;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::delivery::StopSignal;
use weekly_verdicts::lease::{Acquire, LeaseGuard, SEND_LEASE, SEND_LEASE_TTL};
use weekly_verdicts::schedule::job::{FireContext, send_for_fire};
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TOKEN_SECRET, TestApp, spawn_app, spawn_app_with_secrets};
use crate::support::smtp::{Rule, Script, Stage};

const TOKEN: &str = "metrics-scrape-token-4f9a1c";

async fn app_with_metrics() -> TestApp {
    spawn_app_with_secrets(
        |config| config.content_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        |secrets| secrets.metrics_token = Some(TOKEN.to_owned()),
    )
    .await
}

async fn scrape(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

/// A scrape with the right token: its page.
async fn page(app: &TestApp) -> String {
    let response = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of one series (`name{labels}`), if the page has it.
fn value(page: &str, series: &str) -> Option<u64> {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn assert_series(page: &str, series: &str, expected: u64) {
    assert_eq!(value(page, series), Some(expected), "{series} in:\n{page}");
}

#[tokio::test]
async fn metrics_is_not_found_while_no_token_is_configured() {
    let app = spawn_app().await;
    let response = scrape(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(response.status(), 404);
    assert_eq!(scrape(&app, None).await.status(), 404);
    let posted = app.client.post(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        posted.status(),
        404,
        "no method tells it from an unknown path"
    );
}

#[tokio::test]
async fn metrics_answers_a_missing_or_wrong_token_with_401_and_a_bearer_challenge() {
    let app = app_with_metrics().await;
    let wrong = [
        None,
        Some("Bearer wrong-token".to_string()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer".to_string()),
        Some(TOKEN.to_string()),
    ];
    for authorization in wrong {
        let response = scrape(&app, authorization.as_deref()).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body = response.text().await.unwrap();
        assert!(!body.contains(TOKEN), "{body}");
        assert!(!body.contains("verdicts_"), "{body}");
    }
    let body = page(&app).await;
    assert!(body.contains("verdicts_subscribers"), "{body}");
    // The refused scrapes were counted like any request, under the route, without the token.
    assert_series(
        &body,
        "verdicts_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"401\"}",
        7,
    );
    assert!(!body.contains(TOKEN), "{body}");
}

#[tokio::test]
async fn metrics_counts_subscribers_the_current_issue_messages_and_requests_by_route_never_by_path()
{
    let app = app_with_metrics().await;
    let readers = [
        "ann@example.org",
        "bob@example.org",
        "cy@example.org",
        "di@example.org",
    ];
    for reader in readers {
        assert_eq!(app.subscribe(reader, "").await.status(), 200);
    }
    let mails = app.mails(4).await;
    let mut link_paths = Vec::new();
    for reader in &readers[..3] {
        let mail = mails.iter().find(|m| m.rcpt_to == [*reader]).unwrap();
        let confirm = app.confirm_path(mail);
        assert_eq!(app.confirm(&confirm).await.status(), 200);
        link_paths.push(confirm);
    }
    let cy = app.subscriber("cy@example.org").unwrap();
    let unsubscribe = format!(
        "/unsubscribe/{}",
        app.tokens
            .sign(Purpose::Unsubscribe, cy.id, app.clock.now())
    );
    let left = app
        .post_form(&unsubscribe, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(left.status(), 200);
    link_paths.push(unsubscribe);
    let stray = format!("{}/nothing-here", link_paths[0]);
    assert_eq!(app.get(&stray).await.status(), 404);

    let before = page(&app).await;
    assert_series(&before, "verdicts_subscribers{state=\"pending\"}", 1);
    assert_series(&before, "verdicts_subscribers{state=\"confirmed\"}", 2);
    assert_series(&before, "verdicts_subscribers{state=\"unsubscribed\"}", 1);
    assert_series(&before, "verdicts_subscribers{state=\"bounced\"}", 0);
    assert_series(&before, "verdicts_send_lease_held", 0);
    assert!(!before.contains("issue=\""), "no issue yet:\n{before}");

    // The issue goes out as the scheduler inside `serve` sends it: under the lease, with the server's counters.
    // Bob's mailbox is gone: the relay refuses him at RCPT.
    app.smtp.set_script(
        Script::accept_all().rule(
            Rule::at(Stage::Rcpt)
                .for_recipient("bob@example.org")
                .reply("550 5.1.1 no such user"),
        ),
    );
    let context = FireContext {
        secrets: Secrets {
            token_key: Some(TOKEN_SECRET.to_owned()),
            ..Secrets::default()
        },
        stop: StopSignal::never(),
        counters: app.counters.clone(),
    };
    let as_of = weekly_verdicts::commands::parse_as_of("2026-11-22", chrono_tz::UTC).unwrap();
    send_for_fire(&app.config, &context, as_of).await.unwrap();
    app.mails(5).await;

    let after = page(&app).await;
    let issue = "issue=\"2026-W47\"";
    let rows = |state: &str| format!("verdicts_issue_ledger_rows{{{issue},state=\"{state}\"}}");
    assert_series(&after, &rows("sent"), 1);
    assert_series(&after, &rows("failed"), 1);
    for state in ["pending", "deferred", "skipped"] {
        let series = format!("verdicts_issue_ledger_rows{{{issue},state=\"{state}\"}}");
        assert_series(&after, &series, 0);
    }
    assert_series(&after, &format!("verdicts_issue_complete{{{issue}}}"), 1);
    assert_series(&after, &format!("verdicts_issue_paused{{{issue}}}"), 0);
    assert_series(&after, "verdicts_messages_total{result=\"sent\"}", 1);
    assert_series(&after, "verdicts_messages_total{result=\"failed\"}", 1);
    assert_series(&after, "verdicts_subscribers{state=\"bounced\"}", 1);
    // Four confirmation mails and Ann's digest, each taken with a 250 after the data; Bob's refusal at RCPT.
    let replies = |stage: &str, class: &str| {
        format!("verdicts_smtp_replies_total{{stage=\"{stage}\",class=\"{class}\"}}")
    };
    assert_series(&after, &replies("data_end", "2xx"), 5);
    assert_series(&after, &replies("rcpt", "5xx"), 1);
    assert_series(&after, &replies("rcpt", "4xx"), 0);
    let requests = |method: &str, route: &str, status: u16| {
        format!(
            "verdicts_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        )
    };
    assert_series(&after, &requests("POST", "/subscribe", 200), 4);
    assert_series(&after, &requests("GET", "/confirm/{token}", 200), 3);
    assert_series(&after, &requests("POST", "/confirm/{token}", 200), 3);
    assert_series(&after, &requests("POST", "/unsubscribe/{token}", 200), 1);
    assert_series(&after, &requests("GET", "(unmatched)", 404), 1);
    // The scrape before this one; this one is counted once it is answered.
    assert_series(&after, &requests("GET", "/metrics", 200), 1);
    for path in &link_paths {
        let token = path.rsplit('/').next().unwrap();
        assert!(!after.contains(token), "{path} shows in:\n{after}");
    }
    assert!(!after.contains(TOKEN), "{after}");

    // The same store through `verdicts status --json`: the same counts, every issue with its details.
    let json = status_json(app.config.database.sqlite_path().unwrap());
    let subscribers = &json["subscribers"];
    assert_eq!(
        [
            &subscribers["pending"],
            &subscribers["confirmed"],
            &subscribers["unsubscribed"],
            &subscribers["bounced"]
        ],
        [1, 1, 1, 1],
        "{json:#}"
    );
    let issues = json["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{json:#}");
    let issue = &issues[0];
    assert_eq!(issue["key"], "2026-W47");
    assert_eq!(issue["state"], "delivered");
    assert!(issue["subject"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(issue["created_at"].is_string() && issue["completed_at"].is_string());
    assert!(issue["paused"].is_null() && issue["next_retry_at"].is_null());
    let ledger = &issue["ledger"];
    assert_eq!(
        [
            &ledger["sent"],
            &ledger["pending"],
            &ledger["deferred"],
            &ledger["failed"],
            &ledger["skipped"],
            &ledger["total"]
        ],
        [1, 0, 0, 1, 0, 2],
        "{json:#}"
    );
    assert!(json["send_lease"].is_null(), "{json:#}");
}

#[test]
fn status_json_on_a_store_without_issues_lists_none_and_plain_status_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("verdicts.db");
    weekly_verdicts::store::Store::open_sqlite(&database).unwrap();
    let json = status_json(&database);
    assert_eq!(json["issues"], serde_json::json!([]), "{json:#}");
    assert_eq!(json["subscribers"]["confirmed"], 0, "{json:#}");
    let plain = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("status")
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", &database)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        "no issues yet: `verdicts send` creates the week's issue\n"
    );
}

#[tokio::test]
async fn the_send_lease_shows_with_its_expiry_while_a_sender_holds_it() {
    let app = app_with_metrics().await;
    let Acquire::Acquired(guard) = LeaseGuard::acquire_as(
        &app.config.database,
        SEND_LEASE,
        "sender-on-host-b",
        SEND_LEASE_TTL,
    )
    .unwrap() else {
        panic!("the lease is free in a new store");
    };
    let held = page(&app).await;
    assert_series(&held, "verdicts_send_lease_held", 1);
    let expiry = value(&held, "verdicts_send_lease_expiry_timestamp_seconds").expect(&held);
    assert!(expiry > 1_700_000_000, "{expiry} is a unix time");
    assert!(!held.contains("sender-on-host-b"), "{held}");

    let json = status_json(app.config.database.sqlite_path().unwrap());
    assert_eq!(json["send_lease"]["holder"], "sender-on-host-b");
    guard.release().unwrap();
    assert_series(&page(&app).await, "verdicts_send_lease_held", 0);
    assert!(status_json(app.config.database.sqlite_path().unwrap())["send_lease"].is_null());
}

/// `verdicts status --json` on `database`, parsed.
fn status_json(database: &Path) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["status", "--json"])
        .current_dir(database.parent().unwrap())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", database)
        .env("VERDICTS_LOG", "warn")
        .output()
        .expect("verdicts runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
