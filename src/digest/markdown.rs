//! The editor's note: Markdown to email-safe HTML. Raw HTML in the note is shown as text,
//! links other than http(s) and mailto lose their link, images become their alt text.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Renders Markdown to HTML that is safe to splice into the email.
pub fn to_safe_html(markdown: &str) -> String {
    let mut dropped_links = 0usize;
    let mut in_image = 0usize;
    let events = Parser::new(markdown).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { dest_url, .. }) if !is_safe_url(&dest_url) => {
            dropped_links += 1;
            None
        }
        Event::End(TagEnd::Link) if dropped_links > 0 => {
            dropped_links -= 1;
            None
        }
        Event::Start(Tag::Image { .. }) => {
            in_image += 1;
            None
        }
        Event::End(TagEnd::Image) => {
            in_image = in_image.saturating_sub(1);
            None
        }
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The note as plain text for the text part: Markdown markers stay (they read fine as text).
pub fn to_text(markdown: &str) -> String {
    markdown.trim().to_string()
}

fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn raw_html_in_a_note_is_escaped_not_rendered() {
        let html = to_safe_html("Hello <script>alert(1)</script> <b onclick=x>bold</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<b "), "{html}");
    }

    #[test]
    fn javascript_links_lose_their_link_but_keep_their_text() {
        let html = to_safe_html("[click](javascript:alert(1)) and [ok](https://example.org)");
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("click"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.org">ok</a>"#),
            "{html}"
        );
    }

    #[test]
    fn images_become_their_alt_text() {
        let html = to_safe_html("![a chart](https://example.org/x.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("a chart"), "{html}");
    }
}
