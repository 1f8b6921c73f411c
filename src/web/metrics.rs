//! `GET /metrics` (off unless `VERDICTS_METRICS_TOKEN` is set: then it wants `Authorization: Bearer <token>`)
//! and the layer that counts every request by method, matched route template and status. A route template is
//! counted, never the path: link paths carry tokens.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::metrics::{self, snapshot};
use crate::web::AppState;

/// The bearer token `/metrics` asks for; its `Debug` hides it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// `None` for an empty token: that would let anyone in.
    pub fn new(token: &str) -> Option<MetricsToken> {
        let token = token.trim();
        (!token.is_empty()).then(|| MetricsToken(token.to_owned()))
    }

    /// Whether `presented` is the token, in time that depends on neither (both are hashed first, so not even
    /// the length leaks).
    pub fn matches(&self, presented: &str) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        expected.ct_eq(&presented).into()
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case), if that is what was sent.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// The page: 404 while no token is configured (whatever the method), 405 for a method other than GET or HEAD, 401
/// for a missing or wrong token, 503 when the store cannot be read.
pub async fn page(State(state): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    let Some(token) = state.metrics_token() else {
        return super::links::not_found(State(state)).await;
    };
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "GET, HEAD")]).into_response();
    }
    if !bearer(&headers).is_some_and(|presented| token.matches(presented)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs the token of VERDICTS_METRICS_TOKEN: Authorization: Bearer <token>\n",
        )
            .into_response();
    }
    let now = state.now();
    match state
        .store()
        .run(move |store| snapshot::read(store, now, snapshot::Issues::Current))
        .await
    {
        Ok(snapshot) => (
            StatusCode::OK,
            [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
            metrics::render(&snapshot, &state.counters().snapshot()),
        )
            .into_response(),
        Err(error) => {
            tracing::error!("metrics: the store cannot be read: {error:#}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store cannot be read\n",
            )
                .into_response()
        }
    }
}

/// Counts the request once it is answered, by the route template it matched (no route: `(unmatched)`).
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    state.counters().add_request(
        method.as_str(),
        route.as_ref().map(MatchedPath::as_str),
        response.status().as_u16(),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::http::header::AUTHORIZATION;
    use axum::http::{HeaderMap, HeaderValue};

    use super::{MetricsToken, bearer};

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_a_bearer_authorization_yields_a_token() {
        assert_eq!(bearer(&with_authorization("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&with_authorization("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&with_authorization("Basic YTpi")), None);
        assert_eq!(bearer(&with_authorization("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn a_token_matches_itself_only_and_is_never_shown() {
        let token = MetricsToken::new(" s3cret ").unwrap();
        assert!(token.matches("s3cret"));
        assert!(!token.matches("s3cre"));
        assert!(!token.matches("s3cret2"));
        assert!(!token.matches(""));
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(MetricsToken::new("  ").is_none());
    }
}
