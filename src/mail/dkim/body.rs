//! The body hash of a stamped message without canonicalising its whole body again: every subscriber's body is
//! the with a few slots (their unsubscribe link) filled in, so the relaxed form of the shared parts is
//! computed once per issue, the SHA-256 state after the part before the first slot is kept, and a message costs
//! one clone of that state plus one hash pass over the rest (no line scanning, no copying).
//!
//! Why that equals hashing the message's body in relaxed form: relaxed body canonicalisation only changes
//! blanks (runs of spaces and tabs, blanks at line ends) and empty lines at the end. A slot value with no blank
//! in it, that neither starts nor ends a line (its first and last bytes are not CR, LF or a blank), comes out
//! unchanged and cannot change how the bytes around it come out; `BodyTemplate::new` also checks this on the
//! issue's own body with other values in the slots, and refuses the template when it does not hold.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lc_rs::digest::{Context, Digest, SHA256};
use memchr::memmem;

use super::canon;

/// The body in relaxed form, cut at the slots that differ per message.
pub struct BodyTemplate {
    /// SHA-256 state after the relaxed body up to the first slot.
    prefix: Context,
    /// The relaxed bytes after each slot, up to the next slot or the end of the body.
    segments: Vec<Vec<u8>>,
    /// Whether a message's hash was compared with its whole body's yet.
    used: AtomicBool,
    /// A hash from the template differed from its whole body's: every body is hashed in full.
    off: AtomicBool,
}

impl std::fmt::Debug for BodyTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BodyTemplate({} slots)", self.segments.len())
    }
}

/// Where the body starts in a message (after the blank line that ends the header).
pub fn body_start(raw: &[u8]) -> usize {
    memmem::find(raw, b"\r\n\r\n").map_or(raw.len(), |end| end + 4)
}

/// A slot value comes out of relaxed canonicalisation unchanged, and leaves its neighbours as they were.
fn transparent(value: &[u8]) -> bool {
    let edge = |b: &u8| !matches!(b, b'\r' | b'\n' | b' ' | b'\t');
    value.first().is_some_and(edge)
        && value.last().is_some_and(edge)
        && !value.iter().any(|b| matches!(b, b' ' | b'\t'))
}

/// The slots that lie in the body, relative to it; `None` when one straddles the blank line or is not
/// transparent.
fn body_slots(raw: &[u8], slots: &[Range<usize>]) -> Option<(usize, Vec<Range<usize>>)> {
    let start = body_start(raw);
    let mut inside = Vec::with_capacity(slots.len());
    for slot in slots {
        if slot.end <= start {
            continue;
        }
        if slot.start < start || slot.end > raw.len() || !transparent(&raw[slot.clone()]) {
            return None;
        }
        inside.push(slot.start - start..slot.end - start);
    }
    Some((start, inside))
}

