//! Errors of the example API and their JSON responses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Body of every error response of the example API, the same shape as the
/// responses of `stateless_auth::StatelessAuthError`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Description of the failure, in one sentence.
    pub error: String,
}

/// Message sent for every 500 response, whose details go to the log instead.
pub const INTERNAL_ERROR_MESSAGE: &str = "Server error: Internal server error";

/// Error of a route of the example API.
///
/// Client errors become 4xx responses whose body names the problem. Server
/// errors become a 500 response with [`INTERNAL_ERROR_MESSAGE`], and their
/// details are logged at `error` level when the response is built.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body is not the expected JSON document.
    #[error("Invalid JSON body: {0}")]
    InvalidJson(String),

    /// The request body exceeds the size limit of the JSON extractor.
    #[error("Request body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// Maximum body size, in bytes.
        limit: usize,
    },

    /// The username is empty, too long, padded with whitespace or contains control
    /// or invisible characters.
    #[error("Invalid username: {0}")]
    InvalidUsername(&'static str),

    /// A user with this username exists already.
    #[error("Username {0:?} is already taken")]
    UsernameTaken(String),

    /// No user has this username.
    #[error("User {0:?} not found; create it with POST /user")]
    UserNotFound(String),

    /// The user exists but has no token pair.
    #[error("User {0:?} has no token pair; create one with POST /create_token")]
    NoTokenPair(String),

    /// A database query failed.
    #[error("database query failed: {0}")]
    Database(#[from] sqlx::Error),

    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(#[from] rand::rand_core::OsError),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidJson(_) | Self::InvalidUsername(_) => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UsernameTaken(_) => StatusCode::CONFLICT,
            Self::UserNotFound(_) | Self::NoTokenPair(_) => StatusCode::NOT_FOUND,
            Self::Database(_) | Self::Random(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = if status.is_server_error() {
            log::error!("{self}");
            INTERNAL_ERROR_MESSAGE.to_owned()
        } else {
            self.to_string()
        };

        HttpResponse::build(status).json(ErrorBody { error: message })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let response = err.error_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body()).await.unwrap();

        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[actix_web::test]
    async fn unknown_user_is_404_naming_user() {
        let (status, body) = body_of(ApiError::UserNotFound("alice".into())).await;

        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body["error"],
            "User \"alice\" not found; create it with POST /user"
        );
    }

    #[actix_web::test]
    async fn duplicate_username_is_409() {
        let (status, body) = body_of(ApiError::UsernameTaken("alice".into())).await;

        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"], "Username \"alice\" is already taken");
    }

    #[actix_web::test]
    async fn invalid_json_is_400() {
        let (status, body) = body_of(ApiError::InvalidJson("expected value".into())).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "Invalid JSON body: expected value");
    }

    #[actix_web::test]
    async fn database_error_is_500_without_details() {
        let err = ApiError::Database(sqlx::Error::Protocol("secret detail".into()));

        let (status, body) = body_of(err).await;

        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], INTERNAL_ERROR_MESSAGE);
    }
}
