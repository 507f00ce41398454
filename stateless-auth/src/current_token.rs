//! The loaded token model as a handler parameter.

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

/// The token model that the token loader returned for this request.
///
/// Refresh endpoints use it to revoke or rotate the token that was presented. It
/// follows the same rules as [`CurrentUser`](crate::CurrentUser): it reads a
/// guard's result or authenticates with the defaults, and responds with 500 when `T` is
/// not the token loader's model type.
///
/// Its `Debug` output names the model type but does not show the model, since a
/// token model often contains the token.
///
/// ```
/// use actix_web::http::StatusCode;
/// use actix_web::{App, HttpResponse, put, test, web};
/// use stateless_auth::{CurrentToken, TokenMixin, token_required};
/// # use stateless_auth::{StatelessAuthError, StatelessAuthManager, UserMixin};
///
/// struct Token {
///     id: i64,
/// }
/// impl TokenMixin for Token {}
/// # struct User;
/// # impl UserMixin for User {}
///
/// #[put("/refresh_token")]
/// #[token_required(token_type = "refresh")]
/// async fn refresh(token: CurrentToken<Token>) -> HttpResponse {
///     // Delete the row `token.id` and issue a new token pair here.
///     HttpResponse::Created().body(format!("replaced token {}", token.id))
/// }
///
/// #[actix_web::main]
/// async fn main() {
///     // The token loader finds only "alice-refresh", as the row with id 7.
/// #   let manager = StatelessAuthManager::new(
/// #       async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
/// #           Ok((token == "alice-refresh").then_some(Token { id: 7 }))
/// #       },
/// #       async |_: &Token| Ok(Some(User)),
/// #   );
///     let app = App::new().app_data(web::Data::new(manager)).service(refresh);
///     let app = test::init_service(app).await;
///
///     let req = test::TestRequest::put()
///         .uri("/refresh_token")
///         .insert_header(("Authorization", "Bearer alice-refresh"))
///         .to_request();
///     assert_eq!(test::call_and_read_body(&app, req).await, "replaced token 7");
///
///     // A refresh token that the token loader does not find gets 401 `Invalid
///     // token`, and the handler does not run.
///     let req = test::TestRequest::put()
///         .uri("/refresh_token")
///         .insert_header(("Authorization", "Bearer mallory-refresh"))
///         .to_request();
///     let res = test::call_service(&app, req).await;
///     assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
/// }
/// ```
pub struct CurrentToken<T> {
    authenticated: Authenticated,
    token: PhantomData<fn() -> T>,
}

impl<T: 'static> CurrentToken<T> {
    /// Returns the whole authentication: token type, scheme and user.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }

    fn project(_: &HttpRequest, authenticated: Authenticated) -> Result<Self, StatelessAuthError> {
        Self::checked(authenticated)
    }

    /// Wraps `authenticated` after checking its model type.
    #[inline]
    fn checked(authenticated: Authenticated) -> Result<Self, StatelessAuthError> {
        Self::check_type(&authenticated)?;

        Ok(Self::unchecked(authenticated))
    }

    /// Rejects with 500 an authentication whose token model is not a `T`, a
    /// programming error that it logs.
    #[inline]
    pub(crate) fn check_type(authenticated: &Authenticated) -> Result<(), StatelessAuthError> {
        if !authenticated.holds_token::<T>() {
            let loaded = authenticated.token_type_name();
            return Err(model_mismatch(
                "CurrentToken",
                type_name::<T>(),
                "token",
                loaded,
            ));
        }

        Ok(())
    }

    /// Wraps `authenticated`, whose token model [`check_type`](Self::check_type) accepted.
    #[inline]
    pub(crate) fn unchecked(authenticated: Authenticated) -> Self {
        CurrentToken {
            authenticated,
            token: PhantomData,
        }
    }
}

impl<T: 'static> Deref for CurrentToken<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // NOTE: `check_type` accepted the type before this value was built, so the
        // downcast cannot fail.
        self.authenticated
            .token::<T>()
            .expect("CurrentToken checked the token type when it was extracted")
    }
}

impl<T: 'static> FromAuthenticated for CurrentToken<T> {
    #[inline]
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        Self::checked(authenticated.clone())
    }
}

impl<T: 'static> FromRequest for CurrentToken<T> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ExtractFuture::new(req, &Requirement::IMPLICIT, Start::Lazy, Self::project)
    }
}

impl<T> fmt::Debug for CurrentToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentToken")
            .field(&format_args!("<{}>", type_name::<T>()))
            .finish()
    }
}
