//! Parsing of the credentials header: `<scheme> 1*SP <b64token>` (RFC 6750 §2.1).
//!
//! The functions here are pure: they take header values and return borrowed
//! slices of them, without allocating.

use std::fmt;
use std::ops::Range;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::grammar;

/// The reason a credentials header was rejected, before any loader ran.
///
/// A new check may bring a new variant in a minor release, so a `match` on it
/// needs a wildcard arm:
///
/// ```compile_fail,E0004
/// use stateless_auth::header::HeaderError;
///
/// fn is_missing(err: HeaderError) -> bool {
///     match err {
///         HeaderError::Missing => true,
///         HeaderError::InvalidHeader
///         | HeaderError::Multiple
///         | HeaderError::ArgumentCount
///         | HeaderError::SchemeMismatch
///         | HeaderError::MalformedToken => false,
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is absent or empty.
    Missing,
    /// The value contains a byte outside visible ASCII and space.
    InvalidHeader,
    /// The header appears more than once.
    Multiple,
    /// The value is a scheme alone, has an empty token, or has more than two parts.
    ArgumentCount,
    /// The scheme is not the one the route expects.
    SchemeMismatch,
    /// The token is not an RFC 6750 `b64token`, or is longer than the configured maximum.
    MalformedToken,
}

impl HeaderError {
    /// Returns the message of the matching request error, as Flask-Stateless-Auth words it
    /// where it has one.
    pub const fn message(self) -> &'static str {
        match self {
            HeaderError::Missing => "No token provided",
            HeaderError::InvalidHeader => "Invalid authorization header",
            HeaderError::Multiple => "Multiple authorization headers",
            HeaderError::ArgumentCount => "Invalid number of arguments in token header",
            HeaderError::SchemeMismatch => "Invalid token type",
            HeaderError::MalformedToken => "Malformed token",
        }
    }
}

impl fmt::Display for HeaderError {
    /// Writes [`message`](Self::message), which never contains the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for HeaderError {}

/// Returns the single value of header `name`.
///
/// # Errors
///
/// [`HeaderError::Missing`] when the header is absent, [`HeaderError::Multiple`]
/// when it appears more than once.
pub fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<&'a HeaderValue, HeaderError> {
    let mut values = headers.get_all(name);
    let Some(value) = values.next() else {
        return Err(HeaderError::Missing);
    };

    if values.next().is_some() {
        return Err(HeaderError::Multiple);
    }
    Ok(value)
}

/// Parses `value` as `<scheme> 1*SP <token>` and returns the token.
///
/// The scheme is compared with `scheme` ignoring ASCII case (RFC 9110 §11.1). The
/// token is returned exactly as sent, `=` padding included. Spaces and tabs around
/// the whole value are ignored, because RFC 9110 §5.5 excludes them from the value.
///
/// ```
/// use stateless_auth::header::{HeaderError, parse_credentials};
///
/// assert_eq!(parse_credentials(b"bearer  abc==", "Bearer", 4096), Ok("abc=="));
/// assert_eq!(
///     parse_credentials(b"Basic abc", "Bearer", 4096),
///     Err(HeaderError::SchemeMismatch)
/// );
/// ```
///
/// # Errors
///
/// Every variant of [`HeaderError`] but [`HeaderError::Multiple`], in the order of
/// its checks: empty value, bytes outside visible ASCII, the number of parts, the
/// scheme, then the token's syntax and `max_token_length` (in bytes).
pub fn parse_credentials<'a>(
    value: &'a [u8],
    scheme: &str,
    max_token_length: usize,
) -> Result<&'a str, HeaderError> {
    let range = token_range(value, scheme, max_token_length)?;

    token_str(value, range).ok_or(HeaderError::InvalidHeader)
}

