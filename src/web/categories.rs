//! The categories the web pages offer (subscribe checkboxes, the preferences page) and check a reader's choice
//! against: those of the comparisons in `content_dir`, read as `send` and the scheduler read them
//! ([`crate::content::load_dir`], at use). The folder is read again when a content file was added, removed or
//! changed (by name, size and modification time), at most once every [`RECHECK`], so an editor's new category
//! shows up without restarting `serve` and a busy subscribe page does not read the folder per request.
//!
//! Content that does not load (an editor mid-edit) keeps the categories last read, with a warning in the log;
//! before any content loaded there are none, and the pages offer no choice (everything).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::config::BaseUrl;
use crate::content::KnownCategories;

/// How long a reading of the folder is trusted before its files are looked at again.
pub const RECHECK: Duration = Duration::from_secs(1);

/// What identifies one state of the folder: each file's name, size and modification time, sorted.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

struct Cached {
    /// The folder as last read (`Some(None)`: it could not be listed); `None` before the first reading.
    fingerprint: Option<Option<Fingerprint>>,
    known: Arc<KnownCategories>,
    checked_at: Option<Instant>,
}

/// The content's categories, kept between requests.
pub struct ContentCategories {
    dir: PathBuf,
    base_url: BaseUrl,
    cached: Mutex<Cached>,
}

impl ContentCategories {
    pub fn new(dir: &Path, base_url: &BaseUrl) -> ContentCategories {
        ContentCategories {
            dir: dir.to_path_buf(),
            base_url: base_url.clone(),
            cached: Mutex::new(Cached {
                fingerprint: None,
                known: Arc::new(KnownCategories::default()),
                checked_at: None,
            }),
        }
    }

    /// The categories as of the folder's current files (blocking IO: call it off the async threads).
    pub fn current(&self) -> Arc<KnownCategories> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if cached.checked_at.is_some_and(|at| at.elapsed() < RECHECK) {
            return cached.known.clone();
        }
        cached.checked_at = Some(Instant::now());
        let fingerprint = fingerprint(&self.dir);
        // Unchanged (a folder that cannot be listed included): no reading, and no warning logged again.
        if cached.fingerprint.as_ref() == Some(&fingerprint) {
            return cached.known.clone();
        }
        match crate::content::load_dir(&self.dir, &self.base_url) {
            Ok(comparisons) => {
                cached.known = Arc::new(KnownCategories::of(&comparisons));
                cached.fingerprint = Some(fingerprint);
            }
            Err(errors) => {
                // Keep the last good set; try again once the files change.
                cached.fingerprint = Some(fingerprint);
                tracing::warn!(
                    "the content in {} does not load ({} problem(s), first: {}); the pages offer the \
                     categories read before",
                    self.dir.display(),
                    errors.len(),
                    errors.first().map(ToString::to_string).unwrap_or_default()
                );
            }
        }
        cached.known.clone()
    }
}

fn fingerprint(dir: &Path) -> Option<Fingerprint> {
    let mut files: Fingerprint = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    Some(files)
}

/// The categories of comparisons in these categories, for unit tests of the pages and forms.
#[cfg(test)]
pub(crate) fn known_of(names: &[&str]) -> KnownCategories {
    let comparisons: Vec<crate::content::Comparison> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let path = PathBuf::from(format!("2026-11-20-c{i}.md"));
            let text = tests::FILE.replace("CATEGORY", name);
            crate::content::Comparison::parse(
                &path,
                &text,
                &crate::config::Config::default().base_url,
            )
            .expect("a valid comparison")
        })
        .collect();
    KnownCategories::of(&comparisons)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{ContentCategories, RECHECK};
    use crate::config::Config;

    pub(super) const FILE: &str = "+++\ntitle = \"T\"\nquestion = \"Q?\"\npublished = 2026-11-20T09:00:00Z\n\
        category = \"CATEGORY\"\n\
        [[tools]]\nname = \"A\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
        [[tools]]\nname = \"B\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
        [[reviews]]\nlens = \"buyer\"\ntool = \"A\"\nverdict = \"ship\"\nquote = \"q\"\n+++\n";

    fn names(source: &ContentCategories) -> Vec<String> {
        source.current().iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn a_new_category_in_the_content_shows_up_and_broken_content_keeps_the_last_good_set() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, category: &str| {
            std::fs::write(dir.path().join(name), FILE.replace("CATEGORY", category)).unwrap();
        };
        write("2026-11-20-a.md", "Search");
        let source = ContentCategories::new(dir.path(), &Config::default().base_url);
        assert_eq!(names(&source), ["Search"]);

        write("2026-11-20-b.md", "Voice");
        std::thread::sleep(RECHECK + Duration::from_millis(50));
        assert_eq!(names(&source), ["Search", "Voice"]);

        std::fs::write(dir.path().join("2026-11-20-c.md"), "+++\nbroken").unwrap();
        std::thread::sleep(RECHECK + Duration::from_millis(50));
        assert_eq!(names(&source), ["Search", "Voice"]);
    }

    #[test]
    fn a_folder_that_cannot_be_read_offers_no_categories() {
        let dir = tempfile::tempdir().unwrap();
        let source =
            ContentCategories::new(&dir.path().join("missing"), &Config::default().base_url);
        assert!(names(&source).is_empty());
    }
}
