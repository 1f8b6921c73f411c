//! The pages `verdicts serve` shows, as maud functions. No JavaScript anywhere: every page works as plain HTML
//! forms and links, and the one stylesheet ([`PAGE_CSS`]) is inline and allowed by its hash in the
//! Content-Security-Policy. Everything interpolated is escaped by maud.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// Name of the hidden field that people never see and bots fill in.
pub const HONEYPOT_FIELD: &str = "website";

/// The whole stylesheet: one column that fits a phone, larger type and targets on wider screens, dark mode.
pub const PAGE_CSS: &str = "\
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#111827;--muted:#4b5563;--line:#d1d5db;\
--accent:#1d4ed8;--accent-text:#fff;--error-bg:#fef2f2;--error:#991b1b;--ok-bg:#f0fdf4;--ok:#166534}\
@media (prefers-color-scheme:dark){:root{--bg:#111827;--card:#1f2937;--text:#f9fafb;--muted:#d1d5db;\
--line:#4b5563;--accent:#93c5fd;--accent-text:#111827;--error-bg:#450a0a;--error:#fecaca;--ok-bg:#052e16;\
--ok:#bbf7d0}}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--text);\
font:17px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\
main{max-width:34rem;margin:0 auto;padding:24px 16px 8px}\
.card{background:var(--card);border-radius:12px;padding:24px 20px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
.brand{margin:0 0 4px;font-size:13px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;\
color:var(--accent)}\
h1{margin:0 0 12px;font-size:26px;line-height:1.2}\
p{margin:0 0 14px}\
.lead{color:var(--muted)}\
label{display:block;margin:16px 0 6px;font-weight:600}\
.optional{font-weight:400;color:var(--muted)}\
input[type=email],input[type=text]{width:100%;padding:12px;font:inherit;font-size:17px;color:var(--text);\
background:var(--card);border:1px solid var(--line);border-radius:8px}\
input:focus,button:focus{outline:3px solid var(--accent);outline-offset:2px}\
button{display:block;width:100%;margin:20px 0 0;padding:14px;font:inherit;font-weight:700;\
color:var(--accent-text);background:var(--accent);border:0;border-radius:8px;cursor:pointer}\
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\
.notice{padding:12px 14px;border-radius:8px;margin:0 0 16px}\
.error{background:var(--error-bg);color:var(--error)}\
.ok{background:var(--ok-bg);color:var(--ok)}\
.small{font-size:14px;color:var(--muted)}\
form+.small{margin-top:16px}\
.card>:last-child{margin-bottom:0}\
a{color:var(--accent)}\
footer{max-width:34rem;margin:0 auto;padding:8px 16px 32px;font-size:13px;color:var(--muted)}\
@media (min-width:600px){main{padding-top:56px}.card{padding:36px 40px}h1{font-size:32px}}";

/// The policy for these pages: nothing may run or load except the inline stylesheet above, forms post only here,
/// and no other site may frame the pages.
pub fn content_security_policy() -> String {
    let hash = STANDARD.encode(Sha256::digest(PAGE_CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What the subscribe form shows again after a mistake.
#[derive(Debug, Default, Clone)]
pub struct FormValues<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub error: Option<&'a str>,
}

fn layout(site_name: &str, title: &str, body: Markup, footer: Option<&str>) -> Markup {
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
                    @if !site_name.is_empty() { " · " (site_name) }
                }
                style { (PreEscaped(PAGE_CSS)) }
            }
            body {
                main {
                    div.card {
                        @if !site_name.is_empty() {
                            p.brand { (site_name) }
                        }
                        (body)
                    }
                }
                @if let Some(footer) = footer {
                    footer { (footer) }
                }
            }
        }
    }
}

fn page(config: &Config, title: &str, body: Markup) -> Markup {
    layout(&config.site_name, title, body, Some(&config.postal_address))
}

/// The form itself, shared by the subscribe page and the pages that offer to subscribe again.
fn subscribe_form(values: &FormValues<'_>, button: &str) -> Markup {
    html! {
        form method="post" action="/subscribe" novalidate[values.error.is_some()] {
            @if let Some(error) = values.error {
                p.notice.error id="form-error" role="alert" { (error) }
            }
            label for="email" { "Email address" }
            input type="email" id="email" name="email" value=(values.email) required maxlength="254"
                autocomplete="email" inputmode="email" autocapitalize="off" spellcheck="false"
                aria-invalid=[values.error.map(|_| "true")]
                aria-describedby=[values.error.map(|_| "form-error")];
            label for="name" { "Name " span.optional { "(optional)" } }
            input type="text" id="name" name="name" value=(values.name) maxlength="100" autocomplete="name";
            div.trap aria-hidden="true" {
                label for=(HONEYPOT_FIELD) { "Leave this field empty" }
                input type="text" id=(HONEYPOT_FIELD) name=(HONEYPOT_FIELD) value="" tabindex="-1"
                    autocomplete="off";
            }
            button type="submit" { (button) }
        }
    }
}

/// `GET /`: what the newsletter is, and the form.
pub fn subscribe(config: &Config, values: &FormValues<'_>) -> Markup {
    page(
        config,
        "Subscribe",
        html! {
            h1 { "The week's AI tool verdicts, in your inbox" }
            p.lead {
                "Once a week: the new head-to-head comparisons, with the panel's ship verdict, the community "
                "vote, the entry price and what each reviewer said. One email, nothing else."
            }
            (subscribe_form(values, "Subscribe"))
            p.small {
                "We send one email to confirm your address first. Every issue has a one-click unsubscribe link."
            }
        },
    )
}

