//! An in-memory token and user store with counting loaders, request helpers and a
//! request body that records whether it was read, for the `#[token_required]` tests.

// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use std::cell::Cell;
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, Service, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::test;
use actix_web::web::Bytes;
use futures_util::Stream;
use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};

/// Alice's access token, granting `read:secret` and `admin`.
pub const ALICE_ACCESS: &str = "alice-access-token";
/// Alice's refresh token, granting no scope.
pub const ALICE_REFRESH: &str = "alice-refresh-token";
/// Bob's access token, granting only `read:secret`.
pub const BOB_ACCESS: &str = "bob-access-token";

/// A stored token.
#[derive(Clone, Debug)]
pub struct Token {
    /// `"access"` or `"refresh"`.
    pub token_type: String,
    /// The owner's id.
    pub user_id: u32,
    /// The scopes the token grants.
    pub scopes: Vec<String>,
}

impl TokenMixin for Token {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

/// A stored user.
#[derive(Clone, Debug)]
pub struct User {
    /// The user's display name.
    pub name: String,
}

impl UserMixin for User {}

/// Tokens and users in memory, with a count of every loader call.
pub struct Store {
    tokens: HashMap<&'static str, Token>,
    users: HashMap<u32, User>,
    token_loads: AtomicUsize,
    user_loads: AtomicUsize,
    token_loader_requests: Mutex<Vec<(String, String)>>,
}

impl Store {
    /// Creates a store with Alice (user 1) and Bob (user 2) and their tokens.
    pub fn new() -> Arc<Store> {
        let token = |token_type: &str, user_id: u32, scopes: &[&str]| Token {
            token_type: token_type.to_owned(),
            user_id,
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
        };
        let tokens = HashMap::from([
            (ALICE_ACCESS, token("access", 1, &["read:secret", "admin"])),
            (ALICE_REFRESH, token("refresh", 1, &[])),
            (BOB_ACCESS, token("access", 2, &["read:secret"])),
        ]);
        let users = HashMap::from([
            (
                1,
                User {
                    name: "alice".to_owned(),
                },
            ),
            (
                2,
                User {
                    name: "bob".to_owned(),
                },
            ),
        ]);

        Arc::new(Store {
            tokens,
            users,
            token_loads: AtomicUsize::new(0),
            user_loads: AtomicUsize::new(0),
            token_loader_requests: Mutex::new(Vec::new()),
        })
    }

    /// Returns how many times the token loader ran.
    pub fn token_loads(&self) -> usize {
        self.token_loads.load(Ordering::SeqCst)
    }

    /// Returns how many times the user loader ran.
    pub fn user_loads(&self) -> usize {
        self.user_loads.load(Ordering::SeqCst)
    }

    /// Returns the `(token_type, auth_type)` pair of every token loader call.
    pub fn token_loader_requests(&self) -> Vec<(String, String)> {
        self.token_loader_requests
            .lock()
            .expect("lock not poisoned")
            .clone()
    }

    /// Finds a token of the requested type, as a database query by token and type would.
    fn load_token(&self, token: &str, token_type: &str, auth_type: &str) -> Option<Token> {
        self.token_loads.fetch_add(1, Ordering::SeqCst);
        self.token_loader_requests
            .lock()
            .expect("lock not poisoned")
            .push((token_type.to_owned(), auth_type.to_owned()));

        self.tokens
            .get(token)
            .filter(|stored| stored.token_type == token_type)
            .cloned()
    }

    fn load_user(&self, token: &Token) -> Option<User> {
        self.user_loads.fetch_add(1, Ordering::SeqCst);

        self.users.get(&token.user_id).cloned()
    }
}

/// Creates a manager whose loaders read `store`.
pub fn manager(store: &Arc<Store>) -> StatelessAuthManager {
    let tokens = Arc::clone(store);
    let users = Arc::clone(store);

    StatelessAuthManager::new(
        async move |token: &str,
                    token_type: &str,
                    auth_type: &str|
                    -> Result<Option<Token>, StatelessAuthError> {
            Ok(tokens.load_token(token, token_type, auth_type))
        },
        async move |token: &Token| -> Result<Option<User>, StatelessAuthError> {
            Ok(users.load_user(token))
        },
    )
}

/// Returns `Bearer <token>`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// Sends `req` to `app` and returns the status and the body as text.
pub async fn call<S, R, B>(app: &S, req: R) -> (StatusCode, String)
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req).await;
    let status = res.status();

    let body = test::read_body(res).await;

    (
        status,
        String::from_utf8(body.to_vec()).expect("body is UTF-8"),
    )
}

/// Returns the `error` field of a stateless-auth error body.
pub fn error_field(body: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {body}"));

    json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {body}"))
        .to_owned()
}

/// A request body that records whether anything polled it.
pub struct RecordingBody {
    polled: Rc<Cell<bool>>,
    chunk: Option<Bytes>,
}

impl Stream for RecordingBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.polled.set(true);

        Poll::Ready(self.chunk.take().map(Ok))
    }
}

/// Returns a payload of `body` that sets the returned flag once it is polled.
pub fn recording_payload(body: &'static str) -> (Payload, Rc<Cell<bool>>) {
    let polled = Rc::new(Cell::new(false));
    let stream = RecordingBody {
        polled: Rc::clone(&polled),
        chunk: Some(Bytes::from_static(body.as_bytes())),
    };

    (
        Payload::Stream {
            payload: Box::pin(stream),
        },
        polled,
    )
}
