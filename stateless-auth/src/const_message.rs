//! Messages assembled at compile time, for the errors of a `TokenSpec` that
//! cannot work.

/// The maximum length of the value that [`ConstMessage::push_quoted`] shows, in
/// bytes. A longer value is cut at a character boundary and ends with `…`.
const SHOWN_VALUE_LEN: usize = 64;

/// The digits of lowercase hexadecimal, for `\x..` and `\u{..}` escapes.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// A message built at compile time in a fixed buffer, which drops whatever does not
/// fit.
pub(crate) struct ConstMessage {
    bytes: [u8; 512],
    len: usize,
}

impl ConstMessage {
    pub(crate) const fn new() -> Self {
        ConstMessage {
            bytes: [0; 512],
            len: 0,
        }
    }

    const fn push_byte(&mut self, byte: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = byte;
            self.len += 1;
        }
    }

    pub(crate) const fn push_str(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            self.push_byte(bytes[index]);
            index += 1;
        }
    }

    /// Appends `value` in double quotes, with `"`, `\`, control characters and
    /// every non-ASCII character escaped as in Rust string literals.
    ///
    /// A scheme or scope that contains a non-ASCII character is invalid because of
    /// it, and characters such as U+200B (zero-width space) or U+202E (right-to-left
    /// override) would be invisible or reorder the message if shown as they are.
    pub(crate) const fn push_quoted(&mut self, value: &str) {
        let mut end = value.len();
        if end > SHOWN_VALUE_LEN {
            end = SHOWN_VALUE_LEN;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
        }

        self.push_byte(b'"');
        let bytes = value.as_bytes();
        let mut index = 0;
        while index < end {
            let byte = bytes[index];
            if byte.is_ascii() {
                self.push_escaped(byte);
                index += 1;
            } else {
                let (code_point, len) = decode_utf8(bytes, index);
                self.push_unicode_escape(code_point);
                index += len;
            }
        }
        if end < value.len() {
            self.push_str("…");
        }
        self.push_byte(b'"');
    }

    const fn push_escaped(&mut self, byte: u8) {
        match byte {
            b'"' => self.push_str("\\\""),
            b'\\' => self.push_str("\\\\"),
            b'\t' => self.push_str("\\t"),
            b'\n' => self.push_str("\\n"),
            b'\r' => self.push_str("\\r"),
            0x00..=0x1f | 0x7f => {
                self.push_str("\\x");
                self.push_byte(HEX_DIGITS[(byte >> 4) as usize]);
                self.push_byte(HEX_DIGITS[(byte & 0x0f) as usize]);
            }
            _ => self.push_byte(byte),
        }
    }

    /// Appends `code_point` as `\u{..}`, in lowercase hexadecimal without leading zeros.
    const fn push_unicode_escape(&mut self, code_point: u32) {
        self.push_str("\\u{");
        let mut shift = 20;
        while shift > 0 && code_point >> shift == 0 {
            shift -= 4;
        }
        loop {
            self.push_byte(HEX_DIGITS[((code_point >> shift) & 0x0f) as usize]);
            if shift == 0 {
                break;
            }
            shift -= 4;
        }
        self.push_byte(b'}');
    }

    /// Returns the message, or `None` when the buffer cut it inside a character.
    pub(crate) const fn as_str(&self) -> Option<&str> {
        let (text, _) = self.bytes.split_at(self.len);
        match std::str::from_utf8(text) {
            Ok(text) => Some(text),
            Err(_) => None,
        }
    }
}

/// Decodes the character that starts at `index` in `bytes`, which is valid UTF-8,
/// and returns its code point and its length in bytes.
pub(crate) const fn decode_utf8(bytes: &[u8], index: usize) -> (u32, usize) {
    let lead = bytes[index];
    let (mut code_point, len) = match lead {
        0x00..=0x7f => return (lead as u32, 1),
        0xc0..=0xdf => ((lead & 0x1f) as u32, 2),
        0xe0..=0xef => ((lead & 0x0f) as u32, 3),
        _ => ((lead & 0x07) as u32, 4),
    };

    let mut offset = 1;
    while offset < len {
        code_point = (code_point << 6) | (bytes[index + offset] & 0x3f) as u32;
        offset += 1;
    }
    (code_point, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(value: &str) -> String {
        let mut message = ConstMessage::new();
        message.push_quoted(value);

        message.as_str().unwrap().to_owned()
    }

    #[test]
    fn quoted_value_escapes_like_rust() {
        let escaped = quoted("a\"b\\c\td\u{1}\u{7f}");

        assert_eq!(escaped, r#""a\"b\\c\td\x01\x7f""#);
    }

    #[test]
    fn non_ascii_characters_are_escaped() {
        let cases = [
            ("Béarer", r#""B\u{e9}arer""#),
            ("Bearer\u{200b}", r#""Bearer\u{200b}""#),
            ("a\u{202e}b", r#""a\u{202e}b""#),
            ("\u{a0}read", r#""\u{a0}read""#),
            ("x\u{1f600}", r#""x\u{1f600}""#),
            ("\u{10ffff}", r#""\u{10ffff}""#),
        ];

        for (value, expected) in cases {
            let escaped = quoted(value);

            assert_eq!(escaped, expected, "value {value:?}");
        }
    }

    #[test]
    fn long_value_is_cut_at_character() {
        // `é` takes 2 bytes from offset 63, so the cut at 64 bytes falls inside it.
        let value = format!("{}é{}", "a".repeat(63), "b".repeat(10));

        let escaped = quoted(&value);

        assert_eq!(escaped, format!("\"{}…\"", "a".repeat(63)));
    }

    #[test]
    fn overflowing_message_is_cut() {
        let mut message = ConstMessage::new();

        message.push_str(&"x".repeat(600));

        assert_eq!(message.as_str().unwrap().len(), 512);
    }
}
