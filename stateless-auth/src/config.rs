//! Settings of a [`StatelessAuthManager`](crate::StatelessAuthManager).

use actix_web::http::header::HeaderName;
use serde::{Deserialize, Serialize};

use crate::grammar::is_scheme;

/// The default for [`StatelessAuthConfig::max_token_length`], in bytes.
///
/// Opaque tokens are rarely longer than a few hundred bytes; 4096 leaves room for
/// any of them and stays far below actix-web's limit on the size of the request head.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 4096;

/// Settings of a [`StatelessAuthManager`](crate::StatelessAuthManager).
///
/// Every field has a default, and serde fills in the ones a source leaves out.
/// Besides its own field names, it reads the configuration keys of
/// Flask-Stateless-Auth, so a Flask deployment's settings load unchanged:
///
/// | field | Flask keys also read |
/// |---|---|
/// | `auth_header` | `AUTH_HEADER`, `TOKEN_HEADER` |
/// | `default_auth_type` | `DEFAULT_AUTH_TYPE`, `TOKEN_TYPE` |
/// | `default_token_type` | `DEFAULT_TOKEN_TYPE` |
///
/// When a source sets one field under several keys, the field's own name wins,
/// then the key that the code of Flask-Stateless-Auth 0.0.17 reads (`AUTH_HEADER`,
/// `DEFAULT_AUTH_TYPE`), then the key that only its README names (`TOKEN_HEADER`,
/// `TOKEN_TYPE`). Other keys are ignored, so a whole Flask config loads, and so does
/// a misspelled key. `realm`, `max_token_length` and `strict_rfc6750` have no
/// Flask-Stateless-Auth key. They are also read in upper case (`REALM`,
/// `MAX_TOKEN_LENGTH`, `STRICT_RFC6750`), as Flask configs name their keys, and
/// the own name wins there too. A `null` value counts as unset, so the next key in
/// that order applies, or else the default.
///
/// ```
/// use stateless_auth::StatelessAuthConfig;
///
/// let flask = r#"{"TOKEN_HEADER": "X-Auth", "DEFAULT_AUTH_TYPE": "Token"}"#;
/// let config: StatelessAuthConfig = serde_json::from_str(flask).unwrap();
///
/// assert_eq!(config.auth_header, "X-Auth");
/// assert_eq!(config.default_auth_type, "Token");
/// assert_eq!(config.default_token_type, "access");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "ConfigKeys")]
pub struct StatelessAuthConfig {
    /// The request header that carries the credentials. Default `"Authorization"`.
    pub auth_header: String,

    /// The scheme expected before the token when a route sets none. Default `"Bearer"`.
    pub default_auth_type: String,

    /// The token type passed to the token loader when a route sets none. Default `"access"`.
    pub default_token_type: String,

    /// The `realm` of the `WWW-Authenticate` challenge; none by default.
    pub realm: Option<String>,

    /// The maximum token length, in bytes. A longer token is rejected with 400
    /// `"Malformed token"` before any loader runs. Default [`DEFAULT_MAX_TOKEN_LENGTH`].
    pub max_token_length: usize,

    /// Responds to missing credentials and a foreign scheme with 401 and a challenge
    /// without `error`, as RFC 6750 §3.1 recommends, instead of Flask-Stateless-Auth's
    /// 400. Default `false`.
    ///
    /// A foreign scheme counts in any form of credentials: a scheme alone
    /// (`Negotiate`), with a token (`Basic dXNlcg==`) or with parameters
    /// (`Digest username="a", realm="b"`). Without this setting, only the second form
    /// gets `Invalid token type`, and the others get `Invalid number of arguments in
    /// token header`, because Flask-Stateless-Auth counts the parts of the value
    /// before it compares the scheme.
    pub strict_rfc6750: bool,
}

impl Default for StatelessAuthConfig {
    fn default() -> Self {
        StatelessAuthConfig {
            auth_header: "Authorization".to_owned(),
            default_auth_type: "Bearer".to_owned(),
            default_token_type: "access".to_owned(),
            realm: None,
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            strict_rfc6750: false,
        }
    }
}

/// Every key that [`StatelessAuthConfig`] reads, so that a field given under
/// several keys takes the one with the highest precedence instead of failing with
/// serde's `duplicate field` error.
///
/// The own keys come first, in the order of [`StatelessAuthConfig`]'s fields,
/// because a struct written as a sequence, such as a JSON array, is matched to
/// fields by position. `default` lets such a sequence end after the own fields, and
/// `rename` and `expecting` put the public type's name in serde's errors.
///
/// NOTE: a format that is not self-describing, such as bincode, cannot read what
/// `Serialize` writes, because this struct reads 14 fields, each as an `Option`.
#[derive(Default, Deserialize)]
#[serde(
    default,
    rename = "StatelessAuthConfig",
    expecting = "struct StatelessAuthConfig"
)]
struct ConfigKeys {
    auth_header: Option<String>,
    default_auth_type: Option<String>,
    default_token_type: Option<String>,
    realm: Option<String>,
    max_token_length: Option<usize>,
    strict_rfc6750: Option<bool>,

