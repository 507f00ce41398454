//! Route requirements as types: the token type, the scheme and the scopes a route needs.

use std::marker::PhantomData;

use crate::const_message::{ConstMessage, decode_utf8};
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
}
