//! The error that every rejection of a request carries.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::challenge::Challenge;

/// The class of a [`StatelessAuthError`], shown as the first word of its full message.
///
/// The classes mirror the `type` of Flask-Stateless-Auth's `StatelessAuthError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong: missing or malformed credentials (400 by default).
    Request,
    /// The token is unknown, expired or belongs to an inactive user (401 by default).
    Token,
    /// The token lacks a scope that the route requires (403 by default).
    Scope,
    /// The server failed: a loader error, a data fault or a misconfiguration (500 by default).
    Server,
}

impl ErrorKind {
    /// Returns the name used in the full message: `"Request"`, `"Token"`, `"Scope"` or `"Server"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Request => "Request",
            ErrorKind::Token => "Token",
            ErrorKind::Scope => "Scope",
            ErrorKind::Server => "Server",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected request: a message, the HTTP status of the response, and its [`ErrorKind`].
///
/// Loaders return it to reject a request with a status of their choice, and the
/// extractors return it (through [`StatelessAuthManager::error_handler`] when one is
/// set) for every failed authentication.
///
/// As an [`actix_web::ResponseError`] it responds with its status, the JSON body
/// `{"error": "<Kind> error: <msg>"}` and, on 400, 401 and 403, a `WWW-Authenticate`
/// challenge as RFC 6750 §3 describes.
///
/// ```
/// use actix_web::http::StatusCode;
/// use stateless_auth::{ErrorKind, StatelessAuthError};
///
/// let err = StatelessAuthError::token("Invalid token");
///
/// assert_eq!(err.code(), StatusCode::UNAUTHORIZED);
/// assert_eq!(err.kind(), ErrorKind::Token);
/// assert_eq!(err.full_msg(), "Token error: Invalid token");
/// ```
///
/// [`StatelessAuthManager::error_handler`]: crate::StatelessAuthManager::error_handler
#[derive(Clone, Debug, thiserror::Error)]
#[error("{kind} error: {msg}")]
pub struct StatelessAuthError {
    msg: Cow<'static, str>,
    code: StatusCode,
    kind: ErrorKind,
    challenge: Option<Challenge>,
}

impl StatelessAuthError {
    /// Creates an error with a message, the status of the response and its kind.
    pub fn new(msg: impl Into<Cow<'static, str>>, code: StatusCode, kind: ErrorKind) -> Self {
        StatelessAuthError {
            msg: msg.into(),
            code,
            kind,
            challenge: None,
        }
    }

    /// Creates a [`ErrorKind::Request`] error with status 400 Bad Request.
    pub fn request(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(msg, StatusCode::BAD_REQUEST, ErrorKind::Request)
    }

    /// Creates a [`ErrorKind::Token`] error with status 401 Unauthorized.
    pub fn token(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(msg, StatusCode::UNAUTHORIZED, ErrorKind::Token)
    }

    /// Creates a [`ErrorKind::Scope`] error with status 403 Forbidden.
    pub fn scope(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(msg, StatusCode::FORBIDDEN, ErrorKind::Scope)
    }

    /// Creates a [`ErrorKind::Server`] error with status 500 Internal Server Error.
    pub fn server(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(msg, StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server)
    }

    /// Returns the HTTP status of the response.
    pub fn code(&self) -> StatusCode {
        self.code
    }

    /// Returns the message without its kind, such as `"Invalid token"`.
    pub fn msg(&self) -> &str {
        &self.msg
    }

    /// Returns the kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the message with its kind, such as `"Token error: Invalid token"`.
    ///
    /// This is the text of the `error` field in the default JSON response.
    pub fn full_msg(&self) -> String {
        self.to_string()
    }

    /// Returns the `WWW-Authenticate` value sent with this error, if any.
    ///
    /// Errors of the extractors carry the route's scheme, the configured realm and,
    /// on 403, the required scopes. Other errors with status 400, 401 or 403 get a
    /// `Bearer` challenge, and other statuses get none. A custom
    /// [`error_handler`](crate::StatelessAuthManager::error_handler) can copy it into
    /// its own response.
    pub fn www_authenticate(&self) -> Option<HeaderValue> {
        match &self.challenge {
            Some(challenge) => challenge.to_header_value(self.code),
            None => Challenge::bearer().to_header_value(self.code),
        }
    }

    /// Attaches `challenge` unless the error already carries one.
    pub(crate) fn or_challenge(mut self, challenge: impl FnOnce() -> Challenge) -> Self {
        if self.challenge.is_none() {
            self.challenge = Some(challenge());
        }
        self
    }

    /// Replaces the status, as the strict RFC 6750 mode does for missing credentials.
    pub(crate) fn with_code(mut self, code: StatusCode) -> Self {
        self.code = code;
        self
    }
}

/// The JSON body of an error response.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl ResponseError for StatelessAuthError {
    fn status_code(&self) -> StatusCode {
        self.code
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.code);
        if let Some(challenge) = self.www_authenticate() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }

        response.json(ErrorBody {
            error: self.full_msg(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthands_set_status_and_kind() {
        let cases = [
            (StatelessAuthError::request("m"), 400, ErrorKind::Request),
            (StatelessAuthError::token("m"), 401, ErrorKind::Token),
            (StatelessAuthError::scope("m"), 403, ErrorKind::Scope),
            (StatelessAuthError::server("m"), 500, ErrorKind::Server),
        ];

        for (err, status, kind) in cases {
            assert_eq!(err.code().as_u16(), status);
            assert_eq!(err.kind(), kind);
        }
    }

    #[test]
    fn full_msg_prefixes_the_kind() {
        let err = StatelessAuthError::request("No token provided");

        assert_eq!(err.full_msg(), "Request error: No token provided");
    }

    #[test]
    fn response_is_json_with_challenge() {
        let err = StatelessAuthError::token("Invalid token");

        let response = err.error_response();

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }

    #[test]
    fn server_error_has_no_challenge() {
        let err = StatelessAuthError::server("Internal server error");

        assert!(err.www_authenticate().is_none());
    }
}
