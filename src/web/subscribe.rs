//! `GET /` and `POST /subscribe`. The form (or JSON) is parsed into a [`NewSubscriber`] at the edge; the answer is
//! the same whether the address is new, pending, confirmed or unsubscribed. The handler does the same work for
//! every address (one write transaction: the request in the consent history, and a queued mail when one is due)
//! and no mail work at all: the queued mail is built and sent by `confirmation_queue` after the answer.

use std::sync::Arc;

use crate::content::{Categories, KnownCategories};
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{Channel, Origin, Source};
use crate::web::client_addr::ClientIp;
use crate::web::confirm::origin;
use crate::web::pages::topics::TopicBoxes;
use crate::web::pages::{self, FormValues};
use crate::web::topics_form::{self, CATEGORY_FIELD, FieldProblem};
use crate::web::{AppState, WebError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{CONTENT_TYPE, ORIGIN, REFERER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

/// The fields of the subscribe form, as posted. Unknown fields are ignored: a publication's own form may carry
/// more.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The honeypot ([`pages::HONEYPOT_FIELD`]): hidden from people, so anything in it came from a bot.
    #[serde(default)]
    pub website: Option<String>,
    /// The categories to follow, as named (JSON `"categories": [...]`; the form's ticked `category` boxes).
    /// None: everything, categories that appear later included.
    #[serde(default)]
    pub categories: Vec<String>,
}

impl SubscribeForm {
    pub fn is_bot(&self) -> bool {
        self.website.as_deref().is_some_and(|v| !v.is_empty())
    }

    /// The form as a browser posts it: single `email`, `name` and `website` fields (each at most once) and a
    /// `category` field per ticked box. Fields it does not know are ignored.
    pub fn from_urlencoded(body: &[u8]) -> Result<SubscribeForm, WebError> {
        let fields = topics_form::fields(body);
        let single = |name: &str| -> Result<Option<String>, WebError> {
            match topics_form::repeated(&fields, name).as_slice() {
                [] => Ok(None),
                [one] => Ok(Some((*one).to_string())),
                _ => Err(FieldProblem(format!("{name}: sent more than once")).into()),
            }
        };
        Ok(SubscribeForm {
            email: single("email")?.unwrap_or_default(),
            name: single("name")?,
            website: single(pages::HONEYPOT_FIELD)?,
            categories: topics_form::repeated(&fields, CATEGORY_FIELD)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
    }
}

/// A subscribe request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscriber {
    pub email: SubscriberEmail,
    pub name: Option<SubscriberName>,
    pub categories: Categories,
}

impl NewSubscriber {
    /// Checks every field; the categories against those the content has (`field` names them in a refusal:
    /// `category` for the form, `categories` for JSON).
    pub fn parse(
        form: SubscribeForm,
        field: &str,
        known: &KnownCategories,
    ) -> Result<NewSubscriber, WebError> {
        let email = SubscriberEmail::parse(&form.email)?;
        let name = SubscriberName::parse_optional(form.name.as_deref().unwrap_or(""))?;
        let categories = topics_form::parse_categories(field, &form.categories, known)?;
        Ok(NewSubscriber {
            email,
            name,
            categories,
        })
    }
}

/// How the client spoke, and so how to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Form,
    Json,
}

/// The body of `POST /subscribe`: `application/x-www-form-urlencoded` or `application/json`.
pub struct SubscribeBody {
    format: Format,
    form: Result<SubscribeForm, WebError>,
}

impl<S: Send + Sync> FromRequest<S> for SubscribeBody {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<SubscribeBody, WebError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let rejected =
            |status: StatusCode, message: String| WebError::BadRequest { status, message };
        if content_type.starts_with("application/json") {
            let form = Json::<SubscribeForm>::from_request(request, state)
                .await
                .map(|Json(form)| form)
                .map_err(|e| rejected(e.status(), e.body_text()));
            Ok(SubscribeBody {
                format: Format::Json,
                form,
            })
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            // Read by hand rather than with `Form`: the ticked boxes repeat the `category` field.
            let form = match Bytes::from_request(request, state).await {
                Ok(body) => SubscribeForm::from_urlencoded(&body),
                Err(e) => Err(rejected(e.status(), e.body_text())),
            };
            Ok(SubscribeBody {
                format: Format::Form,
                form,
            })
        } else {
            Err(rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the form as application/x-www-form-urlencoded or application/json".to_owned(),
            ))
        }
    }
}

