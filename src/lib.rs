//! weekly-verdicts: turns a publication's AI tool comparisons into a weekly email digest.
//!
//! Data flow: `content/*.md` → [`content::load_dir`] → [`digest::assemble`] picks the week's
//! comparisons → [`digest::Digest`] is rendered once into HTML and text ([`digest::RenderedIssue`])
//! → the issue and a snapshot of its recipients go into the [`store`]'s ledger → one cheap
//! [`lettre::Message`] per subscriber, sent and recorded. Readers join through the web side:
//! [`email_address`] parses what they type, [`tokens`] sign their confirm/unsubscribe links.
#![forbid(unsafe_code)]

pub mod archive;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod content;
pub mod delivery;
pub mod digest;
pub mod email_address;
pub mod exit;
pub mod lease;
pub mod logging;
pub mod mailer;
pub mod preview;
pub mod schedule;
pub mod store;
pub mod subscribers_csv;
pub mod tokens;
pub mod web;
