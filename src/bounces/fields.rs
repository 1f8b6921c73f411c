//! Header fields as reports carry them: the blank-line separated blocks of a `message/delivery-status` or
//! `message/feedback-report` part (each block parsed as headers by `mail-parser`), raw header values on one line,
//! the address inside a value, and reasons clipped to a length the history keeps.

use mail_parser::{Message, MessageParser};

/// The longest reason kept, in characters.
const REASON_MAX: usize = 300;

/// The blank-line separated blocks of header fields a report part holds, each parsed as headers.
pub(super) fn field_blocks(body: &[u8]) -> Vec<Message<'_>> {
    let mut blocks = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i <= body.len() {
        let end_of_block = i == body.len() || blank_line_at(body, i);
        if end_of_block {
            let block = &body[start..i];
            if block.iter().any(|b| !b.is_ascii_whitespace())
                && let Some(parsed) = MessageParser::default().parse_headers(block)
                && !parsed.parts[0].headers.is_empty()
            {
                blocks.push(parsed);
            }
            // Past the line break(s) that end the block.
            i = skip_breaks(body, i);
            start = i;
            if i >= body.len() {
                break;
            }
        } else {
            i += 1;
        }
    }
    blocks
}

/// Whether a line break at `i` is followed by another (an empty line).
fn blank_line_at(body: &[u8], i: usize) -> bool {
    let after_break = |j: usize| match body.get(j) {
        Some(b'\r') if body.get(j + 1) == Some(&b'\n') => Some(j + 2),
        Some(b'\n') => Some(j + 1),
        _ => None,
    };
    after_break(i).and_then(after_break).is_some()
}

fn skip_breaks(body: &[u8], mut i: usize) -> usize {
    while i < body.len() && matches!(body[i], b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Every raw value of a header, in order.
pub(super) fn raw_values(message: &Message<'_>, name: &str) -> Vec<String> {
    message.parts[0]
        .headers
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(|h| {
            std::str::from_utf8(
                message
                    .raw_message()
                    .get(h.offset_start as usize..h.offset_end as usize)?,
            )
            .ok()
            .map(unfold)
        })
        .collect()
}

/// The address in a header value: what is between `<` and `>` if there are brackets, else the value.
pub(super) fn first_address(value: &str) -> String {
    let value = value.trim();
    let inner = match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value,
    };
    inner.trim().to_string()
}

pub(super) fn attribute(
    attributes: Option<&[mail_parser::Attribute<'_>]>,
    name: &str,
) -> Option<String> {
    attributes?
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.to_string())
}

/// A header value on one line.
pub(super) fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn clip(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    match text.char_indices().nth(REASON_MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}
