//! Route requirements as types: the token type, the scheme and the scopes a route needs.

use std::marker::PhantomData;

use crate::grammar::{is_scheme, is_scope_token};

/// The requirements of a route, as associated constants.
///
/// `None` means the configured default
/// ([`default_token_type`](crate::StatelessAuthConfig::default_token_type) or
/// [`default_auth_type`](crate::StatelessAuthConfig::default_auth_type)). The
/// [`token_required`](crate::token_required) attribute writes such a type for each
/// handler; write one by hand for [`TokenRequired`](crate::TokenRequired) and
/// [`Guarded`](crate::Guarded).
///
/// A requirement that cannot work fails the build of the guard that uses it, with a
/// message that names the constant and shows its value. Such requirements are an empty or blank
/// `TOKEN_TYPE`, an `AUTH_TYPE` that is not an authentication scheme, and a scope
/// that is not an RFC 6750 scope token. The error appears in `cargo build` but not
/// in `cargo check`, because rustc evaluates the guard's constants only when it
/// generates code for the guard.
///
/// ```
/// use stateless_auth::TokenSpec;
///
/// struct AdminAccess;
///
/// impl TokenSpec for AdminAccess {
///     const TOKEN_TYPE: Option<&'static str> = Some("access");
///     const SCOPES: &'static [&'static str] = &["admin"];
/// }
/// ```
pub trait TokenSpec: 'static {
    /// The token type passed to the token loader, such as `"access"` or `"refresh"`.
    /// It must not be empty or blank.
    const TOKEN_TYPE: Option<&'static str> = None;
    /// The scheme expected before the token, such as `"Bearer"`, compared ignoring
    /// ASCII case. It must be an RFC 9110 token: one or more ASCII letters, digits
    /// and ``!#$%&'*+-.^_`|~``.
    const AUTH_TYPE: Option<&'static str> = None;
    /// The scopes that the token must grant, each checked with
    /// [`TokenMixin::has_scope`](crate::TokenMixin::has_scope). Each must be an
    /// RFC 6750 scope token: one or more visible ASCII characters other than `"`
    /// and `\`, so no space.
    const SCOPES: &'static [&'static str] = &[];

    /// Not part of the API: set by the [`token_required`](crate::token_required)
    /// attribute, whose handler takes its [`Guarded`](crate::Guarded) value and
    /// nothing else.
    ///
    /// A guard starts authentication when actix-web creates it, so that its
    /// requirement wins over a `CurrentUser` beside it, which starts at its first
    /// poll. A guard with no parameter beside it may wait for its own first poll,
    /// which comes at once, and then polls the loaders as it starts them.
    #[doc(hidden)]
    const SOLE_PARAMETER: bool = false;
}

/// The configured default token type and scheme, with no scope.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConfigDefaults;

impl TokenSpec for ConfigDefaults {}

/// An `access` token with the configured scheme.
#[derive(Clone, Copy, Debug, Default)]
pub struct Access;

impl TokenSpec for Access {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
}

/// A `refresh` token with the configured scheme.
#[derive(Clone, Copy, Debug, Default)]
pub struct Refresh;

impl TokenSpec for Refresh {
    const TOKEN_TYPE: Option<&'static str> = Some("refresh");
}

/// The requirements of one extractor, taken from a [`TokenSpec`] or the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) token_type: Option<&'static str>,
    pub(crate) auth_type: Option<&'static str>,
    pub(crate) scopes: &'static [&'static str],
    /// Set for guards; unset for extractors that only read the authenticated user.
    pub(crate) explicit: bool,
}

impl Requirement {
    /// The requirement of a user-reading extractor used without a guard.
    pub(crate) const IMPLICIT: Requirement = Requirement {
        token_type: None,
        auth_type: None,
        scopes: &[],
        explicit: false,
    };

    /// Returns the requirement of a guard with spec `S`.
    ///
    /// Callers evaluate it in a `const` block. It reads a constant that rustc
    /// evaluates once for each spec, so a spec that cannot work is one compile
    /// error, however many guards use it.
    pub(crate) const fn of<S: TokenSpec>() -> &'static Requirement {
        SpecRequirement::<S>::VALUE
    }
}

/// The requirement of spec `S`, as an associated constant.
struct SpecRequirement<S>(PhantomData<fn() -> S>);

impl<S: TokenSpec> SpecRequirement<S> {
    const VALUE: &'static Requirement = &{
        check_spec::<S>();

        Requirement {
            token_type: S::TOKEN_TYPE,
            auth_type: S::AUTH_TYPE,
            scopes: S::SCOPES,
            explicit: true,
        }
    };
}

/// Panics when a constant of `S` cannot work, with a message that names the
/// constant and shows its value.
const fn check_spec<S: TokenSpec>() {
    if let Some(token_type) = S::TOKEN_TYPE
        && is_blank(token_type)
    {
        fail(
            "`TokenSpec::TOKEN_TYPE` is ",
            token_type,
            ", which is empty or blank. Use `None` for the configured default, or a name \
             such as \"access\"",
        );
    }

    if let Some(auth_type) = S::AUTH_TYPE
        && !is_scheme(auth_type)
    {
        fail(
            "`TokenSpec::AUTH_TYPE` is ",
            auth_type,
            ", which is not an authentication scheme. Use one or more ASCII letters, \
             digits and !#$%&'*+-.^_`|~, such as \"Bearer\", or `None` for the configured \
             default",
        );
    }

    let mut index = 0;
    while index < S::SCOPES.len() {
        if !is_scope_token(S::SCOPES[index]) {
            fail(
                "`TokenSpec::SCOPES` contains ",
                S::SCOPES[index],
                ", which is not an RFC 6750 scope token. A scope is one or more visible \
                 ASCII characters other than `\"` and `\\`, so it has no space",
            );
        }
        index += 1;
    }
}

