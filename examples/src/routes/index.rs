//! `GET /`.

/// Returns `hello`, so that clients can check that the API is up.
pub async fn index() -> &'static str {
    "hello"
}
