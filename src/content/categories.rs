//! Which categories a reader follows ([`Categories`]), the edition of the digest that choice gets
//! ([`EditionKey`]), and the categories the content has ([`KnownCategories`]). Here, beside the comparisons'
//! `category` field, because everything that parses or keeps a reader's choice (the store, the web form, the
//! CLI) and everything that renders one (the digest) can reach `content/`.
//!
//! Names match ignoring case and runs of whitespace: "Developer tools" and "Developer  Tools" are one category,
//! shown in the spelling the content uses most.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::Comparison;

/// What two names must share to be one category: lower case, whitespace runs as one space, trimmed.
pub fn match_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Looser than [`match_key`]: no whitespace at all. Names equal here but not there are probably typos
/// ("DeveloperTools" beside "Developer Tools").
fn squashed(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<String>()
}

/// The categories a reader follows. Empty means everything, categories that appear later included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categories {
    /// Match key → the name as shown.
    names: BTreeMap<String, String>,
}

/// A list named categories the content does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategories {
    /// As written in the list.
    pub unknown: Vec<String>,
    /// Every category of the content, as shown.
    pub known: Vec<String>,
}

impl fmt::Display for UnknownCategories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unknown: Vec<String> = self.unknown.iter().map(|n| format!("{n:?}")).collect();
        write!(
            f,
            "unknown categor{} {}: the content has {}",
            if unknown.len() == 1 { "y" } else { "ies" },
            unknown.join(", "),
            if self.known.is_empty() {
                "no categories".to_string()
            } else {
                self.known.join(", ")
            }
        )
    }
}

impl std::error::Error for UnknownCategories {}

impl Categories {
    /// Every category: the full issue.
    pub fn everything() -> Categories {
        Categories::default()
    }

    /// A list as readers and editors write it ("Search, Voice" or "search;voice"), each name checked against
    /// what the content has and shown in the content's spelling. A blank list is everything.
    pub fn parse(list: &str, known: &KnownCategories) -> Result<Categories, UnknownCategories> {
        let mut names = BTreeMap::new();
        let mut unknown = Vec::new();
        for name in list
            .split([',', ';'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let key = match_key(name);
            match known.by_key.get(&key) {
                Some(category) => {
                    names.insert(key, category.shown());
                }
                None if !unknown.iter().any(|u: &String| match_key(u) == key) => {
                    unknown.push(name.to_string());
                }
                None => {}
            }
        }
        if !unknown.is_empty() {
            return Err(UnknownCategories {
                unknown,
                known: known.iter().map(|(name, _)| name).collect(),
            });
        }
        Ok(Categories { names })
    }

    /// Names kept earlier (a stored choice), taken as they are: a category the content no longer has simply
    /// matches nothing.
    pub fn from_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Categories {
        let names = names
            .into_iter()
            .map(|n| n.as_ref().trim().to_string())
            .filter(|n| !n.is_empty())
            .map(|n| (match_key(&n), n))
            .collect();
        Categories { names }
    }

    pub fn is_everything(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether a comparison in `category` belongs in this reader's digest.
    pub fn includes(&self, category: &str) -> bool {
        self.is_everything() || self.names.contains_key(&match_key(category))
    }

    /// The names as shown, in the edition key's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.values().map(String::as_str)
    }

    /// The edition this choice gets.
    pub fn edition(&self) -> EditionKey {
        EditionKey(
            self.names
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(";"),
        )
    }
}

/// One edition of an issue: its categories' match keys, sorted and joined by `;` ("search;voice"). The empty
/// key is the full issue. Equal choices give equal keys however they were written, so an edition is rendered
/// once for every reader who chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EditionKey(String);

impl EditionKey {
    /// The full issue.
    pub fn full() -> EditionKey {
        EditionKey::default()
    }

    pub fn is_full(&self) -> bool {
        self.0.is_empty()
    }

    /// The stable text form, for keeping it (a ledger row) and showing it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EditionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_full() {
            f.write_str("full issue")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// One category as the content spells it, with how many comparisons use each spelling.
#[derive(Debug, Clone, Default)]
struct Known {
    spellings: BTreeMap<String, usize>,
}

impl Known {
    /// The spelling most comparisons use (the first in sort order on a tie), its whitespace runs as one space.
    fn shown(&self) -> String {
        let most = self.spellings.values().copied().max().unwrap_or(0);
        self.spellings
            .iter()
            .find(|(_, count)| **count == most)
            .map(|(name, _)| name.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    fn count(&self) -> usize {
        self.spellings.values().sum()
    }
}

/// The categories the content has, counted: what a list is checked against, and what `verdicts check` lists.
#[derive(Debug, Clone, Default)]
pub struct KnownCategories {
    by_key: HashMap<String, Known>,
}

impl KnownCategories {
    pub fn of(comparisons: &[Comparison]) -> KnownCategories {
        let mut by_key: HashMap<String, Known> = HashMap::new();
        for comparison in comparisons {
            let spelled = comparison.category.trim().to_string();
            *by_key
                .entry(match_key(&spelled))
                .or_default()
                .spellings
                .entry(spelled)
                .or_default() += 1;
        }
        KnownCategories { by_key }
    }

    /// Each category as shown, with its number of comparisons, sorted by name ignoring case.
    pub fn iter(&self) -> impl Iterator<Item = (String, usize)> {
        let mut all: Vec<(&String, &Known)> = self.by_key.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
            .map(|(_, known)| (known.shown(), known.count()))
    }

    /// Spellings that differ only in case or spacing, each group sorted, with how many comparisons use each:
    /// `[[("Developer Tools", 2), ("Developer tools", 1)]]`.
    pub fn near_duplicates(&self) -> Vec<Vec<(String, usize)>> {
        let mut groups: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        for known in self.by_key.values() {
            for (spelling, count) in &known.spellings {
                groups
                    .entry(squashed(spelling))
                    .or_default()
                    .push((spelling.clone(), *count));
            }
        }
        groups
            .into_values()
            .filter(|group| group.len() > 1)
            .map(|mut group| {
                group.sort();
                group
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
