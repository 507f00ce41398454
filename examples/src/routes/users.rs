//! `POST /user` and `DELETE /user`.

use actix_web::{HttpResponse, web};
use sqlx::SqlitePool;

use crate::error::ApiError;
use crate::json::{MessageResponse, UsernameRequest};
use crate::user::User;

/// Creates a user; 201 `{"msg": "Success!"}`.
///
/// # Errors
///
/// 400 for an invalid username, 409 when the username is taken.
pub async fn create_user(
    pool: web::Data<SqlitePool>,
    body: web::Json<UsernameRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = User::create(&pool, &body.username).await?;

    log::info!("created user {} ({:?})", user.id, user.username);
    Ok(HttpResponse::Created().json(MessageResponse::success()))
}

/// Deletes a user and its tokens; 201 `{"msg": "Success!"}`, the status of the
/// original example application.
///
/// # Errors
///
/// 404 when no user has the name.
pub async fn delete_user(
    pool: web::Data<SqlitePool>,
    body: web::Json<UsernameRequest>,
) -> Result<HttpResponse, ApiError> {
    User::delete_by_username(&pool, &body.username).await?;

    log::info!("deleted user {:?}", body.username);
    Ok(HttpResponse::Created().json(MessageResponse::success()))
}