    #[serde(rename = "AUTH_HEADER")]
    flask_auth_header: Option<String>,
    #[serde(rename = "TOKEN_HEADER")]
    flask_readme_token_header: Option<String>,
    #[serde(rename = "DEFAULT_AUTH_TYPE")]
    flask_default_auth_type: Option<String>,
    #[serde(rename = "TOKEN_TYPE")]
    flask_readme_token_type: Option<String>,
    #[serde(rename = "DEFAULT_TOKEN_TYPE")]
    flask_default_token_type: Option<String>,
    #[serde(rename = "REALM")]
    upper_realm: Option<String>,
    #[serde(rename = "MAX_TOKEN_LENGTH")]
    upper_max_token_length: Option<usize>,
    #[serde(rename = "STRICT_RFC6750")]
    upper_strict_rfc6750: Option<bool>,
}

impl From<ConfigKeys> for StatelessAuthConfig {
    fn from(keys: ConfigKeys) -> Self {
        let defaults = StatelessAuthConfig::default();

        StatelessAuthConfig {
            auth_header: keys
                .auth_header
                .or(keys.flask_auth_header)
                .or(keys.flask_readme_token_header)
                .unwrap_or(defaults.auth_header),
            default_auth_type: keys
                .default_auth_type
                .or(keys.flask_default_auth_type)
                .or(keys.flask_readme_token_type)
                .unwrap_or(defaults.default_auth_type),
            default_token_type: keys
                .default_token_type
                .or(keys.flask_default_token_type)
                .unwrap_or(defaults.default_token_type),
            realm: keys.realm.or(keys.upper_realm).or(defaults.realm),
            max_token_length: keys
                .max_token_length
                .or(keys.upper_max_token_length)
                .unwrap_or(defaults.max_token_length),
            strict_rfc6750: keys
                .strict_rfc6750
                .or(keys.upper_strict_rfc6750)
                .unwrap_or(defaults.strict_rfc6750),
        }
    }
}

/// A setting of [`StatelessAuthConfig`] that cannot work.
///
/// A new setting may bring a new variant in a minor release, so a `match` on it
/// needs a wildcard arm:
///
/// ```compile_fail,E0004
/// use stateless_auth::ConfigError;
///
/// fn setting(err: &ConfigError) -> &'static str {
///     match err {
///         ConfigError::InvalidHeaderName(_) => "auth_header",
///         ConfigError::InvalidAuthType(_) => "default_auth_type",
///         ConfigError::EmptyTokenType => "default_token_type",
///         ConfigError::InvalidRealm(_) => "realm",
///         ConfigError::ZeroMaxTokenLength => "max_token_length",
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `auth_header` is not a valid HTTP header name.
    #[error("invalid auth_header {0:?}: expected an HTTP header name such as \"Authorization\"")]
    InvalidHeaderName(String),
    /// `default_auth_type` is not an HTTP authentication scheme.
    #[error(
        "invalid default_auth_type {0:?}: expected a scheme of letters, digits and !#$%&'*+-.^_`|~ such as \"Bearer\""
    )]
    InvalidAuthType(String),
    /// `default_token_type` is empty or blank.
    #[error("invalid default_token_type: expected a name that is not blank, such as \"access\"")]
    EmptyTokenType,
    /// `realm` contains a character that a header value cannot carry.
    #[error("invalid realm {0:?}: expected visible ASCII characters and spaces only")]
    InvalidRealm(String),
    /// `max_token_length` is zero.
    #[error("invalid max_token_length 0: expected a length in bytes of at least 1")]
    ZeroMaxTokenLength,
}

impl StatelessAuthConfig {
    /// Checks that every setting can work.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.header_name()?;
        if !is_scheme(&self.default_auth_type) {
            return Err(ConfigError::InvalidAuthType(self.default_auth_type.clone()));
        }
        if self.default_token_type.trim().is_empty() {
            return Err(ConfigError::EmptyTokenType);
        }
        if let Some(realm) = &self.realm
            && !realm
                .bytes()
                .all(|byte| byte == b' ' || byte.is_ascii_graphic())
        {
            return Err(ConfigError::InvalidRealm(realm.clone()));
        }
        if self.max_token_length == 0 {
            return Err(ConfigError::ZeroMaxTokenLength);
        }

