//! The sequencing extractor: authenticate first, then extract the handler's parameters.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use pin_project_lite::pin_project;

use crate::authenticated::Authenticated;
use crate::extract::ExtractFuture;
use crate::spec::TokenSpec;
use crate::token_required::TokenRequired;

/// Authenticates the request with spec `S`, and only then extracts `Args`.
///
/// actix-web starts every parameter's extraction at once. A guard beside a body
/// extractor therefore cannot stop the body from being read, and a `CurrentUser`
/// beside it may not see its result yet. `Guarded` runs the steps in order: the
/// whole authentication (header, loaders, expiry, active user, scopes, listeners),
/// then `Args`, usually a tuple of the handler's own parameters (up to 16, the
/// limit of actix-web's tuple extractor). A request that fails authentication
/// never has its body read. [`CurrentUser`](crate::CurrentUser) and friends inside
/// `Args` read this authentication.
///
/// `Guarded` takes the request body for `Args`, so every parameter that reads the
/// body (`web::Json`, `web::Form`, `web::Bytes`, `web::Payload`, ...) must be inside
/// `Args`: a body extractor in another parameter of the handler finds the body empty.
/// The [`token_required`](crate::token_required) attribute writes this extractor
/// for you, with every parameter inside.
///
/// ```no_run
/// use actix_web::{HttpResponse, post, web};
/// use stateless_auth::{Access, CurrentUser, Guarded};
///
/// # struct User; impl stateless_auth::UserMixin for User {}
/// # #[derive(serde::Deserialize)] struct Note { text: String }
/// // Without a valid access token: 400 or 401, and the body stays unread.
/// // With one but a broken body: the usual 400 of `web::Json`.
/// #[post("/notes")]
/// async fn add_note(
///     guarded: Guarded<Access, (web::Json<Note>, CurrentUser<User>)>,
/// ) -> HttpResponse {
///     let (web::Json(note), user) = guarded.into_inner();
///     HttpResponse::Created().body(note.text)
/// }
/// ```
pub struct Guarded<S: TokenSpec, Args> {
    args: Args,
    authenticated: Authenticated,
    spec: PhantomData<fn() -> S>,
}

impl<S: TokenSpec, Args> Guarded<S, Args> {
    /// Returns the extracted parameters.
    pub fn into_inner(self) -> Args {
        self.args
    }

    /// Returns the authentication: token type, scheme, token model and user.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }
}

impl<S: TokenSpec, Args: FromRequest> FromRequest for Guarded<S, Args> {
    type Error = actix_web::Error;
    type Future = GuardedFuture<S, Args>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        GuardedFuture {
            guard: TokenRequired::<S>::from_request(req, payload),
            req: req.clone(),
            payload: payload.take(),
            authenticated: None,
            args: None,
        }
    }
}

impl<S: TokenSpec, Args: fmt::Debug> fmt::Debug for Guarded<S, Args> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded")
            .field("args", &self.args)
            .field("authenticated", &self.authenticated)
            .finish()
    }
}

pin_project! {
    /// The future of [`Guarded`]: the guard's future, then the parameters' future.
    #[must_use = "futures do nothing unless polled"]
    pub struct GuardedFuture<S: TokenSpec, Args: FromRequest> {
        guard: ExtractFuture<TokenRequired<S>>,
        req: HttpRequest,
        payload: Payload,
        authenticated: Option<Authenticated>,
        #[pin]
        args: Option<Args::Future>,
    }
}

impl<S: TokenSpec, Args: FromRequest> Future for GuardedFuture<S, Args> {
    type Output = Result<Guarded<S, Args>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();

        if this.args.is_none() {
            let guard = ready!(Pin::new(&mut *this.guard).poll(cx))?;
            *this.authenticated = Some(guard.into_inner());
            this.args
                .set(Some(Args::from_request(this.req, this.payload)));
        }

        let Some(args_future) = this.args.as_pin_mut() else {
            unreachable!("the parameters' future was set above");
        };
        let args = ready!(args_future.poll(cx)).map_err(Into::into)?;
        let Some(authenticated) = this.authenticated.take() else {
            unreachable!("the authentication was stored before the parameters' future");
        };

        Poll::Ready(Ok(Guarded {
            args,
            authenticated,
            spec: PhantomData,
        }))
    }
}
