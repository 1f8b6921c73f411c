//! `/preferences/{token}`: a reader's topics page. GET shows their current choice as a form (and changes nothing);
//! POST saves a new choice and pause, or unsubscribes. The signed token in the path is the authority, as for the
//! unsubscribe link: a forged, altered or cross-purpose token, or one that may no longer act on a subscription
//! (removed, or an older subscription of the address), gets the unsubscribe route's 400 page, whichever it was.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::store::{Channel, ReaderTopics, Status, TopicsChange, UnsubscribeOutcome};
use crate::tokens::{Link, Purpose};
use crate::web::client_addr::ClientIp;
use crate::web::confirm::origin;
use crate::web::pages;
use crate::web::pages::topics::{self, Notice, PreferencesView, TopicBoxes};
use crate::web::topics_form::{PreferencesRequest, parse_preferences};
use crate::web::{AppState, WebError};

/// The route, for the router.
pub(crate) const PREFERENCES_ROUTE: &str = "/preferences/{token}";

fn page(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// The answer to any link that does not work: the unsubscribe route's, so it tells nothing about why.
fn invalid(state: &AppState) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        pages::unsubscribe_invalid(state.config()),
    )
}

/// The genuine preferences link in `token`, and the reader it may act on.
async fn reader(state: &AppState, token: &str) -> Result<Option<(Link, ReaderTopics)>, WebError> {
    let now = state.now();
    let link = match state.tokens().verify_link(Purpose::Preferences, token, now) {
        Ok(link) => link,
        Err(error) => {
            tracing::info!("preferences link refused: {error}");
            return Ok(None);
        }
    };
    let topics = state
        .store()
        .run(move |store| store.reader_topics(&link, now))
        .await?;
    if topics.is_none() {
        tracing::info!(id = link.subscriber_id, "preferences link may not act");
    }
    Ok(topics.map(|topics| (link, topics)))
}

/// Whether the subscription still receives issues (or will, once confirmed): only then are there topics to
/// choose.
fn receives_issues(topics: &ReaderTopics) -> bool {
    matches!(topics.status, Status::Pending | Status::Confirmed)
}

async fn view(
    state: &AppState,
    token: &str,
    topics: &ReaderTopics,
    notice: Option<Notice>,
) -> Response {
    let known = state.known_categories().await;
    let boxes = TopicBoxes::new(&known, &topics.categories);
    let status = match notice {
        Some(Notice::Error(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    page(
        status,
        topics::preferences(
            state.config(),
            &PreferencesView {
                token,
                email: &topics.email,
                boxes,
                chosen: &topics.categories,
                paused_until: topics.paused_until,
                now: state.now(),
                notice,
            },
        ),
    )
}

/// `GET /preferences/{token}`.
pub async fn preferences_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let Some((_, topics)) = reader(&state, &token).await? else {
        return Ok(invalid(&state));
    };
    if !receives_issues(&topics) {
        return Ok(page(StatusCode::OK, topics::not_subscribed(state.config())));
    }
    Ok(view(&state, &token, &topics, None).await)
}

/// `POST /preferences/{token}`: the page's form (`application/x-www-form-urlencoded`, within the body limit).
pub async fn save_preferences(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some((link, current)) = reader(&state, &token).await? else {
        return Ok(invalid(&state));
    };
    let form_encoded = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        return Err(WebError::BadRequest {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: "send the form as application/x-www-form-urlencoded".to_owned(),
        });
    }
    if !receives_issues(&current) {
        return Ok(page(StatusCode::OK, topics::not_subscribed(state.config())));
    }
    let known = state.known_categories().await;
    let request = match parse_preferences(&body, &known, &current.categories) {
        Ok(request) => request,
        Err(problem) => {
            tracing::info!(
                id = link.subscriber_id,
                "preferences form refused: {problem}"
            );
            return Ok(view(&state, &token, &current, Some(Notice::Error(problem.0))).await);
        }
    };
    let now = state.now();
    let origin = origin(Channel::Link, client);
    match request {
        PreferencesRequest::Unsubscribe => {
            let outcome = state
                .store()
                .run(move |store| store.unsubscribe(&link, &origin, now))
                .await?;
            tracing::info!(
                id = link.subscriber_id,
                ?outcome,
                "unsubscribe from the preferences page"
            );
            Ok(match outcome {
                UnsubscribeOutcome::Unsubscribed | UnsubscribeOutcome::AlreadyUnsubscribed => {
                    page(StatusCode::OK, pages::unsubscribed(state.config()))
                }
                UnsubscribeOutcome::Stale | UnsubscribeOutcome::NotFound => invalid(&state),
            })
        }
        PreferencesRequest::Save { categories, pause } => {
            let change = TopicsChange {
                categories,
                paused_until: pause.until(current.paused_until, now),
            };
            let saved = state
                .store()
                .run(move |store| store.set_topics(&link, &change, &origin, now))
                .await?;
            let Some(saved) = saved else {
                return Ok(invalid(&state));
            };
            tracing::info!(id = link.subscriber_id, "topics saved");
            Ok(view(&state, &token, &saved, Some(Notice::Saved)).await)
        }
    }
}
