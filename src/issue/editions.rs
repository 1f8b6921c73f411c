//! The week's issue once per edition: readers who chose the same categories share one rendered edition (and
//! its stamp), so what each message costs stays the stamping. Rendered on first use and kept; an edition with
//! nothing new is kept as that, so its readers can be skipped without rendering again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use lettre::Address;

use super::Edition;
use crate::config::Config;
use crate::content::{Categories, Comparison, EditionKey};
use crate::digest::{EditionRender, Selection, render_edition};
use crate::mail::DkimSigner;
use crate::tokens::Tokens;
use crate::tokens::verp::ReturnPaths;

/// What every edition's messages share: the issue they belong to and how they are signed.
#[derive(Clone)]
pub struct EditionsOptions {
    pub issue_id: i64,
    /// When the issue was created: every edition's Date and link time (see [`Edition`]).
    pub composed_at: DateTime<Utc>,
    pub tokens: Tokens,
    pub dkim: Option<Arc<DkimSigner>>,
    /// Envelope sender.
    pub sender: Address,
    /// With `bounce_address`: each message's own VERP envelope sender instead (see [`Edition::with_return_paths`]).
    pub return_paths: Option<ReturnPaths>,
}

/// Why readers of `categories` get no email this week (the reason their ledger rows are `skipped` with).
pub fn nothing_new_reason(categories: &Categories) -> String {
    format!(
        "nothing new in {} this week",
        categories.names().collect::<Vec<_>>().join(", ")
    )
}

/// One edition, as the workers need it.
pub enum EditionMessages {
    /// Build each reader's message from this.
    Ready(Box<Edition>),
    /// The edition's categories have nothing new this week: its readers get no email.
    NothingNew,
}

/// The week's editions, rendered once each. Owns the week's comparisons, so workers can share it.
pub struct Editions {
    key: String,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    /// Newest first, as the selection had them.
    comparisons: Vec<Comparison>,
    config: Config,
    options: EditionsOptions,
    cache: RwLock<HashMap<EditionKey, Arc<EditionMessages>>>,
    /// Held while rendering, so two workers asking for the same new edition render it once.
    rendering: Mutex<()>,
}

impl Editions {
    pub fn new(selection: &Selection, config: &Config, options: EditionsOptions) -> Editions {
        Editions {
            key: selection.key.clone(),
            window_start: selection.window_start,
            window_end: selection.window_end,
            comparisons: selection.comparisons.iter().map(|c| (*c).clone()).collect(),
            config: config.clone(),
            options,
            cache: RwLock::new(HashMap::new()),
            rendering: Mutex::new(()),
        }
    }

    /// Only `full`, the full issue: readers of some categories would get nothing. For runs whose ledger holds
    /// no choice (tests driving one worker).
    pub fn full_only(full: Edition, config: &Config) -> Editions {
        let selection = Selection {
            key: full.issue.key.clone(),
            window_start: full.composed_at,
            window_end: full.composed_at,
            comparisons: Vec::new(),
        };
        let options = EditionsOptions {
            issue_id: full.issue_id,
            composed_at: full.composed_at,
            tokens: full.tokens.clone(),
            dkim: full.dkim.clone(),
            sender: full.sender.clone(),
            return_paths: full.return_paths().cloned(),
        };
        Editions::new(&selection, config, options).with_full(full)
    }

    /// Uses `full` as the full issue (readers of everything) instead of rendering it: the issue as stored, so a
    /// resumed send sends what the first run did, byte for byte, and issues created before editions existed
    /// stay as they were.
    pub fn with_full(self, full: Edition) -> Editions {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                EditionKey::full(),
                Arc::new(EditionMessages::Ready(Box::new(full))),
            );
        self
    }

    pub fn issue_id(&self) -> i64 {
        self.options.issue_id
    }

    /// The envelope sender of every edition's messages.
    pub fn sender(&self) -> &Address {
        &self.options.sender
    }

    /// Whether every edition is signed.
    pub fn dkim(&self) -> bool {
        self.options.dkim.is_some()
    }

    /// The edition for readers of `categories`, rendered on first use.
    pub fn get(&self, categories: &Categories) -> Arc<EditionMessages> {
        let key = categories.edition();
        if let Some(found) = self.cached(&key) {
            return found;
        }
        let _rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = self.cached(&key) {
            return found;
        }
        let rendered = Arc::new(self.render(categories));
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&rendered));
        rendered
    }

    /// An edition already rendered.
    pub fn cached(&self, key: &EditionKey) -> Option<Arc<EditionMessages>> {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// How many editions have been rendered.
    pub fn rendered(&self) -> usize {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Renders every edition in `all` not rendered yet (before a run, so no worker waits on a render).
    pub fn render_all<'c>(&self, all: impl IntoIterator<Item = &'c Categories>) {
        for categories in all {
            self.get(categories);
        }
    }

    fn render(&self, categories: &Categories) -> EditionMessages {
        let selection = Selection {
            key: self.key.clone(),
            window_start: self.window_start,
            window_end: self.window_end,
            comparisons: self.comparisons.iter().collect(),
        };
        match render_edition(&selection, categories, &self.config) {
            EditionRender::NothingNew => EditionMessages::NothingNew,
            EditionRender::Issue(issue) => {
                let options = self.options.clone();
                EditionMessages::Ready(Box::new(
                    Edition::new(
                        options.issue_id,
                        *issue,
                        options.composed_at,
                        options.tokens,
                        options.dkim,
                        options.sender,
                    )
                    .with_return_paths(options.return_paths),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
