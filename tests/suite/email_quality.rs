//! The generated email of the sample week and of a busy week held to the newsletter checklist by
//! independent tools: SpamAssassin's local score, the Nu HTML checker, and a MIME reader of our
//! own for headers, parts, encodings, line lengths and size.

use crate::support::mime::{Entity, decode_words};
use crate::support::newsletter::{
    assert_well_formed_newsletter, html_escape, unexpected_nu_findings,
};
use crate::support::preview::{
    Rendered, SAMPLE_AS_OF, comparison, render, render_with, sample_content, write_busy_week,
};
use crate::support::tools::spamassassin;

/// The comparisons of the sample week (issue 2026-W47).
const SAMPLE_TITLES: [&str; 3] = [
    "Perplexity vs Kagi Assistant",
    "Deepgram vs AssemblyAI",
    "SmolLM3 vs Code Llama 4",
];

fn sample() -> Rendered {
    render(&sample_content(), SAMPLE_AS_OF)
}

/// The sample week's edition for readers of Search and Voice: two of its three comparisons.
fn sample_edition() -> Rendered {
    render_with(
        &sample_content(),
        SAMPLE_AS_OF,
        &["--categories", "Search,Voice"],
    )
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
fn an_edition_email_scores_under_one_point_with_spamassassin() {
    assert_spam_score_under_one(&sample_edition());
}

#[test]
fn an_edition_html_has_only_email_layout_findings_in_the_nu_checker() {
    let rendered = sample_edition();
    assert!(rendered.html.contains("You get: Search, Voice"));
    let unexpected = unexpected_nu_findings(&rendered.path("digest.html"));
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
fn an_edition_message_is_a_well_formed_newsletter_of_its_titles() {
    let rendered = sample_edition();
    let titles: Vec<String> = SAMPLE_TITLES[..2].iter().map(|t| t.to_string()).collect();
    let (text, html) = assert_well_formed_newsletter(&rendered.eml, &titles);
    assert_eq!(text.replace("\r\n", "\n"), rendered.text);
    assert_eq!(html.replace("\r\n", "\n"), rendered.html);
    assert!(!text.contains(SAMPLE_TITLES[2]) && !html.contains(SAMPLE_TITLES[2]));
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
