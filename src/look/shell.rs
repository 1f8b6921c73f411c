//! The one page shell: the `<head>` (viewport, colour scheme, no referrer, the one stylesheet), the card with the
//! site's name on top, and the footer with the postal address. No JavaScript anywhere: every page works as plain
//! HTML forms and links, and the stylesheet ([`STYLESHEET`]) is inline and allowed by its hash in the
//! Content-Security-Policy ([`content_security_policy`]). Everything interpolated is escaped by maud.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use crate::look::palette::colour;

/// The whole stylesheet of every web page: one column that fits a phone, larger type and targets on wider screens,
/// dark mode. Colours come in as CSS variables from the palette, so a page's rules never name a colour.
#[rustfmt::skip]
pub const STYLESHEET: &str = concat!(
    ":root{color-scheme:light dark;",
    "--bg:", colour!(PAGE_BG), ";--card:", colour!(SURFACE), ";--text:", colour!(TEXT),
    ";--body:", colour!(TEXT_BODY), ";--muted:", colour!(TEXT_MUTED), ";--faint:", colour!(TEXT_FAINT),
    ";--rule:", colour!(RULE), ";--line:", colour!(FIELD_BORDER), ";--accent:", colour!(ACCENT),
    ";--accent-text:", colour!(ON_ACCENT), ";--error-bg:", colour!(ERROR_BG), ";--error:", colour!(ERROR),
    ";--ok-bg:", colour!(OK_BG), ";--ok:", colour!(OK), "}",
    "@media (prefers-color-scheme:dark){:root{",
    "--bg:", colour!(DARK_PAGE_BG), ";--card:", colour!(DARK_SURFACE), ";--text:", colour!(DARK_TEXT),
    ";--body:", colour!(DARK_TEXT_MUTED), ";--muted:", colour!(DARK_TEXT_MUTED),
    ";--faint:", colour!(DARK_TEXT_MUTED), ";--rule:", colour!(DARK_RULE),
    ";--line:", colour!(DARK_FIELD_BORDER), ";--accent:", colour!(DARK_ACCENT),
    ";--accent-text:", colour!(DARK_ON_ACCENT), ";--error-bg:", colour!(DARK_ERROR_BG),
    ";--error:", colour!(DARK_ERROR), ";--ok-bg:", colour!(DARK_OK_BG), ";--ok:", colour!(DARK_OK), "}}",
    "*{box-sizing:border-box}",
    "body{margin:0;background:var(--bg);color:var(--text);font:17px/1.5 ", colour!(FONT_STACK), "}",
    "main{max-width:34rem;margin:0 auto;padding:24px 16px 8px}",
    ".card{background:var(--card);border-radius:12px;padding:24px 20px;box-shadow:0 1px 3px ", colour!(SHADOW), "}",
    ".brand{margin:0 0 4px;font-size:13px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;",
    "color:var(--accent)}",
    "h1{margin:0 0 12px;font-size:26px;line-height:1.2}",
    "p{margin:0 0 14px}",
    ".lead{color:var(--muted)}",
    "label{display:block;margin:16px 0 6px;font-weight:600}",
    ".optional{font-weight:400;color:var(--muted)}",
    "input[type=email],input[type=text]{width:100%;padding:12px;font:inherit;font-size:17px;color:var(--text);",
    "background:var(--card);border:1px solid var(--line);border-radius:8px}",
    "input:focus,button:focus,select:focus{outline:3px solid var(--accent);outline-offset:2px}",
    "button{display:block;width:100%;margin:20px 0 0;padding:14px;font:inherit;font-weight:700;",
    "color:var(--accent-text);background:var(--accent);border:0;border-radius:8px;cursor:pointer}",
    ".trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}",
    // Topics: a fieldset of checkboxes, the pause select, and the quieter unsubscribe button.
    "fieldset{border:0;margin:16px 0 0;padding:0;min-width:0}",
    "legend{padding:0;margin:0 0 4px;font-weight:600}",
    "fieldset .small{margin:0 0 6px}",
    "label.check{display:flex;gap:10px;align-items:center;margin:0;padding:6px 0;font-weight:400}",
    "input[type=checkbox]{width:22px;height:22px;margin:0;flex:none;accent-color:var(--accent)}",
    "select{width:100%;padding:12px;font:inherit;font-size:17px;color:var(--text);background:var(--card);",
    "border:1px solid var(--line);border-radius:8px}",
    "button.secondary{color:var(--accent);background:transparent;border:1px solid var(--line)}",
    "form+form{margin-top:24px;padding-top:8px;border-top:1px solid var(--rule)}",
    ".notice{padding:12px 14px;border-radius:8px;margin:0 0 16px}",
    ".error{background:var(--error-bg);color:var(--error)}",
    ".ok{background:var(--ok-bg);color:var(--ok)}",
    ".small{font-size:14px;color:var(--muted)}",
    "form+.small{margin-top:16px}",
    ".card>:last-child{margin-bottom:0}",
    "a{color:var(--accent)}",
    // The archive index: a list of past issues, one ruled block each.
    "ol.issues{list-style:none;padding:0;margin:0}",
    "li.issue{padding:16px 0;border-top:1px solid var(--rule)}",
    ".meta{font-size:13px;color:var(--faint)}",
    ".subject{display:block;font-size:18px;font-weight:700;margin:4px 0 6px;text-decoration:none}",
    "ul.titles{margin:0;padding-left:18px;color:var(--body);font-size:14px;line-height:21px}",
    "footer{max-width:34rem;margin:0 auto;padding:8px 16px 32px;font-size:13px;color:var(--muted)}",
    "@media (min-width:600px){main{padding-top:56px}.card{padding:36px 40px}h1{font-size:32px}}",
);

/// The policy for pages in the shell: nothing may run or load except the inline stylesheet above, forms post only
/// here, and no other site may frame the pages.
pub fn content_security_policy() -> String {
    let hash = STANDARD.encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What the shell shows around a page's own content.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shell<'a> {
    /// On top of the card and after the title; empty leaves both out (answers given before the config is at hand).
    pub site_name: &'a str,
    /// The footer line (the postal address); `None` leaves the footer out.
    pub footer: Option<&'a str>,
    /// An Atom feed to announce in the head, as (title, href).
    pub feed: Option<(&'a str, &'a str)>,
}

/// A whole page: `title` in the tab, `body` in the card.
pub fn page(shell: Shell<'_>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                title {
                    (title)
                    @if !shell.site_name.is_empty() { " · " (shell.site_name) }
                }
                @if let Some((feed_title, href)) = shell.feed {
                    link rel="alternate" type="application/atom+xml" title=(feed_title) href=(href);
                }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                main {
                    div.card {
                        @if !shell.site_name.is_empty() {
                            p.brand { (shell.site_name) }
                        }
                        (body)
                    }
                }
                @if let Some(footer) = shell.footer {
                    footer { (footer) }
                }
            }
        }
    }
}
