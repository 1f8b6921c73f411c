//! Readers' topics from the command line: `subscribers add --categories`, and `subscribers topics EMAIL` to show
//! or (for a reader who asked by other means) change the categories an address follows and pause it. Lists are
//! checked against the categories the content has; an unknown name changes nothing and names the known ones.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::content::{self, Categories, KnownCategories};
use crate::exit::ExitStatus;
use crate::store::{Channel, Origin, ReaderTopics, Store, TopicsChange};

/// The longest pause, as on the preferences page.
const MAX_PAUSE_WEEKS: i64 = 8;

#[derive(Debug, clap::Args)]
pub struct TopicsArgs {
    pub email: String,
    /// Follow only these categories ("Search,Voice"; commas or semicolons, any case).
    #[arg(long, value_name = "LIST", conflicts_with = "everything")]
    pub categories: Option<String>,
    /// Follow everything again, categories that appear later included.
    #[arg(long)]
    pub everything: bool,
    /// Skip the issues of the next N weeks (1 to 8).
    #[arg(long, value_name = "N", conflicts_with = "resume")]
    pub pause_weeks: Option<i64>,
    /// End a pause.
    #[arg(long)]
    pub resume: bool,
}

/// The categories the content has; the content must load, or a list cannot be checked.
pub(super) fn known_categories(config: &Config) -> Result<KnownCategories> {
    let comparisons = content::load_dir_or_error(&config.content_dir, &config.base_url)
        .map_err(|e| e.context("the categories are checked against the content"))?;
    Ok(KnownCategories::of(&comparisons))
}

/// A `--categories` list, or why not (printed).
pub(super) fn parse_list(list: &str, known: &KnownCategories) -> Option<Categories> {
    Categories::parse(list, known)
        .map_err(|unknown| eprintln!("error: --categories: {unknown}; nothing was changed"))
        .ok()
}

/// "Search, Voice" or "everything".
pub(super) fn shown(categories: &Categories) -> String {
    if categories.is_everything() {
        "everything".to_string()
    } else {
        categories.names().collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn run(
    config: &Config,
    store: &mut Store,
    args: &TopicsArgs,
    now: DateTime<Utc>,
) -> Result<ExitStatus> {
    let Some(email) = super::parse_email(&args.email) else {
        return Ok(ExitStatus::Invalid);
    };
    let Some(current) = store.find_by_email(&email)? else {
        eprintln!("error: {email} is not on the list; nothing was changed");
        return Ok(ExitStatus::Failure);
    };
    let changes = args.categories.is_some() || args.everything;
    if !changes && args.pause_weeks.is_none() && !args.resume {
        print(&ReaderTopics {
            subscriber_id: current.id,
            email: current.email.clone(),
            status: current.status,
            categories: current.categories.clone(),
            paused_until: current.paused_at(now),
        });
        return Ok(ExitStatus::Success);
    }
    let categories = match (&args.categories, args.everything) {
        (Some(list), _) => match parse_list(list, &known_categories(config)?) {
            Some(categories) => categories,
            None => return Ok(ExitStatus::Invalid),
        },
        (None, true) => Categories::everything(),
        (None, false) => current.categories.clone(),
    };
    let paused_until = match (args.pause_weeks, args.resume) {
        (Some(weeks), _) if !(1..=MAX_PAUSE_WEEKS).contains(&weeks) => {
            eprintln!(
                "error: --pause-weeks {weeks}: pause for 1 to {MAX_PAUSE_WEEKS} weeks; nothing was changed"
            );
            return Ok(ExitStatus::Invalid);
        }
        (Some(weeks), _) => Some(now + Duration::weeks(weeks)),
        (None, true) => None,
        (None, false) => current.paused_at(now),
    };
    let change = TopicsChange {
        categories,
        paused_until,
    };
    match store.set_topics_by_email(&email, &change, &Origin::new(Channel::Cli), now)? {
        Some(saved) => {
            print(&saved);
            Ok(ExitStatus::Success)
        }
        None => {
            eprintln!("error: {email} left the list meanwhile; nothing was changed");
            Ok(ExitStatus::Failure)
        }
    }
}

fn print(topics: &ReaderTopics) {
    println!("{} ({})", topics.email, topics.status);
    println!("follows: {}", shown(&topics.categories));
    match topics.paused_until {
        Some(until) => println!(
            "paused until {} (issues created before then skip this reader)",
            until.format("%Y-%m-%d %H:%M UTC")
        ),
        None => println!("not paused"),
    }
}
