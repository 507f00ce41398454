//! Access and refresh tokens and their queries.

use std::time::Duration;

use sqlx::{SqliteConnection, SqlitePool};

use crate::clock::unix_now;
use crate::error::ApiError;
use crate::token::{IssuedToken, hash_token};

/// Token type of the short-lived token that the protected routes accept.
pub const ACCESS: &str = "access";

/// Token type of the long-lived token that `PUT /refresh_token` accepts.
pub const REFRESH: &str = "refresh";

/// Lifetime of an access token.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Lifetime of a refresh token: 365 days.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// Row of the `api_tokens` table, without the token hash.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    /// Primary key.
    pub id: i64,
    /// Owner of the token.
    pub user_id: i64,
    /// [`ACCESS`] or [`REFRESH`].
    pub token_type: String,
    /// Unix timestamp in seconds from which the token is rejected.
    pub expires_at: i64,
}

/// Access and refresh tokens issued together to one user.
#[derive(Clone, Debug)]
pub struct TokenPair {
    /// Token for the protected routes.
    pub access_token: IssuedToken,
    /// Token for `PUT /refresh_token`.
    pub refresh_token: IssuedToken,
}

impl ApiToken {
    /// Finds the stored token of type `token_type` whose hash matches the
    /// presented `token`.
    ///
    /// # Errors
    ///
    /// Returns the sqlx error when the query fails.
    pub async fn find(
        pool: &SqlitePool,
        token: &str,
        token_type: &str,
    ) -> Result<Option<ApiToken>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, user_id, token_type, expires_at FROM api_tokens \
             WHERE token_hash = ? AND token_type = ?",
        )
        .bind(hash_token(token).as_slice())
        .bind(token_type)
        .fetch_optional(pool)
        .await
    }

    /// Tells whether the token is expired at Unix time `now`, or is not of
    /// `token_type`.
    ///
    /// The token loader already filters by type, so the type check only guards
    /// against a token model used with another loader.
    pub fn is_expired_at(&self, token_type: &str, now: i64) -> bool {
        self.token_type != token_type || now >= self.expires_at
    }
}

impl TokenPair {
    /// Issues a new token pair to `user_id`, replacing the pair that the user
    /// holds, if any.
    ///
    /// # Errors
    ///
    /// [`ApiError::Random`] when no token can be generated, and
    /// [`ApiError::Database`] when a query fails, in which case the user keeps
    /// the previous pair.
    pub async fn issue(pool: &SqlitePool, user_id: i64) -> Result<TokenPair, ApiError> {
        let pair = Self::generate()?;

        let mut transaction = pool.begin().await?;
        delete_user_tokens(&mut transaction, user_id).await?;
        pair.insert(&mut transaction, user_id).await?;
        transaction.commit().await?;

        Ok(pair)
    }

    /// Consumes the refresh token `refresh` and issues a new pair to its owner.
    ///
    /// Returns `None` when the refresh token no longer exists, because a
    /// concurrent request consumed it first, so that each refresh token yields
    /// one new pair at most. Also returns `None` when a concurrent request
    /// deleted the owner.
    ///
    /// # Errors
    ///
    /// [`ApiError::Random`] when no token can be generated, and
    /// [`ApiError::Database`] when a query fails, in which case the user keeps
    /// the previous pair.
    pub async fn rotate(
        pool: &SqlitePool,
        refresh: &ApiToken,
    ) -> Result<Option<TokenPair>, ApiError> {
        let pair = Self::generate()?;

        let mut transaction = pool.begin().await?;
        let consumed = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND token_type = ?")
            .bind(refresh.id)
            .bind(REFRESH)
            .execute(&mut *transaction)
            .await?;
        if consumed.rows_affected() == 0 {
            return Ok(None);
        }
        delete_user_tokens(&mut transaction, refresh.user_id).await?;
        match pair.insert(&mut transaction, refresh.user_id).await {
            Err(err) if is_foreign_key_violation(&err) => return Ok(None),
            inserted => inserted?,
        }
        transaction.commit().await?;

        Ok(Some(pair))
    }

