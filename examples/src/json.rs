//! JSON bodies of the example API's requests and responses.

use actix_web::error::JsonPayloadError;
use actix_web::web::JsonConfig;
use serde::{Deserialize, Serialize};

use crate::api_token::{ACCESS_TOKEN_LIFETIME, TokenPair};
use crate::error::ApiError;
use crate::token::IssuedToken;

/// Maximum size of a JSON request body, in bytes.
pub const MAX_JSON_BODY_BYTES: usize = 4096;

/// Body of `POST /user`, `DELETE /user`, `POST /create_token` and
/// `DELETE /delete_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct UsernameRequest {
    /// Name of the user that the request is about.
    pub username: String,
}

/// Body of a successful request that returns no data.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MessageResponse {
    /// Always `"Success!"`, as in the original example application.
    pub msg: String,
}

impl MessageResponse {
    /// Returns the `{"msg": "Success!"}` body.
    pub fn success() -> Self {
        MessageResponse {
            msg: "Success!".to_owned(),
        }
    }
}

/// Body of `POST /create_token` and `PUT /refresh_token`.
#[derive(Clone, Debug, Serialize)]
pub struct TokenPairResponse {
    /// Token for the protected routes.
    pub access_token: IssuedToken,
    /// Token for `PUT /refresh_token`.
    pub refresh_token: IssuedToken,
    /// Lifetime of the access token, in seconds.
    pub expiry: u64,
}

impl From<TokenPair> for TokenPairResponse {
    fn from(pair: TokenPair) -> Self {
        TokenPairResponse {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            expiry: ACCESS_TOKEN_LIFETIME.as_secs(),
        }
    }
}

/// Body of `GET /secret`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SecretResponse {
    /// Always `"Stateless auth is awesome :O"`.
    pub secret: String,
}

/// Body of `GET /whoami`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct WhoAmIResponse {
    /// Name of the authenticated user.
    pub my_username: String,
}

/// Body of `GET /no_current_stateless_user`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CurrentUsernameResponse {
    /// Name of the authenticated user, or the string `"None"` for a request
    /// without credentials, as in the original example application.
    pub current_stateless_username: String,
}

/// Returns the configuration of the JSON extractor: bodies up to
/// [`MAX_JSON_BODY_BYTES`], parsed as JSON whatever their `Content-Type` as
/// the original Flask application did, and rejected with the JSON errors of
/// [`ApiError`].
pub fn json_config() -> JsonConfig {
    JsonConfig::default()
        .limit(MAX_JSON_BODY_BYTES)
        .content_type_required(false)
        .error_handler(|err, _req| ApiError::from(err).into())
}

impl From<JsonPayloadError> for ApiError {
    fn from(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => ApiError::BodyTooLarge { limit },
            JsonPayloadError::Deserialize(err) => ApiError::InvalidJson(err.to_string()),
            other => ApiError::InvalidJson(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_pair_response_has_original_field_names() {
        let response = TokenPairResponse {
            access_token: IssuedToken::generate().unwrap(),
            refresh_token: IssuedToken::generate().unwrap(),
            expiry: 3600,
        };

        let json = serde_json::to_value(&response).unwrap();

        assert_eq!(json["access_token"], response.access_token.as_str());
        assert_eq!(json["refresh_token"], response.refresh_token.as_str());
        assert_eq!(json["expiry"], 3600);
    }

    #[test]
    fn token_pair_response_debug_hides_tokens() {
        let response = TokenPairResponse {
            access_token: IssuedToken::generate().unwrap(),
            refresh_token: IssuedToken::generate().unwrap(),
            expiry: 3600,
        };

        let debug = format!("{response:?}");

        assert!(!debug.contains(response.access_token.as_str()));
        assert!(!debug.contains(response.refresh_token.as_str()));
    }

    #[test]
    fn username_request_requires_username() {
        let result = serde_json::from_str::<UsernameRequest>(r#"{"name": "alice"}"#);

        assert!(result.is_err());
    }
}
