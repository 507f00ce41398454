//! Compares the credentials-header parser with a slow reference written from the
//! grammars alone, not from the parser.
//!
//! The grammars are RFC 9110 §5.5 (spaces and tabs around a field value are not
//! part of it), §11.1 and §11.6.2 (`auth-scheme [ 1*SP ( token68 / #auth-param )
//! ]`, schemes compared ignoring ASCII case) and RFC 6750 §2.1 (`"Bearer" 1*SP
//! b64token`). The table in README.md section "Errors" sets which error comes first.

use std::ops::Range;

use proptest::prelude::*;
use proptest::sample::select;

use super::{HeaderError, lacks_credentials_for, parse_credentials, token_range};
use crate::rejection::Rejection;

const SP: u8 = b' ';
const HTAB: u8 = b'\t';

fn is_blank(byte: u8) -> bool {
    byte == SP || byte == HTAB
}

/// RFC 5234 `VCHAR`.
fn is_vchar(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte)
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// RFC 6750 §2.1 `b64token`.
fn is_b64token(word: &[u8]) -> bool {
    let padding = word.iter().rev().take_while(|&&byte| byte == b'=').count();
    let body = &word[..word.len() - padding];
    let body_byte = |byte: &u8| byte.is_ascii_alphanumeric() || b"-._~+/".contains(byte);

    !body.is_empty() && body.iter().all(body_byte)
}

/// Returns where the field value lies once the spaces and tabs around it are removed.
fn field_value(raw: &[u8]) -> Range<usize> {
    let mut start = 0;
    let mut end = raw.len();
    while start < end && is_blank(raw[start]) {
        start += 1;
    }
    while end > start && is_blank(raw[end - 1]) {
        end -= 1;
    }

    start..end
}

/// Splits `value` on runs of spaces into `(start, word)` pairs.
fn words(value: &[u8]) -> Vec<(usize, &[u8])> {
    let mut found = Vec::new();
    let mut index = 0;
    while index < value.len() {
        if value[index] == SP {
            index += 1;
            continue;
        }
        let start = index;
        while index < value.len() && value[index] != SP {
            index += 1;
        }
        found.push((start, &value[start..index]));
    }

    found
}

/// Reports whether the value, without its surrounding blanks, starts with an
/// `auth-scheme` other than `scheme`, followed by a space or by nothing.
fn names_other_scheme(raw: &[u8], scheme: &str) -> bool {
    let value = &raw[field_value(raw)];
    let first_word = value.split(|&byte| byte == SP).next().unwrap_or_default();
    let is_token = !first_word.is_empty() && first_word.iter().all(|&byte| is_tchar(byte));

    is_token && !first_word.eq_ignore_ascii_case(scheme.as_bytes())
}

/// A rejected value: its error, and whether it carries no credentials for the
/// route's scheme. Such a value gets a challenge without an `error` attribute. In
/// strict RFC 6750 mode it gets 401, and in the default mode another scheme's
/// credentials keep 400.
type Rejected = (HeaderError, bool);

/// Returns where the token sits in `raw`, or how the README's table rejects the
/// value. In strict RFC 6750 mode a blank value and another scheme carry no
/// credentials, and another scheme is found first. A first word that is not an
/// `auth-scheme`, as in `Bearer, abc`, is a malformed value in both modes.
fn expected_range(
    raw: &[u8],
    scheme: &str,
    max_token_length: usize,
    strict: bool,
) -> Result<Range<usize>, Rejected> {
    let value_range = field_value(raw);
    let value = &raw[value_range.clone()];
    if value.is_empty() {
        return Err((HeaderError::Missing, strict));
    }
    let other_scheme = names_other_scheme(raw, scheme);
    if strict && other_scheme {
        return Err((HeaderError::SchemeMismatch, true));
    }

    expected_error(value, scheme, max_token_length)
        .map(|range| value_range.start + range.start..value_range.start + range.end)
        .map_err(|err| (err, other_scheme))
}

