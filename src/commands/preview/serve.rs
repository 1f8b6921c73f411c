//! `verdicts preview --serve`: the preview on localhost, re-rendered from the content on every request, with an
//! edition selector (plain links and a GET form, no JavaScript): `?categories=Search,Voice` (or the form's
//! repeated `category` fields) shows the edition readers of those categories get, exactly as sent; `?categories=`
//! is the full issue. Without either, the edition of `--categories` (the full issue by default).

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::categories;
use crate::commands::as_of::parse_as_of;
use crate::config::Config;
use crate::content::{Categories, Comparison, KnownCategories};
use crate::exit::ExitStatus;
use crate::issue::preview::{self, PreviewOutcome};

#[derive(Clone)]
pub(super) struct PreviewState {
    pub config: Config,
    pub as_of: Option<String>,
    /// `--categories`: the edition shown when the request names none.
    pub categories: Option<String>,
}

pub(super) fn serve(state: PreviewState, listen: &str) -> Result<ExitStatus> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        println!(
            "previewing on http://{} — edit content files and refresh; Ctrl-C to stop",
            listener.local_addr()?
        );
        let app = Router::new()
            .route("/", get(index))
            .route("/digest.html", get(digest_html))
            .route("/digest.txt", get(digest_text))
            .route("/digest.eml", get(digest_eml))
            .with_state(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(ExitStatus::Success)
    })
}

/// The edition a request asks for, as a `--categories` list: `Some("")` is the full issue, `None` asks for none
/// (the command line's applies). Reads `categories=A,B` and repeated `category=A`.
pub(super) fn requested_list(query: Option<&str>) -> Option<String> {
    let query = query?;
    let mut named = false;
    let mut names = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "categories" | "category" => {
                named = true;
                if !value.trim().is_empty() {
                    names.push(value.into_owned());
                }
            }
            _ => {}
        }
    }
    named.then(|| names.join(","))
}

/// What one request renders: the edition chosen, the content's categories (for the selector), the outcome.
struct Rendered {
    chosen: Categories,
    known: KnownCategories,
    outcome: PreviewOutcome,
}

/// Re-reads the content and renders the requested edition; content errors and unknown categories become the
/// response.
fn render(state: &PreviewState, query: Option<&str>) -> Result<Rendered, (StatusCode, String)> {
    let config = &state.config;
    let as_of = match &state.as_of {
        Some(value) => parse_as_of(value, config.timezone),
        None => Ok(crate::clock::now()),
    }
    .map_err(|e| (StatusCode::BAD_REQUEST, format!("{e:#}")))?;
    let comparisons: Vec<Comparison> =
        crate::content::load_dir(&config.content_dir, &config.base_url).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, text.join("\n"))
        })?;
    let (list, source) = match requested_list(query) {
        Some(list) => (Some(list), "categories"),
        None => (state.categories.clone(), "--categories"),
    };
    let chosen = categories(list.as_deref(), &comparisons)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("{source}: {e}")))?;
    let outcome = preview::as_send_would(config, &comparisons, as_of, &chosen)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
    Ok(Rendered {
        chosen,
        known: KnownCategories::of(&comparisons),
        outcome,
    })
}

/// The query that asks for `chosen` again (for the iframe and the part links); empty for the full issue.
fn query_for(chosen: &Categories) -> String {
    if chosen.is_everything() {
        return String::new();
    }
    let list: Vec<&str> = chosen.names().collect();
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("categories", &list.join(","))
        .finish();
    format!("?{encoded}")
}

/// The selector: the full issue and each category as a link, and checkboxes for any combination.
fn selector(rendered: &Rendered) -> Markup {
    let style = "font:14px sans-serif;margin:8px;";
    html! {
        form method="get" action="/" style=(style) {
            "Edition: "
            a href="/?categories=" { "Full issue" }
            @for (name, _) in rendered.known.iter() {
                " · "
                a href={ "/" (query_for(&Categories::from_names([&name]))) } { (name) }
            }
            br;
            @for (name, _) in rendered.known.iter() {
                label style="margin-right:10px;white-space:nowrap;" {
                    input type="checkbox" name="category" value=(name)
                        checked[!rendered.chosen.is_everything() && rendered.chosen.includes(&name)];
                    " " (name)
                }
            }
            button type="submit" { "Show this edition" }
        }
    }
}

async fn index(State(state): State<PreviewState>, RawQuery(query): RawQuery) -> Response {
    let rendered = match render(&state, query.as_deref()) {
        Ok(rendered) => rendered,
        Err(error) => return error.into_response(),
    };
    let again = query_for(&rendered.chosen);
    let edition = if rendered.chosen.is_everything() {
        "the full issue".to_string()
    } else {
        format!(
            "the edition for {}",
            rendered.chosen.names().collect::<Vec<_>>().join(", ")
        )
    };
    let body = match &rendered.outcome {
        PreviewOutcome::Empty { message } => {
            html! { p style="font:14px sans-serif;margin:8px;" { (message) } }
        }
        PreviewOutcome::Ready(preview) => html! {
            p style="font:14px sans-serif;margin:8px;" {
                "Issue " (preview.key) " (" (edition) ") · " strong { (preview.subject) } " · "
                a href={ "/digest.txt" (again) } { "Text part" } " · "
                a href={ "/digest.eml" (again) } { "Raw message (.eml)" }
            }
            iframe src={ "/digest.html" (again) } title="HTML part" style="width:100%;height:calc(100vh - 110px);border:0;" {}
        },
    };
    Html(
        html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Preview" } }
                body style="margin:0" { (selector(&rendered)) (body) }
            }
        }
        .into_string(),
    )
    .into_response()
}

fn part(
    state: &PreviewState,
    query: Option<&str>,
    pick: fn(preview::Preview) -> (&'static str, Vec<u8>),
) -> Response {
    match render(state, query).map(|r| r.outcome) {
        Ok(PreviewOutcome::Ready(preview)) => {
            let (content_type, body) = pick(preview);
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(PreviewOutcome::Empty { message }) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn digest_html(State(state): State<PreviewState>, RawQuery(query): RawQuery) -> Response {
    part(&state, query.as_deref(), |p| {
        ("text/html; charset=utf-8", p.html.into_bytes())
    })
}

async fn digest_text(State(state): State<PreviewState>, RawQuery(query): RawQuery) -> Response {
    part(&state, query.as_deref(), |p| {
        ("text/plain; charset=utf-8", p.text.into_bytes())
    })
}

async fn digest_eml(State(state): State<PreviewState>, RawQuery(query): RawQuery) -> Response {
    part(&state, query.as_deref(), |p| {
        ("text/plain; charset=utf-8", p.eml)
    })
}

#[cfg(test)]
mod tests {
    use super::requested_list;

    #[test]
    fn the_query_names_an_edition_or_leaves_it_to_the_command_line() {
        assert_eq!(requested_list(None), None);
        assert_eq!(requested_list(Some("x=1")), None);
        assert_eq!(requested_list(Some("categories=")), Some(String::new()));
        assert_eq!(
            requested_list(Some("categories=Search%2CVoice")),
            Some("Search,Voice".into())
        );
        assert_eq!(
            requested_list(Some("category=Search&category=Developer+Tools")),
            Some("Search,Developer Tools".into())
        );
    }
}
