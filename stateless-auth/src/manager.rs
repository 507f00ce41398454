//! The registry of loaders, settings, listeners and the error handler.

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, web};

use crate::authenticated::Authenticated;
use crate::config::StatelessAuthConfig;
use crate::error::{ErrorKind, StatelessAuthError};
use crate::label::Label;
use crate::loaders::{ErasedLoaders, Loaders};
use crate::mixin::{TokenMixin, UserMixin};
use crate::optional_user;
use crate::rejection;
use crate::slot;
use crate::spec::Requirement;

type AuthorizedListener = Box<dyn Fn(&HttpRequest, &Authenticated) + Send + Sync>;
type UnauthorizedListener = Box<dyn Fn(&HttpRequest, &StatelessAuthError) + Send + Sync>;
type ErrorHandler = Box<dyn Fn(StatelessAuthError, &HttpRequest) -> actix_web::Error + Send + Sync>;

/// The application's loaders, settings and listeners; the counterpart of
/// Flask-Stateless-Auth's `StatelessAuthManager`.
///
/// Build one with [`new`](Self::new), chain the setters, and register it with
/// `App::app_data(web::Data::new(manager))`; every extractor of this crate reads it
/// from there. The manager is not generic, so handlers and middleware name it
/// without the model types.
///
/// ```
/// use actix_web::{App, web};
/// use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
///
/// struct Token {
///     user_id: u32,
/// }
/// impl TokenMixin for Token {}
///
/// struct User {
///     name: String,
/// }
/// impl UserMixin for User {}
///
/// async fn load_token(
///     token: &str,
///     token_type: &str,
///     _auth_type: &str,
/// ) -> Result<Option<Token>, StatelessAuthError> {
///     // A real application queries its database here.
///     Ok((token == "secret" && token_type == "access").then_some(Token { user_id: 1 }))
/// }
///
/// let manager = StatelessAuthManager::new(load_token, async |token: &Token| {
///     Ok(Some(User { name: format!("user {}", token.user_id) }))
/// })
/// // The status and kind only: a loader's message may contain the token.
/// .on_unauthorized(|req, err| {
///     log::info!("{} rejected: {} error, {}", req.path(), err.kind(), err.code())
/// });
///
/// let app = App::new().app_data(web::Data::new(manager));
/// ```
pub struct StatelessAuthManager {
    pub(crate) config: StatelessAuthConfig,
    pub(crate) header_name: HeaderName,
    pub(crate) default_token_type: Label,
    pub(crate) default_auth_type: Label,
    pub(crate) realm: Option<Arc<str>>,
    pub(crate) loaders: Arc<dyn ErasedLoaders>,
    on_authorized: Vec<AuthorizedListener>,
    on_unauthorized: Vec<UnauthorizedListener>,
    error_handler: Option<ErrorHandler>,
}

