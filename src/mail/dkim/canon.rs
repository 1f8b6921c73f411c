//! relaxed/relaxed canonicalisation (RFC 6376 sections 3.4.2 and 3.4.4) over a message's raw bytes, and the
//! choice of header instances that `h=` names (section 5.4.2).
//!
//! Works on bytes as the stamp or lettre produced them (CRLF line ends, a blank line before the body), so a
//! stamped message is signed without being parsed back into a `lettre::Message`.

use aws_lc_rs::digest::{Context, Digest, SHA256};
use memchr::memmem;

/// One header field: its name and its whole text (continuation lines included, final CRLF excluded).
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub text: &'a [u8],
}

/// A message cut at the blank line that ends its header.
#[derive(Debug)]
pub struct Message<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
}

impl<'a> Message<'a> {
    pub fn split(raw: &'a [u8]) -> Message<'a> {
        let (head, body) = match memmem::find(raw, b"\r\n\r\n") {
            Some(end) => (&raw[..end + 2], &raw[end + 4..]),
            None => (raw, &raw[raw.len()..]),
        };
        let mut fields: Vec<Field<'a>> = Vec::with_capacity(16);
        // (start, end) of the field being read; a line that starts with a blank continues it.
        let mut current: Option<(usize, usize)> = None;
        let mut at = 0;
        while at < head.len() {
            let end = memmem::find(&head[at..], b"\r\n").map_or(head.len(), |i| at + i);
            if matches!(head[at], b' ' | b'\t') {
                if let Some((_, field_end)) = current.as_mut() {
                    *field_end = end;
                }
            } else {
                if let Some((s, e)) = current {
                    fields.push(field(&head[s..e]));
                }
                current = Some((at, end));
            }
            at = end + 2;
        }
        if let Some((s, e)) = current {
            fields.push(field(&head[s..e]));
        }
        Message { fields, body }
    }

    /// How many fields carry `name` (compared case-insensitively).
    pub fn count(&self, name: &str) -> usize {
        self.fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .count()
    }

    /// The canonical form of the fields `names` select, in `h=` order: for each name the last instance not yet
    /// taken, and nothing once none is left. That nothing is what makes over-signing work: a copy of the header
    /// added in transit fills the slot and changes the hash.
    pub fn signed_headers(&self, names: &[&str]) -> Vec<u8> {
        let mut out = Vec::with_capacity(2048);
        let mut taken = vec![false; self.fields.len()];
        for name in names {
            let found = self
                .fields
                .iter()
                .enumerate()
                .rev()
                .find(|(i, f)| !taken[*i] && f.name.eq_ignore_ascii_case(name.as_bytes()));
            if let Some((i, f)) = found {
                taken[i] = true;
                relaxed_header(f.text, &mut out);
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }
}

fn field(text: &[u8]) -> Field<'_> {
    let colon = memchr::memchr(b':', text).unwrap_or(text.len());
    let mut name = &text[..colon];
    while let [rest @ .., b' ' | b'\t'] = name {
        name = rest;
    }
    Field { name, text }
}

/// Appends one field in relaxed form, without its CRLF: lower-case name, unfolded, runs of blanks as one
/// space, no blanks around the colon or at the end.
pub fn relaxed_header(text: &[u8], out: &mut Vec<u8>) {
    let colon = memchr::memchr(b':', text).unwrap_or(text.len());
    let f = field(text);
    out.extend(f.name.iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let mut blank = false;
    let mut any = false;
    for &b in text.get(colon + 1..).unwrap_or_default() {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => blank = true,
            _ => {
                if blank && any {
                    out.push(b' ');
                }
                out.push(b);
                blank = false;
                any = true;
            }
        }
    }
}

/// SHA-256 of the body in relaxed form: blanks at line ends dropped, runs of blanks as one space, empty lines
/// at the end dropped, and a final CRLF when anything is left. Hashed as it is read: the body is the bulk of
/// the message and differs for every subscriber (their unsubscribe link).
pub fn body_hash(body: &[u8]) -> Digest {
    let mut hash = Context::new(&SHA256);
    relaxed_body(body, |bytes| hash.update(bytes));
    hash.finish()
}

/// The body in relaxed form, as bytes (a stamped issue's shared parts are canonicalised once, see `body.rs`).
pub fn relaxed_body_bytes(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    relaxed_body(body, |bytes| out.extend_from_slice(bytes));
    out
}

/// Hands the relaxed body to `emit` in as few pieces as it can: a run of lines that need no change (most of
/// them) goes out as one slice of the input, so the hash sees a few large updates rather than two per line.
fn relaxed_body(body: &[u8], mut emit: impl FnMut(&[u8])) {
    let mut blank_lines = 0usize;
    let mut scratch = Vec::with_capacity(128);
    // Built once per body: `memmem::find` builds its searcher anew on every call, once per line.
    let line_end = memmem::Finder::new(b"\r\n");
    let double_space = memmem::Finder::new(b"  ");
    // body[run..at] is canonical already (whole lines with their CRLF) and not yet emitted.
    let mut run = 0;
    let mut at = 0;
    while at < body.len() {
        let (end, next) = match line_end.find(&body[at..]) {
            Some(i) => (at + i, Some(at + i + 2)),
            None => (body.len(), None),
        };
        let line = &body[at..end];
        let relaxed = already_relaxed(line, &double_space);
        if let Some(next) = next.filter(|_| relaxed && !line.is_empty() && blank_lines == 0) {
            at = next;
            continue;
        }
        // Anything else ends the run of unchanged lines.
        if run < at {
            emit(&body[run..at]);
        }
        let line = if relaxed {
            line
        } else {
            scratch.clear();
            relaxed_body_line(line, &mut scratch);
            &scratch[..]
        };
        if line.is_empty() {
            blank_lines += 1;
        } else {
            for _ in 0..blank_lines {
                emit(b"\r\n");
            }
            blank_lines = 0;
            emit(line);
            emit(b"\r\n");
        }
        at = next.unwrap_or(body.len());
        run = at;
    }
    if run < at {
        emit(&body[run..at]);
    }
}

/// Most lines need no change: no tab, no run of spaces, no space at the end (vectorised searches, not a loop
/// over every byte of a 40 KB body).
fn already_relaxed(line: &[u8], double_space: &memmem::Finder<'_>) -> bool {
    !line.ends_with(b" ")
        && memchr::memchr(b'\t', line).is_none()
        && double_space.find(line).is_none()
}

fn relaxed_body_line(line: &[u8], out: &mut Vec<u8>) {
    let mut blank = false;
    for &b in line {
        if b == b' ' || b == b'\t' {
            blank = true;
        } else {
            if blank {
                out.push(b' ');
            }
            out.push(b);
            blank = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::digest::{SHA256, digest};

    use super::{Message, body_hash, relaxed_header};

    fn relaxed(text: &str) -> String {
        let mut out = Vec::new();
        relaxed_header(text.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn relaxed_headers_lower_the_name_unfold_and_squeeze_blanks() {
        assert_eq!(
            relaxed("Subject \t:  Two\r\n\t  words  here \t"),
            "subject:Two words here"
        );
        assert_eq!(relaxed("X-Empty:"), "x-empty:");
    }

    #[test]
    fn relaxed_body_drops_trailing_blanks_and_empty_lines_and_keeps_one_final_crlf() {
        let expected = digest(&SHA256, b" a b\r\n\r\nc\r\n");
        for body in [
            " a \t b \r\n\r\nc\r\n\r\n\r\n",
            "  a b\r\n \t\r\nc",
            " a b\r\n\r\nc  \r\n",
        ] {
            assert_eq!(
                body_hash(body.as_bytes()).as_ref(),
                expected.as_ref(),
                "{body:?}"
            );
        }
        assert_eq!(
            body_hash(b"\r\n\r\n").as_ref(),
            digest(&SHA256, b"").as_ref()
        );
    }

    #[test]
    fn signed_headers_take_the_last_instance_first_and_nothing_for_a_missing_one() {
        let raw =
            b"From: a@x\r\nReceived: one\r\n  folded\r\nReceived: two\r\nTo: b@x\r\n\r\nbody\r\n";
        let message = Message::split(raw);
        assert_eq!(message.count("received"), 2);
        assert_eq!(message.body, b"body\r\n");
        let signed = message.signed_headers(&["received", "from", "from", "received", "subject"]);
        assert_eq!(
            String::from_utf8(signed).unwrap(),
            "received:two\r\nfrom:a@x\r\nreceived:one folded\r\n"
        );
    }
}
