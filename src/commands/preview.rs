//! `verdicts preview`: write the digest files (of the full issue, or of one edition with `--categories`), or
//! serve them on localhost re-rendered per request.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::html;

use super::as_of::parse_as_of;
use crate::config::Config;
use crate::content::{Categories, Comparison, KnownCategories};
use crate::exit::ExitStatus;
use crate::issue::preview::{self, PreviewOutcome};

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// Send time to preview: a date (2026-11-22, meaning the end of that day in the configured
    /// time zone) or an RFC 3339 time (2026-11-23T09:00:00+01:00). Default: now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Folder for digest.html, digest.txt and digest.eml.
    #[arg(long, default_value = "preview")]
    pub out: PathBuf,
    /// Show the preview on localhost, re-reading the content on every request.
    #[arg(long)]
    pub serve: bool,
    /// Address for --serve.
    #[arg(long, default_value = "127.0.0.1:8025")]
    pub listen: String,
    /// Preview the edition readers of these categories get ("Search,Voice"; commas or semicolons, any case).
    /// Default: the full issue.
    #[arg(long, value_name = "LIST")]
    pub categories: Option<String>,
}

pub fn run(config: &Config, args: PreviewArgs) -> Result<ExitStatus> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|value| parse_as_of(value, config.timezone))
        .transpose();
    let as_of = match as_of {
        Ok(as_of) => as_of,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitStatus::Usage);
        }
    };
    if args.serve {
        let state = PreviewState {
            config: config.clone(),
            as_of: args.as_of,
            categories: args.categories,
        };
        return serve(state, &args.listen);
    }
    let Ok(comparisons) = super::load_content(config) else {
        return Ok(ExitStatus::Invalid);
    };
    let categories = match categories(args.categories.as_deref(), &comparisons) {
        Ok(categories) => categories,
        Err(error) => {
            eprintln!("error: --categories: {error}");
            return Ok(ExitStatus::Invalid);
        }
    };
    let as_of = as_of.unwrap_or_else(crate::clock::now);
    match preview::as_send_would(config, &comparisons, as_of, &categories)? {
        PreviewOutcome::Empty { message } => {
            println!("{message}");
            Ok(ExitStatus::Success)
        }
        PreviewOutcome::Ready(preview) => {
            write_files(&args.out, &preview)?;
            let edition = if categories.is_everything() {
                String::new()
            } else {
                let names: Vec<&str> = categories.names().collect();
                format!(" (edition for {})", names.join(", "))
            };
            println!(
                "issue {}{edition}: {} comparison{} — {:?}",
                preview.key,
                preview.comparisons,
                if preview.comparisons == 1 { "" } else { "s" },
                preview.subject
            );
            for name in ["digest.html", "digest.txt", "digest.eml"] {
                println!("  wrote {}", args.out.join(name).display());
            }
            Ok(ExitStatus::Success)
        }
    }
}

/// The edition `--categories` names, checked against the categories the content has.
fn categories(
    list: Option<&str>,
    comparisons: &[Comparison],
) -> Result<Categories, crate::content::UnknownCategories> {
    match list {
        Some(list) => Categories::parse(list, &KnownCategories::of(comparisons)),
        None => Ok(Categories::everything()),
    }
}

fn write_files(dir: &Path, preview: &preview::Preview) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    };
    write("digest.html", preview.html.as_bytes())?;
    write("digest.txt", preview.text.as_bytes())?;
    write("digest.eml", &preview.eml)
}

#[derive(Clone)]
struct PreviewState {
    config: Config,
    as_of: Option<String>,
    categories: Option<String>,
}

fn serve(state: PreviewState, listen: &str) -> Result<ExitStatus> {
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

/// Re-reads the content and renders; content errors become the response.
fn render(state: &PreviewState) -> Result<PreviewOutcome, (StatusCode, String)> {
    let config = &state.config;
    let as_of = match &state.as_of {
        Some(value) => parse_as_of(value, config.timezone),
        None => Ok(crate::clock::now()),
    }
    .map_err(|e| (StatusCode::BAD_REQUEST, format!("{e:#}")))?;
    let comparisons =
        crate::content::load_dir(&config.content_dir, &config.base_url).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, text.join("\n"))
        })?;
    let categories = categories(state.categories.as_deref(), &comparisons)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("--categories: {e}")))?;
    preview::as_send_would(config, &comparisons, as_of, &categories)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))
}

async fn index(State(state): State<PreviewState>) -> Response {
    let outcome = match render(&state) {
        Ok(outcome) => outcome,
        Err(error) => return error.into_response(),
    };
    let body = match outcome {
        PreviewOutcome::Empty { message } => html! { p { (message) } },
        PreviewOutcome::Ready(preview) => html! {
            p style="font:14px sans-serif;margin:8px;" {
                "Issue " (preview.key) " · " strong { (preview.subject) } " · "
                a href="/digest.txt" { "Text part" } " · "
                a href="/digest.eml" { "Raw message (.eml)" }
            }
            iframe src="/digest.html" title="HTML part" style="width:100%;height:calc(100vh - 60px);border:0;" {}
        },
    };
    Html(html! { (maud::DOCTYPE) html lang="en" { head { meta charset="utf-8"; title { "Preview" } } body style="margin:0" { (body) } } }.into_string()).into_response()
}

fn part(state: &PreviewState, pick: fn(preview::Preview) -> (&'static str, Vec<u8>)) -> Response {
    match render(state) {
        Ok(PreviewOutcome::Ready(preview)) => {
            let (content_type, body) = pick(preview);
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(PreviewOutcome::Empty { message }) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn digest_html(State(state): State<PreviewState>) -> Response {
    part(&state, |p| {
        ("text/html; charset=utf-8", p.html.into_bytes())
    })
}

async fn digest_text(State(state): State<PreviewState>) -> Response {
    part(&state, |p| {
        ("text/plain; charset=utf-8", p.text.into_bytes())
    })
}

async fn digest_eml(State(state): State<PreviewState>) -> Response {
    part(&state, |p| ("text/plain; charset=utf-8", p.eml))
}