impl StatelessAuthManager {
    /// Creates a manager with the default [`StatelessAuthConfig`].
    ///
    /// `token_loader` receives the token exactly as sent, the route's token type
    /// (such as `"access"` or `"refresh"`) and its scheme (such as `"Bearer"`), and
    /// returns the token model, `None` for an unknown token (401 `"Invalid token"`),
    /// or an error to respond with. `user_loader` receives that model and returns
    /// its user. `None` there is a data fault, rejected with 500.
    ///
    /// The manager does not compare token types itself, so the token loader must
    /// look the token up among the tokens of the route's type. A loader that
    /// ignores `token_type` lets a refresh token into an access route, and the
    /// reverse.
    ///
    /// Both may be `async fn` items or async closures and may hold their arguments
    /// across `.await`. Their futures need not be `Send`, because an actix-web
    /// worker runs each request on one thread.
    ///
    /// To query a database, move a clone of its connection pool into each closure.
    /// Turn the driver's errors into a 500 with [`StatelessAuthError::server`].
    /// Its message goes to the client, so log the driver's error and keep the
    /// message generic. Here `Pool` stands for a pool such as sqlx's `SqlitePool`,
    /// which is cheap to clone:
    ///
    /// ```
    /// use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
    ///
    /// # #[derive(Clone)]
    /// # struct Pool;
    /// # #[derive(Debug)]
    /// # struct DbError;
    /// # impl std::fmt::Display for DbError {
    /// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("db") }
    /// # }
    /// # impl Pool {
    /// #     async fn token_row(&self, _: &str, _: &str) -> Result<Option<Token>, DbError> { Ok(None) }
    /// #     async fn user_row(&self, _: i64) -> Result<Option<User>, DbError> { Ok(None) }
    /// # }
    /// struct Token {
    ///     user_id: i64,
    /// }
    /// impl TokenMixin for Token {}
    ///
    /// struct User;
    /// impl UserMixin for User {}
    ///
    /// fn manager(pool: Pool) -> StatelessAuthManager {
    ///     let user_pool = pool.clone();
    ///
    ///     StatelessAuthManager::new(
    ///         async move |token: &str, token_type: &str, _: &str| {
    ///             pool.token_row(token, token_type).await.map_err(|err| {
    ///                 log::error!("loading a {token_type} token failed: {err}");
    ///                 StatelessAuthError::server("Internal server error")
    ///             })
    ///         },
    ///         async move |token: &Token| {
    ///             user_pool.user_row(token.user_id).await.map_err(|err| {
    ///                 log::error!("loading user {} failed: {err}", token.user_id);
    ///                 StatelessAuthError::server("Internal server error")
    ///             })
    ///         },
    ///     )
    /// }
    /// ```
    ///
    /// The manager sets no time limit on the loaders, so a request waits as long
    /// as its loaders do. Bound the datastore's waits where they happen: with the
    /// pool's acquire timeout (such as sqlx's `PoolOptions::acquire_timeout`) and,
    /// for a query that may stall, with `actix_web::rt::time::timeout` around it,
    /// its elapsed error logged and returned as [`StatelessAuthError::server`].
    /// actix-web sets no time limit on a response either (checked with 4.18.1):
    /// its `client_request_timeout` bounds only the reading of the request head.
    /// So when a loader never completes, the client receives nothing until it
    /// gives up, and the request stays on its worker until the server stops and
    /// its `shutdown_timeout` has passed.
    ///
    /// actix-web also serves a request to the end after its client has closed the
    /// connection, so the loaders complete and the listeners report the outcome
    /// as usual. A request whose loaders are dropped before they complete, as when
    /// a middleware's timeout drops the handler or a stopping server drops its
    /// connections, reaches neither listener.
    #[must_use = "the manager does nothing until it is registered with `App::app_data(web::Data::new(manager))`"]
    pub fn new<T, U, TL, UL>(token_loader: TL, user_loader: UL) -> Self
    where
        T: TokenMixin + 'static,
        U: UserMixin + 'static,
        TL: AsyncFn(&str, &str, &str) -> Result<Option<T>, StatelessAuthError>
            + Send
            + Sync
            + 'static,
        UL: AsyncFn(&T) -> Result<Option<U>, StatelessAuthError> + Send + Sync + 'static,
    {
        let loaders = Loaders {
            token_loader,
            user_loader,
            models: PhantomData,
        };
        let config = StatelessAuthConfig::default();

        StatelessAuthManager {
            header_name: HeaderName::from_static("authorization"),
            default_token_type: Label::configured(&config.default_token_type),
            default_auth_type: Label::configured(&config.default_auth_type),
            realm: None,
            config,
            loaders: Arc::new(loaders),
            on_authorized: Vec::new(),
            on_unauthorized: Vec::new(),
            error_handler: None,
        }
    }

    /// Replaces the settings.
    ///
    /// # Panics
    ///
    /// Panics with the [`ConfigError`](crate::ConfigError) message when `config` fails
    /// [`StatelessAuthConfig::validate`]; call that first to handle the error yourself.
    #[must_use = "the setter consumes the manager and returns the changed one, which the app must register"]
    #[track_caller]
    pub fn with_config(mut self, config: StatelessAuthConfig) -> Self {
        if let Err(err) = config.validate() {
            panic!("invalid StatelessAuthConfig: {err}");
        }

        self.header_name = match config.header_name() {
            Ok(name) => name,
            Err(err) => panic!("invalid StatelessAuthConfig: {err}"),
        };
        self.default_token_type = Label::configured(&config.default_token_type);
        self.default_auth_type = Label::configured(&config.default_auth_type);
        self.realm = config.realm.as_deref().map(Arc::from);
        self.config = config;
        self
    }

