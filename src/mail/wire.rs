//! The bytes of one transaction on the wire: the message's data block and the relay's reply as the ledger keeps
//! it.

use lettre::transport::smtp::response::Response;

/// Writes into `block` the message as it goes after the 354: dot-stuffed (RFC 5321 4.5.2) and followed by
/// lettre's terminator, ready for one write. lettre's own `message()` stuffs byte by byte (a fifth of the
/// sender's CPU on a 40 KB digest) and writes the final dot separately. Same rule as lettre: a line starts at
/// the beginning and after each CRLF. False for a message that is not UTF-8 (never ours: it is
/// quoted-printable), which then takes lettre's path.
pub fn data_block(message: &[u8], block: &mut String) -> bool {
    let Ok(text) = std::str::from_utf8(message) else {
        return false;
    };
    block.clear();
    block.reserve(text.len() + 64);
    if text.starts_with('.') {
        block.push('.');
    }
    let mut start = 0;
    for at in memchr::memmem::find_iter(message, b"\r\n.") {
        block.push_str(&text[start..at + 3]);
        block.push('.');
        start = at + 3;
    }
    block.push_str(&text[start..]);
    block.push_str("\r\n.\r\n");
    true
}

/// "250 2.0.0 Ok: queued as X".
pub fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" / "))
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::data_block;

    #[test]
    fn lines_starting_with_a_dot_are_stuffed_and_the_terminator_follows() {
        let cases: [(&[u8], &str); 5] = [
            (b"a\r\nb", "a\r\nb\r\n.\r\n"),
            (b".x\r\n.\r\n..y", "..x\r\n..\r\n...y\r\n.\r\n"),
            (b"a.b\r\n x.\r\n", "a.b\r\n x.\r\n\r\n.\r\n"),
            (b"bare\n.dot", "bare\n.dot\r\n.\r\n"),
            (b"", "\r\n.\r\n"),
        ];
        let mut block = String::new();
        for (message, wire) in cases {
            assert!(data_block(message, &mut block));
            assert_eq!(block, wire, "{message:?}");
        }
        assert!(!data_block(&[0xff, b'a'], &mut block));
    }
}
