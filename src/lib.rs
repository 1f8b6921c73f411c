//! weekly-verdicts: turns the week's AI tool comparisons into an email digest for confirmed subscribers.
//!
//! Data flow: readers subscribe (`email_address` parses what they type) into the `store`, confirm through a signed
//! link (`tokens`), and lists move in and out as CSV (`subscribers_csv`). Each week an issue is created in the store,
//! its recipients are snapshotted into the delivery ledger, and the sender works through that ledger.
#![forbid(unsafe_code)]

pub mod email_address;
pub mod store;
pub mod subscribers_csv;
pub mod tokens;
