//! weekly-verdicts: turns a publication's AI tool comparisons into a weekly email digest.
//!
//! Data flow: `content/*.md` → [`content::load_dir`] → [`digest::assemble`] picks the week's
//! comparisons → [`digest::Digest`] is rendered once into HTML and text ([`digest::RenderedIssue`])
//! → [`delivery::send`] (under the [`lease`]) stores the issue and a snapshot of its recipients in
//! the [`store`]'s ledger, then sends one cheap message per subscriber over SMTP or into the
//! [`mailer::Outbox`], recording each outcome. [`schedule`] fires it weekly inside `serve`;
//! [`web`] is where readers join ([`email_address`] parses, [`tokens`] sign links) and where the
//! [`archive`] shows what was sent.
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
pub mod tls_trust;
pub mod tokens;
pub mod web;
