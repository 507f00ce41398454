//! The authenticated user as a handler parameter.

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::authenticated::{Authenticated, model_mismatch};
use crate::error::StatelessAuthError;
use crate::extract::{ExtractFuture, Start};
use crate::from_authenticated::FromAuthenticated;
use crate::spec::Requirement;

/// The authenticated user; the counterpart of Flask's `current_stateless_user`.
///
/// It derefs to the `U` that the user loader returned. In a handler with a guard,
/// such as [`#[token_required]`](crate::token_required) or
/// [`TokenRequired`](crate::TokenRequired), it reads that guard's result. Used alone,
/// it authenticates with the configured default token type and scheme. Either way
/// the loaders run once per request.
///
/// The request is rejected as the error table of the crate docs lists, and with
/// 500 when `U` is not the user loader's model type (a programming error, logged).
///
/// ```no_run
/// use actix_web::{App, HttpServer, get, web};
/// use stateless_auth::{CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
///
/// struct Token(String);
/// impl TokenMixin for Token {}
///
/// struct User {
///     name: String,
/// }
/// impl UserMixin for User {}
///
/// // `curl -H 'Authorization: Bearer alice-token' localhost:8080/whoami` returns
/// // "alice". Without the header the response is 400 `No token provided`, and with
/// // another token it is 401 `Invalid token`.
/// #[get("/whoami")]
/// async fn whoami(user: CurrentUser<User>) -> String {
///     user.name.clone()
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let manager = web::Data::new(StatelessAuthManager::new(
///         async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
///             Ok((token == "alice-token").then(|| Token(token.to_owned())))
///         },
///         async |_: &Token| Ok(Some(User { name: "alice".to_owned() })),
///     ));
///
///     HttpServer::new(move || App::new().app_data(manager.clone()).service(whoami))
///         .bind(("127.0.0.1", 8080))?
///         .run()
///         .await
/// }
/// ```
pub struct CurrentUser<U> {
    authenticated: Authenticated,
    user: PhantomData<fn() -> U>,
}

impl<U: 'static> CurrentUser<U> {
    /// Returns the whole authentication: token type, scheme and token model.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }

    fn project(_: &HttpRequest, authenticated: Authenticated) -> Result<Self, StatelessAuthError> {
        Self::checked(authenticated)
    }

    /// Wraps `authenticated` after checking its model type.
    #[inline]
    pub(crate) fn checked(authenticated: Authenticated) -> Result<Self, StatelessAuthError> {
        Self::check_type(&authenticated)?;

        Ok(Self::unchecked(authenticated))
    }

    /// Rejects with 500 an authentication whose user model is not a `U`, a
    /// programming error that it logs.
    #[inline]
    pub(crate) fn check_type(authenticated: &Authenticated) -> Result<(), StatelessAuthError> {
        if !authenticated.holds_user::<U>() {
            let loaded = authenticated.user_type_name();
            return Err(model_mismatch(
                "CurrentUser",
                type_name::<U>(),
                "user",
                loaded,
            ));
        }

        Ok(())
    }

    /// Wraps `authenticated`, whose user model [`check_type`](Self::check_type) accepted.
    #[inline]
    pub(crate) fn unchecked(authenticated: Authenticated) -> Self {
        CurrentUser {
            authenticated,
            user: PhantomData,
        }
    }
}

impl<U: 'static> Deref for CurrentUser<U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // NOTE: `check_type` accepted the type before this value was built, so the
        // downcast cannot fail.
        self.authenticated
            .user::<U>()
            .expect("CurrentUser checked the user type when it was extracted")
    }
}

impl<U: 'static> FromAuthenticated for CurrentUser<U> {
    #[inline]
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        Self::checked(authenticated.clone())
    }
}

impl<U: 'static> FromRequest for CurrentUser<U> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ExtractFuture::new(req, &Requirement::IMPLICIT, Start::Lazy, Self::project)
    }
}

impl<U: fmt::Debug + 'static> fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentUser").field(&**self).finish()
    }
}
