//! The twilsock v3 frame: `TWILSOCK V3.0 <H>\r\n<header JSON, H bytes>\r\n<payload>`.
//!
//! One frame travels in one binary WebSocket message. `H` is the byte length of the header,
//! a JSON object whose `payload_size` gives the payload's byte length (0 or absent when there
//! is none). Twilio's JS client always writes the `\r\n` after the header, even before an
//! empty payload; its Kotlin client adds a `\r\n` after a non-empty payload. Both are
//! accepted, and nothing else may follow.
//!
//! Parsing is strict and bounded: a frame above [`MAX_FRAME_BYTES`] or a header above
//! [`MAX_HEADER_BYTES`] is refused before anything is decoded, and every malformation is a
//! [`FrameError`], never a panic. Frames this server writes use compact JSON, so they never
//! contain a raw CR LF outside the separators (the Kotlin reader splits on it).

use serde_json::{Map, Value};

/// The largest frame accepted, header and payload included: 256 KiB. The SDKs' largest
/// requests are message bodies and attributes (Chat caps a message body at 32 KiB and
/// attributes at 16 KiB), so real frames stay far below this.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// The largest header accepted: 16 KiB. An `init` header carries the Access Token (about 600
/// bytes), the continuation token and the registrations: about 2 KiB in practice.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Every frame starts with this.
const MAGIC: &[u8] = b"TWILSOCK V3.0 ";

/// Separates the size line, the header and the payload.
const CRLF: &[u8] = b"\r\n";

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The whole frame is above [`MAX_FRAME_BYTES`].
    #[error("the frame has {0} bytes, more than {MAX_FRAME_BYTES}")]
    TooLarge(usize),
    /// It does not start with `TWILSOCK V3.0 `.
    #[error("not a twilsock v3.0 frame")]
    BadMagic,
    /// The header size is not a decimal number followed by CR LF.
    #[error("the header size is not a number followed by CR LF")]
    BadHeaderSize,
    /// The declared header size is above [`MAX_HEADER_BYTES`].
    #[error("the header declares {0} bytes, more than {MAX_HEADER_BYTES}")]
    HeaderTooLarge(usize),
    /// The frame ends before the declared header or payload does.
    #[error("the frame is shorter than its declared sizes")]
    Truncated,
    /// The header is not a JSON object.
    #[error("the header is not a JSON object")]
    BadHeader,
    /// `payload_size` is not a non-negative integer.
    #[error("payload_size is not a non-negative integer")]
    BadPayloadSize,
    /// The header and the payload are not separated by CR LF.
    #[error("no CR LF between the header and the payload")]
    MissingSeparator,
    /// Bytes follow the payload (other than one CR LF).
    #[error("bytes follow the declared payload")]
    TrailingBytes,
}

/// A decoded frame: its header fields and its raw payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The header object (`id`, `method`, and the method's own fields).
    pub header: Map<String, Value>,
    /// The payload bytes (`payload_size` of them).
    pub payload: Vec<u8>,
}

impl Frame {
    /// A frame with `header` (`payload_size` is set when encoding) and `payload`.
    #[must_use]
    pub fn new(header: Map<String, Value>, payload: Vec<u8>) -> Self {
        Self { header, payload }
    }

    /// The header field `name` when it is a string.
    #[must_use]
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// `method`, when it is a string.
    #[must_use]
    pub fn method(&self) -> Option<&str> {
        self.str_field("method")
    }