        Ok(())
    }

    /// Parses `auth_header` as a header name.
    pub(crate) fn header_name(&self) -> Result<HeaderName, ConfigError> {
        HeaderName::try_from(self.auth_header.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(self.auth_header.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_flask() {
        let config = StatelessAuthConfig::default();

        assert_eq!(config.auth_header, "Authorization");
        assert_eq!(config.default_auth_type, "Bearer");
        assert_eq!(config.default_token_type, "access");
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn flask_keys_deserialize() {
        let json =
            r#"{"AUTH_HEADER": "X-Token", "TOKEN_TYPE": "Token", "DEFAULT_TOKEN_TYPE": "refresh"}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.auth_header, "X-Token");
        assert_eq!(config.default_auth_type, "Token");
        assert_eq!(config.default_token_type, "refresh");
    }

    #[test]
    fn key_read_by_flask_wins_over_readme_key() {
        let json = r#"{"TOKEN_HEADER": "X-Readme", "AUTH_HEADER": "X-Code",
            "DEFAULT_AUTH_TYPE": "Token", "TOKEN_TYPE": "Bearer"}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.auth_header, "X-Code");
        assert_eq!(config.default_auth_type, "Token");
    }

    #[test]
    fn own_key_wins_over_flask_key() {
        let json = r#"{"AUTH_HEADER": "X-Flask", "auth_header": "X-Own",
            "DEFAULT_TOKEN_TYPE": "refresh", "default_token_type": "access"}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.auth_header, "X-Own");
        assert_eq!(config.default_token_type, "access");
    }

    #[test]
    fn own_scheme_key_wins_over_flask_keys() {
        let json = r#"{"DEFAULT_AUTH_TYPE": "Token", "TOKEN_TYPE": "Basic",
            "default_auth_type": "Bearer"}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.default_auth_type, "Bearer");
    }

    #[test]
    fn upper_case_keys_set_own_settings() {
        let json = r#"{"REALM": "api", "MAX_TOKEN_LENGTH": 100, "STRICT_RFC6750": true}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.realm.as_deref(), Some("api"));
        assert_eq!(config.max_token_length, 100);
        assert!(config.strict_rfc6750);
    }

    #[test]
    fn lower_case_key_wins_over_upper_case() {
        let json = r#"{"REALM": "upper", "realm": "lower", "MAX_TOKEN_LENGTH": 100,
            "max_token_length": 200, "STRICT_RFC6750": true, "strict_rfc6750": false}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.realm.as_deref(), Some("lower"));
        assert_eq!(config.max_token_length, 200);
        assert!(!config.strict_rfc6750);
    }

    #[test]
    fn null_value_takes_default() {
        let json = r#"{"auth_header": null, "max_token_length": null, "realm": null}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config, StatelessAuthConfig::default());
    }

    #[test]
    fn null_value_yields_to_flask_key() {
        let json = r#"{"auth_header": null, "AUTH_HEADER": "X-Flask"}"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.auth_header, "X-Flask");
    }

    #[test]
    fn array_in_field_order_loads() {
        let json = r#"["X-Auth", "Token", "refresh", "api", 100, true]"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(
            config,
            StatelessAuthConfig {
                auth_header: "X-Auth".to_owned(),
                default_auth_type: "Token".to_owned(),
                default_token_type: "refresh".to_owned(),
                realm: Some("api".to_owned()),
                max_token_length: 100,
                strict_rfc6750: true,
            }
        );
    }

    #[test]
    fn short_array_takes_defaults() {
        let json = r#"["X-Auth"]"#;

        let config: StatelessAuthConfig = serde_json::from_str(json).unwrap();

        assert_eq!(config.auth_header, "X-Auth");
        assert_eq!(config.max_token_length, DEFAULT_MAX_TOKEN_LENGTH);
    }

    #[test]
    fn wrong_shape_error_names_public_type() {
        let err = serde_json::from_str::<StatelessAuthConfig>(r#""X-Auth""#).unwrap_err();

        let message = err.to_string();

        assert!(
            message.contains("expected struct StatelessAuthConfig"),
            "{message}"
        );
    }

    #[test]
    fn own_keys_round_trip() {
        let config = StatelessAuthConfig {
            realm: Some("api".to_owned()),
            strict_rfc6750: true,
            ..StatelessAuthConfig::default()
        };

        let json = serde_json::to_string(&config).unwrap();
        let parsed: StatelessAuthConfig = serde_json::from_str(&json).unwrap();

        assert_eq!(parsed, config);
    }

    #[test]
    fn realm_with_spaces_is_valid() {
        let config = StatelessAuthConfig {
            realm: Some("Example API".to_owned()),
            ..StatelessAuthConfig::default()
        };

        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn invalid_settings_are_reported() {
        let cases = [
            (
                StatelessAuthConfig {
                    auth_header: "Bad Header".to_owned(),
                    ..Default::default()
                },
                ConfigError::InvalidHeaderName("Bad Header".to_owned()),
            ),
            (
                StatelessAuthConfig {
                    default_auth_type: "Bear er".to_owned(),
                    ..Default::default()
                },
                ConfigError::InvalidAuthType("Bear er".to_owned()),
            ),
            (
                StatelessAuthConfig {
                    default_token_type: String::new(),
                    ..Default::default()
                },
                ConfigError::EmptyTokenType,
            ),
            (
                StatelessAuthConfig {
                    default_token_type: " \t".to_owned(),
                    ..Default::default()
                },
                ConfigError::EmptyTokenType,
            ),
            (
                StatelessAuthConfig {
                    realm: Some("a\nb".to_owned()),
                    ..Default::default()
                },
                ConfigError::InvalidRealm("a\nb".to_owned()),
            ),
            (
                StatelessAuthConfig {
                    max_token_length: 0,
                    ..Default::default()
                },
                ConfigError::ZeroMaxTokenLength,
            ),
        ];

        for (config, expected) in cases {
            assert_eq!(config.validate(), Err(expected));
        }
    }
}
