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
/// It does not implement `Clone`, so `user.clone()` clones the user model through
/// `Deref` when `U: Clone`.
///
/// The request is rejected as the error table of the crate docs lists, and with
/// 500 when `U` is not the user loader's model type (a programming error, logged).
///
/// ```
/// use actix_web::http::StatusCode;
/// use actix_web::{App, get, test, web};
/// use stateless_auth::{CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
///
/// struct Token;
/// impl TokenMixin for Token {}
///
/// struct User {
///     name: String,
/// }
/// impl UserMixin for User {}
///
/// #[get("/whoami")]
/// async fn whoami(user: CurrentUser<User>) -> String {
///     user.name.clone()
/// }
///
/// #[actix_web::main]
/// async fn main() {
///     let manager = StatelessAuthManager::new(
///         async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
///             Ok((token == "alice-token").then_some(Token))
///         },
///         async |_: &Token| Ok(Some(User { name: "alice".to_owned() })),
///     );
///     let app = App::new().app_data(web::Data::new(manager)).service(whoami);
///     let app = test::init_service(app).await;
///
///     // Accepted: the handler receives the user.
///     let req = test::TestRequest::get()
///         .uri("/whoami")
///         .insert_header(("Authorization", "Bearer alice-token"))
///         .to_request();
///     assert_eq!(test::call_and_read_body(&app, req).await, "alice");
///
///     // Rejected before the handler: 401 `Invalid token` for an unknown token.
///     let req = test::TestRequest::get()
///         .uri("/whoami")
///         .insert_header(("Authorization", "Bearer mallory-token"))
///         .to_request();
///     let res = test::call_service(&app, req).await;
///     assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
///
///     // Rejected before the handler: 400 `No token provided` without the header.
///     let req = test::TestRequest::get().uri("/whoami").to_request();
///     let res = test::call_service(&app, req).await;
///     assert_eq!(res.status(), StatusCode::BAD_REQUEST);
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
