//! Users and their queries.

use sqlx::SqlitePool;

use crate::clock::unix_now;
use crate::error::ApiError;

/// Maximum length of a username, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Row of the `users` table.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Unique name, chosen by the client.
    pub username: String,
}

impl User {
    /// Inserts a user named `username`.
    ///
    /// # Errors
    ///
    /// [`ApiError::InvalidUsername`] when the name fails [`validate_username`],
    /// [`ApiError::UsernameTaken`] when a user of that name exists, and
    /// [`ApiError::Database`] when the query fails.
    pub async fn create(pool: &SqlitePool, username: &str) -> Result<User, ApiError> {
        validate_username(username)?;

        let inserted = sqlx::query_as::<_, User>(
            "INSERT INTO users (username, created_at) VALUES (?, ?) RETURNING id, username",
        )
        .bind(username)
        .bind(unix_now())
        .fetch_one(pool)
        .await;

        match inserted {
            Ok(user) => Ok(user),
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                Err(ApiError::UsernameTaken(username.to_owned()))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Finds the user named `username`.
    ///
    /// # Errors
    ///
    /// Returns the sqlx error when the query fails.
    pub async fn find_by_username(
        pool: &SqlitePool,
        username: &str,
    ) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as("SELECT id, username FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(pool)
            .await
    }

    /// Finds the user whose primary key is `id`.
    ///
    /// # Errors
    ///
    /// Returns the sqlx error when the query fails.
    pub async fn find_by_id(pool: &SqlitePool, id: i64) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as("SELECT id, username FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
    }

    /// Finds the user named `username`, or fails with [`ApiError::UserNotFound`].
    ///
    /// # Errors
    ///
    /// [`ApiError::UserNotFound`] when no user has that name, and
    /// [`ApiError::Database`] when the query fails.
    pub async fn get_by_username(pool: &SqlitePool, username: &str) -> Result<User, ApiError> {
        let user = Self::find_by_username(pool, username).await?;

        user.ok_or_else(|| ApiError::UserNotFound(username.to_owned()))
    }

    /// Deletes the user named `username` together with its tokens, which the
    /// foreign key of `api_tokens` deletes in cascade.
    ///
    /// # Errors
    ///
    /// [`ApiError::UserNotFound`] when no user has that name, and
    /// [`ApiError::Database`] when the query fails.
    pub async fn delete_by_username(pool: &SqlitePool, username: &str) -> Result<(), ApiError> {
        let result = sqlx::query("DELETE FROM users WHERE username = ?")
            .bind(username)
            .execute(pool)
            .await?;

        if result.rows_affected() == 0 {
            return Err(ApiError::UserNotFound(username.to_owned()));
        }
        Ok(())
    }
}

/// Checks that `username` is between 1 and [`MAX_USERNAME_CHARS`] characters
/// long, has no whitespace at either end and contains no control or invisible
/// characters, so that two names that look the same are rarely both accepted.
///
/// NOTE: names are not normalized, so `"Zo\u{eb}"` and `"Zoe\u{308}"` (the same
/// "Zoë" in Unicode normalization forms C and D) are two users. A service that
/// must treat them as one name should normalize names to one form before it
/// stores or compares them.
///
/// # Errors
///
/// [`ApiError::InvalidUsername`] naming the rule that the name breaks.
pub fn validate_username(username: &str) -> Result<(), ApiError> {
    if username.trim().is_empty() {
        return Err(ApiError::InvalidUsername("must not be empty or blank"));
    }
    if username.trim() != username {
        return Err(ApiError::InvalidUsername(
            "must not start or end with whitespace",
        ));
    }
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::InvalidUsername(
            "must be at most 64 characters long",
        ));
    }
    if username.chars().any(char::is_control) {
        return Err(ApiError::InvalidUsername(
            "must not contain control characters",
        ));
    }
    if username.chars().any(is_invisible) {
        return Err(ApiError::InvalidUsername(
            "must not contain invisible characters, such as zero-width spaces and joiners, \
             bidirectional controls or variation selectors",
        ));
    }

    Ok(())
}

