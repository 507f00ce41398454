//! The authenticated user, or `None` when the request carries no credentials for
//! the route's scheme.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::current_user::CurrentUser;
use crate::extract::{ExtractFuture, Start, polled_after_completion};
use crate::header::{self, HeaderError};
use crate::manager::{StatelessAuthManager, missing_manager};
use crate::slot;
use crate::spec::Requirement;

/// The authenticated user, or `None` when the request carries no credentials for
/// the route's scheme.
///
/// It is `None` when the credentials header is missing, empty or only blanks, and
/// when it carries credentials of another scheme, in any form (`Basic dXNlcg==`,
/// `Negotiate`, `Digest username="a"`), such as a reverse proxy's Basic
/// authentication. The loaders do not run then. A repeated header, a malformed
/// value of the route's scheme (such as `Bearer` alone or `Bearer a,b`), a token
/// that is unknown or expired, and a server error reject the request as
/// [`CurrentUser`] would. actix-web's blanket `Option<T>` differs: it turns every
/// error into `None`, so it would hide a failing database behind an anonymous
/// visitor.
///
/// NOTE: The route's scheme is that of a guard among the handler's parameters, or
/// of a guard that ran earlier in the request, and else the configured
/// `default_auth_type`. A middleware that extracts `OptionalUser` before the
/// handler runs cannot see the route's guard yet, so it gets `None` for
/// credentials that a guard with another `auth_type` (such as `Token`) accepts.
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
    type Future = OptionalUserFuture<U>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        OptionalUserFuture {
            unchecked: Some(req.clone()),
            extracting: None,
        }
    }
}

/// The future of [`OptionalUser`].
///
/// It checks the credentials header at its first poll, after every parameter of
/// the handler has run `from_request`. So a guard later in the parameter list,
/// such as a `TokenRequired` whose spec sets its own `AUTH_TYPE`, has already set
/// the scheme that the header must carry.
#[must_use = "futures do nothing unless polled"]
pub struct OptionalUserFuture<U> {
    /// The request, until the first poll checks its credentials header.
    unchecked: Option<HttpRequest>,
    extracting: Option<ExtractFuture<OptionalUser<U>>>,
}

impl<U> Unpin for OptionalUserFuture<U> {}

impl<U: 'static> Future for OptionalUserFuture<U> {
    type Output = Result<OptionalUser<U>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(req) = this.unchecked.take() {
            this.extracting = Some(extract(&req));
        }

        match &mut this.extracting {
            Some(future) => Pin::new(future).poll(cx),
            None => Poll::Ready(Err(polled_after_completion())),
        }
    }
}

/// Creates the future that extracts the user of `req`, or completes at once with
/// `None` when the request carries no credentials.
fn extract<U: 'static>(req: &HttpRequest) -> ExtractFuture<OptionalUser<U>> {
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

/// Reports whether the request carries no credentials for the scheme in use: no
/// credentials header, an empty or blank one, or credentials of another scheme.
///
/// The scheme in use is that of the authentication that an earlier extractor
/// started, such as a guard with its own `auth_type`, or else the configured
/// default. [`StatelessAuthManager::reject`] also uses it, to leave the `error`
/// attribute out of the challenge of such a request.
pub(crate) fn no_credentials(req: &HttpRequest, manager: &StatelessAuthManager) -> bool {
    let value = match header::single_header(req.headers(), &manager.header_name) {
        Ok(value) => value,
        Err(err) => return err == HeaderError::Missing,
    };

    let scheme = match slot::route_requirement(req) {
        Some(requirement) => manager.scheme_for(requirement),
        None => &manager.default_auth_type,
    };
    header::lacks_credentials_for(value.as_bytes(), scheme)
}

impl<U: fmt::Debug + 'static> fmt::Debug for OptionalUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OptionalUser").field(&self.user()).finish()
    }
}
