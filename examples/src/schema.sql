-- Schema of the example API. Every statement is idempotent, so the
-- application runs it at each start-up.

CREATE TABLE IF NOT EXISTS users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- One row per token: a user has at most one access token and one refresh
-- token, issued together. Only the SHA-256 hash of a token is stored.
-- expires_at is a Unix timestamp in seconds.
CREATE TABLE IF NOT EXISTS api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_type TEXT    NOT NULL CHECK (token_type IN ('access', 'refresh')),
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, token_type)
);
