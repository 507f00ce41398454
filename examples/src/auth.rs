//! The `stateless_auth` traits and loaders of the example API's models.

use sqlx::SqlitePool;
use stateless_auth::{StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};

use crate::api_token::ApiToken;
use crate::clock::unix_now;
use crate::user::User;

/// Message of the 500 responses caused by a failed loader query.
const INTERNAL_ERROR: &str = "Internal server error";

impl TokenMixin for ApiToken {
    /// Compares the stored `expires_at` with the current time. A token whose
    /// type differs from the route's `token_type` counts as expired.
    fn is_expired(&self, token_type: &str, _auth_type: &str) -> bool {
        self.is_expired_at(token_type, unix_now())
    }
}

/// Every user is active: the example API deletes users instead of
/// deactivating them.
impl UserMixin for User {}

/// Creates the manager whose loaders read tokens and users from `pool`.
///
/// Rejections are logged at `info` level with the method, path and error. The
/// error never contains the token, because these loaders return only fixed
/// messages. Where a loader may put the token in its message, log `err.kind()`
/// and `err.code()` instead of `err.full_msg()`.
pub fn auth_manager(pool: SqlitePool) -> StatelessAuthManager {
    let token_pool = pool.clone();
    let token_loader = async move |token: &str, token_type: &str, _auth_type: &str| {
        load_token(&token_pool, token, token_type).await
    };
    let user_loader = async move |token: &ApiToken| load_user(&pool, token).await;

    StatelessAuthManager::new(token_loader, user_loader).on_unauthorized(|req, err| {
        log::info!(
            "rejected {} {}: {}",
            req.method(),
            req.path(),
            err.full_msg()
        );
    })
}

/// Looks the token up by its SHA-256 hash and type.
///
/// # Errors
///
/// A 500 [`StatelessAuthError`] when the query fails; the sqlx error goes to
/// the log.
pub async fn load_token(
    pool: &SqlitePool,
    token: &str,
    token_type: &str,
) -> Result<Option<ApiToken>, StatelessAuthError> {
    let found = ApiToken::find(pool, token, token_type).await;

    found.map_err(|err| {
        log::error!("loading a token of type {token_type} failed: {err}");
        StatelessAuthError::server(INTERNAL_ERROR)
    })
}

/// Looks up the owner of `token`.
///
/// # Errors
///
/// A 500 [`StatelessAuthError`] when the query fails, and the sqlx error goes
/// to the log. A 401 `Invalid token` when the owner was deleted meanwhile.
pub async fn load_user(
    pool: &SqlitePool,
    token: &ApiToken,
) -> Result<Option<User>, StatelessAuthError> {
    let found = User::find_by_id(pool, token.user_id).await.map_err(|err| {
        log::error!("loading user {} failed: {err}", token.user_id);
        StatelessAuthError::server(INTERNAL_ERROR)
    })?;

    // Deleting a user deletes its tokens, so a token without a user means that
    // a concurrent `DELETE /user` won the race: the token is gone, not corrupt.
    // `Ok(None)` would make stateless-auth respond with 500, as for a data fault.
    if found.is_none() {
        log::info!(
            "user {} was deleted while its token was in use",
            token.user_id
        );
        return Err(StatelessAuthError::token("Invalid token"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_token::{ACCESS, REFRESH};

    #[test]
    fn token_of_other_route_type_is_expired() {
        let token = ApiToken {
            id: 1,
            user_id: 1,
            token_type: REFRESH.to_owned(),
            expires_at: i64::MAX,
        };

        assert!(token.is_expired(ACCESS, "Bearer"));
        assert!(!token.is_expired(REFRESH, "Bearer"));
    }
}
