//! A small, strict reader for the messages the product writes: unfolded headers, the parts of a
//! multipart body, quoted-printable bodies and RFC 2047 encoded words. Written here rather than
//! taken from the product or lettre, so the tests read the bytes independently of what wrote them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One header: its name as written and its value unfolded (CRLF before whitespace removed).
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A message or a body part: headers and the raw (still encoded) body.
#[derive(Debug, Clone)]
pub struct Entity {
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl Entity {
    /// Splits at the first empty line. Panics on anything but CRLF line ends.
    pub fn parse(raw: &[u8]) -> Entity {
        let split = find(raw, b"\r\n\r\n").expect("an empty line ends the headers");
        let head = std::str::from_utf8(&raw[..split]).expect("headers are UTF-8 (in fact ASCII)");
        let mut headers: Vec<Header> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let last = headers
                    .last_mut()
                    .expect("a continuation line follows a header");
                last.value.push_str(line);
            } else {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("header line without a colon: {line:?}"));
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
                    "bad header name in {line:?}"
                );
                headers.push(Header {
                    name: name.to_string(),
                    value: value.trim_start().to_string(),
                });
            }
        }
        Entity {
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    /// Every value of header `name` (case-insensitive).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
            .collect()
    }

    /// The value of a header that must occur exactly once.
    pub fn one(&self, name: &str) -> &str {
        let values = self.all(name);
        assert_eq!(
            values.len(),
            1,
            "{name} must occur exactly once: {values:?}"
        );
        values[0]
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> String {
        let value = self.one("Content-Type");
        value.split(';').next().unwrap().trim().to_ascii_lowercase()
    }

    /// A parameter of `Content-Type`, unquoted.
    pub fn content_type_param(&self, name: &str) -> Option<String> {
        param(self.one("Content-Type"), name)
    }

    /// The parts of a multipart body, in order.
    pub fn parts(&self) -> Vec<Entity> {
        let boundary = self
            .content_type_param("boundary")
            .expect("a multipart Content-Type has a boundary");
        let delimiter = format!("--{boundary}");
        let closing = format!("{delimiter}--");
        let body = std::str::from_utf8(&self.body).expect("an encoded body is ASCII");
        let mut parts: Vec<Vec<&str>> = Vec::new();
        let mut closed = false;
        for line in body.split("\r\n") {
            if line == delimiter {
                parts.push(Vec::new());
            } else if line == closing {
                closed = true;
                break;
            } else if let Some(part) = parts.last_mut() {
                part.push(line);
            }
        }
        assert!(closed, "the closing delimiter {closing} is present");
        parts
            .iter()
            .map(|lines| Entity::parse(lines.join("\r\n").as_bytes()))
            .collect()
    }

    /// The body decoded according to `Content-Transfer-Encoding`, as UTF-8.
    pub fn decoded_text(&self) -> String {
        let encoding = self
            .all("Content-Transfer-Encoding")
            .first()
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "7bit".into());
        let bytes = match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(&self.body),
            "base64" => {
                let compact: Vec<u8> = self
                    .body
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                STANDARD.decode(compact).expect("valid base64")
            }
            _ => self.body.clone(),
        };
        String::from_utf8(bytes).expect("the decoded part is UTF-8")
    }
}

/// `name=value` or `name="value"` from a header value with `;`-separated parameters.
pub fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (key, v) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Strict quoted-printable (RFC 2045 6.7): `=XX` escapes and `=` soft line breaks; panics on
/// anything malformed, so a sloppy encoder fails the test instead of being decoded generously.
pub fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'=' if body[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(&body[i + 1..i + 3]).expect("ASCII escape");
                assert!(
                    hex.bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                    "bad quoted-printable escape ={hex}"
                );
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b => {
                assert!(
                    b == b'\r' || b == b'\n' || b == b'\t' || (b' '..=b'~').contains(&b),
                    "unencoded byte {b:#x} in a quoted-printable body"
                );
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// adjacent encoded words is dropped, as the RFC says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while !rest.is_empty() {
        let start = rest.find("=?");
        let (plain, word) = match start {
            Some(s) => (&rest[..s], &rest[s..]),
            None => (rest, ""),
        };
        if !(after_word && !word.is_empty() && plain.trim().is_empty()) {
            out.push_str(plain);
        }
        if word.is_empty() {
            break;
        }
        let inner = &word[2..];
        let end = inner.find("?=").expect("an encoded word ends with ?=");
        let mut pieces = inner[..end].splitn(3, '?');
        let (charset, encoding, text) = (
            pieces.next().unwrap(),
            pieces.next().expect("encoding"),
            pieces.next().expect("text"),
        );
        assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
        let bytes = match encoding {
            "b" | "B" => STANDARD.decode(text).expect("base64 encoded word"),
            "q" | "Q" => decode_quoted_printable(text.replace('_', " ").as_bytes()),
            other => panic!("unknown encoding {other}"),
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 encoded word"));
        rest = &inner[end + 2..];
        after_word = true;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
