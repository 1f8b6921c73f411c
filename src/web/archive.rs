//! `GET /archive`, `/archive/{key}` and `/archive/feed.xml`: past issues as they were sent,
//! without anyone's personal links, and an Atom feed of them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use crate::archive;
use crate::config::Config;
use crate::web::pages;

/// Issue pages are email HTML: inline styles, no scripts. The index is a page in the shell and gets the
/// shell's stricter policy from the layers.
const EMAIL_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'";

/// What a body is, for its headers.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A page in the shell.
    Page,
    /// An issue as it was sent.
    Issue,
    /// The Atom feed.
    Feed,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/archive", get(index))
        .route("/archive/", get(index))
        .route("/archive/feed.xml", get(feed))
        .route("/archive/{key}", get(issue))
}

async fn index(State(state): State<AppState>) -> Response {
    let config = state.config().clone();
    let body = state
        .store()
        .run(move |store| archive::index_body(store, &config))
        .await;
    respond(state.config(), body.map(Some), Kind::Page)
}

async fn issue(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let config = state.config().clone();
    let body = state
        .store()
        .run(move |store| archive::issue_body(store, &config, &key))
        .await;
    respond(state.config(), body, Kind::Issue)
}

async fn feed(State(state): State<AppState>) -> Response {
    let config = state.config().clone();
    let now = state.now();
    let body = state
        .store()
        .run(move |store| archive::feed_body(store, &config, now))
        .await;
    respond(state.config(), body.map(Some), Kind::Feed)
}

fn respond(config: &Config, body: anyhow::Result<Option<String>>, kind: Kind) -> Response {
    let cache = (header::CACHE_CONTROL, "public, max-age=300");
    match (body, kind) {
        (Ok(Some(body)), Kind::Page) => (
            [(header::CONTENT_TYPE, archive::HTML_CONTENT_TYPE), cache],
            body,
        )
            .into_response(),
        (Ok(Some(body)), Kind::Issue) => (
            [
                (header::CONTENT_TYPE, archive::HTML_CONTENT_TYPE),
                (header::CONTENT_SECURITY_POLICY, EMAIL_CSP),
                cache,
            ],
            body,
        )
            .into_response(),
        (Ok(Some(body)), Kind::Feed) => (
            [
                (header::CONTENT_TYPE, archive::FEED_CONTENT_TYPE),
                (header::CONTENT_SECURITY_POLICY, EMAIL_CSP),
                cache,
            ],
            body,
        )
            .into_response(),
        (Ok(None), _) => (
            StatusCode::NOT_FOUND,
            Html(pages::no_such_issue(config).into_string()),
        )
            .into_response(),
        (Err(error), _) => {
            tracing::error!("archive: {error:#}");
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let page = pages::problem(status, "The archive is unavailable right now.");
            (status, page).into_response()
        }
    }
}
