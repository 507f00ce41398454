//! The authenticated user, or `None` when the request carries no credentials.

use std::fmt;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::current_user::CurrentUser;
use crate::extract::{ExtractFuture, Start};
use crate::header::{self, HeaderError};
use crate::manager::{StatelessAuthManager, missing_manager};
use crate::spec::Requirement;

/// The authenticated user, or `None` when the request has no credentials header.
///
/// Only a missing header, or one whose value is empty or only blanks, makes it
/// `None`: the cases that a guard rejects with `No token provided`. A repeated or
/// malformed header, a token that is unknown or expired, and a server error reject
/// the request as [`CurrentUser`] would. actix-web's blanket `Option<T>` differs:
/// it turns every error into `None`, so it would hide a failing database behind an
/// anonymous visitor.
///
/// ```
/// use actix_web::http::StatusCode;
/// use actix_web::{App, get, test, web};
/// use stateless_auth::OptionalUser;
/// # use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
/// # struct Token;
/// # impl TokenMixin for Token {}
/// # struct User { name: String }
/// # impl UserMixin for User {}
///
/// #[get("/hello")]
/// async fn hello(user: OptionalUser<User>) -> String {
///     match user.user() {
///         Some(user) => format!("hello, {}", user.name),
///         None => "hello, stranger".to_owned(),
///     }
/// }
///
/// #[actix_web::main]
/// async fn main() {
///     // The loaders accept only "alice-token", as in the `CurrentUser` example.
/// #   let manager = StatelessAuthManager::new(
/// #       async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
/// #           Ok((token == "alice-token").then_some(Token))
/// #       },
/// #       async |_: &Token| Ok(Some(User { name: "alice".to_owned() })),
/// #   );
///     let app = App::new().app_data(web::Data::new(manager)).service(hello);
///     let app = test::init_service(app).await;
///
///     let req = test::TestRequest::get().uri("/hello").to_request();
///     assert_eq!(test::call_and_read_body(&app, req).await, "hello, stranger");
///
///     let req = test::TestRequest::get()
///         .uri("/hello")
///         .insert_header(("Authorization", "Bearer alice-token"))
///         .to_request();
///     assert_eq!(test::call_and_read_body(&app, req).await, "hello, alice");
///
///     // Credentials that fail are rejected, not treated as a stranger.
///     let req = test::TestRequest::get()
///         .uri("/hello")
///         .insert_header(("Authorization", "Bearer mallory-token"))
///         .to_request();
///     let res = test::call_service(&app, req).await;
///     assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
/// }
/// ```
pub struct OptionalUser<U> {
    user: Option<CurrentUser<U>>,
}

impl<U: 'static> OptionalUser<U> {
    /// Returns the user, or `None` when the request carried no credentials.
    pub fn user(&self) -> Option<&U> {
        self.user.as_deref()
    }

    /// Returns the extracted [`CurrentUser`], if any.
    pub fn into_inner(self) -> Option<CurrentUser<U>> {
        self.user
    }
}

impl<U: 'static> FromRequest for OptionalUser<U> {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(manager) = StatelessAuthManager::of(req) else {
            return ExtractFuture::ready(Err(missing_manager()));
        };

        if no_credentials(req, manager) {
            return ExtractFuture::ready(Ok(OptionalUser { user: None }));
        }

        ExtractFuture::new(
            req,
            &Requirement::IMPLICIT,
            Start::Lazy,
            |_, authenticated| {
                let user = CurrentUser::checked(authenticated)?;
                Ok(OptionalUser { user: Some(user) })
            },
        )
    }
}

/// Reports whether the request has no credentials header, or one whose value is
/// empty or only blanks: the cases that a guard rejects with `No token provided`.
fn no_credentials(req: &HttpRequest, manager: &StatelessAuthManager) -> bool {
    match header::single_header(req.headers(), &manager.header_name) {
        Ok(value) => value
            .as_bytes()
            .iter()
            .all(|&byte| header::is_whitespace(byte)),
        Err(err) => err == HeaderError::Missing,
    }
}

impl<U: fmt::Debug + 'static> fmt::Debug for OptionalUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OptionalUser").field(&self.user()).finish()
    }
}
