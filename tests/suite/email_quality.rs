//! The generated email held to the newsletter checklist by independent tools: SpamAssassin's
//! local score, the Nu HTML checker, and a MIME reader of our own for headers, parts, encodings
//! and line lengths. Hostile content must come out escaped and must not reach the headers.

use std::path::Path;

use crate::support::mime::{Entity, decode_words};
use crate::support::preview::{
    Rendered, SAMPLE_AS_OF, comparison, render, run_preview, sample_content, write_busy_week,
};
use crate::support::tools::{nu_html_checker, spamassassin};

/// The comparisons of the sample week (issue 2026-W47).
const SAMPLE_TITLES: [&str; 3] = [
    "Perplexity vs Kagi Assistant",
    "Deepgram vs AssemblyAI",
    "SmolLM3 vs Code Llama 4",
];

/// What the Nu HTML checker may say about the email, and nothing else. Each entry is the start
/// of a message; every one is a deliberate email-client workaround:
const NU_ALLOWED: &[(&str, &str)] = &[
    // Outlook for Windows renders with Word, which ignores CSS spacing, borders and widths on
    // tables: layout tables carry the old attributes (EMAIL.md, "HTML that renders everywhere").
    // `role="presentation"` on those tables draws no message from the checker.
    (
        "info warning",
        "The “cellpadding” attribute on the “table” element is obsolete.",
    ),
    (
        "info warning",
        "The “cellspacing” attribute on the “table” element is obsolete.",
    ),
    (
        "info warning",
        "The “border” attribute on the “table” element is obsolete.",
    ),
    (
        "info warning",
        "The “width” attribute on the “table” element is obsolete.",
    ),
    // Cell widths (bars, tool columns) and alignment, for the same reason.
    (
        "info warning",
        "The “width” attribute on the “td” element is obsolete.",
    ),
    (
        "info warning",
        "The “valign” attribute on the “td” element is obsolete.",
    ),
    (
        "info warning",
        "The “align” attribute on the “td” element is obsolete.",
    ),
    // Outlook's own property that hides the preheader, which it would otherwise show.
    (
        "error",
        "CSS: “mso-hide”: Property “mso-hide” doesn't exist.",
    ),
];

fn sample() -> Rendered {
    render(&sample_content(), SAMPLE_AS_OF)
}

/// A busy week: twelve comparisons in one content folder. Returns the folder and the titles.
fn busy_week() -> (tempfile::TempDir, Vec<String>) {
    let content = tempfile::tempdir().unwrap();
    let titles = write_busy_week(content.path(), 12);
    (content, titles)
}

