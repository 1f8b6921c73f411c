//! The layers around every route: request tracing (without the tokens in link paths), security headers, the
//! body limit and the per-client rate limit on POSTs.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::web::rate_limit::Decision;
use crate::web::{AppState, BODY_LIMIT, pages};

pub(super) fn apply(routes: Router<AppState>, state: AppState) -> Router {
    let csp = HeaderValue::from_str(&pages::content_security_policy())
        .expect("the policy is a valid header value");
    let fixed = |value: &'static str| HeaderValue::from_static(value);
    routes
        .layer(middleware::from_fn_with_state(state.clone(), limit_posts))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
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
        .with_state(state)
}

/// Answers 429 with `Retry-After` when the client has used up its POSTs.
async fn limit_posts(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        // Without ConnectInfo (a router driven directly, not through `serve`) all requests share one bucket.
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
        if let Decision::Deny { retry_after_secs } = state.limiter().check(client, state.now()) {
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
    }
    next.run(request).await
}