    /// Adds a listener that runs once for every authenticated request, after the
    /// loaders and before the handler; the counterpart of Flask's `user_authorized`
    /// signal.
    ///
    /// Listeners run in the order they were added, on the worker thread, so keep
    /// them short. A listener that panics is logged and skipped; the request goes on.
    /// A request whose client has closed the connection is reported too, as
    /// [`new`](Self::new) describes.
    ///
    /// A check after the loaders can still reject an authenticated request: a
    /// guard's scopes (403), a [`FromAuthenticated`](crate::FromAuthenticated) value
    /// such as a role check, or a `CurrentUser<U>` whose `U` is not the user loader's
    /// model (500). Such a request reaches the [`on_unauthorized`](Self::on_unauthorized)
    /// listeners too, so count outcomes with one of the two lists, not both.
    #[must_use = "the setter consumes the manager and returns the changed one, which the app must register"]
    pub fn on_authorized(
        mut self,
        listener: impl Fn(&HttpRequest, &Authenticated) + Send + Sync + 'static,
    ) -> Self {
        self.on_authorized.push(Box::new(listener));
        self
    }

    /// Adds a listener that runs once for every rejection, with the error. It is
    /// the counterpart of Flask's `user_unauthorized` signal.
    ///
    /// It runs before the [`error_handler`](Self::error_handler) and receives every
    /// rejection: bad headers, unknown or expired tokens, inactive users, missing
    /// scopes and server errors, and the errors that handlers pass to
    /// [`reject`](Self::reject). A missing manager is the exception, since no
    /// listener can be found then.
    ///
    /// A missing or bad credentials header is reported as soon as an extractor
    /// finds it. A guard (`TokenRequired`, `Guarded`, `#[token_required]`) checks
    /// the header when actix-web creates its future, so the report comes even when
    /// an earlier parameter of the handler fails and its error becomes the
    /// response. The loaders' rejections are reported when the loaders complete,
    /// so a request whose extraction stops before they run reports none.
    ///
    /// actix-web's `Option`, `Result` and `Either` extractors go on after a
    /// rejection, so a request can report more than one and still reach its
    /// handler. Each guard checks its own scopes, so a handler with
    /// `Option<TokenRequired<S>>` parameters for two scoped specs `S` reports two
    /// rejections for a token that lacks both scopes, and runs with two `None`.
    #[must_use = "the setter consumes the manager and returns the changed one, which the app must register"]
    pub fn on_unauthorized(
        mut self,
        listener: impl Fn(&HttpRequest, &StatelessAuthError) + Send + Sync + 'static,
    ) -> Self {
        self.on_unauthorized.push(Box::new(listener));
        self
    }

    /// Sets the function that turns a rejection into the response error, like
    /// `web::JsonConfig::error_handler`.
    ///
    /// Without one, the [`StatelessAuthError`] itself is the response: its status,
    /// the JSON body `{"error": ...}` and, on 400, 401 and 403, a
    /// `WWW-Authenticate` challenge.
    ///
    /// It runs for each extractor that returns a rejection. So when a middleware
    /// extracts the user, ignores the rejection and calls the handler, it runs
    /// twice for one request. The [`on_unauthorized`](Self::on_unauthorized)
    /// listeners run once per rejection, so count or log rejections there.
    ///
    /// A panic in it is caught and logged, and the request gets the default 500
    /// response `Internal server error`, as when a loader panics.
    ///
    /// Unlike Flask's `@app.errorhandler(StatelessAuthError)`, it receives only the
    /// errors that pass through the manager: the rejections of this crate's
    /// extractors, and the errors that a handler passes to [`reject`](Self::reject).
    /// A `StatelessAuthError` that a handler returns as it is skips it and the
    /// listeners, and gets the default response with a `Bearer` challenge and no
    /// realm. A refresh route's `Invalid token` for a token that a concurrent
    /// request has just used is such an error. So return it as
    /// `manager.reject(&req, err)`.
    ///
    /// ```
    /// use actix_web::{HttpResponse, error::InternalError};
    /// use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};
    ///
    /// # struct Token; impl TokenMixin for Token {}
    /// # struct User; impl UserMixin for User {}
    /// # async fn load_token(_: &str, _: &str, _: &str) -> Result<Option<Token>, StatelessAuthError> { Ok(None) }
    /// # async fn load_user(_: &Token) -> Result<Option<User>, StatelessAuthError> { Ok(None) }
    /// let manager = StatelessAuthManager::new(load_token, load_user).error_handler(|err, _req| {
    ///     let response = HttpResponse::build(err.code()).body(err.msg().to_owned());
    ///     InternalError::from_response(err, response).into()
    /// });
    /// ```
    #[must_use = "the setter consumes the manager and returns the changed one, which the app must register"]
    pub fn error_handler(
        mut self,
        handler: impl Fn(StatelessAuthError, &HttpRequest) -> actix_web::Error + Send + Sync + 'static,
    ) -> Self {
        self.error_handler = Some(Box::new(handler));
        self
    }

