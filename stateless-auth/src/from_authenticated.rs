//! Parameters built straight from a completed authentication, without extraction.

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;

/// A value that [`Guarded`](crate::Guarded) builds from its authentication, after
/// the loaders have run and before the handler is called.
///
/// `Guarded`'s third type parameter is such a value, usually a tuple of them. Each
/// one is a synchronous projection of the [`Authenticated`] record. Extracting
/// [`CurrentUser`](crate::CurrentUser) as a regular parameter instead goes through
/// actix-web's extraction: one more look-up in the request's extensions and one
/// more future. The [`token_required`](crate::token_required) attribute treats every
/// parameter whose type is written `CurrentUser<..>` or `CurrentToken<..>` in a
/// similar way: it checks their model types during extraction, through a hidden
/// `Auth` of its own, and builds them in the handler.
///
/// Implement it for a type of your own to derive it from the authentication, for
/// example a user that must be an administrator:
///
/// ```
/// use stateless_auth::{Authenticated, FromAuthenticated, StatelessAuthError};
///
/// struct User {
///     id: u32,
///     admin: bool,
/// }
///
/// /// The id of a user who is an administrator.
/// struct Admin(u32);
///
/// impl FromAuthenticated for Admin {
///     fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
///         match authenticated.user::<User>() {
///             Some(user) if user.admin => Ok(Admin(user.id)),
///             Some(_) => Err(StatelessAuthError::scope("Administrators only")),
///             None => Err(StatelessAuthError::server("Internal server error")),
///         }
///     }
/// }
///
/// // Any other user gets 403 `Scope error: Administrators only`.
/// async fn delete_everything(
///     guarded: stateless_auth::Guarded<stateless_auth::Access, (), (Admin,)>,
/// ) -> String {
///     let ((), (Admin(id),)) = guarded.into_parts();
///     format!("deleted by administrator {id}")
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be built from the authentication",
    label = "not a `FromAuthenticated` type",
    note = "`Guarded`'s third type parameter takes `CurrentUser<U>`, `CurrentToken<T>`, \
            `Authenticated`, a type of your own that implements `FromAuthenticated`, or a tuple \
            of them"
)]
pub trait FromAuthenticated: Sized {
    /// Builds the value from a successful authentication.
    ///
    /// # Errors
    ///
    /// The rejection of the request. The authentication itself succeeded, so the
    /// `on_authorized` listeners have already run. `Guarded` reports the rejection
    /// to the `on_unauthorized` listeners and turns it into the response, with the
    /// route's `WWW-Authenticate` challenge and through the manager's error handler
    /// if one is set.
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError>;
}

impl FromAuthenticated for Authenticated {
    #[inline]
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        Ok(authenticated.clone())
    }
}

/// Implements [`FromAuthenticated`] for a tuple whose elements all implement it.
macro_rules! tuple_from_authenticated {
    ($($name:ident)*) => {
        impl<$($name: FromAuthenticated),*> FromAuthenticated for ($($name,)*) {
            #[allow(unused_variables)]
            #[inline]
            fn from_authenticated(
                authenticated: &Authenticated,
            ) -> Result<Self, StatelessAuthError> {
                Ok(($($name::from_authenticated(authenticated)?,)*))
            }
        }
    };
}

tuple_from_authenticated!();
tuple_from_authenticated!(A);
tuple_from_authenticated!(A B);
tuple_from_authenticated!(A B C);
tuple_from_authenticated!(A B C D);
tuple_from_authenticated!(A B C D E);
tuple_from_authenticated!(A B C D E F);
tuple_from_authenticated!(A B C D E F G);
tuple_from_authenticated!(A B C D E F G H);
tuple_from_authenticated!(A B C D E F G H I);
tuple_from_authenticated!(A B C D E F G H I J);
tuple_from_authenticated!(A B C D E F G H I J K);
tuple_from_authenticated!(A B C D E F G H I J K L);
tuple_from_authenticated!(A B C D E F G H I J K L M);
tuple_from_authenticated!(A B C D E F G H I J K L M N);
tuple_from_authenticated!(A B C D E F G H I J K L M N O);
tuple_from_authenticated!(A B C D E F G H I J K L M N O P);

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::http::header::AUTHORIZATION;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;
    use crate::{Access, Guarded, StatelessAuthManager, TokenMixin, UserMixin};

    struct Token {
        admin: bool,
    }

    impl TokenMixin for Token {}

    struct User {
        admin: bool,
    }

    impl UserMixin for User {}

    struct Admin;

    impl FromAuthenticated for Admin {
        fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
            match authenticated.user::<User>() {
                Some(user) if user.admin => Ok(Admin),
                _ => Err(StatelessAuthError::scope("Administrators only")),
            }
        }
    }

    async fn admin_only(_: Guarded<Access, (), (Admin, Authenticated)>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    /// Sends `token` to a route that needs an `Admin` and returns the status and body.
    async fn call(token: &str) -> (StatusCode, String) {
        let manager = StatelessAuthManager::new(
            async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
                let admin = match token {
                    "root" => true,
                    "guest" => false,
                    _ => return Ok(None),
                };
                Ok(Some(Token { admin }))
            },
            async |token: &Token| Ok(Some(User { admin: token.admin })),
        )
        .error_handler(|err, _| {
            actix_web::error::InternalError::new(err.msg().to_owned(), err.code()).into()
        });
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(manager))
                .route("/", web::get().to(admin_only)),
        )
        .await;
        let request = test::TestRequest::get()
            .insert_header((AUTHORIZATION, format!("Bearer {token}")))
            .to_request();

        let response = test::call_service(&app, request).await;

        let status = response.status();
        let body = test::read_body(response).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[actix_web::test]
    async fn own_type_is_built_from_authentication() {
        let (status, body) = call("root").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "");
    }

    #[actix_web::test]
    async fn rejection_of_own_type_goes_through_error_handler() {
        let (status, body) = call("guest").await;

        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, "Administrators only");
    }

    /// A route that expects the scheme `Token`.
    struct TokenScheme;

    impl crate::TokenSpec for TokenScheme {
        const AUTH_TYPE: Option<&'static str> = Some("Token");
    }

    /// Rejects every authenticated request as if its token had been revoked.
    struct Revoked;

    impl FromAuthenticated for Revoked {
        fn from_authenticated(_: &Authenticated) -> Result<Self, StatelessAuthError> {
            Err(StatelessAuthError::token("Revoked"))
        }
    }

    async fn revoked(_: Guarded<TokenScheme, (), Revoked>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn rejection_of_own_type_carries_route_challenge() {
        let config = crate::StatelessAuthConfig {
            realm: Some("api".to_owned()),
            ..Default::default()
        };
        let manager = StatelessAuthManager::new(
            async |_: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
                Ok(Some(Token { admin: false }))
            },
            async |token: &Token| Ok(Some(User { admin: token.admin })),
        )
        .with_config(config);
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(manager))
                .route("/", web::get().to(revoked)),
        )
        .await;
        let request = test::TestRequest::get()
            .insert_header((AUTHORIZATION, "Token abc"))
            .to_request();

        let response = test::call_service(&app, request).await;

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get(actix_web::http::header::WWW_AUTHENTICATE),
            Some(&actix_web::http::header::HeaderValue::from_static(
                r#"Token realm="api", error="invalid_token""#
            ))
        );
    }
}
