//! The sequencing extractor: authenticate first, then extract the handler's parameters.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use pin_project_lite::pin_project;

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::extract::{
    poll_project, polled_after_completion, reject_after_success, start_and_poll, start_now,
};
use crate::from_authenticated::FromAuthenticated;
use crate::manager::StatelessAuthManager;
use crate::spec::{Requirement, TokenSpec};

/// Authenticates the request with spec `S`, and only then extracts `Args`.
///
/// actix-web starts every parameter's extraction at once. A guard beside a body
/// extractor therefore cannot stop the body from being read, and a `CurrentUser`
/// beside it may not see its result yet. `Guarded` runs the steps in order: the
/// whole authentication (header, loaders, expiry, active user, scopes, listeners),
/// then `Args`, usually a tuple of the handler's own parameters (up to 16, the
/// limit of actix-web's tuple extractor). When authentication fails, `Args` is
/// never extracted, so its body extractors never read the body.
/// [`CurrentUser`](crate::CurrentUser) and friends inside `Args` read this
/// authentication too.
///
/// `Guarded` takes the request body for `Args`, so every parameter that reads the
/// body (`web::Json`, `web::Form`, `web::Bytes`, `web::Payload`, ...) must be inside
/// `Args`. A body extractor in another parameter of the handler finds the body
/// empty when it comes after `Guarded`. When it comes before, it takes the body
/// first and may read it before the authentication fails, and `Args` finds the body
/// empty.
///
/// `Auth`, a tuple of [`FromAuthenticated`] values such as `CurrentUser<U>`, is built
/// straight from the authentication once it succeeds, before `Args` is extracted.
/// That costs less than extracting the same values inside `Args`, which looks the
/// authentication up in the request's extensions and runs a future for each one.
/// [`into_parts`](Guarded::into_parts) returns both tuples. The
/// [`token_required`](crate::token_required) attribute writes this extractor for
/// you: every parameter not written `CurrentUser<..>` or `CurrentToken<..>` goes in
/// `Args`. Those written that way go in a hidden `Auth` that only checks their model
/// types, and the handler builds them from the authentication when it starts, so
/// actix-web moves no more data into the handler than without them.
///
/// ```no_run
/// use actix_web::{HttpResponse, post, web};
/// use stateless_auth::{Access, CurrentUser, Guarded};
///
/// # struct User { name: String } impl stateless_auth::UserMixin for User {}
/// # #[derive(serde::Deserialize)] struct Note { text: String }
/// // Without a valid access token: 400 or 401, and the body stays unread.
/// // With one but a broken body: the usual 400 of `web::Json`.
/// #[post("/notes")]
/// async fn add_note(
///     guarded: Guarded<Access, (web::Json<Note>,), (CurrentUser<User>,)>,
/// ) -> HttpResponse {
///     let ((web::Json(note),), (user,)) = guarded.into_parts();
///     HttpResponse::Created().body(format!("{}: {}", user.name, note.text))
/// }
/// ```
pub struct Guarded<S: TokenSpec, Args, Auth = ()> {
    args: Args,
    auth: Auth,
    authenticated: Authenticated,
    spec: PhantomData<fn() -> S>,
}

impl<S: TokenSpec, Args, Auth> Guarded<S, Args, Auth> {
    /// Returns the extracted parameters.
    pub fn into_inner(self) -> Args {
        self.args
    }

    /// Returns the extracted parameters and the values built from the authentication.
    pub fn into_parts(self) -> (Args, Auth) {
        (self.args, self.auth)
    }

    /// Returns the authentication: token type, scheme, token model and user.
    pub fn authenticated(&self) -> &Authenticated {
        &self.authenticated
    }

    /// Returns the extracted parameters and the authentication.
    pub(crate) fn into_args_and_authenticated(self) -> (Args, Authenticated) {
        (self.args, self.authenticated)
    }
}

impl<S, Args, Auth> FromRequest for Guarded<S, Args, Auth>
where
    S: TokenSpec,
    Args: FromRequest,
    Auth: FromAuthenticated,
{
    type Error = actix_web::Error;
    type Future = GuardedFuture<S, Args, Auth>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // See `TokenSpec::SOLE_PARAMETER` for when the authentication starts here.
        let (unstarted, rejected) = if S::SOLE_PARAMETER {
            (true, None)
        } else {
            match start_now(req, const { Requirement::of::<S>() }) {
                Ok(unstarted) => (unstarted.is_some(), None),
                Err(err) => (false, Some(err)),
            }
        };

        GuardedFuture {
            unstarted,
            rejected,
            req: req.clone(),
            payload: payload.take(),
            authenticated: None,
            args: None,
            finished: false,
            spec: PhantomData,
        }
    }
}

