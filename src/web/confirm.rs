//! `/confirm/{token}`: GET shows a page with one button and changes nothing (corporate link scanners fetch every
//! link in a mail, and must not complete an opt-in a stranger started); the button POSTs, and the POST confirms.

use std::net::IpAddr;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::store::{Channel, ConfirmOutcome, Origin};
use crate::tokens::{Link, Purpose, TokenError};
use crate::web::client_addr::ClientIp;
use crate::web::pages::{self, LinkProblem};
use crate::web::{AppState, WebError};

fn page(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// The link, or why it does not work.
fn verified(state: &AppState, token: &str) -> Result<Link, (StatusCode, LinkProblem)> {
    state
        .tokens()
        .verify_link(Purpose::Confirm, token, state.now())
        .map_err(|error| match error {
            TokenError::Expired => (StatusCode::GONE, LinkProblem::Expired),
            error => {
                tracing::info!("confirm link refused: {error}");
                (StatusCode::BAD_REQUEST, LinkProblem::Invalid)
            }
        })
}

/// `GET /confirm/{token}`: the button, for any genuine link still within its 7 days, with the name it would
/// confirm (so the mailbox owner sees what a request asked for). Nothing changes.
pub async fn page_with_button(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let link = match verified(&state, &token) {
        Ok(link) => link,
        Err((status, problem)) => {
            return Ok(page(status, pages::link_problem(state.config(), problem)));
        }
    };
    let name = state
        .store()
        .run(move |store| store.name_to_confirm(&link))
        .await?
        .flatten();
    Ok(page(
        StatusCode::OK,
        pages::confirm_button(state.config(), &token, name.as_deref()),
    ))
}

/// `POST /confirm/{token}`: confirms, if the link is the subscription's newest.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: Option<Extension<ClientIp>>,
) -> Result<Response, WebError> {
    let link = match verified(&state, &token) {
        Ok(link) => link,
        Err((status, problem)) => {
            return Ok(page(status, pages::link_problem(state.config(), problem)));
        }
    };
    let now = state.now();
    let origin = origin(Channel::Link, client);
    let outcome = state
        .store()
        .run(move |store| store.confirm(&link, &origin, now))
        .await?;
    tracing::info!(id = link.subscriber_id, ?outcome, "confirm");
    let config = state.config();
    Ok(match outcome {
        ConfirmOutcome::Confirmed | ConfirmOutcome::AlreadyConfirmed => {
            // Id-only, like the digest's "Change" link: the confirmation just replaced the subscription's nonce.
            let preferences = state
                .tokens()
                .sign(Purpose::Preferences, link.subscriber_id, now);
            page(StatusCode::OK, pages::confirmed(config, &preferences))
        }
        ConfirmOutcome::NotPending(status) => page(
            StatusCode::GONE,
            pages::link_problem(config, LinkProblem::NoLongerPending(status)),
        ),
        ConfirmOutcome::Superseded => page(
            StatusCode::GONE,
            pages::link_problem(config, LinkProblem::Superseded),
        ),
        ConfirmOutcome::NotFound => page(
            StatusCode::NOT_FOUND,
            pages::link_problem(config, LinkProblem::Unknown),
        ),
    })
}

/// The consent history's origin for a request: the channel and the client address the layers worked out.
pub(crate) fn origin(channel: Channel, client: Option<Extension<ClientIp>>) -> Origin {
    match client {
        Some(Extension(ClientIp(ip))) => Origin::from_client(channel, IpAddr::to_canonical(&ip)),
        None => Origin::new(channel),
    }
}