    /// Deletes the token pair of `user_id`.
    ///
    /// Returns whether the user held any token.
    ///
    /// # Errors
    ///
    /// Returns the sqlx error when the query fails.
    pub async fn delete(pool: &SqlitePool, user_id: i64) -> Result<bool, sqlx::Error> {
        let mut connection = pool.acquire().await?;

        let deleted = delete_user_tokens(&mut connection, user_id).await?;

        Ok(deleted > 0)
    }

    fn generate() -> Result<TokenPair, ApiError> {
        Ok(TokenPair {
            access_token: IssuedToken::generate()?,
            refresh_token: IssuedToken::generate()?,
        })
    }

    async fn insert(
        &self,
        connection: &mut SqliteConnection,
        user_id: i64,
    ) -> Result<(), sqlx::Error> {
        let now = unix_now();
        let tokens = [
            (ACCESS, &self.access_token, ACCESS_TOKEN_LIFETIME),
            (REFRESH, &self.refresh_token, REFRESH_TOKEN_LIFETIME),
        ];

        for (token_type, token, lifetime) in tokens {
            let expires_at = now.saturating_add(lifetime.as_secs() as i64);
            sqlx::query(
                "INSERT INTO api_tokens (user_id, token_type, token_hash, expires_at, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(token_type)
            .bind(token.hash().as_slice())
            .bind(expires_at)
            .bind(now)
            .execute(&mut *connection)
            .await?;
        }
        Ok(())
    }
}

/// Reports whether `err` is a foreign key violation: a token row inserted for a
/// user that a concurrent request deleted.
pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(database_error) => database_error.is_foreign_key_violation(),
        _ => false,
    }
}

