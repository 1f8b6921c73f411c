//! Content folders for the email tests (the sample content, a busy week, hand-made comparisons)
//! and `verdicts preview` run as a real process on them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The sample week: `--as-of` this date gives issue 2026-W47 with three comparisons.
pub const SAMPLE_AS_OF: &str = "2026-11-22";

/// The repository's sample content.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The sample comparison files (`YYYY-MM-DD-slug.md`), sorted by name.
pub fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample_content())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".md") && name.as_bytes().first().is_some_and(u8::is_ascii_digit)
        })
        .collect();
    files.sort();
    files
}

/// Copies the sample comparisons into `dir`.
pub fn copy_sample_content(dir: &Path) {
    for file in sample_files() {
        std::fs::copy(&file, dir.join(file.file_name().unwrap())).unwrap();
    }
}

/// Writes `count` comparisons published 16–22 November 2026 (all in the issue at
/// [`SAMPLE_AS_OF`]): the sample files in turn, re-dated, with new slugs and, from the second
/// round on, titles made unique. Returns the titles.
pub fn write_busy_week(dir: &Path, count: usize) -> Vec<String> {
    let files = sample_files();
    (0..count)
        .map(|k| {
            let source = std::fs::read_to_string(&files[k % files.len()]).unwrap();
            let name = files[k % files.len()]
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let slug = &name[11..name.len() - 3];
            let day = 16 + k % 7;
            let mut title = String::new();
            let text: Vec<String> = source
                .lines()
                .map(|line| {
                    if line.starts_with("published = ") {
                        format!("published = 2026-11-{day}T09:{:02}:00Z", k % 60)
                    } else if let Some(value) = line.strip_prefix("title = ") {
                        let value = value.trim_matches('"');
                        title = match k / files.len() {
                            0 => value.to_string(),
                            round => format!("{value}, round {}", round + 1),
                        };
                        format!("title = {title:?}")
                    } else {
                        line.to_string()
                    }
                })
                .collect();
            let file = dir.join(format!("2026-11-{day}-{slug}-{k}.md"));
            std::fs::write(file, text.join("\n") + "\n").unwrap();
            title
        })
        .collect()
}

/// `verdicts` with the given content folder and nothing else from the environment: the working
/// directory is `cwd` (no stray verdicts.toml), no VERDICTS_* variable leaks in.
pub fn verdicts(content: &Path, cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VERDICTS_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(cwd)
        .env("VERDICTS_CONTENT_DIR", content);
    command
}

/// The three files `verdicts preview` wrote, kept in a temp folder.
pub struct Rendered {
    pub dir: tempfile::TempDir,
    pub html: String,
    pub text: String,
    pub eml: Vec<u8>,
}

impl Rendered {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs `verdicts preview --as-of AS_OF --out DIR` on `content` and reads what it wrote.
pub fn render(content: &Path, as_of: &str) -> Rendered {
    render_with(content, as_of, &[])
}

/// [`render`] with more arguments (`--categories …`).
pub fn render_with(content: &Path, as_of: &str, more: &[&str]) -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--as-of", as_of, "--out", "."];
    args.extend_from_slice(more);
    let output = run_preview(content, dir.path(), &args);
    assert!(
        output.status.success(),
        "verdicts preview failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    Rendered {
        html: String::from_utf8(read("digest.html")).unwrap(),
        text: String::from_utf8(read("digest.txt")).unwrap(),
        eml: read("digest.eml"),
        dir,
    }
}

/// `verdicts preview ARGS` on `content`, run in `cwd`.
pub fn run_preview(content: &Path, cwd: &Path, args: &[&str]) -> Output {
    verdicts(content, cwd)
        .arg("preview")
        .args(args)
        .output()
        .expect("verdicts runs")
}

/// A minimal valid comparison with the given title, taglines, quote and editor's note
/// (TOML basic strings: pass text already escaped for TOML where needed).
pub fn comparison(title: &str, tagline: &str, quote: &str, note: &str) -> String {
    format!(
        r#"+++
title = "{title}"
question = "Which one should you ship with?"
published = 2026-11-18T09:00:00Z
category = "Developer Tools"

[[tools]]
name = "Alpha"
tagline = "{tagline}"
panel_ship = 75
community_ship = 60
community_votes = 40
entry_price = "Free"
summary = "Alpha is a small model."

[[tools]]
name = "Beta"
tagline = "Big and slow"
panel_ship = 50
entry_price = "$10/mo"
summary = "Beta is a large model."

[[reviews]]
lens = "developer-experience"
tool = "Alpha"
verdict = "ship"
quote = "{quote}"

[[reviews]]
lens = "buyer"
tool = "Beta"
verdict = "skip"
quote = "Too expensive for most teams."
+++

{note}
"#
    )
}
