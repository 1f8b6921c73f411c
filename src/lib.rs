//! weekly-verdicts: turns a publication's AI tool comparisons into a weekly email digest.
//!
//! Data flow: `content/*.md` → [`content::load_dir`] → [`issue::plan`] picks the week's comparisons
//! ([`digest::assemble`]) and renders them once ([`digest::RenderedIssue`]), or finds the week's stored issue;
//! preview shows exactly that plan. [`delivery::send`] (under the [`lease`]) stores the issue and a snapshot of
//! its recipients in the [`store`]'s ledger, then workers build one message per subscriber ([`issue::Edition`])
//! and hand it to [`mail`], the one way out for every mail (relay, TLS, DKIM, outbox), recording each outcome.
//! Readers who follow some categories ([`content::Categories`]) get an edition of the issue, rendered once per
//! distinct choice ([`issue::Editions`]).
//! [`schedule`] fires it weekly inside `serve`; [`web`] is where readers join and choose their topics
//! ([`email_address`] parses,
//! [`tokens`] sign links, confirmations leave through [`mail`] too) and where the [`archive`] shows what was sent.
//! What comes back after the send (bounces, spam complaints) is read by [`bounces`] and mapped to the reader and
//! the issue by the signed return path each message left with ([`tokens::verp`]).
//! [`metrics`] reads the store's counts at one moment (for `/metrics` and `status --json`) and keeps the process's
//! running totals. Time comes from one [`clock`]; every page and email looks alike through [`look`] (one palette,
//! one page shell).
#![forbid(unsafe_code)]

pub mod archive;
pub mod bounces;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod content;
pub mod delivery;
pub mod digest;
pub mod email_address;
pub mod exit;
pub mod issue;
pub mod lease;
pub mod logging;
pub mod look;
pub mod mail;
pub mod metrics;
pub mod private_files;
pub mod schedule;
pub mod store;
pub mod subscribers_csv;
pub mod tokens;
pub mod web;