    /// `id`, when it is a string.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.str_field("id")
    }

    /// Reads one frame from the bytes of one WebSocket message.
    ///
    /// # Errors
    /// A [`FrameError`] saying what is wrong; nothing is decoded past the first fault.
    pub fn parse(bytes: &[u8]) -> Result<Self, FrameError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge(bytes.len()));
        }
        let rest = bytes.strip_prefix(MAGIC).ok_or(FrameError::BadMagic)?;
        // At most 5 digits express MAX_HEADER_BYTES; one more tells "too large" apart.
        let digits = rest.iter().take(7).take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(FrameError::BadHeaderSize);
        }
        let (size, rest) = rest.split_at(digits);
        let rest = rest.strip_prefix(CRLF).ok_or(FrameError::BadHeaderSize)?;
        let header_len: usize = std::str::from_utf8(size)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(FrameError::BadHeaderSize)?;
        if header_len > MAX_HEADER_BYTES {
            return Err(FrameError::HeaderTooLarge(header_len));
        }
        let header_bytes = rest.get(..header_len).ok_or(FrameError::Truncated)?;
        let rest = &rest[header_len..];
        let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(header_bytes) else {
            return Err(FrameError::BadHeader);
        };
        let payload_len = match header.get("payload_size") {
            None => 0,
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(FrameError::BadPayloadSize)?,
        };
        if payload_len == 0 && (rest.is_empty() || rest == CRLF) {
            return Ok(Self::new(header, Vec::new()));
        }
        let rest = rest.strip_prefix(CRLF).ok_or(FrameError::MissingSeparator)?;
        let payload = rest.get(..payload_len).ok_or(FrameError::Truncated)?;
        let trailer = &rest[payload_len..];
        if !(trailer.is_empty() || trailer == CRLF) {
            return Err(FrameError::TrailingBytes);
        }
        Ok(Self::new(header, payload.to_vec()))
    }

    /// The frame's bytes, with `payload_size` set to the payload's length and the header in
    /// compact JSON.
    #[must_use]
    pub fn encode(mut self) -> Vec<u8> {
        self.header
            .insert("payload_size".to_owned(), Value::from(self.payload.len()));
        let header = Value::Object(self.header).to_string();
        let size = header.len().to_string();
        let mut out = Vec::with_capacity(MAGIC.len() + size.len() + header.len() + self.payload.len() + 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(size.as_bytes());
        out.extend_from_slice(CRLF);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(CRLF);
        out.extend_from_slice(&self.payload);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(header: &str, tail: &[u8]) -> Vec<u8> {
        let mut out = format!("TWILSOCK V3.0 {}\r\n{header}", header.len()).into_bytes();
        out.extend_from_slice(tail);
        out
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_frame_round_trips() {
        let frame = Frame::new(object(json!({"id": "TM1", "method": "reply"})), b"{\"a\":1}".to_vec());
        let bytes = frame.clone().encode();
        let back = Frame::parse(&bytes).unwrap();
        assert_eq!(back.payload, frame.payload);
        assert_eq!(back.method(), Some("reply"));
        assert_eq!(back.header["payload_size"], json!(7));
        assert!(bytes.starts_with(b"TWILSOCK V3.0 "));
    }

    #[test]
    fn the_header_size_counts_utf8_bytes() {
        let bytes = Frame::new(object(json!({"id": "é€"})), Vec::new()).encode();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let (line, header) = text.split_once("\r\n").unwrap();
        let header = header.trim_end_matches("\r\n");
        assert_eq!(line, format!("TWILSOCK V3.0 {}", header.len()));
        assert_eq!(Frame::parse(&bytes).unwrap().id(), Some("é€"));
    }

    #[test]
    fn what_the_js_and_kotlin_clients_write_is_accepted() {
        // JS: CR LF after the header even without a payload.
        let js = raw(r#"{"id":"a","method":"init","payload_size":0}"#, b"\r\n");
        assert_eq!(Frame::parse(&js).unwrap().method(), Some("init"));
        // Kotlin: CR LF after a non-empty payload.
        let kt = raw(r#"{"id":"b","payload_size":2}"#, b"\r\n{}\r\n");
        assert_eq!(Frame::parse(&kt).unwrap().payload, b"{}");
        // No separator at all when there is no payload.
        let bare = raw(r#"{"id":"c"}"#, b"");
        assert!(Frame::parse(&bare).unwrap().payload.is_empty());
    }

    #[test]
    fn malformed_frames_are_errors() {
        let h = r#"{"id":"a","payload_size":4}"#;
        let cases: Vec<(Vec<u8>, FrameError)> = vec![
            (b"".to_vec(), FrameError::BadMagic),
            (b"TWILSOCK V2.0 2\r\n{}".to_vec(), FrameError::BadMagic),
            (b"twilsock v3.0 2\r\n{}".to_vec(), FrameError::BadMagic),
            (b"TWILSOCK V3.0 \r\n{}".to_vec(), FrameError::BadHeaderSize),
            (b"TWILSOCK V3.0 -2\r\n{}".to_vec(), FrameError::BadHeaderSize),
            (b"TWILSOCK V3.0 2{}".to_vec(), FrameError::BadHeaderSize),
            (b"TWILSOCK V3.0 2\n{}".to_vec(), FrameError::BadHeaderSize),
            (
                b"TWILSOCK V3.0 99999999999999999999\r\n".to_vec(),
                FrameError::BadHeaderSize,
            ),
            (
                b"TWILSOCK V3.0 999999\r\n{}".to_vec(),
                FrameError::HeaderTooLarge(999_999),
            ),
            (b"TWILSOCK V3.0 20\r\n{}".to_vec(), FrameError::Truncated),
            (b"TWILSOCK V3.0 2\r\n[]".to_vec(), FrameError::BadHeader),
            (b"TWILSOCK V3.0 3\r\n{x}".to_vec(), FrameError::BadHeader),
            (b"TWILSOCK V3.0 2\r\n\xff\xfe".to_vec(), FrameError::BadHeader),
            (raw(r#"{"payload_size":-1}"#, b""), FrameError::BadPayloadSize),
            (raw(r#"{"payload_size":"4"}"#, b""), FrameError::BadPayloadSize),
            (raw(r#"{"payload_size":1.5}"#, b""), FrameError::BadPayloadSize),
            (raw(h, b"abcd"), FrameError::MissingSeparator),
            (raw(h, b"\r\nabc"), FrameError::Truncated),
            (raw(h, b"\r\nabcdef"), FrameError::TrailingBytes),
            (raw(r#"{"payload_size":0}"#, b"junk"), FrameError::MissingSeparator),
            (raw(r#"{"payload_size":0}"#, b"\r\n\r\n\r\n"), FrameError::TrailingBytes),
        ];
        for (bytes, want) in cases {
            assert_eq!(Frame::parse(&bytes), Err(want), "{}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn oversized_frames_are_refused_before_decoding() {
        let big = vec![b'x'; MAX_FRAME_BYTES + 1];
        assert_eq!(Frame::parse(&big), Err(FrameError::TooLarge(MAX_FRAME_BYTES + 1)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A small deterministic fuzz: prefixes, bit flips and truncations of a valid frame,
        // plus pseudo-random noise after the magic.
        let valid = Frame::new(
            object(json!({"id": "TM9", "method": "message"})),
            b"{\"k\":\"v\"}".to_vec(),
        )
        .encode();
        for cut in 0..=valid.len() {
            let _ = Frame::parse(&valid[..cut]);
        }
        for i in 0..valid.len() {
            for bit in 0..8 {
                let mut flipped = valid.clone();
                flipped[i] ^= 1 << bit;
                let _ = Frame::parse(&flipped);
            }
        }
        const ALPHABET: &[u8] = b"0123456789{}\":,\r\n ax";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..512 {
            let mut bytes = MAGIC.to_vec();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(ALPHABET[usize::try_from(seed).unwrap() % ALPHABET.len()]);
            }
            let _ = Frame::parse(&bytes);
        }
    }
}