/// Returns where the token sits in a `value` without surrounding blanks, or the
/// error that the default mode gives it.
fn expected_error(
    value: &[u8],
    scheme: &str,
    max_token_length: usize,
) -> Result<Range<usize>, HeaderError> {
    if value.iter().any(|&byte| byte != SP && !is_vchar(byte)) {
        return Err(HeaderError::InvalidHeader);
    }
    let [(_, sent_scheme), (token_start, token)] = words(value)[..] else {
        return Err(HeaderError::ArgumentCount);
    };
    if !sent_scheme.eq_ignore_ascii_case(scheme.as_bytes()) {
        return Err(HeaderError::SchemeMismatch);
    }
    if token.len() > max_token_length || !is_b64token(token) {
        return Err(HeaderError::MalformedToken);
    }

    Ok(token_start..token_start + token.len())
}

/// Reports whether `OptionalUser` should see no credentials for `scheme` in `raw`:
/// a blank value, or credentials of another scheme in any form.
fn expected_lack(raw: &[u8], scheme: &str) -> bool {
    field_value(raw).is_empty() || names_other_scheme(raw, scheme)
}

/// Runs the crate's checks as `slot::begin` runs them: the parser, then
/// `Rejection::of_header`, which separates a value without credentials for the
/// scheme from a malformed one.
fn crate_range(
    raw: &[u8],
    scheme: &str,
    max_token_length: usize,
    strict: bool,
) -> Result<Range<usize>, Rejected> {
    token_range(raw, scheme, max_token_length).map_err(|err| {
        match Rejection::of_header(strict, raw, scheme, err) {
            Rejection::NoCredentials(reported) | Rejection::OtherScheme(reported) => {
                (reported, true)
            }
            Rejection::Header(reported) => (reported, false),
            other => panic!("a header error became {other:?}"),
        }
    })
}

