//! `verdicts preview`: write the digest files (of the full issue, or of one edition with `--categories`), or
//! serve them on localhost re-rendered per request.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::as_of::parse_as_of;
use crate::config::Config;
use crate::content::{Categories, Comparison, KnownCategories};
use crate::exit::ExitStatus;
use crate::issue::preview::{self, PreviewOutcome};

mod serve;

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
        let state = serve::PreviewState {
            config: config.clone(),
            as_of: args.as_of,
            categories: args.categories,
        };
        return serve::serve(state, &args.listen);
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
