//! The outcome of a successful authentication, kept for the rest of the request.

use std::any::{Any, TypeId, type_name};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use actix_web::dev::{Extensions, Payload};
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::StatelessAuthError;
use crate::extract::{ExtractFuture, Start};
use crate::label::Label;
use crate::manager::StatelessAuthManager;
use crate::mixin::TokenMixin;
use crate::rejection;
use crate::slot::AuthSlot;
use crate::spec::Requirement;

/// An authenticated request: its token type and scheme, the token model and the user.
///
/// The first extractor that authenticates a request keeps this value in the
/// request's extensions, and every later extractor of the same request reads it
/// instead of calling the loaders again. Middleware and template code read it with
/// [`Authenticated::from_extensions`]. Cloning it is cheap: the models are shared.
///
/// As an extractor it authenticates with the configured defaults, like
/// [`CurrentUser`](crate::CurrentUser), and gives the models without naming their types.
///
/// Its `Debug` output names the model types but shows neither model, so that no
/// token can reach a log through it.
#[derive(Clone)]
pub struct Authenticated {
    record: Rc<Record<dyn AnyModels>>,
}

impl Authenticated {
    pub(crate) fn new<T, U>(token_type: Label, auth_type: Label, token: T, user: U) -> Self
    where
        T: TokenMixin + 'static,
        U: 'static,
    {
        Authenticated {
            record: Rc::new(Record {
                token_type,
                auth_type,
                types: const { &ModelTypes::of::<T, U>() },
                models: Models { token, user },
            }),
        }
    }

    /// Returns the authentication of a request whose authentication has completed
    /// and succeeded, read from the request's extensions.
    ///
    /// A guard checks its scopes and its [`FromAuthenticated`](crate::FromAuthenticated)
    /// values after the loaders succeeded, so this returns the authentication also
    /// for a request that such a check rejected, with 403 for a missing scope.
    ///
    /// It does not check which manager made the authentication. In a scope with a
    /// manager of its own, a middleware that runs before the route may find the
    /// app manager's authentication here. To admit a request there, extract a
    /// guard such as `TokenRequired` instead of testing this for `Some`.
    ///
    /// ```
    /// use actix_web::HttpMessage;
    /// use actix_web::dev::ServiceRequest;
    /// use stateless_auth::Authenticated;
    ///
    /// fn user_name_for_logs(req: &ServiceRequest) -> Option<String> {
    ///     let auth = Authenticated::from_extensions(&req.extensions())?;
    ///     auth.user::<String>().cloned()
    /// }
    /// ```
    pub fn from_extensions(extensions: &Extensions) -> Option<Authenticated> {
        extensions.get::<AuthSlot>()?.succeeded()
    }

    /// Returns the token type that was required, such as `"access"`.
    pub fn token_type(&self) -> &str {
        &self.record.token_type
    }

    /// Returns the scheme that was required, such as `"Bearer"`, as configured rather
    /// than as the client spelled it.
    pub fn auth_type(&self) -> &str {
        &self.record.auth_type
    }

    /// Returns the user, if the user loader's model is a `U`.
    #[inline]
    pub fn user<U: 'static>(&self) -> Option<&U> {
        self.record.models.user().downcast_ref()
    }

    /// Returns the token model, if the token loader's model is a `T`.
    #[inline]
    pub fn token<T: 'static>(&self) -> Option<&T> {
        self.record.models.token().downcast_ref()
    }

    /// Reports whether the token grants `scope`, as [`TokenMixin::has_scope`] reports.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.record.models.has_scope(scope)
    }

    /// Rejects the authentication with 403 unless the token grants every scope
    /// of the guard's `requirement`.
    ///
    /// Each guard checks its own scopes here, after the loaders that all the
    /// request's extractors share, so that a guard whose scope the token lacks
    /// fails alone. A panic in [`TokenMixin::has_scope`] is caught here and becomes
    /// a logged 500, as a panic in the loaders does.
    #[inline]
    pub(crate) fn require_scopes(
        &self,
        req: &HttpRequest,
        requirement: &'static Requirement,
    ) -> Result<(), StatelessAuthError> {
        if requirement.scopes.is_empty() {
            return Ok(());
        }

        self.require_listed_scopes(req, requirement)
    }

    /// Checks a non-empty list of scopes for [`require_scopes`](Self::require_scopes).
    fn require_listed_scopes(
        &self,
        req: &HttpRequest,
        requirement: &'static Requirement,
    ) -> Result<(), StatelessAuthError> {
        let granted = panic::catch_unwind(AssertUnwindSafe(|| {
            requirement.scopes.iter().all(|scope| self.has_scope(scope))
        }));

        match granted {
            Ok(true) => Ok(()),
            Ok(false) => Err(insufficient_scope(req, requirement)),
            Err(_) => {
                log::error!(
                    "TokenMixin::has_scope of {} panicked while a guard checked its scopes; \
                     responded with 500",
                    self.token_type_name()
                );
                Err(StatelessAuthError::server(crate::loaders::INTERNAL))
            }
        }
    }

    /// Reports whether the user loader's model is a `U`, without a dynamic call.
    pub(crate) fn holds_user<U: 'static>(&self) -> bool {
        self.record.types.user == TypeId::of::<U>()
    }

    /// Reports whether the token loader's model is a `T`, without a dynamic call.
    pub(crate) fn holds_token<T: 'static>(&self) -> bool {
        self.record.types.token == TypeId::of::<T>()
    }

    pub(crate) fn user_type_name(&self) -> &'static str {
        self.record.models.user_type_name()
    }

    pub(crate) fn token_type_name(&self) -> &'static str {
        self.record.models.token_type_name()
    }
}

