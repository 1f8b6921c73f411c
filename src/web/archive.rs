//! `GET /archive`, `/archive/{key}` and `/archive/feed.xml`: past issues as they were sent,
//! without anyone's personal links, and an Atom feed of them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use crate::archive;

/// Issue pages are email HTML: inline styles, no scripts.
const EMAIL_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'";

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
    respond(body.map(Some), archive::HTML_CONTENT_TYPE)
}

async fn issue(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let config = state.config().clone();
    let body = state
        .store()
        .run(move |store| archive::issue_body(store, &config, &key))
        .await;
    respond(body, archive::HTML_CONTENT_TYPE)
}

async fn feed(State(state): State<AppState>) -> Response {
    let config = state.config().clone();
    let now = state.now();
    let body = state
        .store()
        .run(move |store| archive::feed_body(store, &config, now))
        .await;
    respond(body.map(Some), archive::FEED_CONTENT_TYPE)
}

fn respond(body: anyhow::Result<Option<String>>, content_type: &'static str) -> Response {
    match body {
        Ok(Some(body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_SECURITY_POLICY, EMAIL_CSP),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no issue by that name\n").into_response(),
        Err(error) => {
            tracing::error!("archive: {error:#}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the archive is unavailable right now\n",
            )
                .into_response()
        }
    }
}