fn assert_spam_score_under_one(rendered: &Rendered) {
    let verdict = spamassassin(&rendered.path("digest.eml"));
    assert!(
        verdict.score < 1.0,
        "SpamAssassin scored the message {} (tests: {}); the report:\n{}",
        verdict.score,
        verdict.tests,
        verdict
            .report
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Every Nu checker finding that is not on the allow-list.
fn unexpected_nu_findings(html: &Path) -> Vec<String> {
    nu_html_checker(html)
        .into_iter()
        .filter(|f| {
            !NU_ALLOWED
                .iter()
                .any(|(kind, start)| f.kind == *kind && f.message.starts_with(start))
        })
        .map(|f| format!("{} {}: {}", f.location, f.kind, f.message))
        .collect()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The checklist's headers and structure, and every title and the unsubscribe link in both parts.
fn assert_well_formed_newsletter(eml: &[u8], titles: &[String]) -> (String, String) {
    assert_line_lengths(eml);
    let message = Entity::parse(eml);
    for name in [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Precedence",
        "Auto-Submitted",
    ] {
        message.one(name);
    }
    let from = message.one("From");
    assert_eq!(from.matches('@').count(), 1, "From is one mailbox: {from}");
    let sender_domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap();
    let message_id = message.one("Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with(&format!("@{sender_domain}>")),
        "Message-ID {message_id} is on the sender domain {sender_domain}"
    );
    assert!(!message_id.contains("localhost"), "{message_id}");
    assert_eq!(message.one("MIME-Version"), "1.0");
    chrono::DateTime::parse_from_rfc2822(message.one("Date")).expect("Date is RFC 5322");
    assert_eq!(
        message.one("List-Id"),
        "Weekly AI Tool Verdicts <verdicts.example.org>"
    );
    assert_eq!(
        message.one("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(message.one("Precedence"), "bulk");
    assert_eq!(message.one("Auto-Submitted"), "auto-generated");

    let list_unsubscribe = message.one("List-Unsubscribe");
    let links: Vec<&str> = list_unsubscribe
        .split(',')
        .map(|l| l.trim().trim_start_matches('<').trim_end_matches('>'))
        .collect();
    let https = links
        .iter()
        .find(|l| l.starts_with("https://"))
        .unwrap_or_else(|| panic!("an https link in List-Unsubscribe: {list_unsubscribe}"));
    let mailto = links
        .iter()
        .find(|l| l.starts_with("mailto:"))
        .unwrap_or_else(|| panic!("a mailto link in List-Unsubscribe: {list_unsubscribe}"));
    assert!(https.contains("/unsubscribe/"), "{https}");
    assert!(mailto.contains("?subject=unsubscribe"), "{mailto}");

    assert_eq!(message.media_type(), "multipart/alternative");
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "a text and an HTML part");
    assert_eq!(parts[0].media_type(), "text/plain", "text/plain first");
    assert_eq!(parts[1].media_type(), "text/html", "text/html last");
    for part in &parts {
        assert_eq!(
            part.content_type_param("charset")
                .map(|c| c.to_ascii_lowercase())
                .as_deref(),
            Some("utf-8")
        );
        assert_eq!(
            part.one("Content-Transfer-Encoding").to_ascii_lowercase(),
            "quoted-printable"
        );
        for line in part.body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(
                line.len() <= 76,
                "quoted-printable line of {} characters: {}",
                line.len(),
                String::from_utf8_lossy(line)
            );
        }
    }
    let text = parts[0].decoded_text();
    let html = parts[1].decoded_text();
    for title in titles {
        // The text part sets titles in capitals as its section headings.
        assert!(
            text.to_uppercase().contains(&title.to_uppercase()),
            "text part lacks {title:?}"
        );
        assert!(
            html.contains(&html_escape(title)),
            "HTML part lacks {title:?}"
        );
    }
    assert!(
        text.contains(https),
        "text part lacks the unsubscribe URL {https}"
    );
    assert!(
        html.contains(&format!("href=\"{https}\"")),
        "HTML part lacks a link to {https}"
    );
    (text, html)
}

/// RFC 5322 2.1.1: CRLF line ends only, no line over 998 octets.
fn assert_line_lengths(eml: &[u8]) {
    for (n, line) in eml.split(|&b| b == b'\n').enumerate() {
        let body = line.strip_suffix(b"\r");
        let last = n == eml.split(|&b| b == b'\n').count() - 1;
        assert!(
            body.is_some() || (last && line.is_empty()),
            "line {} does not end in CRLF",
            n + 1
        );
        let line = body.unwrap_or(line);
        assert!(!line.contains(&b'\r'), "bare CR on line {}", n + 1);
        assert!(
            line.len() <= 998,
            "line {} has {} octets",
            n + 1,
            line.len()
        );
    }
}

#[test]
fn sample_week_scores_under_one_point_with_spamassassin() {
    assert_spam_score_under_one(&sample());
}

#[test]
fn busy_week_scores_under_one_point_with_spamassassin() {
    let (content, _) = busy_week();
    assert_spam_score_under_one(&render(content.path(), SAMPLE_AS_OF));
}

#[test]
fn sample_week_html_has_only_email_layout_findings_in_the_nu_checker() {
    let rendered = sample();
    let unexpected = unexpected_nu_findings(&rendered.path("digest.html"));
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
fn busy_week_html_has_only_email_layout_findings_in_the_nu_checker() {
    let (content, _) = busy_week();
    let rendered = render(content.path(), SAMPLE_AS_OF);
    let unexpected = unexpected_nu_findings(&rendered.path("digest.html"));
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
fn sample_week_message_has_the_newsletter_headers_and_parts() {
    let rendered = sample();
    let titles: Vec<String> = SAMPLE_TITLES.iter().map(|t| t.to_string()).collect();
    let (text, html) = assert_well_formed_newsletter(&rendered.eml, &titles);
    assert_eq!(
        text.replace("\r\n", "\n"),
        rendered.text,
        "digest.txt is the text part"
    );
    assert_eq!(
        html.replace("\r\n", "\n"),
        rendered.html,
        "digest.html is the HTML part"
    );
}

#[test]
fn busy_week_message_is_well_formed_and_its_html_stays_under_90_kb() {
    let (content, titles) = busy_week();
    let rendered = render(content.path(), SAMPLE_AS_OF);
    assert_well_formed_newsletter(&rendered.eml, &titles);
    // Gmail clips HTML over about 102 KB, hiding the footer with the unsubscribe link.
    assert!(
        rendered.html.len() < 90 * 1024,
        "HTML of a 12-comparison week is {} bytes",
        rendered.html.len()
    );
}

#[test]
fn even_forty_comparisons_stay_under_90_kb_of_html() {
    let content = tempfile::tempdir().unwrap();
    let titles = write_busy_week(content.path(), 40);
    let rendered = render(content.path(), SAMPLE_AS_OF);
    assert!(
        rendered.html.len() < 90 * 1024,
        "{} bytes",
        rendered.html.len()
    );
    for title in &titles {
        assert!(rendered.html.contains(&html_escape(title)), "{title}");
    }
}

#[test]
fn non_ascii_subject_is_rfc_2047_encoded() {
    let content = tempfile::tempdir().unwrap();
    let title = "Café Crème vs Größenwahn — naïve AI for 東京";
    std::fs::write(
        content.path().join("2026-11-18-cafe-vs-gross.md"),
        comparison(title, "Fast and small", "Easy to start.", ""),
    )
    .unwrap();
    let rendered = render(content.path(), SAMPLE_AS_OF);
    let message = Entity::parse(&rendered.eml);
    let raw = message.one("Subject");
    assert!(raw.is_ascii(), "the raw Subject is ASCII: {raw}");
    assert!(raw.to_ascii_lowercase().contains("=?utf-8?"), "{raw}");
    assert_eq!(decode_words(raw), format!("New verdict: {title}"));
    assert_well_formed_newsletter(&rendered.eml, &[title.to_string()]);
}

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
fn title_with_cr_lf_cannot_add_a_header() {
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
    if !output.status.success() {
        // Refusing the title is fine, if the error names the file and the field.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("2026-11-18-evil.md") && stderr.contains("title"),
            "{stderr}"
        );
        return;
    }
    let eml = std::fs::read(out.path().join("digest.eml")).unwrap();
    let message = Entity::parse(&eml);
    assert!(message.all("Bcc").is_empty(), "a Bcc header was injected");
    let subject = decode_words(message.one("Subject"));
    assert!(subject.starts_with("New verdict: Evil"), "{subject}");
    assert_well_formed_newsletter(&eml, &[]);
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "the body was not split either");
}
