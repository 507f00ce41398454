//! Settings of the example API server, read from environment variables.

/// Database used when `DATABASE_URL` is not set: a file in the working
/// directory, created at start-up.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://stateless-auth-example.db";

/// Address served when `BIND_ADDR` is not set.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";

/// Settings of the example API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// sqlx SQLite URL of the database, from `DATABASE_URL`.
    pub database_url: String,
    /// `host:port` to listen on, from `BIND_ADDR`.
    pub bind_addr: String,
}

impl Settings {
    /// Reads the settings from the process environment, using the defaults for
    /// unset or empty variables.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns the value of an
    /// environment variable by name.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str, default: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };

        Settings {
            database_url: read("DATABASE_URL", DEFAULT_DATABASE_URL),
            bind_addr: read("BIND_ADDR", DEFAULT_BIND_ADDR),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_use_defaults() {
        let settings = Settings::from_lookup(|_| None);

        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.bind_addr, DEFAULT_BIND_ADDR);
    }

    #[test]
    fn empty_variables_use_defaults() {
        let settings = Settings::from_lookup(|_| Some(" ".to_owned()));

        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.bind_addr, DEFAULT_BIND_ADDR);
    }

    #[test]
    fn variables_override_defaults() {
        let lookup = |name: &str| match name {
            "DATABASE_URL" => Some("sqlite::memory:".to_owned()),
            "BIND_ADDR" => Some("127.0.0.1:9000".to_owned()),
            _ => None,
        };

        let settings = Settings::from_lookup(lookup);

        assert_eq!(settings.database_url, "sqlite::memory:");
        assert_eq!(settings.bind_addr, "127.0.0.1:9000");
    }
}
