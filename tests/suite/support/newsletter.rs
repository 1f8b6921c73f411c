//! What every generated newsletter must be, checked from its bytes: the checklist's headers and
//! MIME structure, line lengths, both parts carrying the content and the unsubscribe link, and
//! the Nu HTML checker's findings limited to an explicit allow-list.

use std::path::Path;

use crate::support::mime::Entity;
use crate::support::tools::nu_html_checker;

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

/// Every Nu checker finding that is not on the allow-list.
pub fn unexpected_nu_findings(html: &Path) -> Vec<String> {
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

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The checklist's headers and structure, and every title and the unsubscribe link in both parts.
pub fn assert_well_formed_newsletter(eml: &[u8], titles: &[String]) -> (String, String) {
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
    let postal = "100 Example Street, Springfield, IL 62701, USA";
    assert!(text.contains(postal), "text part lacks the postal address");
    assert!(html.contains(postal), "HTML part lacks the postal address");
    assert_email_html(&html);
    (text, html)
}

/// The checklist's rules for the HTML itself: language, title, preheader, colour schemes, and
/// nothing a mail client strips or distrusts (scripts, forms, frames, external CSS, relative or
/// plain-http links).
fn assert_email_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(lower.contains("<html lang=\"en\">"), "<html lang=\"en\">");
    assert!(
        !lower.contains("<title></title>") && lower.contains("<title>"),
        "a <title>"
    );
    assert!(
        lower.contains("<meta name=\"color-scheme\" content=\"light dark\">"),
        "the color-scheme meta"
    );
    assert!(
        lower.contains("prefers-color-scheme: dark"),
        "a dark-mode block"
    );
    assert!(lower.contains("display:none"), "a hidden preheader");
    for banned in [
        "<script", "<form", "<iframe", "<link", "<img", "<object", "<embed",
    ] {
        assert!(!lower.contains(banned), "the HTML contains {banned}");
    }
    // Inside tags only: escaped text may quote anything. A literal `<` always opens a tag.
    let tags = html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap());
    for link in tags.flat_map(|tag| tag.split(" href=\"").skip(1)) {
        let url = link.split('"').next().unwrap();
        assert!(
            url.starts_with("https://") || url.starts_with("mailto:"),
            "link {url:?} is not absolute https (or mailto)"
        );
    }
}

/// RFC 5322 2.1.1: CRLF line ends only, no line over 998 octets.
fn assert_line_lengths(eml: &[u8]) {
    let lines: Vec<&[u8]> = eml.split(|&b| b == b'\n').collect();
    for (n, line) in lines.iter().copied().enumerate() {
        let body = line.strip_suffix(b"\r");
        let last = n == lines.len() - 1;
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