/// Returns the token at `range` in `value` as a string, or `None` if `range` is out
/// of bounds or its bytes are not UTF-8.
///
/// `std::str::from_utf8` checks whole words only from a word boundary on, so the
/// check starts at the boundary before the token, taking in up to 7 bytes of its
/// scheme and blanks, which [`token_range`] found to be ASCII. In the crate's
/// benchmark this cuts the check of a 32-byte token from 132 to 88 instructions.
#[inline]
pub(crate) fn token_str(value: &[u8], range: Range<usize>) -> Option<&str> {
    let token = value.get(range.clone())?;
    let misalignment = token.as_ptr().addr() % size_of::<usize>();
    let prefix_len = misalignment.min(range.start);

    match std::str::from_utf8(&value[range.start - prefix_len..range.end]) {
        Ok(checked) => checked.get(prefix_len..),
        Err(_) => std::str::from_utf8(token).ok(),
    }
}

/// Like [`parse_credentials`], but returns where the token sits in `value`, so that
/// a caller holding the header value can slice it again later.
pub(crate) fn token_range(
    value: &[u8],
    scheme: &str,
    max_token_length: usize,
) -> Result<Range<usize>, HeaderError> {
    match after_scheme(value, scheme, max_token_length) {
        Some(result) => result,
        None => token_range_in_order(value, scheme, max_token_length),
    }
}

/// Checks a value that starts with `scheme` and a space, or returns `None` to leave
/// any other value to [`token_range_in_order`].
///
/// It compares the start of the value with `scheme` instead of searching for the
/// first space, and checks the token in one pass. A scheme that matches and is
/// visible ASCII contains no space. So once it matches, only the token can fail a
/// check, and the first check it fails in [`token_range_in_order`]'s order is found
/// here from the token alone.
fn after_scheme(
    value: &[u8],
    scheme: &str,
    max_token_length: usize,
) -> Option<Result<Range<usize>, HeaderError>> {
    let start = value.iter().position(|&byte| !is_whitespace(byte))?;
    let end = value.iter().rposition(|&byte| !is_whitespace(byte))? + 1;
    let trimmed = &value[start..end];

    let scheme = scheme.as_bytes();
    let sent_scheme = trimmed.get(..scheme.len())?;
    let scheme_matches = (sent_scheme == scheme || sent_scheme.eq_ignore_ascii_case(scheme))
        && sent_scheme.iter().all(u8::is_ascii_graphic);
    if !scheme_matches || trimmed.get(scheme.len()) != Some(&b' ') {
        return None;
    }

    let token_start = scheme.len()
        + trimmed[scheme.len()..]
            .iter()
            .position(|&byte| byte != b' ')?;
    let token = &trimmed[token_start..];
    if token.len() <= max_token_length && is_b64token(token) {
        let token_offset = start + token_start;
        return Some(Ok(token_offset..token_offset + token.len()));
    }

    Some(Err(token_error(token)))
}

/// Returns the first check that `token`, which follows a matching scheme, fails:
/// a byte outside visible ASCII and space, then a space, then the token syntax or
/// length.
fn token_error(token: &[u8]) -> HeaderError {
    if !token
        .iter()
        .all(|&byte| byte == b' ' || byte.is_ascii_graphic())
    {
        return HeaderError::InvalidHeader;
    }
    if token.contains(&b' ') {
        return HeaderError::ArgumentCount;
    }

    HeaderError::MalformedToken
}

/// Runs every check of the credentials header in order and returns the first
/// failure, or the token's range when all pass.
fn token_range_in_order(
    value: &[u8],
    scheme: &str,
    max_token_length: usize,
) -> Result<Range<usize>, HeaderError> {
    let Range { start, end } = without_blanks(value);
    let trimmed = &value[start..end];
    if trimmed.is_empty() {
        return Err(HeaderError::Missing);
    }
    if !trimmed
        .iter()
        .all(|&byte| byte == b' ' || byte.is_ascii_graphic())
    {
        return Err(HeaderError::InvalidHeader);
    }

    let Some(scheme_end) = trimmed.iter().position(|&byte| byte == b' ') else {
        return Err(HeaderError::ArgumentCount);
    };
    let token_start = trimmed[scheme_end..]
        .iter()
        .position(|&byte| byte != b' ')
        .map_or(trimmed.len(), |offset| scheme_end + offset);
    let token = &trimmed[token_start..];
    if token.is_empty() || token.contains(&b' ') {
        return Err(HeaderError::ArgumentCount);
    }

    if !trimmed[..scheme_end].eq_ignore_ascii_case(scheme.as_bytes()) {
        return Err(HeaderError::SchemeMismatch);
    }
    if token.len() > max_token_length || !is_b64token(token) {
        return Err(HeaderError::MalformedToken);
    }

    let token_offset = start + token_start;
    Ok(token_offset..token_offset + token.len())
}

