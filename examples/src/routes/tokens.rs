//! `POST /create_token`, `DELETE /delete_token` and `PUT /refresh_token`.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use sqlx::SqlitePool;
use stateless_auth::{CurrentToken, StatelessAuthError, StatelessAuthManager, token_required};

use crate::api_token::{ApiToken, TokenPair, is_foreign_key_violation};
use crate::error::ApiError;
use crate::json::{MessageResponse, TokenPairResponse, UsernameRequest};
use crate::user::User;

/// Issues a token pair to the user, replacing its current pair; 201 with
/// the tokens and the access token's lifetime in seconds.
///
/// NOTE: like the original, it requires no password, so anyone can get tokens
/// for any user. A real service authenticates the user before this step.
///
/// # Errors
///
/// 404 when no user has the name.
pub async fn create_token(
    pool: web::Data<SqlitePool>,
    body: web::Json<UsernameRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = User::get_by_username(&pool, &body.username).await?;

    // A concurrent `DELETE /user` may remove the user between the two queries.
    let pair = match TokenPair::issue(&pool, user.id).await {
        Err(ApiError::Database(err)) if is_foreign_key_violation(&err) => {
            return Err(ApiError::UserNotFound(user.username));
        }
        issued => issued?,
    };

    log::info!("issued a token pair to user {}", user.id);
    Ok(token_pair_response(pair))
}

/// Deletes the user's token pair; 201 `{"msg": "Success!"}`.
///
/// # Errors
///
/// 404 when no user has the name or the user has no token pair.
pub async fn delete_token(
    pool: web::Data<SqlitePool>,
    body: web::Json<UsernameRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = User::get_by_username(&pool, &body.username).await?;

    if !TokenPair::delete(&pool, user.id).await? {
        return Err(ApiError::NoTokenPair(user.username));
    }

    log::info!("deleted the token pair of user {}", user.id);
    Ok(HttpResponse::Created().json(MessageResponse::success()))
}

/// Exchanges a refresh token for a new token pair; 201 with the same body as
/// [`create_token`]. Both old tokens stop working.
///
/// # Errors
///
/// 401 `Token error: Invalid token` when a concurrent request consumed the
/// same refresh token first. The manager rejects it as its extractors reject
/// an unknown token, so it reaches the `on_unauthorized` listener too.
#[token_required(token_type = "refresh")]
pub async fn refresh_token(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
    pool: web::Data<SqlitePool>,
    refresh: CurrentToken<ApiToken>,
) -> Result<HttpResponse, actix_web::Error> {
    let Some(pair) = TokenPair::rotate(&pool, &refresh).await? else {
        log::info!(
            "rejected a refresh for user {}: a concurrent request consumed the refresh token",
            refresh.user_id
        );
        let err = StatelessAuthError::token("Invalid token");
        return Err(manager.reject(&req, err));
    };

    log::info!("rotated the token pair of user {}", refresh.user_id);
    Ok(token_pair_response(pair))
}

/// Builds the 201 response that carries a new token pair, with `Cache-Control:
/// no-store` so that no browser or proxy cache keeps the tokens.
fn token_pair_response(pair: TokenPair) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(TokenPairResponse::from(pair))
}
