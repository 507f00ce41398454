//! `GET /secret`, `GET /whoami` and `GET /no_current_stateless_user`.

use actix_web::web;
use stateless_auth::{CurrentUser, OptionalUser, token_required};

use crate::json::{CurrentUsernameResponse, SecretResponse, WhoAmIResponse};
use crate::user::User;

/// Returns the secret to holders of an access token.
#[token_required(token_type = "access")]
pub async fn secret() -> web::Json<SecretResponse> {
    web::Json(SecretResponse {
        secret: "Stateless auth is awesome :O".to_owned(),
    })
}

/// Returns the name of the user whose token authenticates the request, with
/// the token type and scheme of the configuration defaults.
#[token_required]
pub async fn whoami(user: CurrentUser<User>) -> web::Json<WhoAmIResponse> {
    web::Json(WhoAmIResponse {
        my_username: user.username.clone(),
    })
}

/// Returns the authenticated user's name, or `"None"` for a request without
/// credentials. Invalid credentials are still rejected.
pub async fn no_current_stateless_user(
    user: OptionalUser<User>,
) -> web::Json<CurrentUsernameResponse> {
    let username = match user.user() {
        Some(user) => user.username.clone(),
        None => "None".to_owned(),
    };

    web::Json(CurrentUsernameResponse {
        current_stateless_username: username,
    })
}
