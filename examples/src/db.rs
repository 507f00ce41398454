//! SQLite connection pool and schema.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Schema of the example API, applied by [`open`] at every start.
const SCHEMA: &str = include_str!("schema.sql");

/// Time a connection waits for another connection's write lock before the
/// query fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the SQLite database at `database_url`, creating the file and the
/// schema when they do not exist yet.
///
/// `database_url` is an sqlx SQLite URL such as `sqlite://api.db` or
/// `sqlite::memory:`. A file database runs in WAL mode so that readers do not
/// wait for the writer. An in-memory database gets a single connection that
/// never expires, because the database lives only as long as that connection.
///
/// # Errors
///
/// Returns the sqlx error when the URL is invalid, the file cannot be opened or
/// created, or the schema cannot be applied.
pub async fn open(database_url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);

    let pool = if is_in_memory(database_url) {
        SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?
    } else {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        SqlitePoolOptions::new().connect_with(options).await?
    };

    create_schema(&pool).await?;
    Ok(pool)
}

/// Opens a new, empty in-memory database with the schema applied.
///
/// # Errors
///
/// Returns the sqlx error when SQLite cannot open the database.
pub async fn open_in_memory() -> Result<SqlitePool, sqlx::Error> {
    open("sqlite::memory:").await
}

/// Creates the tables that do not exist yet.
///
/// # Errors
///
/// Returns the sqlx error of the first statement that fails.
pub async fn create_schema(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(SCHEMA).execute(pool).await?;

    Ok(())
}

/// Tells whether an sqlx SQLite URL names an in-memory database, in either of
/// the two forms that sqlx accepts.
fn is_in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn open_creates_file_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.db");

        let pool = open(&format!("sqlite://{}", path.display())).await.unwrap();

        assert!(path.exists());
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(tables, ["api_tokens", "users"]);
        pool.close().await;
    }

    #[actix_web::test]
    async fn file_database_runs_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.db");

        let pool = open(&format!("sqlite://{}", path.display())).await.unwrap();

        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        pool.close().await;
    }

    #[actix_web::test]
    async fn schema_can_be_applied_twice() {
        let pool = open_in_memory().await.unwrap();

        let result = create_schema(&pool).await;

        assert!(result.is_ok(), "{result:?}");
    }

    #[actix_web::test]
    async fn in_memory_databases_are_separate() {
        let first = open_in_memory().await.unwrap();
        let second = open_in_memory().await.unwrap();

        sqlx::query("INSERT INTO users (username, created_at) VALUES ('alice', 0)")
            .execute(&first)
            .await
            .unwrap();

        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&second)
            .await
            .unwrap();
        assert_eq!(count, 0);
    }

    #[actix_web::test]
    async fn in_memory_connection_never_expires() {
        let pool = open_in_memory().await.unwrap();

        let options = pool.options();

        assert_eq!(options.get_max_connections(), 1);
        assert_eq!(options.get_idle_timeout(), None);
        assert_eq!(options.get_max_lifetime(), None);
    }

    #[actix_web::test]
    async fn foreign_keys_are_enforced() {
        let pool = open_in_memory().await.unwrap();

        let result = sqlx::query(
            "INSERT INTO api_tokens (user_id, token_type, token_hash, expires_at, created_at) \
             VALUES (42, 'access', zeroblob(32), 0, 0)",
        )
        .execute(&pool)
        .await;

        assert!(result.is_err());
    }

    #[test]
    fn memory_urls_are_recognised() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://shared?mode=memory"));
        assert!(!is_in_memory("sqlite://api.db"));
    }
}
