//! The traits that the loaders' token and user models implement.

/// The token model returned by the token loader.
///
/// Both methods have defaults, so `impl TokenMixin for MyToken {}` is a token that
/// never expires and grants no scope.
pub trait TokenMixin {
    /// Reports whether the token has expired; an expired token is rejected with 401
    /// `"<token_type> token expired"`.
    ///
    /// `token_type` and `auth_type` are the values the route required, as the token
    /// loader received them. The default never expires.
    fn is_expired(&self, token_type: &str, auth_type: &str) -> bool {
        let _ = (token_type, auth_type);
        false
    }

    /// Reports whether the token grants `scope`.
    ///
    /// A route that requires scopes rejects the request with 403 unless every one
    /// is granted. The default grants none, so such routes reject a token model that
    /// does not override this method.
    fn has_scope(&self, scope: &str) -> bool {
        let _ = scope;
        false
    }
}

/// The user model returned by the user loader.
pub trait UserMixin {
    /// Reports whether the user may authenticate; an inactive user is rejected with
    /// 401 `"Invalid User"`. The default is active.
    fn is_active(&self) -> bool {
        true
    }
}