impl BodyTemplate {
    /// The template of `raw`, a message whose bytes in `slots` (in order, not overlapping) differ per message;
    /// `None` when the body cannot be hashed this way (no slot in it, or a slot value that is not transparent).
    pub fn new(raw: &[u8], slots: &[Range<usize>]) -> Option<BodyTemplate> {
        let (start, slots) = body_slots(raw, slots)?;
        let body = &raw[start..];
        if slots.is_empty() {
            return None;
        }
        // The slot values come out unchanged, so they are found in the relaxed body in order.
        let relaxed = canon::relaxed_body_bytes(body);
        let mut cuts = Vec::with_capacity(slots.len());
        let mut at = 0;
        for slot in &slots {
            let value = &body[slot.clone()];
            let found = at + memmem::find(&relaxed[at..], value)?;
            cuts.push(found..found + value.len());
            at = found + value.len();
        }
        let mut prefix = Context::new(&SHA256);
        prefix.update(&relaxed[..cuts[0].start]);
        let segments = cuts
            .iter()
            .enumerate()
            .map(|(i, cut)| {
                let end = cuts.get(i + 1).map_or(relaxed.len(), |next| next.start);
                relaxed[cut.end..end].to_vec()
            })
            .collect();
        let template = BodyTemplate {
            prefix,
            segments,
            used: AtomicBool::new(false),
            off: AtomicBool::new(false),
        };
        // The check of the reasoning above on this body: other values in the slots (of other lengths) give the
        // hash a whole canonicalisation gives.
        let mut other = Vec::with_capacity(body.len() + slots.len());
        let mut values = Vec::with_capacity(slots.len());
        let mut copied = 0;
        for (i, slot) in slots.iter().enumerate() {
            other.extend_from_slice(&body[copied..slot.start]);
            let start = other.len();
            other.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, slot.len() + 1));
            values.push(start..other.len());
            copied = slot.end;
        }
        other.extend_from_slice(&body[copied..]);
        let expected = canon::body_hash(&other);
        let got = template.hash(&other, &values)?;
        (got.as_ref() == expected.as_ref()).then_some(template)
    }

    /// True the first time only: release builds compare the first message's hash with its whole body's.
    pub fn first_use(&self) -> bool {
        !self.used.swap(true, Ordering::Relaxed)
    }

    /// From now on `body_hash` says `None`: the caller hashes each whole body.
    pub fn turn_off(&self) {
        self.off.store(true, Ordering::Relaxed);
    }

    /// The relaxed body hash of a message built from the template: `body` is its body and `slots` (relative to
    /// the body) hold its values. `None` when the slot count differs or a value is not transparent.
    fn hash(&self, body: &[u8], slots: &[Range<usize>]) -> Option<Digest> {
        if slots.len() != self.segments.len() {
            return None;
        }
        let mut hash = self.prefix.clone();
        for (slot, segment) in slots.iter().zip(&self.segments) {
            hash.update(body.get(slot.clone())?);
            hash.update(segment);
        }
        Some(hash.finish())
    }

    /// The relaxed body hash of `raw`, a message made from the template with its values in `slots` (ranges of
    /// `raw`, in order, header slots included); `None` when the message does not fit the template, and the
    /// caller hashes the whole body instead.
    pub fn body_hash(&self, raw: &[u8], slots: &[Range<usize>]) -> Option<Digest> {
        if self.off.load(Ordering::Relaxed) {
            return None;
        }
        let (start, slots) = body_slots(raw, slots)?;
        self.hash(&raw[start..], &slots)
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use super::BodyTemplate;
    use crate::mail::dkim::canon::body_hash;

    /// A message of the shape the stamp makes: slots in the header and the body, with blanks, tabs, folded
    /// quoted-printable and trailing empty lines around the body's slots.
    fn message(values: [&str; 3]) -> (Vec<u8>, Vec<Range<usize>>) {
        let parts = [
            "From: a@example.org\r\nTo: ",
            values[0],
            "\r\nSubject: x\r\n\r\nHello  there\t \r\n  indented line \r\nlink: ",
            values[1],
            "  after\r\n\r\n<a href=3D\"",
            values[2],
            "\">unsubscribe</a>\t\r\n--end--\r\n \r\n\r\n\r\n",
        ];
        let mut raw = Vec::new();
        let mut slots = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let start = raw.len();
            raw.extend_from_slice(part.as_bytes());
            if i % 2 == 1 {
                slots.push(start..raw.len());
            }
        }
        (raw, slots)
    }

    fn whole_body_hash(raw: &[u8]) -> Vec<u8> {
        body_hash(&raw[super::body_start(raw)..]).as_ref().to_vec()
    }

    #[test]
    fn the_body_hash_from_the_template_equals_hashing_each_whole_body_in_relaxed_form() {
        let (stand_in, slots) = message([
            "Stand In <s@x>",
            "https://x/u/STANDIN",
            "https://x/u/STANDIN",
        ]);
        let template = BodyTemplate::new(&stand_in, &slots).expect("the body fits a template");
        for values in [
            [
                "Ann <ann@example.org>",
                "https://x/u/Ab-9_z",
                "https://x/u/Ab-9_z",
            ],
            ["b@x", "https://a-longer-host.example/u/Q=\r\nRST", "h"],
            [
                "Stand In <s@x>",
                "https://x/u/STANDIN",
                "https://x/u/STANDIN",
            ],
        ] {
            let (raw, slots) = message(values);
            let from_template = template.body_hash(&raw, &slots).unwrap();
            assert_eq!(from_template.as_ref(), whole_body_hash(&raw), "{values:?}");
        }
        assert!(template.first_use() && !template.first_use());
        template.turn_off();
        assert!(
            template.body_hash(&stand_in, &slots).is_none(),
            "turned off, every body is hashed in full"
        );
    }

    #[test]
    fn a_slot_value_with_a_blank_or_at_a_line_end_is_hashed_in_full_instead() {
        let (stand_in, slots) = message(["s@x", "https://x/u/STANDIN", "https://x/u/STANDIN"]);
        let template = BodyTemplate::new(&stand_in, &slots).unwrap();
        for values in [
            ["s@x", "two words", "https://x/u/STANDIN"],
            ["s@x", "https://x/u/STANDIN", "ends a line\r\n"],
            ["s@x", "", "https://x/u/STANDIN"],
        ] {
            let (raw, slots) = message(values);
            assert!(template.body_hash(&raw, &slots).is_none(), "{values:?}");
        }
        let (stand_in, slots) = message(["s@x", "a  b", "https://x/u/STANDIN"]);
        assert!(BodyTemplate::new(&stand_in, &slots).is_none());
        let (stand_in, slots) = message(["s@x", "https://x/u/STANDIN", "https://x/u/STANDIN"]);
        assert!(
            BodyTemplate::new(&stand_in, &slots[..1]).is_none(),
            "no slot in the body: nothing to gain"
        );
    }
}