/// Returns the error to report when a rejected `value` carries no credentials
/// for `scheme`, or `None` when it is a malformed header.
///
/// A value carries no credentials for `scheme` when it is blank (`Missing`), or
/// when it starts with another scheme, whatever follows it (`SchemeMismatch`).
/// The parser counts the parts before it compares the scheme, as
/// Flask-Stateless-Auth does, so a scheme alone (`Negotiate`) or one with
/// auth-params (`Digest a="b"`, RFC 9110 §11.4) fails as `ArgumentCount` or
/// `InvalidHeader`, and this returns `SchemeMismatch` for them. A first word that
/// is not an RFC 9110 `token`, as in `Bearer, abc`, names no scheme, so such a
/// value is malformed. The strict RFC 6750 mode responds to the first kind with
/// 401 and to the second with 400, as RFC 6750 §3.1 recommends.
pub(crate) fn no_credentials_error(
    value: &[u8],
    scheme: &str,
    err: HeaderError,
) -> Option<HeaderError> {
    match err {
        HeaderError::Missing => Some(err),
        HeaderError::ArgumentCount | HeaderError::InvalidHeader | HeaderError::SchemeMismatch
            if starts_with_other_scheme(value, scheme) =>
        {
            Some(HeaderError::SchemeMismatch)
        }
        _ => None,
    }
}

/// Reports whether `value` carries no credentials for `scheme`: it is empty or
/// blank, or it contains credentials of another scheme in any form, such as `Basic
/// dXNlcg==`, `Negotiate` or `Digest a="b"`.
pub(crate) fn lacks_credentials_for(value: &[u8], scheme: &str) -> bool {
    value.iter().all(|&byte| is_whitespace(byte)) || starts_with_other_scheme(value, scheme)
}

/// Reports whether the first word of `value` is an RFC 9110 `token` other than
/// `scheme`, compared ignoring ASCII case. Spaces and tabs around the value are
/// ignored, as [`parse_credentials`] ignores them, and a space ends the word.
fn starts_with_other_scheme(value: &[u8], scheme: &str) -> bool {
    let first_word = value[without_blanks(value)]
        .split(|&byte| byte == b' ')
        .next();
    let sent_scheme = first_word.and_then(|word| std::str::from_utf8(word).ok());

    sent_scheme.is_some_and(|sent| grammar::is_scheme(sent) && !sent.eq_ignore_ascii_case(scheme))
}

/// Returns where `value` lies without the spaces and tabs around it, which RFC
/// 9110 §5.5 excludes from a field value. A blank value gives an empty range.
fn without_blanks(value: &[u8]) -> Range<usize> {
    let start = value
        .iter()
        .position(|&byte| !is_whitespace(byte))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&byte| !is_whitespace(byte))
        .map_or(start, |last| last + 1);

    start..end
}

/// Checks RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|&&byte| byte == b'=').count();
    let body = &token[..body_len];

    // `fold` instead of `all`: without an early exit the loop has no branch per
    // byte, and a token is almost always valid.
    !body.is_empty()
        && body.iter().fold(true, |valid, &byte| {
            valid & B64TOKEN_BODY[usize::from(byte)]
        })
}

/// The bytes allowed before the `=` padding of a `b64token`, as a lookup table: the
/// check runs on every request, and a table costs one load per byte.
static B64TOKEN_BODY: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        byte += 1;
    }
    table
};

