//! Shared fixtures for the integration tests: an in-memory token store whose
//! loaders count their calls and fail, pause or panic on chosen tokens, and in
//! [`server`] a real server on 127.0.0.1 for the tests that need one.

#![allow(missing_docs)]

pub mod server;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use stateless_auth::{
    Authenticated, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin,
};

/// Calls of the token loader and of the user loader.
#[derive(Default)]
pub struct Loads {
    pub tokens: AtomicUsize,
    pub users: AtomicUsize,
}

/// Splits `token` into the first non-empty prefix of `prefixes` that starts it, or
/// `""` when none does, and the rest.
pub fn split_prefix<'a>(token: &'a str, prefixes: &[&'static str]) -> (&'static str, &'a str) {
    for prefix in prefixes.iter().copied().filter(|prefix| !prefix.is_empty()) {
        if let Some(rest) = token.strip_prefix(prefix) {
            return (prefix, rest);
        }
    }

    ("", token)
}

/// A token model: which user it belongs to, its type, and what it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub user: String,
    pub token_type: String,
    pub expired: bool,
    pub scopes: Vec<String>,
}

impl TokenMixin for Token {
    fn is_expired(&self, _token_type: &str, _auth_type: &str) -> bool {
        self.expired
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

/// A user model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub active: bool,
}

impl UserMixin for User {
    fn is_active(&self) -> bool {
        self.active
    }
}

/// Tokens and users in memory, with call counters for both loaders.
///
/// Tokens whose text starts with `slow-` make the token loader return `Pending`
/// once before it returns, as a database round trip would.
#[derive(Default)]
pub struct Store {
    tokens: HashMap<String, Token>,
    users: HashMap<String, User>,
    pub token_loads: AtomicUsize,
    pub user_loads: AtomicUsize,
    pub last_auth_type: std::sync::Mutex<String>,
}

/// The token that makes the token loader panic.
pub const PANIC_TOKEN: &str = "panic-token";
/// The token that makes the token loader fail with a server error.
pub const FAILING_TOKEN: &str = "failing-token";
/// The token that makes the token loader reject with a custom 418 error.
pub const TEAPOT_TOKEN: &str = "teapot-token";

impl Store {
    /// Creates the standard data set used by the tests.
    pub fn standard() -> Arc<Store> {
        let mut store = Store::default();
        store.add_user("alice", true);
        store.add_user("bob", false);
        for prefix in ["", "slow-"] {
            store.add_token(
                &format!("{prefix}alice-access"),
                "alice",
                "access",
                false,
                &[],
            );
            store.add_token(
                &format!("{prefix}alice-refresh"),
                "alice",
                "refresh",
                false,
                &[],
            );
        }
        store.add_token("alice-access==", "alice", "access", false, &[]);
        store.add_token("ALICE-ACCESS", "alice", "access", false, &["admin"]);
        store.add_token("expired-access", "alice", "access", true, &[]);
        store.add_token("expired-refresh", "alice", "refresh", true, &[]);
        store.add_token("bob-access", "bob", "access", false, &[]);
        store.add_token("ghost-access", "ghost", "access", false, &[]);
        store.add_token("reader-access", "alice", "access", false, &["read"]);
        store.add_token("admin-access", "alice", "access", false, &["read", "admin"]);
        Arc::new(store)
    }

    pub fn add_user(&mut self, name: &str, active: bool) {
        let user = User {
            name: name.to_owned(),
            active,
        };
        self.users.insert(name.to_owned(), user);
    }

    pub fn add_token(
        &mut self,
        token: &str,
        user: &str,
        token_type: &str,
        expired: bool,
        scopes: &[&str],
    ) {
        let model = Token {
            user: user.to_owned(),
            token_type: token_type.to_owned(),
            expired,
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
        };
        self.tokens.insert(token.to_owned(), model);
    }

    /// Returns how many times the token loader and the user loader ran.
    pub fn loads(&self) -> (usize, usize) {
        (
            self.token_loads.load(Ordering::SeqCst),
            self.user_loads.load(Ordering::SeqCst),
        )
    }