impl<S: TokenSpec, Args: fmt::Debug, Auth> fmt::Debug for Guarded<S, Args, Auth> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded")
            .field("args", &self.args)
            .field("authenticated", &self.authenticated)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The future of [`Guarded`]: the authentication, then the parameters' future.
    #[must_use = "futures do nothing unless polled"]
    pub struct GuardedFuture<S: TokenSpec, Args: FromRequest, Auth = ()> {
        req: HttpRequest,
        payload: Payload,
        // Set while the authentication must start at the next poll rather than
        // in `from_request`. For the sole parameter that is until the first poll.
        // For a guard that conflicts with another guard, it is until that guard's
        // outcome is known.
        unstarted: bool,
        // The rejection of a request whose authentication failed to start.
        rejected: Option<actix_web::Error>,
        authenticated: Option<(Authenticated, Auth)>,
        #[pin]
        args: Option<Args::Future>,
        // Set once the future has returned `Ready`, so that a later poll neither
        // reports the rejection again nor polls a finished parameters' future.
        finished: bool,
        spec: PhantomData<fn() -> S>,
    }
}

impl<S, Args, Auth> Future for GuardedFuture<S, Args, Auth>
where
    S: TokenSpec,
    Args: FromRequest,
    Auth: FromAuthenticated,
{
    type Output = Result<Guarded<S, Args, Auth>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if *this.finished {
            return Poll::Ready(Err(polled_after_completion()));
        }

        let result = 'steps: {
            if this.args.is_none() {
                if let Some(err) = this.rejected.take() {
                    break 'steps Err(err);
                }
                let authenticated = if mem::take(this.unstarted) {
                    let requirement = const { Requirement::of::<S>() };
                    let restart = || *this.unstarted = true;
                    start_and_poll(this.req, requirement, cx, keep, restart)
                } else {
                    poll_project(this.req, cx, keep)
                };
                let authenticated = match ready!(authenticated) {
                    Ok(authenticated) => authenticated,
                    Err(err) => break 'steps Err(err),
                };
                match build::<S, Auth>(this.req, authenticated) {
                    Ok(built) => *this.authenticated = Some(built),
                    Err(err) => break 'steps Err(reject_built(this.req, err)),
                }
                this.args
                    .set(Some(Args::from_request(this.req, this.payload)));
            }

            let Some(args_future) = this.args.as_pin_mut() else {
                unreachable!("the parameters' future was set above");
            };
            let args = match ready!(args_future.poll(cx)) {
                Ok(args) => args,
                Err(err) => break 'steps Err(err.into()),
            };
            let Some((authenticated, auth)) = this.authenticated.take() else {
                unreachable!("the authentication was stored before the parameters' future");
            };

            Ok(Guarded {
                args,
                auth,
                authenticated,
                spec: PhantomData,
            })
        };

        *this.finished = true;
        Poll::Ready(result)
    }
}

/// Checks the scopes of `S`, then builds `Auth` from the authentication.
#[inline]
fn build<S: TokenSpec, Auth: FromAuthenticated>(
    req: &HttpRequest,
    authenticated: Authenticated,
) -> Result<(Authenticated, Auth), StatelessAuthError> {
    authenticated.require_scopes(req, const { Requirement::of::<S>() })?;

    let auth = Auth::from_authenticated(&authenticated)?;
    Ok((authenticated, auth))
}

/// Hands the authentication to `GuardedFuture::poll`, which checks it with `build`.
#[inline]
fn keep(
    _: &HttpRequest,
    authenticated: Authenticated,
) -> Result<Authenticated, StatelessAuthError> {
    Ok(authenticated)
}

/// Turns a rejection of `build` into the extractor's error.
#[cold]
#[inline(never)]
fn reject_built(req: &HttpRequest, err: StatelessAuthError) -> actix_web::Error {
    reject_after_success(req, StatelessAuthManager::of(req), err)
}