/// Reports whether `byte` is a space or a tab, the blanks that RFC 9110 §5.5 allows
/// around a field value.
pub(crate) fn is_whitespace(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    const MAX: usize = 64;

    #[test]
    fn parser_cases() {
        let cases: &[(&[u8], Result<&str, HeaderError>)] = &[
            (b"Bearer abc", Ok("abc")),
            (b"bearer abc", Ok("abc")),
            (b"BEARER abc", Ok("abc")),
            (b"Bearer  abc", Ok("abc")),
            (b"Bearer abc==", Ok("abc==")),
            (b"Bearer a-._~+/Z9=", Ok("a-._~+/Z9=")),
            (b"  Bearer abc \t", Ok("abc")),
            (b"", Err(HeaderError::Missing)),
            (b"   ", Err(HeaderError::Missing)),
            (b"Bearer\tabc", Err(HeaderError::InvalidHeader)),
            (b"Bearer ab\x00c", Err(HeaderError::InvalidHeader)),
            (b"Bearer ab\x7fc", Err(HeaderError::InvalidHeader)),
            (b"Bearer \xc3\xa9", Err(HeaderError::InvalidHeader)),
            (b"Bearer \xff", Err(HeaderError::InvalidHeader)),
            (b"Bearer", Err(HeaderError::ArgumentCount)),
            (b"Bearer ", Err(HeaderError::ArgumentCount)),
            (b"Bearer a b", Err(HeaderError::ArgumentCount)),
            (b"abc", Err(HeaderError::ArgumentCount)),
            (b"Basic abc", Err(HeaderError::SchemeMismatch)),
            (b"Bearerx abc", Err(HeaderError::SchemeMismatch)),
            (b"Bearer a,b", Err(HeaderError::MalformedToken)),
            (b"Bearer =abc", Err(HeaderError::MalformedToken)),
            (b"Bearer ab=c", Err(HeaderError::MalformedToken)),
            (b"Bearer ===", Err(HeaderError::MalformedToken)),
            (b"Bearer \"abc\"", Err(HeaderError::MalformedToken)),
        ];

        for (value, expected) in cases {
            let parsed = parse_credentials(value, "Bearer", MAX);

            assert_eq!(
                parsed,
                *expected,
                "value {:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn token_at_max_length_is_accepted() {
        let token = "a".repeat(MAX);
        let value = format!("Bearer {token}");

        let parsed = parse_credentials(value.as_bytes(), "Bearer", MAX);

        assert_eq!(parsed, Ok(token.as_str()));
    }

    #[test]
    fn token_over_max_length_is_malformed() {
        let value = format!("Bearer {}", "a".repeat(MAX + 1));

        let parsed = parse_credentials(value.as_bytes(), "Bearer", MAX);

        assert_eq!(parsed, Err(HeaderError::MalformedToken));
    }

    #[test]
    fn custom_scheme_is_matched() {
        let parsed = parse_credentials(b"token abc", "Token", MAX);

        assert_eq!(parsed, Ok("abc"));
    }

    #[test]
    fn single_header_rejects_repeats() {
        let name = HeaderName::from_static("authorization");
        let mut headers = HeaderMap::new();
        headers.append(name.clone(), HeaderValue::from_static("Bearer a"));
        headers.append(name.clone(), HeaderValue::from_static("Bearer b"));

        let value = single_header(&headers, &name);

        assert_eq!(value, Err(HeaderError::Multiple));
    }

    #[test]
    fn single_header_reports_absence() {
        let headers = HeaderMap::new();

        let value = single_header(&headers, &HeaderName::from_static("authorization"));

        assert_eq!(value, Err(HeaderError::Missing));
    }

    #[test]
    fn foreign_scheme_wins_over_its_form() {
        let cases: &[(&[u8], Option<HeaderError>)] = &[
            (b"Negotiate", Some(HeaderError::SchemeMismatch)),
            (b"  abc", Some(HeaderError::SchemeMismatch)),
            (b"Negotiate\t", Some(HeaderError::SchemeMismatch)),
            (b"\tNegotiate \t", Some(HeaderError::SchemeMismatch)),
            (
                b"Digest username=\"a\", realm=\"b\"",
                Some(HeaderError::SchemeMismatch),
            ),
            (b"Basic ab\xc3\xa9", Some(HeaderError::SchemeMismatch)),
            (b"Basic dXNlcg==", Some(HeaderError::SchemeMismatch)),
            (b" \t ", Some(HeaderError::Missing)),
            (b"Bearer", None),
            (b"bearer a b", None),
            (b"Bearer ab\xc3\xa9", None),
            (b"B\xc3\xa9arer abc", None),
            (b"Basic\tabc", None),
            (b"Be\"arer a b", None),
        ];

        for (value, expected) in cases {
            let parsed = parse_credentials(value, "Bearer", MAX).unwrap_err();

            let reported = no_credentials_error(value, "Bearer", parsed);

            assert_eq!(
                reported,
                *expected,
                "value {:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn first_word_that_is_no_scheme_is_malformed() {
        let values: [&[u8]; 4] = [
            b"Bearer, abc",
            b"\"Basic\" abc",
            b"B@sic abc",
            b"Basic, a b",
        ];

        for value in values {
            let parsed = parse_credentials(value, "Bearer", MAX).unwrap_err();

            let reported = no_credentials_error(value, "Bearer", parsed);

            assert_eq!(reported, None, "value {:?}", String::from_utf8_lossy(value));
        }
    }

    #[test]
    fn other_errors_are_malformed() {
        for err in [HeaderError::Multiple, HeaderError::MalformedToken] {
            let reported = no_credentials_error(b"Basic abc", "Bearer", err);

            assert_eq!(reported, None);
        }
    }

    #[test]
    fn credentials_of_scheme_are_told_apart() {
        let cases: &[(&[u8], bool)] = &[
            (b"", true),
            (b" \t ", true),
            (b"Basic dXNlcg==", true),
            (b"Negotiate", true),
            (b"\tDigest username=\"a\", realm=\"b\"", true),
            (b"Bearer abc", false),
            (b"bearer abc", false),
            (b"Bearer", false),
            (b"Bearer a b", false),
            (b"Bearer\tabc", false),
            (b"Basic\tabc", false),
            (b"B\xc3\xa9arer abc", false),
        ];

        for (value, expected) in cases {
            let lacks = lacks_credentials_for(value, "Bearer");

            assert_eq!(
                lacks,
                *expected,
                "value {:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn display_is_the_message() {
        let err = HeaderError::MalformedToken;

        assert_eq!(err.to_string(), "Malformed token");
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_full_checks(
            value in "[ \t]{0,2}(Bearer|bEARER|Basic|Be\x01rer|)[ \t]{0,3}[A-Za-z0-9=._~+/ ,\t\x00\x7fé-]{0,12}[ \t]{0,2}",
            max in 0usize..12,
            scheme in proptest::sample::select(vec!["Bearer", "bearer", "Be arer", ""]),
        ) {
            let value = value.as_bytes();

            let fast = token_range(value, scheme, max);
            let in_order = token_range_in_order(value, scheme, max);

            prop_assert_eq!(fast, in_order);
        }

        #[test]
        fn token_str_matches_plain_check(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b' ', 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xff]),
                0..40,
            ),
            offset in 0usize..8,
            start in 0usize..42,
            len in 0usize..42,
        ) {
            // The offset moves the value's start across word boundaries.
            let mut buffer = vec![b' '; offset];
            buffer.extend_from_slice(&bytes);
            let value = &buffer[offset..];
            let range = start..start + len;

            let token = token_str(value, range.clone());

            let expected = value.get(range).and_then(|token| std::str::from_utf8(token).ok());
            prop_assert_eq!(token, expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic(value in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = parse_credentials(&value, "Bearer", MAX);
        }

        #[test]
        fn valid_b64token_round_trips(
            token in "[A-Za-z0-9._~+/-]{1,40}={0,3}",
            spaces in 1usize..4,
            upper in any::<bool>(),
        ) {
            let scheme = if upper { "BEARER" } else { "Bearer" };
            let value = format!("{scheme}{}{token}", " ".repeat(spaces));

            let parsed = parse_credentials(value.as_bytes(), "Bearer", MAX);

            prop_assert_eq!(parsed, Ok(token.as_str()));
        }
    }
}
