//! The unsubscribe links: `/unsubscribe/{token}` (GET shows a button and changes nothing, POST unsubscribes: RFC
//! 8058 one-click and the page's own form alike), `/unsubscribe` without a token, and `/healthz`. Confirm links
//! are in `confirm.rs`.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::store::{Channel, UnsubscribeOutcome};
use crate::tokens::Purpose;
use crate::web::client_addr::ClientIp;
use crate::web::confirm::origin;
use crate::web::pages;
use crate::web::{AppState, WebError};

fn page(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// `GET /unsubscribe/{token}`: the button; nothing changes.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    let config = state.config();
    match state
        .tokens()
        .verify(Purpose::Unsubscribe, &token, state.now())
    {
        Ok(_) => page(StatusCode::OK, pages::unsubscribe_confirm(config, &token)),
        Err(_) => page(StatusCode::BAD_REQUEST, pages::unsubscribe_invalid(config)),
    }
}

/// `POST /unsubscribe/{token}`: the body (`List-Unsubscribe=One-Click` from a mail client, or the page's form)
/// is not needed; the signed token is the authority. Answers 200 however often it is repeated, and also when the
/// address was removed from the list altogether; a link made for an earlier subscription changes nothing.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: Option<Extension<ClientIp>>,
) -> Result<Response, WebError> {
    let now = state.now();
    let config = state.config();
    let link = match state
        .tokens()
        .verify_link(Purpose::Unsubscribe, &token, now)
    {
        Ok(link) => link,
        Err(error) => {
            tracing::info!("unsubscribe link refused: {error}");
            return Ok(page(
                StatusCode::BAD_REQUEST,
                pages::unsubscribe_invalid(config),
            ));
        }
    };
    let origin = origin(Channel::OneClick, client);
    let outcome: UnsubscribeOutcome = state
        .store()
        .run(move |store| store.unsubscribe(&link, &origin, now))
        .await?;
    tracing::info!(id = link.subscriber_id, ?outcome, "unsubscribe");
    Ok(page(StatusCode::OK, pages::unsubscribed(config)))
}

/// `GET /unsubscribe`: how to unsubscribe (the archive's copies of issues link here).
pub async fn unsubscribe_help(State(state): State<AppState>) -> Html<String> {
    Html(pages::unsubscribe_help(state.config()).into_string())
}

/// `GET /healthz`: 200 when the store takes a write (a committed one: a store that can only be read is not
/// healthy, since subscribes and unsubscribes would fail).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let now = state.now();
    match state
        .store()
        .run(move |store| store.check_writable(now))
        .await
    {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::error!("health check: the store cannot be written: {error:#}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store cannot be written\n",
            )
                .into_response()
        }
    }
}

/// Any other path.
pub async fn not_found(State(state): State<AppState>) -> Response {
    page(StatusCode::NOT_FOUND, pages::not_found(state.config()))
}