    /// Rejects a request from its handler in the form of the extractors' rejections,
    /// and returns the error for the handler to return.
    ///
    /// A [`StatelessAuthError`] that a handler returns as it is gets a `Bearer`
    /// challenge without a realm, and neither the listeners nor the error handler see
    /// it. Passed through this method, it instead:
    ///
    /// - gets the `WWW-Authenticate` challenge of the request's authentication: the
    ///   scheme of the guard that started it, the configured realm and, on 403, that
    ///   guard's scopes, as a failed role check in a [`FromAuthenticated`] value
    ///   gets. On a request that no extractor of this crate has authenticated, the
    ///   challenge has the configured default scheme and the realm. A request may
    ///   carry no credentials for that scheme: no credentials header, a blank one,
    ///   or another scheme's, as for an anonymous [`OptionalUser`]. Its challenge
    ///   then has no `error` attribute, as RFC 6750 §3.1 recommends and as the
    ///   extractors' challenges have. An error that already carries a challenge
    ///   keeps it. As for every error, only 400, 401 and 403 send one.
    /// - is logged at debug level and passed once to the
    ///   [`on_unauthorized`](Self::on_unauthorized) listeners.
    /// - becomes the response error through the [`error_handler`](Self::error_handler),
    ///   when one is set.
    ///
    /// The log line shows the message only when it is one of this crate's fixed
    /// messages, such as `Invalid token`, since a message from application code may
    /// contain the token. The error's `Debug` output hides such a message too.
    ///
    /// Call it on the manager that the route's extractors use, which the handler
    /// receives as a `web::Data<StatelessAuthManager>` parameter. An error that an
    /// extractor of this crate returned has already been reported, so return that
    /// error as it is. Passing a copy of it here reports it a second time.
    ///
    /// A handler that returns 403 for a document that the user does not own:
    ///
    /// ```
    /// use actix_web::http::{StatusCode, header};
    /// use actix_web::{App, HttpRequest, HttpResponse, test, web};
    /// use stateless_auth::{
    ///     CurrentUser, StatelessAuthConfig, StatelessAuthError, StatelessAuthManager, TokenMixin,
    ///     UserMixin, token_required,
    /// };
    ///
    /// struct Token {
    ///     user_id: u32,
    /// }
    /// impl TokenMixin for Token {}
    ///
    /// struct User {
    ///     id: u32,
    /// }
    /// impl UserMixin for User {}
    ///
    /// #[token_required(auth_type = "Token")]
    /// async fn document(
    ///     req: HttpRequest,
    ///     manager: web::Data<StatelessAuthManager>,
    ///     owner_id: web::Path<u32>,
    ///     user: CurrentUser<User>,
    /// ) -> Result<HttpResponse, actix_web::Error> {
    ///     // A real application loads the document and compares its owner.
    ///     if *owner_id != user.id {
    ///         let err = StatelessAuthError::scope("You do not own this document");
    ///         return Err(manager.reject(&req, err));
    ///     }
    ///
    ///     Ok(HttpResponse::Ok().body("the document"))
    /// }
    ///
    /// #[actix_web::main]
    /// async fn main() {
    ///     let config = StatelessAuthConfig {
    ///         realm: Some("documents".to_owned()),
    ///         ..StatelessAuthConfig::default()
    ///     };
    ///     let manager = StatelessAuthManager::new(
    ///         async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
    ///             Ok((token == "alice-token").then_some(Token { user_id: 1 }))
    ///         },
    ///         async |token: &Token| Ok(Some(User { id: token.user_id })),
    ///     )
    ///     .with_config(config);
    ///     let app = App::new()
    ///         .app_data(web::Data::new(manager))
    ///         .route("/documents/{owner_id}", web::get().to(document));
    ///     let app = test::init_service(app).await;
    ///
    ///     // User 1 requests a document of user 2.
    ///     let req = test::TestRequest::get()
    ///         .uri("/documents/2")
    ///         .insert_header(("Authorization", "Token alice-token"))
    ///         .to_request();
    ///     let res = test::call_service(&app, req).await;
    ///
    ///     assert_eq!(res.status(), StatusCode::FORBIDDEN);
    ///     assert_eq!(
    ///         res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
    ///         r#"Token realm="documents", error="insufficient_scope""#
    ///     );
    /// }
    /// ```
    ///
    /// [`FromAuthenticated`]: crate::FromAuthenticated
    /// [`OptionalUser`]: crate::OptionalUser
    #[must_use = "the rejection reaches the client only when the handler returns this error"]
    pub fn reject(&self, req: &HttpRequest, err: StatelessAuthError) -> actix_web::Error {
        let requirement = slot::route_requirement(req);
        let route = requirement.unwrap_or(&Requirement::IMPLICIT);
        let err = err.or_challenge(|| {
            let challenge = rejection::challenge(self, route);
            match optional_user::no_credentials(req, self) {
                true => challenge.bare(),
                false => challenge,
            }
        });

        self.report_rejection(req, &err, requirement);
        self.response_error(err, req)
    }

