//! `verdicts preview` as an editor uses it: an empty week explains itself, a bad `--as-of` is
//! named, and `--serve` re-reads the content on every request, showing edits and content errors.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Stdio};

use crate::support::http::get;
use crate::support::preview::{SAMPLE_AS_OF, copy_sample_content, run_preview, verdicts};

#[test]
fn empty_week_says_so_names_the_latest_week_with_content_and_writes_nothing() {
    let content = tempfile::tempdir().unwrap();
    copy_sample_content(content.path());
    let cwd = tempfile::tempdir().unwrap();
    let output = run_preview(
        content.path(),
        cwd.path(),
        &["--as-of", "2026-12-31", "--out", "out"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("nothing new was published"), "{stdout}");
    // The latest sample comparison, Julius AI vs Hex, is from 25 November: ISO week 48.
    assert!(stdout.contains("2026-W48"), "{stdout}");
    assert!(stdout.contains("--as-of 2026-11-25"), "{stdout}");
    assert!(!cwd.path().join("out").exists(), "no files are written");
}

#[test]
fn bad_as_of_fails_and_names_the_value() {
    let cwd = tempfile::tempdir().unwrap();
    let output = run_preview(
        &crate::support::preview::sample_content(),
        cwd.path(),
        &["--as-of", "next-tuesday", "--out", "out"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a usage error; {stderr}");
    assert!(stderr.contains("next-tuesday"), "{stderr}");
    assert!(!cwd.path().join("out").exists());
}

/// `verdicts preview --serve` on port 0, stopped (by its handle) when dropped.
struct PreviewServer {
    child: Child,
    addr: SocketAddr,
    /// Kept open: a closed pipe would make the server's next line of output fail.
    _stdout: BufReader<ChildStdout>,
}

impl PreviewServer {
    fn start(content: &std::path::Path, cwd: &std::path::Path) -> PreviewServer {
        let mut child = verdicts(content, cwd)
            .args([
                "preview",
                "--serve",
                "--listen",
                "127.0.0.1:0",
                "--as-of",
                SAMPLE_AS_OF,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("verdicts runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        PreviewServer {
            child,
            addr,
            _stdout: stdout,
        }
    }
}

impl Drop for PreviewServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_renders_on_every_request_showing_edits_and_content_errors() {
    let content = tempfile::tempdir().unwrap();
    copy_sample_content(content.path());
    let cwd = tempfile::tempdir().unwrap();
    let server = PreviewServer::start(content.path(), cwd.path());

    let index = get(server.addr, "/");
    assert_eq!(index.status, 200, "{}", index.body);
    assert!(
        index.body.contains("src=\"/digest.html\""),
        "{}",
        index.body
    );
    assert!(index.body.contains("2026-W47"), "{}", index.body);
    let html = get(server.addr, "/digest.html");
    assert_eq!(html.status, 200);
    assert!(
        html.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        html.body.contains("Deepgram vs AssemblyAI"),
        "{}",
        html.body
    );
    let text = get(server.addr, "/digest.txt");
    assert_eq!(text.status, 200);
    assert!(
        text.body.contains("Deepgram vs AssemblyAI\n~~~"),
        "{}",
        text.body
    );
    let eml = get(server.addr, "/digest.eml");
    assert_eq!(eml.status, 200);
    assert!(
        eml.body
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );

    // An editor changes a title and refreshes.
    let file = content.path().join("2026-11-18-deepgram-vs-assemblyai.md");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        original.replace(
            "title = \"Deepgram vs AssemblyAI\"",
            "title = \"Deepgram vs AssemblyAI, revisited\"",
        ),
    )
    .unwrap();
    let html = get(server.addr, "/digest.html");
    assert!(
        html.body.contains("Deepgram vs AssemblyAI, revisited"),
        "the edit shows without a restart"
    );
    let index = get(server.addr, "/");
    assert!(index.body.contains("revisited"), "{}", index.body);

    // A mistake in a content file shows as an error naming the file.
    std::fs::write(
        &file,
        original.replace("panel_ship = 100", "panel_ship = 140"),
    )
    .unwrap();
    for path in ["/", "/digest.html"] {
        let broken = get(server.addr, path);
        assert!(broken.status >= 400, "{path}: status {}", broken.status);
        assert!(
            broken.body.contains("2026-11-18-deepgram-vs-assemblyai.md"),
            "{path}: {}",
            broken.body
        );
        assert!(
            broken.body.contains("panel_ship"),
            "{path}: {}",
            broken.body
        );
    }

    // Fixed again, the preview is back.
    std::fs::write(&file, &original).unwrap();
    assert_eq!(get(server.addr, "/digest.html").status, 200);
}

/// The sample week (2026-W47) holds Perplexity vs Kagi Assistant (Search), Deepgram vs AssemblyAI (Voice) and
/// SmolLM3 vs Code Llama 4 (Developer Tools).
#[test]
fn preview_with_categories_renders_only_that_edition_with_its_subject_count_and_topics_footer() {
    let cwd = tempfile::tempdir().unwrap();
    let output = run_preview(
        &crate::support::preview::sample_content(),
        cwd.path(),
        &[
            "--as-of",
            SAMPLE_AS_OF,
            "--out",
            "out",
            "--categories",
            "voice; SEARCH",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("issue 2026-W47 (edition for Search, Voice): 2 comparisons"),
        "{stdout}"
    );
    let read = |name: &str| std::fs::read_to_string(cwd.path().join("out").join(name)).unwrap();
    let (html, text, eml) = (read("digest.html"), read("digest.txt"), read("digest.eml"));
    for part in [&html, &text] {
        assert!(part.contains("Perplexity vs Kagi Assistant"), "{part}");
        assert!(part.contains("Deepgram vs AssemblyAI"), "{part}");
        assert!(!part.contains("SmolLM3 vs Code Llama 4"), "{part}");
        assert!(part.contains("2 new verdicts this week"), "{part}");
    }
    let subject = "2 new verdicts: Perplexity vs Kagi Assistant and Deepgram vs AssemblyAI";
    assert!(stdout.contains(subject), "the edition's subject: {stdout}");
    let message = crate::support::mime::Entity::parse(eml.as_bytes());
    assert_eq!(
        crate::support::mime::decode_words(message.one("Subject")),
        subject
    );
    let preferences = "https://verdicts.example.org/preferences/SAMPLE-PREFERENCES-TOKEN";
    assert!(
        html.contains(&format!(
            "You get: Search, Voice · <a href=\"{preferences}\""
        )) && html.contains(">Change</a>"),
        "{html}"
    );
    assert!(
        text.contains(&format!(
            "You get: Search, Voice · Change:\n{preferences}\n"
        )),
        "{text}"
    );
    let parts = message.parts();
    assert!(
        parts[0]
            .decoded_text()
            .contains("You get: Search, Voice · Change:")
    );
    assert!(
        parts[1]
            .decoded_text()
            .contains(&format!("href=\"{preferences}\""))
    );
}

#[test]
fn plain_preview_stays_the_full_issue_with_a_choose_your_topics_link_instead_of_a_topics_line() {
    let rendered =
        crate::support::preview::render(&crate::support::preview::sample_content(), SAMPLE_AS_OF);
    assert!(rendered.html.contains("3 new verdicts this week"));
    assert!(rendered.html.contains("SmolLM3 vs Code Llama 4"));
    assert!(!rendered.html.contains("You get:") && !rendered.text.contains("You get:"));
    let preferences = "https://verdicts.example.org/preferences/SAMPLE-PREFERENCES-TOKEN";
    assert!(
        rendered
            .html
            .contains(&format!("You get every topic · <a href=\"{preferences}\""))
            && rendered.html.contains(">Choose your topics</a>"),
        "{}",
        rendered.html
    );
    assert!(
        rendered.text.contains(&format!(
            "You get every topic · Choose your topics:\n{preferences}\n"
        )),
        "{}",
        rendered.text
    );
}

#[test]
fn preview_with_unknown_categories_exits_3_naming_them_and_the_known_ones() {
    let cwd = tempfile::tempdir().unwrap();
    let output = run_preview(
        &crate::support::preview::sample_content(),
        cwd.path(),
        &[
            "--as-of",
            SAMPLE_AS_OF,
            "--out",
            "out",
            "--categories",
            "Search, Serch, Sports",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("unknown categories \"Serch\", \"Sports\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("the content has Agents, Data & Analytics, Design, Developer Tools"),
        "{stderr}"
    );
    assert!(!cwd.path().join("out").exists(), "no files are written");
}

#[test]
fn preview_of_an_edition_with_nothing_new_says_so_and_writes_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    let output = run_preview(
        &crate::support::preview::sample_content(),
        cwd.path(),
        &[
            "--as-of",
            SAMPLE_AS_OF,
            "--out",
            "out",
            "--categories",
            "Design",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("issue 2026-W47 has nothing new in Design"),
        "{stdout}"
    );
    assert!(stdout.contains("get no email"), "{stdout}");
    assert!(!cwd.path().join("out").exists(), "no files are written");
}

#[test]
fn serve_has_an_edition_selector_and_renders_each_edition_as_the_command_line_does() {
    let content = tempfile::tempdir().unwrap();
    copy_sample_content(content.path());
    let cwd = tempfile::tempdir().unwrap();
    let server = PreviewServer::start(content.path(), cwd.path());

    // The selector: the full issue, a link per category, and a form of checkboxes (GET, no script).
    let index = get(server.addr, "/");
    assert_eq!(index.status, 200, "{}", index.body);
    assert!(
        index.body.contains("href=\"/?categories=\""),
        "{}",
        index.body
    );
    assert!(
        index.body.contains("href=\"/?categories=Search\""),
        "{}",
        index.body
    );
    assert!(
        index.body.contains("href=\"/?categories=Developer+Tools\""),
        "{}",
        index.body
    );
    assert!(index.body.contains("<form method=\"get\" action=\"/\""));
    assert!(index.body.contains("name=\"category\" value=\"Voice\""));
    assert!(!index.body.contains("<script"));

    // The form's answer names the edition; its parts are that edition.
    let edition = get(server.addr, "/?category=Search&category=voice");
    assert_eq!(edition.status, 200, "{}", edition.body);
    assert!(
        edition.body.contains("(the edition for Search, Voice)"),
        "{}",
        edition.body
    );
    assert!(
        edition
            .body
            .contains("src=\"/digest.html?categories=Search%2CVoice\""),
        "{}",
        edition.body
    );
    assert!(edition.body.contains("value=\"Voice\" checked"));
    let html = get(server.addr, "/digest.html?categories=Search%2CVoice");
    let text = get(server.addr, "/digest.txt?categories=Search%2CVoice");
    let expected = crate::support::preview::render_with(
        content.path(),
        SAMPLE_AS_OF,
        &["--categories", "Search,Voice"],
    );
    assert_eq!(html.body, expected.html, "exactly the edition as sent");
    assert_eq!(text.body, expected.text);
    assert!(html.body.contains("You get: Search, Voice"));
    assert!(!html.body.contains("SmolLM3 vs Code Llama 4"));
    let full = get(server.addr, "/digest.html?categories=");
    assert!(full.body.contains("SmolLM3 vs Code Llama 4"));

    // Unknown categories are named; an edition with nothing new says so.
    let unknown = get(server.addr, "/?categories=Knitting");
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .body
            .contains("categories: unknown category \"Knitting\": the content has Agents"),
        "{}",
        unknown.body
    );
    let empty = get(server.addr, "/digest.html?categories=Design");
    assert_eq!(empty.status, 404);
    assert!(
        empty.body.contains("nothing new in Design"),
        "{}",
        empty.body
    );
}
