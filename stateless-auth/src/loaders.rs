//! The application's loaders behind a non-generic interface.

use std::marker::PhantomData;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::authenticated::Authenticated;
use crate::error::{ErrorKind, StatelessAuthError};
use crate::header;
use crate::label::Label;
use crate::mixin::{TokenMixin, UserMixin};
use crate::rejection::Rejection;

/// The message of every 500 that the library produces itself; details go to the log.
pub(crate) const INTERNAL: &str = "Internal server error";

/// The token type and scheme of one authentication, resolved against the
/// configuration.
///
/// Scopes are not part of it. Each guard checks its own scopes on the shared
/// result, so that a guard that lacks a scope fails alone, and an `Option` or
/// `Either` around it leaves the request's other extractors authenticated.
pub(crate) struct Context {
    pub(crate) token_type: Label,
    pub(crate) auth_type: Label,
}

/// The outcome of the loaders for one request, or the payload of a panic in a
/// loader or a model method.
pub(crate) type AuthOutcome = std::thread::Result<Result<Authenticated, Rejection>>;

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
        // Allocating first lets the compiler build the future in the box. `Box::pin`
        // builds it on the stack and copies it, 200 bytes in the crate's benchmark.
        let future = Box::write(
            Box::new_uninit(),
            AssertUnwindSafe(run(self, header, token, context)).catch_unwind(),
        );
        Box::into_pin(future)
    }
}

/// Runs the token loader, the expiry check, the user loader, the activity check
/// and the scope checks, in that order.
#[expect(
    clippy::manual_async_fn,
    reason = "an `async fn` future keeps a second copy of its arguments"
)]
fn run<TL, UL, T, U>(
    loaders: Arc<Loaders<TL, UL, T, U>>,
    header: HeaderValue,
    token: Range<usize>,
    context: Context,
) -> impl Future<Output = Result<Authenticated, Rejection>>
where
    T: TokenMixin + 'static,
    U: UserMixin + 'static,
    TL: AsyncFn(&str, &str, &str) -> Result<Option<T>, StatelessAuthError>,
    UL: AsyncFn(&T) -> Result<Option<U>, StatelessAuthError>,
{
    // A function that returns an `async move` block, rather than an `async fn`:
    // the block uses its captured arguments in place, where an `async fn` moves
    // them into locals and its future keeps both copies. Each loader's future is
    // also created in a block of its own, so that the borrowed strings are not
    // kept across the `.await` beside it. In the crate's benchmark this future
    // takes 200 bytes; as an `async fn` it took 344.
    async move {
        let token_loaded = {
            // The parser produced `token` from this same value, so this succeeds.
            let Some(token) = header::token_str(header.as_bytes(), token) else {
                return Err(Rejection::Internal);
            };
            (loaders.token_loader)(token, &context.token_type, &context.auth_type)
        };
        let loaded = token_loaded.await;
        let Some(token_model) = loaded.map_err(|err| loader_error("token", err))? else {
            return Err(Rejection::InvalidToken);
        };
        if token_model.is_expired(&context.token_type, &context.auth_type) {
            return Err(Rejection::Expired);
        }

        let loaded = (loaders.user_loader)(&token_model).await;
        let Some(user) = loaded.map_err(|err| loader_error("user", err))? else {
            log::error!(
                "the user loader found no user for a token of type {} that the token loader \
                 accepted; responded with 500",
                &*context.token_type
            );
            return Err(Rejection::Internal);
        };
        if !user.is_active() {
            return Err(Rejection::InactiveUser);
        }

        Ok(Authenticated::new(
            context.token_type,
            context.auth_type,
            token_model,
            user,
        ))
    }
}

/// Logs a loader's server error (kind `Server` or a 5xx status), without its
/// message, and wraps the error in a rejection.
///
/// The message comes from application code, which may have put the token in it,
/// so the loader itself must log the cause.
#[cold]
fn loader_error(loader: &str, err: StatelessAuthError) -> Rejection {
    if err.kind() == ErrorKind::Server || err.code().is_server_error() {
        log::error!(
            "the {loader} loader failed with status {} (message not logged, since it \
             may contain the token; log the cause in the loader)",
            err.code().as_u16()
        );
    }

    Rejection::Loader(Rc::new(err))
}

#[cfg(test)]
mod tests {
    use std::mem::{size_of, size_of_val};

    use super::*;

    struct Token;

    impl TokenMixin for Token {}

    struct User;

    impl UserMixin for User {}

    #[test]
    fn loaders_future_holds_its_arguments_once() {
        let loaders = Arc::new(Loaders {
            token_loader: async |_: &str,
                                 _: &str,
                                 _: &str|
                   -> Result<Option<Token>, StatelessAuthError> {
                Ok(Some(Token))
            },
            user_loader: async |_: &Token| Ok(Some(User)),
            models: PhantomData,
        });
        let context = Context {
            token_type: Label::Static("access"),
            auth_type: Label::Static("Bearer"),
        };
        let arguments = size_of::<Arc<()>>()
            + size_of::<HeaderValue>()
            + size_of::<Range<usize>>()
            + size_of::<Context>();

        let future = run(
            loaders,
            HeaderValue::from_static("Bearer abc"),
            7..10,
            context,
        );

        // As an `async fn`, this future took 304 bytes here: a second copy of the
        // arguments.
        assert!(
            size_of_val(&future) < 2 * arguments,
            "the loaders' future takes {} bytes for {arguments} bytes of arguments",
            size_of_val(&future)
        );
    }
}
