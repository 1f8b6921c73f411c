//! The circuit breaker: when the same permanent reply hits many recipients in a row (or nearly every one of the
//! last answers), it is the relay speaking, not the mailboxes, and the run pauses without recording any of them.
//!
//! How it can take back what it saw: a permanent refusal is held unrecorded until enough later answers have
//! gone by to show it was not part of such a run (or until the pass ends). A refused message was not
//! delivered, so holding it costs nothing: after a trip, or a crash, those recipients are still pending in the
//! ledger and nobody was bounced.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::mail::Blame;
use crate::store::Outcome;

/// Most answers a refusal is held for; also the sliding window of the 90% rule.
const WINDOW: usize = 100;
/// The same reply this many times in a row trips the breaker (fewer when the run has fewer recipients).
const IN_A_ROW: usize = 10;

/// A permanent refusal, as the breaker compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Equal for replies that differ only in the recipient or a message id ([`crate::mail::sameness_key`]).
    pub key: String,
    /// The relay's words, as the operator should see them.
    pub reply: String,
    pub blame: Blame,
}

/// What to do after an answer.
#[derive(Debug, Default)]
pub struct Observed {
    /// Record these now.
    pub record: Vec<Outcome>,
    /// The breaker tripped on this answer: pause the run for this reason.
    pub tripped: Option<String>,
}

struct Held {
    /// Which answer it was (counting from 1).
    answer: u64,
    key: String,
    outcome: Outcome,
}

#[derive(Default)]
struct State {
    /// The last [`WINDOW`] answers: a permanent refusal's key, or None for anything else.
    recent: VecDeque<Option<String>>,
    held: VecDeque<Held>,
    answers: u64,
    /// The key it tripped on: later refusals with it are dropped too (they stay due in the ledger).
    tripped: Option<String>,
}

pub struct Breaker {
    /// The recipients: 5 refused out of a list of 5 is "all of them".
    recipients: u64,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(recipients: u64) -> Breaker {
        Breaker {
            recipients,
            state: Mutex::new(State::default()),
        }
    }

    /// How many identical refusals in a row trip it: 10, or the whole list when it is smaller. A relay-class
    /// reply (policy, relaying, AUTH) to the whole of a tiny list is most likely the relay's, so it pauses even
    /// a list of one; a mailbox-class reply needs at least 3 in a row, so that a list of one or two with a dead
    /// address still bounces it.
    fn in_a_row(&self, blame: Blame) -> usize {
        let recipients = usize::try_from(self.recipients)
            .unwrap_or(usize::MAX)
            .max(1);
        let floor = if blame == Blame::Relay { 1 } else { 3 };
        IN_A_ROW.min(recipients).max(floor)
    }

    /// An answered transaction: its outcome, and the refusal when it was a permanent one.
    pub fn observe(&self, outcome: Outcome, refusal: Option<Refusal>) -> Observed {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut observed = Observed::default();
        if let Some(tripped) = &state.tripped {
            if refusal.as_ref().is_none_or(|r| &r.key != tripped) {
                observed.record.push(outcome);
            }
            return observed;
        }
        state.answers += 1;
        let answer = state.answers;
        state
            .recent
            .push_back(refusal.as_ref().map(|r| r.key.clone()));
        if state.recent.len() > WINDOW {
            state.recent.pop_front();
        }
        let Some(refusal) = refusal else {
            observed.record.push(outcome);
            observed.record.extend(state.release_older_than(answer));
            return observed;
        };
        state.held.push_back(Held {
            answer,
            key: refusal.key.clone(),
            outcome,
        });
        let key = Some(refusal.key.clone());
        let streak = state.recent.iter().rev().take_while(|k| **k == key).count();
        let same = state.recent.iter().filter(|k| **k == key).count();
        let in_a_row = self.in_a_row(refusal.blame);
        let window = WINDOW
            .min(usize::try_from(self.recipients).unwrap_or(usize::MAX))
            .max(in_a_row);
        let trips = streak >= in_a_row
            || (state.recent.len() >= window && same * 10 >= state.recent.len() * 9);
        if !trips {
            observed.record.extend(state.release_older_than(answer));
            return observed;
        }
        let (dropped, kept): (Vec<Held>, Vec<Held>) =
            state.held.drain(..).partition(|h| h.key == refusal.key);
        observed.record.extend(kept.into_iter().map(|h| h.outcome));
        observed.tripped = Some(format!(
            "the relay refused {} recipient(s) with the same reply, so the fault is the relay's, not theirs \
             (nobody was bounced; they stay pending): {}",
            dropped.len(),
            refusal.reply
        ));
        state.tripped = Some(refusal.key);
        observed
    }

    /// Every refusal still held: the pass is over and none of them was part of a trip.
    pub fn release(&self) -> Vec<Outcome> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.held.drain(..).map(|h| h.outcome).collect()
    }
}

impl State {
    /// Held refusals that have left the window by answer `now`.
    fn release_older_than(&mut self, now: u64) -> Vec<Outcome> {
        let mut out = Vec::new();
        while self
            .held
            .front()
            .is_some_and(|h| h.answer + WINDOW as u64 <= now)
        {
            out.extend(self.held.pop_front().map(|h| h.outcome));
        }
        out
    }
}

#[cfg(test)]
mod tests;