/// Header values made of pieces that the grammars treat differently: schemes in
/// both cases, blanks, separators, `b64token` bytes, other `tchar`s, non-ASCII and
/// control bytes, and runs of `a` and `=` around `max_token_length`.
fn header_value(max_token_length: usize) -> impl Strategy<Value = Vec<u8>> {
    let near_max = (
        max_token_length.saturating_sub(1)..=max_token_length + 1,
        select(vec![b'a', b'=']),
    )
        .prop_map(|(len, byte)| vec![byte; len]);
    let piece = prop_oneof![
        4 => select(vec!["Bearer", "bearer", "BEARER", "bEaReR", "Basic", "Negotiate", "Token", "Bearerx", "Bear"])
            .prop_map(|word| word.as_bytes().to_vec()),
        4 => select(vec![" ", "  ", "\t", " \t"]).prop_map(|blank| blank.as_bytes().to_vec()),
        4 => select(b"ABCXYZabcxyz0189-._~+/".to_vec()).prop_map(|byte| vec![byte]),
        2 => select(vec!["=", "==", ",", "\"", "a=\"b\""]).prop_map(|text| text.as_bytes().to_vec()),
        1 => select(b"!#$%&'*^`|():;<>?@[\\]{}".to_vec()).prop_map(|byte| vec![byte]),
        1 => select(vec![vec![0x80], vec![0xc3, 0xa9], vec![0xff], vec![0xe2, 0x82, 0xac]]),
        1 => select(vec![0x00, 0x01, 0x0b, 0x0d, 0x0a, 0x1f, 0x7f]).prop_map(|byte| vec![byte]),
        1 => near_max,
    ];

    proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// Values shaped as credentials of `scheme` or of another scheme, so that many
/// reach the token checks.
fn credentials_value(
    scheme: &'static str,
    max_token_length: usize,
) -> impl Strategy<Value = Vec<u8>> {
    let blanks = || select(vec!["", " ", "\t", " \t "]);
    let sent_scheme = select(vec![
        scheme.to_owned(),
        scheme.to_ascii_lowercase(),
        scheme.to_ascii_uppercase(),
        "Basic".to_owned(),
        "Bear".to_owned(),
    ]);
    let separator = select(vec![" ", " ", "  ", "\t", ""]);
    let token_byte = prop_oneof![
        100 => select(b"aZ09-._~+/".to_vec()),
        2 => Just(b'='),
        2 => select(b",\"!#$%&'*^`|:;@\\".to_vec()),
        1 => any::<u8>(),
    ];
    let token_len = 0..=max_token_length.min(80) + 2;
    let padding = select(vec!["", "", "=", "=="]);
    let token = (proptest::collection::vec(token_byte, token_len), padding)
        .prop_map(|(body, padding)| [body.as_slice(), padding.as_bytes()].concat());

    (blanks(), sent_scheme, separator, token, blanks()).prop_map(
        |(before, sent_scheme, separator, token, after)| {
            [
                before.as_bytes(),
                sent_scheme.as_bytes(),
                separator.as_bytes(),
                &token,
                after.as_bytes(),
            ]
            .concat()
        },
    )
}

/// Generates a header value, the `max_token_length` to check it against and the
/// route's scheme.
fn any_case() -> impl Strategy<Value = (Vec<u8>, usize, &'static str)> {
    let max_token_length = select(vec![0usize, 1, 3, 8, 64, 4096]);
    let scheme = select(vec![
        "Bearer",
        "BEARER",
        "Token",
        "Basic",
        "x",
        "!#$%&'*+-.^_`|~",
    ]);

    (max_token_length, scheme).prop_flat_map(|(max_token_length, scheme)| {
        let value = prop_oneof![
            header_value(max_token_length),
            credentials_value(scheme, max_token_length),
        ];
        (value, Just(max_token_length), Just(scheme))
    })
}

#[test]
fn reference_follows_readme_table() {
    use HeaderError::*;

    type Outcome = Result<&'static str, Rejected>;
    let cases: &[(&[u8], Outcome, Outcome)] = &[
        (b" \tbearer  abc== \t", Ok("abc=="), Ok("abc==")),
        (b" \t ", Err((Missing, false)), Err((Missing, true))),
        (
            b"Bearer ab\xc3\xa9",
            Err((InvalidHeader, false)),
            Err((InvalidHeader, false)),
        ),
        (
            b"Basic\tdXNlcg==",
            Err((InvalidHeader, false)),
            Err((InvalidHeader, false)),
        ),
        (
            b"Negotiate",
            Err((ArgumentCount, true)),
            Err((SchemeMismatch, true)),
        ),
        (
            b"Digest username=\"a\", realm=\"b\"",
            Err((ArgumentCount, true)),
            Err((SchemeMismatch, true)),
        ),
        (
            b"Basic dXNlcg==",
            Err((SchemeMismatch, true)),
            Err((SchemeMismatch, true)),
        ),
        (
            b"Bearer, abc",
            Err((SchemeMismatch, false)),
            Err((SchemeMismatch, false)),
        ),
        (
            b"Bearer a,b",
            Err((MalformedToken, false)),
            Err((MalformedToken, false)),
        ),
    ];

    for (value, default_outcome, strict_outcome) in cases {
        let token_of = |range: Range<usize>| std::str::from_utf8(&value[range]).unwrap();

        let default_mode = expected_range(value, "Bearer", 64, false).map(token_of);
        let strict_mode = expected_range(value, "Bearer", 64, true).map(token_of);

        assert_eq!(default_mode, *default_outcome, "value {value:?}");
        assert_eq!(strict_mode, *strict_outcome, "value {value:?}, strict");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn parser_matches_reference(
        (value, max_token_length, scheme) in any_case(),
        strict in any::<bool>(),
    ) {
        let expected = expected_range(&value, scheme, max_token_length, strict);
        let expected_token = expected_range(&value, scheme, max_token_length, false)
            .map(|range| std::str::from_utf8(&value[range]).unwrap())
            .map_err(|(err, _)| err);

        let range = crate_range(&value, scheme, max_token_length, strict);
        let token = parse_credentials(&value, scheme, max_token_length);

        prop_assert_eq!(range, expected);
        prop_assert_eq!(token, expected_token);
    }

    #[test]
    fn lack_of_credentials_matches_reference((value, _, scheme) in any_case()) {
        let expected = expected_lack(&value, scheme);

        let lacks = lacks_credentials_for(&value, scheme);
        let strict_outcome = crate_range(&value, scheme, 64, true);

        prop_assert_eq!(lacks, expected);
        // Strict mode responds with 401 to exactly the values without credentials.
        let strict_no_credentials = matches!(strict_outcome, Err((_, true)));
        prop_assert_eq!(strict_no_credentials, lacks);
    }
}
