//! Route requirements as types: the token type, the scheme and the scopes a route needs.

/// The requirements of a route, as associated constants.
///
/// `None` means the configured default
/// ([`default_token_type`](crate::StatelessAuthConfig::default_token_type) or
/// [`default_auth_type`](crate::StatelessAuthConfig::default_auth_type)). The
/// [`token_required`](crate::token_required) attribute writes such a type for each
/// handler; write one by hand for [`TokenRequired`](crate::TokenRequired) and
/// [`Guarded`](crate::Guarded).
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
    const TOKEN_TYPE: Option<&'static str> = None;
    /// The scheme expected before the token, such as `"Bearer"`; compared ignoring ASCII case.
    const AUTH_TYPE: Option<&'static str> = None;
    /// The scopes that the token must grant, each checked with
    /// [`TokenMixin::has_scope`](crate::TokenMixin::has_scope).
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

    /// Builds the requirement of a guard with spec `S`.
    pub(crate) const fn of<S: TokenSpec>() -> Self {
        Requirement {
            token_type: S::TOKEN_TYPE,
            auth_type: S::AUTH_TYPE,
            scopes: S::SCOPES,
            explicit: true,
        }
    }
}
