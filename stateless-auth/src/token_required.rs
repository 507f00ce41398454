//! A guard parameter: the request must carry a token that meets a [`TokenSpec`].

use std::fmt;
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::extract::{ExtractFuture, Start};
use crate::spec::{ConfigDefaults, Requirement, TokenSpec};

/// A guard: extraction succeeds only for a request whose token meets `S`.
///
/// A guard of this crate is a handler parameter, not a route guard of
/// `actix_web::guard`, so it rejects a request instead of passing it to another
/// route.
///
/// `S` sets the token type, the scheme and the scopes; [`Access`](crate::Access)
/// and [`Refresh`](crate::Refresh) are ready-made. [`CurrentUser`](crate::CurrentUser)
/// and [`CurrentToken`](crate::CurrentToken) parameters of the same handler read the
/// guard's result, whatever their order.
///
/// actix-web extracts all parameters together, so a body extractor such as
/// `web::Json` beside this guard may read and reject the body of a request that
/// fails authentication. [`Guarded`](crate::Guarded) and the
/// [`token_required`](crate::token_required) attribute authenticate first.
///
/// ```no_run
/// use actix_web::{HttpResponse, put};
/// use stateless_auth::{CurrentToken, Refresh, TokenMixin, TokenRequired};
///
/// # struct Token; impl TokenMixin for Token {}
/// // A token loader that looks tokens up by type rejects an access token here
/// // with 401 `Invalid token`, and a refresh token reaches the handler.
/// #[put("/refresh_token")]
/// async fn refresh(_guard: TokenRequired<Refresh>, token: CurrentToken<Token>) -> HttpResponse {
///     // Rotate `token` here.
///     HttpResponse::Created().finish()
/// }
/// ```
pub struct TokenRequired<S: TokenSpec = ConfigDefaults> {
    authenticated: Authenticated,
    spec: PhantomData<fn() -> S>,
}

impl<S: TokenSpec> TokenRequired<S> {
    /// Returns the authentication: token type, scheme, token model and user.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }

    /// Returns the authentication, consuming the guard.
    pub fn into_inner(self) -> Authenticated {
        self.authenticated
    }

    fn project(
        req: &HttpRequest,
        authenticated: Authenticated,
    ) -> Result<Self, StatelessAuthError> {
        authenticated.require_scopes(req, const { Requirement::of::<S>() })?;

        Ok(TokenRequired {
            authenticated,
            spec: PhantomData,
        })
    }
}

impl<S: TokenSpec> FromRequest for TokenRequired<S> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ExtractFuture::new(
            req,
            const { Requirement::of::<S>() },
            Start::Eager,
            Self::project,
        )
    }
}

impl<S: TokenSpec> fmt::Debug for TokenRequired<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenRequired")
            .field(&self.authenticated)
            .finish()
    }
}