    /// Returns the settings in use.
    pub fn config(&self) -> &StatelessAuthConfig {
        &self.config
    }

    /// Finds the manager registered with the app, logging its absence.
    pub(crate) fn of(req: &HttpRequest) -> Option<&web::Data<StatelessAuthManager>> {
        let manager = req.app_data::<web::Data<StatelessAuthManager>>();
        if manager.is_none() {
            log::error!(
                "no web::Data<StatelessAuthManager> is registered for {}: add \
                 App::app_data(web::Data::new(manager)); responded with 500",
                req.path()
            );
        }
        manager
    }

    /// Reports whether any `on_authorized` listener is registered.
    pub(crate) fn has_authorized_listeners(&self) -> bool {
        !self.on_authorized.is_empty()
    }

    /// Returns the token type that `requirement` names, or the configured default.
    pub(crate) fn token_type_for<'a>(&'a self, requirement: &Requirement) -> &'a str {
        requirement.token_type.unwrap_or(&self.default_token_type)
    }

    /// Returns the scheme that `requirement` names, or the configured default.
    pub(crate) fn scheme_for<'a>(&'a self, requirement: &Requirement) -> &'a str {
        requirement.auth_type.unwrap_or(&self.default_auth_type)
    }

    /// Reports whether an [`error_handler`](Self::error_handler) is set.
    pub(crate) fn has_error_handler(&self) -> bool {
        self.error_handler.is_some()
    }

    /// Runs the listeners for the final outcome of one request's authentication,
    /// made for the route's `requirement`.
    pub(crate) fn report(
        &self,
        req: &HttpRequest,
        outcome: &Result<Authenticated, StatelessAuthError>,
        requirement: &Requirement,
    ) {
        match outcome {
            Ok(authenticated) => self.report_success(req, authenticated),
            Err(err) => self.report_rejection(req, err, Some(requirement)),
        }
    }

    /// Runs the `on_authorized` listeners.
    pub(crate) fn report_success(&self, req: &HttpRequest, authenticated: &Authenticated) {
        for listener in &self.on_authorized {
            run_listener(req, || listener(req, authenticated));
        }
    }

    /// Logs a rejection and runs the `on_unauthorized` listeners.
    ///
    /// With the route's `requirement`, when it is known, the log line also names the
    /// token type and scheme, so that a misspelled `token_type` shows there.
    pub(crate) fn report_rejection(
        &self,
        req: &HttpRequest,
        err: &StatelessAuthError,
        requirement: Option<&Requirement>,
    ) {
        if log::log_enabled!(log::Level::Debug) {
            self.log_rejection(req, err, requirement);
        }

        for listener in &self.on_unauthorized {
            run_listener(req, || listener(req, err));
        }
    }

    /// Writes the debug line of a rejection.
    #[cold]
    fn log_rejection(
        &self,
        req: &HttpRequest,
        err: &StatelessAuthError,
        requirement: Option<&Requirement>,
    ) {
        let (method, path) = (req.method(), req.path());
        let status = err.code().as_u16();
        let Some(requirement) = requirement else {
            let reason = rejection_reason(err, None);
            log::debug!("rejected {method} {path}: {reason}, status {status}");
            return;
        };

        let token_type = self.token_type_for(requirement);
        let scheme = self.scheme_for(requirement);
        let reason = rejection_reason(err, Some(token_type));
        log::debug!(
            "rejected {method} {path}: {reason}, status {status}; \
             the route requires token type {token_type:?} and scheme {scheme:?}"
        );
    }

    /// Turns a rejection into the response error, through the error handler if one is set.
    pub(crate) fn response_error(
        &self,
        err: StatelessAuthError,
        req: &HttpRequest,
    ) -> actix_web::Error {
        match &self.error_handler {
            Some(handler) => run_error_handler(handler, err, req),
            None => err.into(),
        }
    }
}