/// After `POST /subscribe`, whatever the address's state: it must not tell who is subscribed.
pub fn check_inbox(config: &Config) -> Markup {
    page(
        config,
        "Check your inbox",
        html! {
            h1 { "Check your inbox" }
            p {
                "If that address is not subscribed yet, we have sent it an email with a link to confirm. "
                "Follow the link within 7 days to start receiving the newsletter."
            }
            p.small {
                "Nothing there after a few minutes? Look in the spam folder. Asking again within 10 minutes "
                "does not send another email."
            }
        },
    )
}

/// `GET /confirm/{token}`: a button, so that link scanners (which only GET) confirm nobody.
pub fn confirm_button(config: &Config, token: &str, name: Option<&str>) -> Markup {
    page(
        config,
        "Confirm your subscription",
        html! {
            h1 { "Confirm your subscription" }
            p { "Press the button to start receiving " (config.site_name) " at this address." }
            @if let Some(name) = name {
                p { "Issues will be addressed to " strong { (name) } "." }
            }
            form method="post" action={ "/confirm/" (token) } {
                button type="submit" { "Confirm my subscription" }
            }
            p.small { "Did not ask for it? Close this page: without confirmation you will receive nothing." }
        },
    )
}

/// `POST /confirm/{token}` that worked.
pub fn confirmed(config: &Config) -> Markup {
    page(
        config,
        "Subscription confirmed",
        html! {
            h1 { "You're subscribed" }
            p.notice.ok { "Your address is confirmed." }
            p { "The next issue will arrive with the week's new comparisons. Every issue has a one-click unsubscribe link at the bottom." }
        },
    )
}

/// Why a confirm link did not work, for [`link_problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// A confirm link older than 7 days.
    Expired,
    /// Altered, cut short, or meant for something else.
    Invalid,
    /// Genuine, but the reader unsubscribed (or the address bounced) since it was sent.
    NoLongerPending,
    /// Genuine, but the address was removed from the list.
    Unknown,
    /// Genuine, but a newer confirmation email was sent since: only its link works.
    Superseded,
}

/// A confirm link that did not work: what happened, and the form to start again.
pub fn link_problem(config: &Config, problem: LinkProblem) -> Markup {
    let (title, explanation) = match problem {
        LinkProblem::Expired => (
            "This link has expired",
            "Confirmation links work for 7 days. Subscribe again below and we will send you a new one.",
        ),
        LinkProblem::Invalid => (
            "This link does not work",
            "It may have been cut short or changed when it was copied. Open it straight from the email, or \
             subscribe again below for a new one.",
        ),
        LinkProblem::NoLongerPending => (
            "This link no longer applies",
            "The address was unsubscribed after this link was sent. To receive the newsletter again, \
             subscribe below and confirm the new link.",
        ),
        LinkProblem::Superseded => (
            "This link has been replaced",
            "A newer confirmation email was sent to this address, and only its link works. Use the newest \
             email, or subscribe again below for a new one.",
        ),
        LinkProblem::Unknown => (
            "This address is not on the list",
            "It may have been removed. Subscribe again below and we will send you a new link.",
        ),
    };
    page(
        config,
        title,
        html! {
            h1 { (title) }
            p { (explanation) }
            (subscribe_form(&FormValues::default(), "Send me a new link"))
        },
    )
}

/// `GET /unsubscribe/{token}`: a button, so that link scanners (which only GET) unsubscribe nobody.
pub fn unsubscribe_confirm(config: &Config, token: &str) -> Markup {
    page(
        config,
        "Unsubscribe",
        html! {
            h1 { "Unsubscribe?" }
            p { "You will receive no more issues of " (config.site_name) "." }
            form method="post" action={ "/unsubscribe/" (token) } {
                input type="hidden" name="List-Unsubscribe" value="One-Click";
                button type="submit" { "Unsubscribe" }
            }
        },
    )
}

/// After `POST /unsubscribe/{token}`.
pub fn unsubscribed(config: &Config) -> Markup {
    page(
        config,
        "Unsubscribed",
        html! {
            h1 { "You're unsubscribed" }
            p.notice.ok { "You will receive no more issues." }
            p.small { "Changed your mind? " a href="/" { "Subscribe again" } "." }
        },
    )
}

/// An unsubscribe link that is not genuine.
pub fn unsubscribe_invalid(config: &Config) -> Markup {
    page(
        config,
        "This link does not work",
        html! {
            h1 { "This link does not work" }
            p {
                "It may have been cut short or changed when it was copied. Use the unsubscribe link at the "
                "bottom of any issue you received, or your mail app's own unsubscribe button."
            }
        },
    )
}

/// `GET /unsubscribe` without a token (where the archive's copies of issues link).
pub fn unsubscribe_help(config: &Config) -> Markup {
    page(
        config,
        "Unsubscribe",
        html! {
            h1 { "How to unsubscribe" }
            p {
                "Every issue we send you ends with your own unsubscribe link: open it from any issue in your "
                "inbox, and press the button. Many mail apps also show an unsubscribe button next to the sender."
            }
            p.small { "Copies of issues on the web link here because their links cannot be personal." }
        },
    )
}

/// 404 for any path the server does not know.
pub fn not_found(config: &Config) -> Markup {
    page(
        config,
        "Not found",
        html! {
            h1 { "Nothing here" }
            p { a href="/" { "Subscribe to " (config.site_name) } }
        },
    )
}

/// A bare error page for answers given outside a handler (rate limit, extractor failures).
pub fn problem(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    layout(
        "",
        title,
        html! {
            h1 { (title) }
            p { (message) }
        },
        None,
    )
}
