//! weekly-verdicts: turns a publication's AI tool comparisons into a weekly email digest.
//!
//! Data flow: `content/*.md` → [`content::load_dir`] → [`digest::assemble`] picks the week's
//! comparisons → [`digest::Digest`] is rendered once into HTML and text ([`digest::RenderedIssue`]) →
//! one cheap [`lettre::Message`] per subscriber → the delivery engine sends it and records it
//! in the store's ledger.
#![forbid(unsafe_code)]

pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod content;
pub mod digest;
pub mod exit;
pub mod logging;
pub mod preview;
