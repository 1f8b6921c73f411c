//! The week's issue, planned once and used by preview and send alike: which issue a time is about (the stored
//! one, a new one assembled against the store's history, or none: [`plan`]), its preview ([`preview`]), and the
//! [`Edition`] that turns it into one subscriber's message at a time (stamped from one build, or built and
//! DKIM-signed). Readers who follow some categories get their edition of it, rendered once per distinct
//! choice ([`Editions`]).

mod edition;
pub mod editions;
pub mod plan;
pub mod preview;
mod stamp;

pub use edition::{Addressee, Built, Edition};
pub use editions::{EditionMessages, Editions, EditionsOptions, nothing_new_reason};
pub use plan::{Plan, plan};
