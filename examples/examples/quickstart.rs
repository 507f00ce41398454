//! The quick start of Flask-Stateless-Auth, ported: two users and their tokens
//! held in memory, two protected routes and a JSON error handler.
//!
//! ```sh
//! cargo run --example quickstart
//! curl -H 'Authorization: Bearer first_user_access_token' http://127.0.0.1:8080/whoami
//! ```

use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;
use stateless_auth::{
    CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin, token_required,
};

/// A user of the in-memory "database".
struct User {
    id: u32,
    username: &'static str,
}

impl UserMixin for User {}

/// A user's token pair in the in-memory "database".
#[derive(Clone)]
struct Token {
    user_id: u32,
    access_token: &'static str,
    refresh_token: &'static str,
}

impl TokenMixin for Token {}

const USERS: [User; 2] = [
    User {
        id: 1,
        username: "first_user",
    },
    User {
        id: 2,
        username: "second_user",
    },
];

// NOTE: plain tokens compared with `==` keep the quick start short. A real
// application stores only a hash of each token; see the `api` example.
const TOKENS: [Token; 2] = [
    Token {
        user_id: 1,
        access_token: "first_user_access_token",
        refresh_token: "first_user_refresh_token",
    },
    Token {
        user_id: 2,
        access_token: "second_user_access_token",
        refresh_token: "second_user_refresh_token",
    },
];

/// Token loader: finds the token pair that contains `token` as its `token_type`.
async fn load_token(
    token: &str,
    token_type: &str,
    _auth_type: &str,
) -> Result<Option<Token>, StatelessAuthError> {
    let found = TOKENS.iter().find(|pair| match token_type {
        "access" => pair.access_token == token,
        "refresh" => pair.refresh_token == token,
        _ => false,
    });

    Ok(found.cloned())
}

/// User loader: finds the owner of a loaded token.
async fn load_user(token: &Token) -> Result<Option<User>, StatelessAuthError> {
    let found = USERS.iter().find(|user| user.id == token.user_id);

    Ok(found.map(|user| User {
        id: user.id,
        username: user.username,
    }))
}

/// Error handler: builds a response with the rejection's status, its
/// `WWW-Authenticate` challenge and the body `{"error": full_msg}`.
fn json_error(err: StatelessAuthError, _req: &HttpRequest) -> actix_web::Error {
    let mut response = HttpResponse::build(err.code());
    if let Some(challenge) = err.www_authenticate() {
        response.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    let response = response.json(json!({ "error": err.full_msg() }));

    InternalError::from_response(err, response).into()
}

#[token_required(token_type = "access", auth_type = "Bearer")]
async fn secret() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "secret": "Stateless auth is awesome :O" }))
}

#[token_required]
async fn whoami(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "my_username": user.username }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let manager =
        web::Data::new(StatelessAuthManager::new(load_token, load_user).error_handler(json_error));

    log::info!("serving the quick start on http://127.0.0.1:8080");
    HttpServer::new(move || {
        App::new()
            .app_data(manager.clone())
            .route("/secret", web::get().to(secret))
            .route("/whoami", web::get().to(whoami))
    })
    .bind(("127.0.0.1", 8080))?
    .run()
    .await
}
