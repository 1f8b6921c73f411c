//! Content that tries to break out: markup and script in titles, taglines, quotes and the
//! editor's note must come out as escaped text, and a title with CR LF must not reach the headers.

use crate::support::newsletter::{assert_well_formed_newsletter, unexpected_nu_findings};
use crate::support::preview::{SAMPLE_AS_OF, comparison, render, run_preview};

/// Text an attacker (or a careless paste) could put into a comparison.
const SCRIPT: &str = "<script>alert(1)</script>";
const BREAKOUT: &str = r#""><img src=x onerror=alert(2)>"#;

#[test]
fn hostile_content_comes_out_escaped_in_the_html() {
    let content = tempfile::tempdir().unwrap();
    let toml = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let title = format!("{SCRIPT} & {BREAKOUT}");
    let note = format!(
        "Note {SCRIPT} and {BREAKOUT} & more.\n\n[click me](javascript:alert(3)) \
         <a href=\"javascript:alert(4)\">raw link</a> [fine](https://example.org/ok)"
    );
    std::fs::write(
        content.path().join("2026-11-18-hostile.md"),
        comparison(
            &toml(&title),
            &toml(&format!("tag {BREAKOUT}")),
            &toml(&format!("quote {SCRIPT} & co")),
            &note,
        ),
    )
    .unwrap();
    let rendered = render(content.path(), SAMPLE_AS_OF);
    let (_, html) = assert_well_formed_newsletter(&rendered.eml, std::slice::from_ref(&title));
    for (name, html) in [("digest.html", &rendered.html), ("HTML part", &html)] {
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{name} has a live script tag");
        assert!(!lower.contains("<img"), "{name} has a live img tag");
        // Escaped text may say anything; the tags themselves must carry no handler or script URL.
        for tag in lower
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap())
        {
            assert!(
                !tag.contains("onerror"),
                "{name}: handler in a tag: <{tag}>"
            );
            assert!(
                !tag.contains("javascript:"),
                "{name}: script URL in a tag: <{tag}>"
            );
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{name}"
        );
        assert!(html.contains(" &amp; "), "{name}: a bare & is escaped");
        assert!(
            html.contains(r#"<a href="https://example.org/ok">fine</a>"#),
            "{name}"
        );
    }
    let unexpected = unexpected_nu_findings(&rendered.path("digest.html"));
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
fn title_with_cr_lf_is_refused_before_it_can_reach_a_header() {
    let content = tempfile::tempdir().unwrap();
    let title = r"Evil\r\nBcc: victim@example.com\r\n\r\n<b>body</b>";
    std::fs::write(
        content.path().join("2026-11-18-evil.md"),
        comparison(title, "Fast and small", "Easy to start.", ""),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = run_preview(
        content.path(),
        out.path(),
        &["--as-of", SAMPLE_AS_OF, "--out", "."],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "2026-11-18-evil.md line 2, field `title`: contains the control character '\\r'"
        ),
        "{stderr}"
    );
    assert!(
        !out.path().join("digest.eml").exists(),
        "nothing is written"
    );
}