/// Deletes every token of `user_id` and returns how many rows went.
async fn delete_user_tokens(
    connection: &mut SqliteConnection,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM api_tokens WHERE user_id = ?")
        .bind(user_id)
        .execute(connection)
        .await?;

    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::open_in_memory;
    use crate::user::User;

    async fn pool_with_user() -> (SqlitePool, User) {
        let pool = open_in_memory().await.unwrap();
        let user = User::create(&pool, "alice").await.unwrap();

        (pool, user)
    }

    #[actix_web::test]
    async fn issued_tokens_are_found_by_their_type() {
        let (pool, user) = pool_with_user().await;

        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        let access = ApiToken::find(&pool, pair.access_token.as_str(), ACCESS)
            .await
            .unwrap();
        let refresh = ApiToken::find(&pool, pair.refresh_token.as_str(), REFRESH)
            .await
            .unwrap();
        assert_eq!(access.unwrap().user_id, user.id);
        assert_eq!(refresh.unwrap().user_id, user.id);
    }

    #[actix_web::test]
    async fn token_is_not_found_under_other_type() {
        let (pool, user) = pool_with_user().await;

        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        let access_as_refresh = ApiToken::find(&pool, pair.access_token.as_str(), REFRESH)
            .await
            .unwrap();
        let refresh_as_access = ApiToken::find(&pool, pair.refresh_token.as_str(), ACCESS)
            .await
            .unwrap();
        assert_eq!(access_as_refresh, None);
        assert_eq!(refresh_as_access, None);
    }

    #[actix_web::test]
    async fn access_token_expires_after_one_hour() {
        let (pool, user) = pool_with_user().await;
        let before = unix_now();

        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        let access = ApiToken::find(&pool, pair.access_token.as_str(), ACCESS)
            .await
            .unwrap()
            .unwrap();
        let after = unix_now();
        assert!(access.expires_at >= before + 3600);
        assert!(access.expires_at <= after + 3600);
        assert!(!access.is_expired_at(ACCESS, access.expires_at - 1));
        assert!(access.is_expired_at(ACCESS, access.expires_at));
    }

    #[actix_web::test]
    async fn refresh_token_expires_after_365_days() {
        let (pool, user) = pool_with_user().await;
        let before = unix_now();

        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        let refresh = ApiToken::find(&pool, pair.refresh_token.as_str(), REFRESH)
            .await
            .unwrap()
            .unwrap();
        let after = unix_now();
        let year = 365 * 24 * 3600;
        assert!(refresh.expires_at >= before + year);
        assert!(refresh.expires_at <= after + year);
    }

    #[test]
    fn token_of_other_type_counts_as_expired() {
        let token = ApiToken {
            id: 1,
            user_id: 1,
            token_type: REFRESH.to_owned(),
            expires_at: i64::MAX,
        };

        assert!(token.is_expired_at(ACCESS, 0));
        assert!(!token.is_expired_at(REFRESH, 0));
    }

    #[actix_web::test]
    async fn issuing_again_replaces_the_pair() {
        let (pool, user) = pool_with_user().await;
        let first = TokenPair::issue(&pool, user.id).await.unwrap();

        let second = TokenPair::issue(&pool, user.id).await.unwrap();

        assert_eq!(
            ApiToken::find(&pool, first.access_token.as_str(), ACCESS)
                .await
                .unwrap(),
            None
        );
        assert!(
            ApiToken::find(&pool, second.access_token.as_str(), ACCESS)
                .await
                .unwrap()
                .is_some()
        );
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 2);
    }

    #[actix_web::test]
    async fn refresh_token_rotates_once() {
        let (pool, user) = pool_with_user().await;
        let first = TokenPair::issue(&pool, user.id).await.unwrap();
        let refresh = ApiToken::find(&pool, first.refresh_token.as_str(), REFRESH)
            .await
            .unwrap()
            .unwrap();

        let rotated = TokenPair::rotate(&pool, &refresh).await.unwrap();
        let replayed = TokenPair::rotate(&pool, &refresh).await.unwrap();

        let rotated = rotated.unwrap();
        assert_ne!(rotated.access_token, first.access_token);
        assert_ne!(rotated.refresh_token, first.refresh_token);
        assert!(replayed.is_none());
        assert!(
            ApiToken::find(&pool, rotated.access_token.as_str(), ACCESS)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[actix_web::test]
    async fn access_token_does_not_rotate() {
        let (pool, user) = pool_with_user().await;
        let pair = TokenPair::issue(&pool, user.id).await.unwrap();
        let access = ApiToken::find(&pool, pair.access_token.as_str(), ACCESS)
            .await
            .unwrap()
            .unwrap();

        let rotated = TokenPair::rotate(&pool, &access).await.unwrap();

        assert!(rotated.is_none());
        assert!(
            ApiToken::find(&pool, pair.refresh_token.as_str(), REFRESH)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[actix_web::test]
    async fn delete_reports_whether_tokens_existed() {
        let (pool, user) = pool_with_user().await;
        TokenPair::issue(&pool, user.id).await.unwrap();

        let first = TokenPair::delete(&pool, user.id).await.unwrap();
        let second = TokenPair::delete(&pool, user.id).await.unwrap();

        assert!(first);
        assert!(!second);
    }

    #[actix_web::test]
    async fn deleting_user_deletes_its_tokens() {
        let (pool, user) = pool_with_user().await;
        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        User::delete_by_username(&pool, "alice").await.unwrap();

        assert_eq!(
            ApiToken::find(&pool, pair.access_token.as_str(), ACCESS)
                .await
                .unwrap(),
            None
        );
    }

    #[actix_web::test]
    async fn stored_row_holds_hash_not_token() {
        let (pool, user) = pool_with_user().await;

        let pair = TokenPair::issue(&pool, user.id).await.unwrap();

        let hashes: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT token_hash FROM api_tokens ORDER BY token_type")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(
            hashes,
            [
                pair.access_token.hash().to_vec(),
                pair.refresh_token.hash().to_vec()
            ]
        );
        for hash in &hashes {
            assert!(
                !hash
                    .windows(43)
                    .any(|window| window == pair.access_token.as_str().as_bytes())
            );
        }
    }
}