/// Describes a rejection for its log line, with the message when it is one of this
/// crate's: a fixed message, or `<token_type> token expired` for the route's token
/// type. Neither contains a token. Any other message came from application code,
/// which may have put the token in it.
fn rejection_reason(err: &StatelessAuthError, token_type: Option<&str>) -> String {
    let kind = err.kind();
    let expired = token_type
        .is_some_and(|token_type| err.msg().strip_suffix(" token expired") == Some(token_type));

    match err.fixed_msg() {
        Some(msg) => format!("{kind} error: {msg}"),
        None if expired => format!("{kind} error: {}", err.msg()),
        None => format!("{kind} error (message not logged)"),
    }
}

/// Runs the error handler and turns a panic in it into a logged 500, as for a
/// panicking loader.
#[cold]
fn run_error_handler(
    handler: &ErrorHandler,
    err: StatelessAuthError,
    req: &HttpRequest,
) -> actix_web::Error {
    let handled = panic::catch_unwind(AssertUnwindSafe(|| handler(err, req)));

    handled.unwrap_or_else(|_| {
        log::error!(
            "the stateless-auth error handler panicked while handling {}; \
             the request gets 500 Internal Server Error",
            req.path()
        );
        StatelessAuthError::server(crate::loaders::INTERNAL).into()
    })
}

impl fmt::Debug for StatelessAuthManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatelessAuthManager")
            .field("config", &self.config)
            .field("on_authorized", &self.on_authorized.len())
            .field("on_unauthorized", &self.on_unauthorized.len())
            .field("error_handler", &self.error_handler.is_some())
            .finish_non_exhaustive()
    }
}

/// The manager of one request, looked up in its app data at the first call to
/// [`get`](Self::get) and remembered after that.
pub(crate) struct LazyManager<'r> {
    req: &'r HttpRequest,
    found: Option<Option<&'r web::Data<StatelessAuthManager>>>,
}

impl<'r> LazyManager<'r> {
    /// Creates the look-up for `req` without doing it.
    pub(crate) fn new(req: &'r HttpRequest) -> Self {
        LazyManager { req, found: None }
    }

    /// Returns the manager, looking it up the first time.
    pub(crate) fn get(&mut self) -> Option<&'r web::Data<StatelessAuthManager>> {
        let req = self.req;

        *self
            .found
            .get_or_insert_with(|| StatelessAuthManager::of(req))
    }
}

/// Runs one listener, logging a panic instead of letting it end the worker.
fn run_listener(req: &HttpRequest, listener: impl FnOnce()) {
    if panic::catch_unwind(AssertUnwindSafe(listener)).is_err() {
        log::error!(
            "a stateless-auth listener panicked while handling {}",
            req.path()
        );
    }
}

/// Creates the error that a request gets when no manager is registered.
pub(crate) fn missing_manager() -> actix_web::Error {
    StatelessAuthError::new(
        crate::loaders::INTERNAL,
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::Server,
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_reason_names_expiry_of_route_type() {
        let err = StatelessAuthError::token(format!("{} token expired", "access"));

        let reason = rejection_reason(&err, Some("access"));

        assert_eq!(reason, "Token error: access token expired");
    }

    #[test]
    fn rejection_reason_omits_other_expiry_messages() {
        let err = StatelessAuthError::token("secret-4421 token expired");

        let with_route = rejection_reason(&err, Some("access"));
        let without_route = rejection_reason(&err, None);

        assert_eq!(with_route, "Token error (message not logged)");
        assert_eq!(without_route, "Token error (message not logged)");
    }
}
