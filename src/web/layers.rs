//! The layers around every route: request tracing (without the tokens in link paths), security headers, the
//! body limit (larger for the provider webhooks) and the per-client rate limit on POSTs (which also names the
//! client, see [`client_addr`]; the webhooks, which authenticate every request, are not limited).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, REFERRER_POLICY, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::look::shell;
use crate::tokens::Purpose;
use crate::web::client_addr::{self, ClientIp};
use crate::web::rate_limit::Decision;
use crate::web::{AppState, BODY_LIMIT, UNSUBSCRIBE_ROUTE, pages, webhooks};

pub(super) fn apply(routes: Router<AppState>, state: AppState) -> Router {
    let csp = HeaderValue::from_str(&shell::content_security_policy())
        .expect("the policy is a valid header value");
    let fixed = |value: &'static str| HeaderValue::from_static(value);
    routes
        .layer(middleware::from_fn_with_state(state.clone(), limit_posts))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(limit_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            fixed("nosniff"),
        ))
        // Link paths carry tokens: never hand them to another site.
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            fixed("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_FRAME_OPTIONS,
            fixed("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            fixed("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let path = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(no route)", MatchedPath::as_str);
                tracing::info_span!("http", method = %request.method(), path)
            }),
        )
        // Outermost, so it sees the status every other layer settled on (413, 429 included).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::metrics::count_requests,
        ))
        .with_state(state)
}

/// Works out the client address (see [`client_addr`]) and puts it in the request as [`ClientIp`], then answers
/// 429 with `Retry-After` when that client has used up its POSTs. A POST with a valid unsubscribe token is never
/// refused: leaving the list must work however many subscribes came from the same address (a household, an
/// office, a proxy); an invalid token counts like any other POST.
async fn limit_posts(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // Without ConnectInfo (a router driven directly, not through `serve`) all requests share one bucket.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
    let client =
        client_addr::client_address(peer, request.headers(), &state.config().trusted_proxies);
    request.extensions_mut().insert(ClientIp(client));
    if request.method() == Method::POST
        && !is_webhook(&request)
        && !is_valid_unsubscribe(&state, &request)
        && let Decision::Deny { retry_after_secs } = state.limiter().check(client, state.now())
    {
        tracing::info!(%client, retry_after_secs, "rate limited");
        let status = StatusCode::TOO_MANY_REQUESTS;
        let message = format!(
            "Too many requests from your address. Please try again in {retry_after_secs} seconds."
        );
        return (
            status,
            [(RETRY_AFTER, retry_after_secs.to_string())],
            pages::problem(status, &message),
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether the request is `POST /unsubscribe/{token}` with a token that verifies.
fn is_valid_unsubscribe(state: &AppState, request: &Request) -> bool {
    let on_route = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| path.as_str() == UNSUBSCRIBE_ROUTE);
    let token = request.uri().path().strip_prefix("/unsubscribe/");
    match token {
        Some(token) if on_route => state
            .tokens()
            .verify(Purpose::Unsubscribe, token, state.now())
            .is_ok(),
        _ => false,
    }
}

/// Whether the request matched one of the provider webhook routes.
fn is_webhook(request: &Request) -> bool {
    request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| path.as_str().starts_with(webhooks::PREFIX))
}

/// Answers 413 to a body declared (or, as it streams, found) larger than the route's limit: [`BODY_LIMIT`], or
/// [`webhooks::BODY_LIMIT`] for the webhooks (an SES notification carries the original headers).
async fn limit_body(request: Request, next: Next) -> Response {
    let limit = if is_webhook(&request) {
        webhooks::BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}
