//! The pages `verdicts serve` shows, as maud functions: each is its own content inside the one page shell
//! ([`shell::page`]), which brings the head, the stylesheet, the site's name and the footer.

use axum::http::StatusCode;
use maud::{Markup, html};

use crate::config::Config;
use crate::look::shell::{self, Shell};
use crate::store::Status;

pub mod topics;

use topics::TopicBoxes;

/// Name of the hidden field that people never see and bots fill in.
pub const HONEYPOT_FIELD: &str = "website";

/// What the subscribe form shows again after a mistake.
#[derive(Debug, Default, Clone)]
pub struct FormValues<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub error: Option<&'a str>,
    /// The category checkboxes; `None` leaves them out (the forms that only ask for a new link).
    pub topics: Option<&'a TopicBoxes>,
}

fn page(config: &Config, title: &str, body: Markup) -> Markup {
    let shell = Shell {
        site_name: &config.site_name,
        footer: Some(&config.postal_address),
        feed: None,
    };
    shell::page(shell, title, body)
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
            @if let Some(topics) = values.topics {
                (topics::topic_fieldset(topics, "Topics"))
            }
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

/// `POST /confirm/{token}` that worked, with the reader's own link to choose topics (`preferences_token`).
pub fn confirmed(config: &Config, preferences_token: &str) -> Markup {
    page(
        config,
        "Subscription confirmed",
        html! {
            h1 { "You're subscribed" }
            p.notice.ok { "Your address is confirmed." }
            p { "The next issue will arrive with the week's new comparisons. Every issue has a one-click unsubscribe link at the bottom." }
            p {
                a href={ "/preferences/" (preferences_token) } { "Choose your topics" }
                ": get only the categories you follow, or pause for a few weeks. Every issue links there too."
            }
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
    /// Genuine, but since it was sent the subscription left the list (unsubscribed, bounced or a spam
    /// report): the page says which, so a reader whose mail bounced knows why.
    NoLongerPending(Status),
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
        LinkProblem::NoLongerPending(status) => (
            "This link no longer applies",
            match status {
                Status::Bounced => {
                    "Mail to this address bounced after this link was sent, so it was taken off the list. To \
                     receive the newsletter again, subscribe below and confirm the new link."
                }
                Status::Complained => {
                    "An issue sent to this address was reported as spam after this link was sent, so we stopped \
                     sending to it. To receive the newsletter again, subscribe below and confirm the new link."
                }
                _ => {
                    "The address was unsubscribed after this link was sent. To receive the newsletter again, \
                     subscribe below and confirm the new link."
                }
            },
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

/// `GET /unsubscribe` without a token (where the archive's copies of issues link, for unsubscribing and for
/// choosing topics).
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
            p {
                "Choosing your topics or pausing works the same way: the \"Choose your topics\" (or \"Change\") "
                "link at the bottom of every issue you receive is your own."
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

/// `GET /archive/{key}` for a key no issue has.
pub fn no_such_issue(config: &Config) -> Markup {
    page(
        config,
        "Not found",
        html! {
            h1 { "No issue by that name" }
            p { a href="/archive" { "Past issues" } }
        },
    )
}

/// A bare error page for answers given outside a handler (rate limit, extractor failures).
pub fn problem(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    shell::page(
        Shell::default(),
        title,
        html! {
            h1 { (title) }
            p { (message) }
        },
    )
}
