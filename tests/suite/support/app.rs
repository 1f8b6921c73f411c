//! `spawn_app()`: the real server on 127.0.0.1 port 0, with a fresh store in a temp dir, confirmation mail going
//! over SMTP to a real server that keeps what it receives, a pinned clock the test can move, and the token key
//! known to the test so it can sign links the way the digest does.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::CONTENT_TYPE;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use weekly_verdicts::config::{BaseUrl, Config, Secrets};
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::metrics::Counters;
use weekly_verdicts::store::{Database, Store, Subscriber};
use weekly_verdicts::tokens::Tokens;
use weekly_verdicts::web::{self, AppState, Clock};

use super::smtp::{Received, Script, SmtpServer};

/// The token signing key of every test app.
pub const TOKEN_SECRET: &str = "integration-suite-token-secret-0123456789";

/// Where every test app's clock starts: a Monday morning.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, also the configured `base_url`, so mailed links lead back here.
    pub address: String,
    pub config: Config,
    pub smtp: SmtpServer,
    pub clock: Clock,
    pub tokens: Tokens,
    /// Follows no redirects, so tests see them.
    pub client: reqwest::Client,
    /// The server's running totals, to hand to a send run as the scheduler in `serve` does.
    pub counters: Counters,
    _dir: tempfile::TempDir,
    server: JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the configuration adjusted first (the rate limit is 1000 a minute unless changed).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_secrets(adjust, |_| {}).await
}

/// Like [`spawn_app_with`], with the secrets (the token key is [`TOKEN_SECRET`]) adjusted too.
pub async fn spawn_app_with_secrets(
    adjust: impl FnOnce(&mut Config),
    adjust_secrets: impl FnOnce(&mut Secrets),
) -> TestApp {
    let smtp = SmtpServer::start(Script::accept_all()).await;
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());

    let mut config = Config {
        base_url: BaseUrl::try_from(address.clone()).unwrap(),
        database: Database::Sqlite(dir.path().join("verdicts.db")),
        outbox_dir: dir.path().join("outbox"),
        smtp_url: Some(smtp.url()),
        post_rate_limit_per_minute: 1000,
        ..Config::default()
    };
    adjust(&mut config);
    let mut secrets = Secrets {
        token_key: Some(TOKEN_SECRET.to_owned()),
        ..Secrets::default()
    };
    adjust_secrets(&mut secrets);
    let clock = Clock::manual(start_time());
    let state = AppState::from_config(config.clone(), &secrets, clock.clone()).unwrap();
    let counters = state.counters().clone();
    let options = web::ServeOptions::from_config(&config);
    let server = tokio::spawn(async move {
        web::serve_with(
            listener,
            web::router(state),
            options,
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    TestApp {
        address,
        config,
        smtp,
        clock,
        tokens: Tokens::from_secret_str(TOKEN_SECRET, &[]).unwrap(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        counters,
        _dir: dir,
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.config.database).unwrap()
    }

    /// The stored subscriber with this address, if any.
    pub fn subscriber(&self, email: &str) -> Option<Subscriber> {
        let email = SubscriberEmail::parse(email).unwrap();
        self.store().find_by_email(&email).unwrap()
    }

    pub fn all_subscribers(&self) -> Vec<Subscriber> {
        self.store().list(None).unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// POSTs `fields` as `application/x-www-form-urlencoded`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_body(fields))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The subscribe form as a browser posts it.
    pub async fn subscribe(&self, email: &str, name: &str) -> reqwest::Response {
        self.post_form(
            "/subscribe",
            &[("email", email), ("name", name), ("website", "")],
        )
        .await
    }

    /// Waits for exactly `n` messages: up to 5 s for them to arrive, then a moment for any extra to show up.
    pub async fn mails(&self, n: usize) -> Vec<Received> {
        let messages = self.smtp.wait_for_messages(n, Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let messages = if messages.len() == n {
            self.smtp.messages()
        } else {
            messages
        };
        assert_eq!(
            messages.len(),
            n,
            "expected {n} message(s), got {}",
            messages.len()
        );
        messages
    }

    /// Follows a confirm link as a reader does: the GET shows a page with one button, whose form POSTs back to the
    /// same path; the POST's answer is returned.
    pub async fn confirm(&self, path: &str) -> reqwest::Response {
        let page = self.get(path).await;
        if page.status() == 200 {
            let html = page.text().await.unwrap();
            assert!(
                html.contains(&format!("action=\"{path}\"")) && html.contains("<button"),
                "the confirm page has a button posting to {path}:\n{html}"
            );
            self.post_form(path, &[]).await
        } else {
            page
        }
    }

    /// The confirm link in a confirmation mail, as a path on this server.
    pub fn confirm_path(&self, message: &Received) -> String {
        let body = decoded(message);
        let start = body
            .find("/confirm/")
            .unwrap_or_else(|| panic!("no confirm link in:\n{body}"));
        let token: String = body[start + "/confirm/".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(
            body.contains(&format!("{}/confirm/{token}", self.address)),
            "the link starts with base_url"
        );
        format!("/confirm/{token}")
    }
}

/// The message with quoted-printable undone (headers are left as they are).
pub fn decoded(message: &Received) -> String {
    let bytes =
        quoted_printable::decode(message.raw_text(), quoted_printable::ParseMode::Robust).unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `application/x-www-form-urlencoded` encoding.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