    async fn load_token(
        &self,
        token: &str,
        token_type: &str,
        auth_type: &str,
    ) -> Result<Option<Token>, StatelessAuthError> {
        self.token_loads.fetch_add(1, Ordering::SeqCst);
        *self.last_auth_type.lock().unwrap() = auth_type.to_owned();

        match token {
            PANIC_TOKEN => panic!("the token loader panicked on purpose"),
            FAILING_TOKEN => return Err(StatelessAuthError::server("database unavailable")),
            TEAPOT_TOKEN => {
                return Err(StatelessAuthError::new(
                    "Short and stout",
                    actix_web::http::StatusCode::IM_A_TEAPOT,
                    stateless_auth::ErrorKind::Request,
                ));
            }
            _ => {}
        }
        if token.starts_with("slow-") {
            YieldOnce::default().await;
        }

        let model = self
            .tokens
            .get(token)
            .filter(|model| model.token_type == token_type);
        Ok(model.cloned())
    }

    async fn load_user(&self, token: &Token) -> Result<Option<User>, StatelessAuthError> {
        self.user_loads.fetch_add(1, Ordering::SeqCst);

        Ok(self.users.get(&token.user).cloned())
    }
}

/// Creates a manager whose loaders read `store`.
pub fn manager(store: &Arc<Store>) -> StatelessAuthManager {
    let tokens = Arc::clone(store);
    let users = Arc::clone(store);

    StatelessAuthManager::new(
        async move |token: &str, token_type: &str, auth_type: &str| {
            tokens.load_token(token, token_type, auth_type).await
        },
        async move |token: &Token| users.load_user(token).await,
    )
}

/// Calls of a manager's listeners and error handler, counted by
/// [`count_listeners`] and [`count_error_handler`].
#[derive(Clone, Default)]
pub struct Calls {
    authorized: Arc<AtomicUsize>,
    unauthorized: Arc<AtomicUsize>,
    error_handler: Arc<AtomicUsize>,
}

impl Calls {
    pub fn authorized(&self) -> usize {
        self.authorized.load(Ordering::SeqCst)
    }

    pub fn unauthorized(&self) -> usize {
        self.unauthorized.load(Ordering::SeqCst)
    }

    pub fn error_handler(&self) -> usize {
        self.error_handler.load(Ordering::SeqCst)
    }

    /// Returns the calls of `on_authorized`, `on_unauthorized` and the error handler.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.authorized(), self.unauthorized(), self.error_handler())
    }
}

/// Adds listeners to `manager` that count their calls in `calls`.
pub fn count_listeners(manager: StatelessAuthManager, calls: &Calls) -> StatelessAuthManager {
    let authorized = Arc::clone(&calls.authorized);
    let unauthorized = Arc::clone(&calls.unauthorized);

    manager
        .on_authorized(move |_, _| {
            authorized.fetch_add(1, Ordering::SeqCst);
        })
        .on_unauthorized(move |_, _| {
            unauthorized.fetch_add(1, Ordering::SeqCst);
        })
}

/// Sets an error handler on `manager` that responds with 418 and the error's
/// message, and counts its calls in `calls`.
pub fn count_error_handler(manager: StatelessAuthManager, calls: &Calls) -> StatelessAuthManager {
    let handled = Arc::clone(&calls.error_handler);

    manager.error_handler(move |err, _| {
        handled.fetch_add(1, Ordering::SeqCst);
        let response = HttpResponse::build(StatusCode::IM_A_TEAPOT).body(err.msg().to_owned());
        InternalError::from_response(err, response).into()
    })
}

/// Creates a manager over `store` that counts its listener calls in `calls`.
pub fn counting_manager(store: &Arc<Store>, calls: &Calls) -> StatelessAuthManager {
    count_listeners(manager(store), calls)
}

/// Copies the name of the authenticated user into an `x-user` header, or
/// `anonymous` when the request has no successful authentication: a middleware
/// that reads the request's extensions after the handler ran.
pub async fn user_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;

    let name = Authenticated::from_extensions(&response.request().extensions())
        .and_then(|auth| auth.user::<User>().map(|user| user.name.clone()))
        .unwrap_or_else(|| "anonymous".to_owned());
    let value = HeaderValue::from_str(&name).map_err(actix_web::error::ErrorInternalServerError)?;
    response
        .headers_mut()
        .insert(HeaderName::from_static("x-user"), value);
    Ok(response)
}

/// A future that returns `Pending` once, waking its task at once.
#[derive(Default)]
pub struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }

        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Reads a response's status and its JSON `error` field, or `""` when it has none.
pub async fn status_and_error<B: MessageBody>(response: ServiceResponse<B>) -> (u16, String) {
    let status = response.status().as_u16();
    let body = actix_web::test::read_body(response).await;

    let error = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| {
            json.get("error")
                .and_then(|error| error.as_str().map(str::to_owned))
        })
        .unwrap_or_default();
    (status, error)
}
