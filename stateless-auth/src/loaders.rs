//! The application's loaders behind a non-generic interface.

use std::marker::PhantomData;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::authenticated::Authenticated;
use crate::error::{ErrorKind, StatelessAuthError};
use crate::header;
use crate::label::Label;
use crate::mixin::{TokenMixin, UserMixin};

/// The message of every 500 that the library produces itself; details go to the log.
pub(crate) const INTERNAL: &str = "Internal server error";

/// The checks of one authentication, resolved against the configuration.
pub(crate) struct Context {
    pub(crate) token_type: Label,
    pub(crate) auth_type: Label,
    pub(crate) scopes: &'static [&'static str],
}

/// The outcome of the loaders for one request, or the payload of a panic in a
/// loader or a model method.
pub(crate) type AuthOutcome = std::thread::Result<Result<Authenticated, StatelessAuthError>>;

/// A future that runs the loaders for one request.
pub(crate) type AuthFuture = LocalBoxFuture<'static, AuthOutcome>;

/// The token and user loaders with their model types erased, so that the manager
/// need not be generic.
pub(crate) trait ErasedLoaders: Send + Sync {
    /// Runs the loaders for the token at `token` in `header`.
    ///
    /// The future owns everything it uses, so the request's extensions can keep it
    /// while sibling extractors wait for it. It catches a panic in a loader or a
    /// model method, for the caller to turn into a 500.
    fn authenticate(
        self: Arc<Self>,
        header: HeaderValue,
        token: Range<usize>,
        context: Context,
    ) -> AuthFuture;
}

/// The typed loaders given to [`StatelessAuthManager::new`](crate::StatelessAuthManager::new).
pub(crate) struct Loaders<TL, UL, T, U> {
    pub(crate) token_loader: TL,
    pub(crate) user_loader: UL,
    pub(crate) models: PhantomData<fn() -> (T, U)>,
}

impl<TL, UL, T, U> ErasedLoaders for Loaders<TL, UL, T, U>
where
    T: TokenMixin + 'static,
    U: UserMixin + 'static,
    TL: AsyncFn(&str, &str, &str) -> Result<Option<T>, StatelessAuthError> + Send + Sync + 'static,
    UL: AsyncFn(&T) -> Result<Option<U>, StatelessAuthError> + Send + Sync + 'static,
{
    fn authenticate(
        self: Arc<Self>,
        header: HeaderValue,
        token: Range<usize>,
        context: Context,
    ) -> AuthFuture {
        Box::pin(AssertUnwindSafe(run(self, header, token, context)).catch_unwind())
    }
}

/// Runs the token loader, the expiry check, the user loader, the activity check
/// and the scope checks, in that order.
async fn run<TL, UL, T, U>(
    loaders: Arc<Loaders<TL, UL, T, U>>,
    header: HeaderValue,
    token: Range<usize>,
    context: Context,
) -> Result<Authenticated, StatelessAuthError>
where
    T: TokenMixin + 'static,
    U: UserMixin + 'static,
    TL: AsyncFn(&str, &str, &str) -> Result<Option<T>, StatelessAuthError>,
    UL: AsyncFn(&T) -> Result<Option<U>, StatelessAuthError>,
{
    // The parser produced `token` from this same value, so this succeeds.
    let Some(token) = header::token_str(header.as_bytes(), token) else {
        return Err(StatelessAuthError::server(INTERNAL));
    };
    let token_type = &*context.token_type;
    let auth_type = &*context.auth_type;

    let loaded = (loaders.token_loader)(token, token_type, auth_type).await;
    let Some(token_model) = loaded.inspect_err(|err| log_loader_error("token", err))? else {
        return Err(StatelessAuthError::token("Invalid token"));
    };
    if token_model.is_expired(token_type, auth_type) {
        return Err(StatelessAuthError::token(format!(
            "{token_type} token expired"
        )));
    }

    let loaded = (loaders.user_loader)(&token_model).await;
    let Some(user) = loaded.inspect_err(|err| log_loader_error("user", err))? else {
        log::error!(
            "the user loader found no user for a token of type {token_type} that the token loader accepted; responded with 500"
        );
        return Err(StatelessAuthError::server(INTERNAL));
    };
    if !user.is_active() {
        return Err(StatelessAuthError::token("Invalid User"));
    }

    if let Some(scope) = context
        .scopes
        .iter()
        .find(|scope| !token_model.has_scope(scope))
    {
        log::debug!("the {token_type} token lacks required scope {scope:?}");
        return Err(StatelessAuthError::scope("Insufficient scope"));
    }

    Ok(Authenticated::new(
        context.token_type,
        context.auth_type,
        token_model,
        user,
    ))
}

fn log_loader_error(loader: &str, err: &StatelessAuthError) {
    if err.kind() == ErrorKind::Server {
        log::error!("the {loader} loader failed: {err}");
    }
}
