//! The apps that the `auth` benchmark and the `alloc_count` test drive: one per
//! case, built the same way, over an in-memory token map.
//!
//! Every loader and the peer's handler do the same work: they look the token up in
//! a `HashMap`, then the user by id in another, and copy out a small user value.

#![allow(dead_code)]

mod floor;

use std::collections::HashMap;
use std::hint::black_box;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use actix_web::{App, HttpResponse, test, web};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use bytes::Bytes;
use stateless_auth::{
    CurrentToken, CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin,
    token_required,
};

/// The token that every authenticated case sends.
pub const TOKEN: &str = "k3ZcQ8vYtR2wLpN7xHfA1sDgJ6mBqE4u";

/// A token model, as a row of a tokens table would give it.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub user_id: u32,
    pub expires_at: u64,
}

impl TokenMixin for Token {
    fn is_expired(&self, _token_type: &str, _auth_type: &str) -> bool {
        self.expires_at == 0
    }
}

/// A small user value, built by copying out of the user map.
#[derive(Clone, Copy, Debug)]
pub struct User {
    pub id: u32,
    pub name: &'static str,
    pub active: bool,
}

impl UserMixin for User {
    fn is_active(&self) -> bool {
        self.active
    }
}

/// Access tokens and users in memory.
pub struct Store {
    tokens: HashMap<String, Token>,
    users: HashMap<u32, User>,
}

impl Store {
    /// Creates a store with 1,000 users, each with one access token; [`TOKEN`] belongs
    /// to user 1.
    pub fn new() -> Self {
        let mut tokens = HashMap::new();
        let mut users = HashMap::new();
        for id in 0..1_000u32 {
            let token = if id == 1 {
                TOKEN.to_owned()
            } else {
                format!("token-{id:08}")
            };
            tokens.insert(
                token,
                Token {
                    user_id: id,
                    expires_at: u64::MAX,
                },
            );
            users.insert(
                id,
                User {
                    id,
                    name: "alice",
                    active: true,
                },
            );
        }

        Store { tokens, users }
    }

    /// Looks a token up.
    pub fn token(&self, token: &str) -> Option<Token> {
        self.tokens.get(token).copied()
    }

    /// Looks up the user that `token` belongs to.
    pub fn user(&self, token: &Token) -> Option<User> {
        self.users.get(&token.user_id).copied()
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds the manager whose loaders read `store`; the loaders are ready at their
/// first poll, as a cache hit would be.
pub fn manager(store: web::Data<Store>) -> StatelessAuthManager {
    let user_store = store.clone();

    StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Ok(store.token(token))
        },
        async move |token: &Token| Ok(user_store.user(token)),
    )
}

/// Builds the response of every handler: a static body, so that it never allocates.
fn ok() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Case 1: no authentication.
async fn bare() -> HttpResponse {
    ok()
}

/// Case 2: `#[token_required]` and nothing else.
#[token_required]
async fn guarded() -> HttpResponse {
    ok()
}

/// Case 3: `#[token_required]` with the models as parameters.
#[token_required]
async fn guarded_models(user: CurrentUser<User>, token: CurrentToken<Token>) -> HttpResponse {
    black_box((user.id, token.user_id));
    ok()
}

/// Case 4, the peer: actix-web-httpauth's extractor, then the same lookups and checks
/// in the handler.
async fn peer(auth: BearerAuth, store: web::Data<Store>) -> HttpResponse {
    let Some(token) = store.token(auth.token()) else {
        return HttpResponse::Unauthorized().finish();
    };
    if token.is_expired("access", "Bearer") {
        return HttpResponse::Unauthorized().finish();
    }
    let Some(user) = store.user(&token) else {
        return HttpResponse::InternalServerError().finish();
    };
    if !user.is_active() {
        return HttpResponse::Unauthorized().finish();
    }

    black_box(user.id);
    ok()
}

/// Handles the design floor's route, whose extractor does only the work that the
/// crate's API requires (see the `floor` module).
async fn floor(auth: floor::Floor) -> HttpResponse {
    black_box(auth.0.user.id);
    ok()
}

/// Bytes at an 8-byte boundary.
///
/// `std::str::from_utf8` checks aligned words at a time, so the core's UTF-8 check
/// of the 32-byte token costs from about 50 to about 130 instructions, depending on where
/// the token's bytes sit. A string literal sits wherever the linker puts it, which
/// moved instruction counts from build to build. Every header value of the
/// benchmark starts at such a boundary, so its token starts 7 bytes after one.
#[repr(align(8))]
struct Aligned<T>(T);

/// The path of every case's route.
const PATH: &str = "/item";

