//! Before a run goes over the ledger: every edition its due rows hold is rendered once (so no worker waits on a
//! render mid-run), and the rows of an edition with nothing new this week are marked `skipped` with the reason,
//! so `status` counts them and no worker sees them.

use anyhow::Result;

use crate::issue::{EditionMessages, Editions, nothing_new_reason};
use crate::store::Store;

/// Renders the ledger's editions and skips the empty ones; how many rows it skipped.
pub(super) fn prepare(store: &mut Store, editions: &Editions, issue_id: i64) -> Result<u64> {
    let held = store.ledger_editions(issue_id)?;
    editions.render_all(&held);
    let mut skipped = 0;
    for categories in &held {
        if let EditionMessages::NothingNew = editions.get(categories).as_ref() {
            let reason = nothing_new_reason(categories);
            let n = store.skip_edition(issue_id, categories, &reason)?;
            if n > 0 {
                tracing::info!("{n} readers skipped: {reason}");
            }
            skipped += n;
        }
    }
    tracing::info!(
        "{} editions of the issue to send ({} rendered)",
        held.len(),
        editions.rendered()
    );
    Ok(skipped)
}