/// Reports whether `c` is one of the listed characters that render as nothing, or
/// as blank space, in most text, so that they could make one name look like another.
///
/// NOTE: the list contains the common format characters, fillers and separators, not
/// every character of Unicode's default-ignorable or format classes.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                // combining grapheme joiner
            | '\u{0600}'..='\u{0605}'   // Arabic number signs
            | '\u{061C}'                // Arabic letter mark
            | '\u{115F}' | '\u{1160}'   // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors and vowel separator
            | '\u{200B}'..='\u{200F}'   // zero-width space, joiners and direction marks
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202A}'..='\u{202E}'   // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, bidirectional isolates
            | '\u{2800}'                // blank braille pattern
            | '\u{3164}'                // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FEFF}'                // zero-width no-break space
            | '\u{FFA0}'                // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation controls
            | '\u{13430}'..='\u{1343F}' // Egyptian hieroglyph format controls
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical symbol formatting
            | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::open_in_memory;

    #[actix_web::test]
    async fn created_user_is_found_by_name_and_id() {
        let pool = open_in_memory().await.unwrap();

        let created = User::create(&pool, "alice").await.unwrap();

        let by_name = User::find_by_username(&pool, "alice").await.unwrap();
        let by_id = User::find_by_id(&pool, created.id).await.unwrap();
        assert_eq!(by_name.as_ref(), Some(&created));
        assert_eq!(by_id.as_ref(), Some(&created));
    }

    #[actix_web::test]
    async fn duplicate_username_is_rejected() {
        let pool = open_in_memory().await.unwrap();
        User::create(&pool, "alice").await.unwrap();

        let result = User::create(&pool, "alice").await;

        assert!(matches!(result, Err(ApiError::UsernameTaken(name)) if name == "alice"));
    }

    #[actix_web::test]
    async fn deleting_unknown_user_is_not_found() {
        let pool = open_in_memory().await.unwrap();

        let result = User::delete_by_username(&pool, "nobody").await;

        assert!(matches!(result, Err(ApiError::UserNotFound(name)) if name == "nobody"));
    }

    #[actix_web::test]
    async fn deleted_user_is_gone() {
        let pool = open_in_memory().await.unwrap();
        User::create(&pool, "alice").await.unwrap();

        User::delete_by_username(&pool, "alice").await.unwrap();

        assert_eq!(User::find_by_username(&pool, "alice").await.unwrap(), None);
    }

    #[test]
    fn username_rules() {
        let long = "a".repeat(MAX_USERNAME_CHARS + 1);
        let longest = "é".repeat(MAX_USERNAME_CHARS);
        let rejected = [
            "",
            "   ",
            "bad\nname",
            long.as_str(),
            " alice",
            "alice\t",
            "al\u{200B}ice",
            "\u{200B}",
            "\u{202E}ecila",
            "alice\u{FE0F}",
            "\u{3164}",
            "al\u{2028}ice",
            "alice\u{2800}",
        ];
        let accepted = ["alice", "a", "Zoë Smith", longest.as_str()];

        for name in rejected {
            assert!(
                validate_username(name).is_err(),
                "{name:?} should be rejected"
            );
        }
        for name in accepted {
            assert!(
                validate_username(name).is_ok(),
                "{name:?} should be accepted"
            );
        }
    }

    #[test]
    fn every_listed_invisible_character_is_rejected() {
        // The first and last character of each entry of `is_invisible`.
        let invisible = [
            '\u{00AD}',
            '\u{034F}',
            '\u{0600}',
            '\u{0605}',
            '\u{061C}',
            '\u{115F}',
            '\u{1160}',
            '\u{17B4}',
            '\u{17B5}',
            '\u{180B}',
            '\u{180F}',
            '\u{200B}',
            '\u{200F}',
            '\u{2028}',
            '\u{2029}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{206F}',
            '\u{2800}',
            '\u{3164}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{13430}',
            '\u{1343F}',
            '\u{1BCA0}',
            '\u{1BCA3}',
            '\u{1D173}',
            '\u{1D17A}',
            '\u{E0000}',
            '\u{E0FFF}',
        ];

        for c in invisible {
            let name = format!("al{c}ice");

            let result = validate_username(&name);

            assert!(
                matches!(result, Err(ApiError::InvalidUsername(rule)) if rule.contains("invisible")),
                "{name:?} should be rejected as invisible"
            );
        }
    }
}
