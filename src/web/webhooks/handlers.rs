//! The HTTP side of the three webhooks: 404 while off, 405 for anything but POST, 401 when authentication fails
//! (nothing read further, nothing changed), 413 past [`BODY_LIMIT`], 400 naming what is malformed, 200 once every
//! event is recorded or ignored. Answers are short plain text: a provider's delivery log shows them.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ALLOW, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::store::ReportSource;
use crate::web::AppState;
use crate::web::webhooks::event::Parsed;
use crate::web::webhooks::record::{Handled, Target, record_all};
use crate::web::webhooks::{BODY_LIMIT, mailgun, postmark, ses, sns};

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    let mut message = message.into();
    message.push('\n');
    (status, message).into_response()
}

fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "POST")]).into_response()
}

async fn off(state: AppState) -> Response {
    crate::web::links::not_found(State(state)).await
}

/// The body, or the 413 (too large) or 400 (broken upload) to answer.
async fn read_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|error| {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
                || error.to_string().contains("length limit");
            if too_large {
                text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("a webhook body may be at most {BODY_LIMIT} bytes"),
                )
            } else {
                text(
                    StatusCode::BAD_REQUEST,
                    format!("reading the body: {error}"),
                )
            }
        })
}

/// The body read as `T`, or the 413, or the 400 naming `what` and why it is not valid.
async fn read_json<T: serde::de::DeserializeOwned>(body: Body, what: &str) -> Result<T, Response> {
    let body = read_body(body).await?;
    serde_json::from_slice(&body)
        .map_err(|e| text(StatusCode::BAD_REQUEST, format!("{what} is not valid: {e}")))
}

/// Records what a verified payload says, and answers 200 (or 500 when the store fails, so the provider retries).
async fn finish(state: &AppState, source: ReportSource, parsed: Parsed) -> Response {
    let events = match parsed {
        Parsed::Ignored(why) => {
            tracing::info!(?source, "webhook: {why}; nothing to record");
            return text(StatusCode::OK, format!("ignored: {why}"));
        }
        Parsed::Events(events) => events,
    };
    let target = Target {
        source,
        domain: state.config().sender_domain().to_owned(),
        soft_bounce_limit: state.config().soft_bounce_limit,
    };
    let now = state.now();
    let result = state
        .store()
        .run(move |store| record_all(store, &target, &events, now))
        .await;
    match result {
        Ok(handled) => {
            let outcomes: Vec<String> = handled
                .iter()
                .filter_map(|h| match h {
                    Handled::Recorded(outcome) => Some(format!("{outcome:?}")),
                    Handled::NotOnList => None,
                })
                .collect();
            text(
                StatusCode::OK,
                format!(
                    "recorded {} [{}], not on the list {}",
                    outcomes.len(),
                    outcomes.join(", "),
                    handled.len() - outcomes.len()
                ),
            )
        }
        Err(error) => {
            tracing::error!(?source, "webhook: recording failed: {error:#}");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side; please retry",
            )
        }
    }
}

/// `POST /webhooks/postmark`: basic auth, then a Bounce or SpamComplaint body.
pub async fn postmark(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(credentials) = &state.webhooks().postmark else {
        return off(state).await;
    };
    if method != Method::POST {
        return method_not_allowed();
    }
    if !credentials.admits(&headers) {
        tracing::warn!("webhook postmark: refused a request without the configured basic auth");
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Basic realm=\"verdicts webhooks\"")],
            "/webhooks/postmark needs the basic auth of postmark_webhook_user and VERDICTS_POSTMARK_WEBHOOK_PASSWORD\n",
        )
            .into_response();
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    match postmark::parse(&body) {
        Ok(parsed) => finish(&state, ReportSource::Postmark, parsed).await,
        Err(problem) => text(StatusCode::BAD_REQUEST, problem),
    }
}

/// `POST /webhooks/mailgun`: a JSON body whose `signature` must verify, be fresh and be new.
pub async fn mailgun(State(state): State<AppState>, method: Method, body: Body) -> Response {
    let Some(hook) = &state.webhooks().mailgun else {
        return off(state).await;
    };
    if method != Method::POST {
        return method_not_allowed();
    }
    let envelope: mailgun::Envelope = match read_json(body, "the Mailgun webhook body").await {
        Ok(envelope) => envelope,
        Err(response) => return response,
    };
    let now = state.now();
    let signature = &envelope.signature;
    let claimed = hook
        .key
        .verify(signature, now)
        .and_then(|timestamp| hook.replays.claim(&signature.token, timestamp, now));
    match claimed {
        Ok(()) => {}
        Err(mailgun::Refusal::CacheFull) => {
            tracing::warn!("webhook mailgun: {}", mailgun::Refusal::CacheFull);
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(RETRY_AFTER, "60")],
                "too many recent events; retry later\n",
            )
                .into_response();
        }
        Err(refusal) => {
            tracing::warn!("webhook mailgun: refused: {refusal}");
            return text(StatusCode::UNAUTHORIZED, format!("refused: {refusal}"));
        }
    }
    let token = signature.token.clone();
    let response = match mailgun::parse(envelope.event_data) {
        Ok(parsed) => finish(&state, ReportSource::Mailgun, parsed).await,
        Err(problem) => text(StatusCode::BAD_REQUEST, problem),
    };
    if response.status().is_server_error() {
        // Nothing was recorded: Mailgun's retry of this very event must not look like a replay.
        hook.replays.release(&token);
    }
    response
}

/// `POST /webhooks/ses`: an SNS message whose signature must verify against the configured certificate.
pub async fn ses(State(state): State<AppState>, method: Method, body: Body) -> Response {
    let Some(verifier) = &state.webhooks().ses else {
        return off(state).await;
    };
    if method != Method::POST {
        return method_not_allowed();
    }
    let envelope: sns::Envelope = match read_json(body, "the SNS message").await {
        Ok(envelope) => envelope,
        Err(response) => return response,
    };
    if let Err(refusal) = verifier.verify(&envelope, state.now()) {
        if matches!(
            refusal,
            sns::Refusal::BadSignature | sns::Refusal::NoValidCertificate(_)
        ) {
            // After a rotation this is how the operator learns where the new certificate is (to check and add).
            tracing::warn!(
                "webhook ses: refused: {refusal}; the message names SigningCertURL {:?}",
                envelope.signing_cert_url
            );
        } else {
            tracing::warn!("webhook ses: refused: {refusal}");
        }
        let status = match refusal {
            sns::Refusal::Topic(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        return text(status, format!("refused: {refusal}"));
    }
    match envelope.kind.as_str() {
        "SubscriptionConfirmation" => {
            // Never fetched from here: the operator confirms by visiting it (or with `aws sns confirm-subscription`).
            tracing::warn!(
                topic = %envelope.topic_arn,
                "webhook ses: SNS asks to confirm this subscription; visit its SubscribeURL to start receiving \
                 notifications: {:?}",
                envelope.subscribe_url.as_deref().unwrap_or_default()
            );
            text(
                StatusCode::OK,
                "subscription confirmation logged for the operator",
            )
        }
        "UnsubscribeConfirmation" => {
            tracing::warn!(topic = %envelope.topic_arn, "webhook ses: SNS says this endpoint was unsubscribed");
            text(StatusCode::OK, "unsubscribe confirmation logged")
        }
        _ => match ses::parse(&envelope.message) {
            Ok(parsed) => finish(&state, ReportSource::Ses, parsed).await,
            Err(problem) => text(StatusCode::BAD_REQUEST, problem),
        },
    }
}