/// `GET /` (and `GET /subscribe`).
pub async fn page(State(state): State<AppState>) -> Html<String> {
    let known = state.known_categories().await;
    let topics = TopicBoxes::new(&known, &Categories::everything());
    let values = FormValues {
        topics: Some(&topics),
        ..FormValues::default()
    };
    Html(pages::subscribe(state.config(), &values).into_string())
}

/// `POST /subscribe`.
pub async fn submit(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: SubscribeBody,
) -> Response {
    let SubscribeBody { format, form } = body;
    let channel = match format {
        Format::Form => Channel::Form,
        Format::Json => Channel::Api,
    };
    let result = match form {
        Ok(form) => subscribe(&state, form.clone(), format, origin(channel, client))
            .await
            .map_err(|e| (e, form)),
        Err(error) => Err((error, SubscribeForm::default())),
    };
    match (result, format) {
        (Ok(()), Format::Json) => (
            StatusCode::ACCEPTED,
            Json(json!({ "message": CHECK_INBOX_MESSAGE })),
        )
            .into_response(),
        (Ok(()), Format::Form) => match thank_you_redirect(&state, &headers) {
            Some(url) => Redirect::to(url).into_response(),
            None => Html(pages::check_inbox(state.config()).into_string()).into_response(),
        },
        (Err((error, _)), Format::Json) => {
            error.log();
            (error.status(), Json(json!({ "error": error.to_string() }))).into_response()
        }
        (Err((error @ WebError::Internal(_), _)), Format::Form) => error.into_response(),
        (Err((error, form)), Format::Form) => {
            let message = error.to_string();
            let known = state.known_categories().await;
            let topics =
                TopicBoxes::new(&known, &Categories::everything()).ticking(&form.categories);
            let values = FormValues {
                email: &form.email,
                name: form.name.as_deref().unwrap_or(""),
                error: Some(&message),
                topics: Some(&topics),
            };
            (
                error.status(),
                Html(pages::subscribe(state.config(), &values).into_string()),
            )
                .into_response()
        }
    }
}

const CHECK_INBOX_MESSAGE: &str =
    "If that address is not subscribed yet, a confirmation link is on its way to it.";

/// Records the request (and, when one is due, the confirmation mail in the queue) and wakes the queue's sender.
/// Bots get the same answer and nothing is stored.
async fn subscribe(
    state: &AppState,
    form: SubscribeForm,
    format: Format,
    origin: Origin,
) -> Result<(), WebError> {
    if form.is_bot() {
        tracing::info!("honeypot field filled in: ignored");
        return Ok(());
    }
    // Most subscribes choose nothing: only a choice needs the content's categories.
    let known = if form.categories.is_empty() {
        Arc::new(KnownCategories::default())
    } else {
        state.known_categories().await
    };
    let field = match format {
        Format::Form => CATEGORY_FIELD,
        Format::Json => "categories",
    };
    let NewSubscriber {
        email,
        name,
        categories,
    } = NewSubscriber::parse(form, field, &known)?;
    let now = state.now();
    // One transaction, committed or not as a whole: a client that hangs up mid-request leaves either nothing or
    // the request with its queued mail, which the sender then delivers.
    let outcome = state
        .store()
        .run(move |store| {
            store.subscribe(
                &email,
                name.as_ref(),
                &categories,
                Source::Form,
                &origin,
                now,
            )
        })
        .await?;
    tracing::info!(id = outcome.subscriber_id, kind = ?outcome.kind, mail = outcome.should_send_confirmation, "subscribe");
    if outcome.should_send_confirmation {
        state.mail_queue().wake();
    }
    Ok(())
}

/// The configured thank-you URL, when the form was posted from a page on the same site as that URL (the
/// publication's own site). The browser says where the form was with `Origin` (or, failing that, `Referer`).
fn thank_you_redirect<'s>(state: &'s AppState, headers: &HeaderMap) -> Option<&'s str> {
    let thank_you = state.config().thank_you_url.as_deref()?;
    let wanted = origin_of(thank_you)?;
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let from = header(ORIGIN)
        .filter(|v| *v != "null")
        .or_else(|| header(REFERER))
        .and_then(origin_of)?;
    from.eq_ignore_ascii_case(wanted).then_some(thank_you)
}

/// `scheme://host[:port]` of an absolute http(s) URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let scheme = &url[..rest_at - 3];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let end = url[rest_at..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest_at + i);
    (end > rest_at).then(|| &url[..end])
}

#[cfg(test)]
mod tests;