/// Builds the app for `case`: the store and the manager as app data, and the case's
/// handler as the only route.
///
/// Each case gets an app of its own, because actix-web's router tries routes in
/// the order they were added. In one app with four routes, the fourth took about
/// 500 instructions more to route than the first (callgrind), which would tilt
/// the comparison.
pub async fn service(
    case: Case,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let store = web::Data::new(Store::new());
    let manager = web::Data::new(manager(store.clone()));
    let route = match case {
        Case::Bare => web::get().to(bare),
        Case::GuardedModels => web::get().to(guarded_models),
        Case::Peer => web::get().to(peer),
        Case::Floor => web::get().to(floor),
        Case::Guarded | Case::MissingHeader | Case::UnknownToken | Case::MalformedHeader => {
            web::get().to(guarded)
        }
    };

    test::init_service(
        App::new()
            .app_data(store)
            .app_data(manager)
            .route(PATH, route),
    )
    .await
}

/// One benchmarked request: a route and the credentials header it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    Bare,
    Guarded,
    GuardedModels,
    Peer,
    Floor,
    MissingHeader,
    UnknownToken,
    MalformedHeader,
}

impl Case {
    /// Every case: the bare handler, the four authenticated cases, then the rejections.
    pub const ALL: [Case; 8] = [
        Case::Bare,
        Case::Guarded,
        Case::GuardedModels,
        Case::Peer,
        Case::Floor,
        Case::MissingHeader,
        Case::UnknownToken,
        Case::MalformedHeader,
    ];

    /// Returns the benchmark's name for the case.
    pub fn name(self) -> &'static str {
        match self {
            Case::Bare => "bare",
            Case::Guarded => "guarded",
            Case::GuardedModels => "guarded_user_token",
            Case::Peer => "httpauth_lookup",
            Case::Floor => "design_floor",
            Case::MissingHeader => "reject_missing_header",
            Case::UnknownToken => "reject_unknown_token",
            Case::MalformedHeader => "reject_malformed_header",
        }
    }

    /// Returns the status that the case must get.
    pub fn expected_status(self) -> StatusCode {
        match self {
            Case::Bare | Case::Guarded | Case::GuardedModels | Case::Peer | Case::Floor => {
                StatusCode::OK
            }
            Case::MissingHeader | Case::MalformedHeader => StatusCode::BAD_REQUEST,
            Case::UnknownToken => StatusCode::UNAUTHORIZED,
        }
    }

    /// Returns the case's only header. Every request carries exactly one, the bare
    /// route the same as the guarded one, so that building and dropping requests
    /// costs the same in every case.
    fn header(self) -> (HeaderName, HeaderValue) {
        static VALID: Aligned<[u8; 39]> = Aligned(*b"Bearer k3ZcQ8vYtR2wLpN7xHfA1sDgJ6mBqE4u");
        static UNKNOWN: Aligned<[u8; 37]> = Aligned(*b"Bearer unknown-0000000000000000000000");
        static MALFORMED: Aligned<[u8; 39]> = Aligned(*b"Bearer k3ZcQ8vY*R2wLpN7xHfA1sDgJ6mBqE4u");

        let value: &'static [u8] = match self {
            Case::MissingHeader => {
                return (
                    HeaderName::from_static("x-client"),
                    HeaderValue::from_static("bench"),
                );
            }
            Case::Bare | Case::Guarded | Case::GuardedModels | Case::Peer | Case::Floor => &VALID.0,
            Case::UnknownToken => &UNKNOWN.0,
            Case::MalformedHeader => &MALFORMED.0,
        };
        let value = HeaderValue::from_maybe_shared(Bytes::from_static(value))
            .expect("the case's header value is visible ASCII");

        (AUTHORIZATION, value)
    }

    /// Builds the case's request.
    ///
    /// The header value points to static bytes, so cloning it costs no allocation,
    /// as with a value that actix-http's HTTP/1 parser produced. A value built from
    /// a runtime `&str` would allocate once on its first clone.
    pub fn request(self) -> Request {
        test::TestRequest::get()
            .uri(PATH)
            .insert_header(self.header())
            .to_request()
    }

    /// Builds the case's request with a header value copied from a runtime `&str`,
    /// as `TestRequest::insert_header(("authorization", "..."))` does. Such a value
    /// is backed by a `Vec`, and its first clone allocates.
    pub fn request_with_copied_header(self) -> Request {
        let (name, value) = self.header();
        let copied = value
            .to_str()
            .expect("the case's header value is visible ASCII");

        test::TestRequest::get()
            .uri(PATH)
            .insert_header((name, copied))
            .to_request()
    }
}