/// Returns the 403 of a guard whose scopes the token lacks, with that guard's
/// challenge.
///
/// The route's challenge is that of the extractor that started the
/// authentication, such as a middleware's guard without scopes, so it would not
/// name the scopes that this guard requires.
#[cold]
#[inline(never)]
fn insufficient_scope(req: &HttpRequest, requirement: &Requirement) -> StatelessAuthError {
    let err = StatelessAuthError::scope("Insufficient scope");

    match req.app_data::<web::Data<StatelessAuthManager>>() {
        Some(manager) => err.or_challenge(|| rejection::challenge(manager, requirement)),
        None => err,
    }
}

/// Logs that an extractor requested a model type that the loader does not
/// produce, and returns the 500 of that programming error.
///
/// It is kept out of line, so that the type check in front of it stays small
/// enough to be inlined into the handler's future.
#[cold]
#[inline(never)]
pub(crate) fn model_mismatch(
    extractor: &str,
    requested: &str,
    loader: &str,
    loaded: &str,
) -> StatelessAuthError {
    log::error!(
        "{extractor}<{requested}> does not match the {loader} loader's model {loaded}; \
         responded with 500"
    );

    StatelessAuthError::server(crate::loaders::INTERNAL)
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("token_type", &self.token_type())
            .field("auth_type", &self.auth_type())
            .field("token", &format_args!("<{}>", self.token_type_name()))
            .field("user", &format_args!("<{}>", self.user_type_name()))
            .finish()
    }
}

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Authenticated>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ExtractFuture::new(
            req,
            &Requirement::IMPLICIT,
            Start::Lazy,
            |_, authenticated| Ok(authenticated),
        )
    }
}

/// The shared part of an [`Authenticated`]: the labels, the model types and the models.
///
/// The fields before `models` have the same layout for every model type, so reading
/// them needs no dynamic call.
struct Record<M: ?Sized> {
    token_type: Label,
    auth_type: Label,
    types: &'static ModelTypes,
    models: M,
}

/// The ids of the token and user model types, kept in a static for each pair of
/// types, so that the record stores a pointer instead of two 16-byte ids.
struct ModelTypes {
    token: TypeId,
    user: TypeId,
}

impl ModelTypes {
    const fn of<T: 'static, U: 'static>() -> Self {
        ModelTypes {
            token: TypeId::of::<T>(),
            user: TypeId::of::<U>(),
        }
    }
}

/// The typed models.
struct Models<T, U> {
    token: T,
    user: U,
}

/// [`Models`] with their types erased.
trait AnyModels {
    fn token(&self) -> &dyn Any;
    fn user(&self) -> &dyn Any;
    fn has_scope(&self, scope: &str) -> bool;
    fn token_type_name(&self) -> &'static str;
    fn user_type_name(&self) -> &'static str;
}

impl<T: TokenMixin + 'static, U: 'static> AnyModels for Models<T, U> {
    fn token(&self) -> &dyn Any {
        &self.token
    }

    fn user(&self) -> &dyn Any {
        &self.user
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.token.has_scope(scope)
    }

    fn token_type_name(&self) -> &'static str {
        type_name::<T>()
    }

    fn user_type_name(&self) -> &'static str {
        type_name::<U>()
    }
}