/// Panics with `before`, then `value` quoted and escaped, then `after`.
///
/// A `const fn` can panic only with a fixed string or a single `&str`, so the
/// message is assembled in a buffer first.
const fn fail(before: &str, value: &str, after: &str) -> ! {
    let mut message = ConstMessage::new();
    message.push_str(before);
    message.push_quoted(value);
    message.push_str(after);

    match message.as_str() {
        Some(text) => panic!("{}", text),
        None => panic!("{}", before),
    }
}

/// The maximum length of the value that [`fail`] shows, in bytes. A longer value is
/// cut at a character boundary and ends with `…`.
const SHOWN_VALUE_LEN: usize = 64;

/// A message built at compile time in a fixed buffer, which drops whatever does not
/// fit.
struct ConstMessage {
    bytes: [u8; 512],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
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

    const fn push_str(&mut self, text: &str) {
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
    const fn push_quoted(&mut self, value: &str) {
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
        const HEX: &[u8; 16] = b"0123456789abcdef";

        match byte {
            b'"' => self.push_str("\\\""),
            b'\\' => self.push_str("\\\\"),
            b'\t' => self.push_str("\\t"),
            b'\n' => self.push_str("\\n"),
            b'\r' => self.push_str("\\r"),
            0x00..=0x1f | 0x7f => {
                self.push_str("\\x");
                self.push_byte(HEX[(byte >> 4) as usize]);
                self.push_byte(HEX[(byte & 0x0f) as usize]);
            }
            _ => self.push_byte(byte),
        }
    }

    /// Appends `code_point` as `\u{..}`, in lowercase hexadecimal without leading zeros.
    const fn push_unicode_escape(&mut self, code_point: u32) {
        const HEX: &[u8; 16] = b"0123456789abcdef";

        self.push_str("\\u{");
        let mut shift = 20;
        while shift > 0 && code_point >> shift == 0 {
            shift -= 4;
        }
        loop {
            self.push_byte(HEX[((code_point >> shift) & 0x0f) as usize]);
            if shift == 0 {
                break;
            }
            shift -= 4;
        }
        self.push_byte(b'}');
    }

    /// Returns the message, or `None` when the buffer cut it inside a character.
    const fn as_str(&self) -> Option<&str> {
        let (text, _) = self.bytes.split_at(self.len);
        match std::str::from_utf8(text) {
            Ok(text) => Some(text),
            Err(_) => None,
        }
    }
}

/// Reports whether `text` is empty or only whitespace as `str::trim` defines it, so
/// that a spec rejects the blank token types that `StatelessAuthConfig::validate`
/// and the `token_required` attribute reject, such as U+3000 (ideographic space).
const fn is_blank(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let (code_point, len) = decode_utf8(bytes, index);
        match char::from_u32(code_point) {
            Some(character) if character.is_whitespace() => index += len,
            _ => return false,
        }
    }

    true
}

/// Decodes the character that starts at `index` in `bytes`, which is valid UTF-8,
/// and returns its code point and its length in bytes.
const fn decode_utf8(bytes: &[u8], index: usize) -> (u32, usize) {
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

    struct QuotedScope;

    impl TokenSpec for QuotedScope {
        const SCOPES: &'static [&'static str] = &["read", "say \"hi\""];
    }

    struct UnicodeBlankTokenType;

    impl TokenSpec for UnicodeBlankTokenType {
        const TOKEN_TYPE: Option<&'static str> = Some("\u{3000}\u{a0} ");
    }

    struct NonAsciiTokenType;

    impl TokenSpec for NonAsciiTokenType {
        const TOKEN_TYPE: Option<&'static str> = Some(" accès ");
    }

    fn quoted(value: &str) -> String {
        let mut message = ConstMessage::new();
        message.push_quoted(value);

        message.as_str().unwrap().to_owned()
    }

    #[test]
    #[should_panic(expected = r#"`TokenSpec::SCOPES` contains "say \"hi\"", which is not"#)]
    fn invalid_scope_message_shows_value() {
        check_spec::<QuotedScope>();
    }

    #[test]
    #[should_panic(expected = r#"`TokenSpec::TOKEN_TYPE` is "\u{3000}\u{a0} ", which is empty"#)]
    fn unicode_blank_token_type_is_rejected() {
        check_spec::<UnicodeBlankTokenType>();
    }

    #[test]
    fn non_ascii_token_type_is_accepted() {
        check_spec::<NonAsciiTokenType>();
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
        let value = format!("{}é{}", "a".repeat(SHOWN_VALUE_LEN - 1), "b".repeat(10));

        let escaped = quoted(&value);

        assert_eq!(escaped, format!("\"{}…\"", "a".repeat(SHOWN_VALUE_LEN - 1)));
    }

    #[test]
    fn overflowing_message_is_cut() {
        let mut message = ConstMessage::new();

        message.push_str(&"x".repeat(600));

        assert_eq!(message.as_str().unwrap().len(), 512);
    }
}
