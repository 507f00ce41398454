//! The error that every rejection of a request carries.

use std::borrow::Cow;
use std::fmt;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
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
/// `{"error": "<Kind> error: <msg>"}` with `Content-Type: application/json` and, on
/// 400, 401 and 403, a `WWW-Authenticate` challenge as RFC 6750 §3 describes.
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
/// Its `Debug` output shows the message only when it is one of this crate's fixed
/// messages, such as `Invalid token`. actix-web's `Logger` middleware logs the
/// `Debug` output of every error response at debug level, and a message from
/// application code may contain the token. `Display`, [`msg`](Self::msg) and the
/// response body give the message in full.
///
/// NOTE: actix-web 4.18's `Option<T>` extractor logs the `Display` output of the
/// error that it discards, at debug level. So a loader must not put the token in
/// its message, or an `Option<CurrentUser<U>>` parameter logs it.
///
/// [`StatelessAuthManager::error_handler`]: crate::StatelessAuthManager::error_handler
#[derive(Clone, thiserror::Error)]
#[error("{kind} error: {msg}")]
pub struct StatelessAuthError {
    msg: Cow<'static, str>,
    code: StatusCode,
    kind: ErrorKind,
    challenge: Option<Challenge>,
}

impl StatelessAuthError {
    /// Creates an error with a message, the status of the response and its kind.
    ///
    /// `code` must be a client or server error status (4xx or 5xx). Any other
    /// status would tell the client that a rejected request succeeded, and with 1xx,
    /// 204 or 304 actix-web 4.18.1 writes the JSON body where that status allows none,
    /// which breaks the framing of the connection. So such a status is replaced by
    /// 500 Internal Server Error, and the replacement is logged as an error.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use stateless_auth::{ErrorKind, StatelessAuthError};
    ///
    /// let err = StatelessAuthError::new("Renew later", StatusCode::NO_CONTENT, ErrorKind::Token);
    ///
    /// assert_eq!(err.code(), StatusCode::INTERNAL_SERVER_ERROR);
    /// ```
    pub fn new(msg: impl Into<Cow<'static, str>>, code: StatusCode, kind: ErrorKind) -> Self {
        Self::with_error_status(msg.into(), error_status(code), kind)
    }

    /// Creates an error whose `code` is known to be a 4xx or 5xx status.
    fn with_error_status(msg: Cow<'static, str>, code: StatusCode, kind: ErrorKind) -> Self {
        StatelessAuthError {
            msg,
            code,
            kind,
            challenge: None,
        }
    }

    /// Creates a [`ErrorKind::Request`] error with status 400 Bad Request.
    pub fn request(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::with_error_status(msg.into(), StatusCode::BAD_REQUEST, ErrorKind::Request)
    }

    /// Creates a [`ErrorKind::Token`] error with status 401 Unauthorized.
    pub fn token(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::with_error_status(msg.into(), StatusCode::UNAUTHORIZED, ErrorKind::Token)
    }

    /// Creates a [`ErrorKind::Scope`] error with status 403 Forbidden.
    pub fn scope(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::with_error_status(msg.into(), StatusCode::FORBIDDEN, ErrorKind::Scope)
    }

    /// Creates a [`ErrorKind::Server`] error with status 500 Internal Server Error.
    pub fn server(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::with_error_status(
            msg.into(),
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Server,
        )
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
    /// Errors of the extractors, and those that a handler passes to
    /// [`StatelessAuthManager::reject`](crate::StatelessAuthManager::reject), carry
    /// the route's scheme, the configured realm and, on 403, the required scopes.
    /// Other errors with status 400, 401 or 403 get a `Bearer` challenge, and other
    /// statuses get none. A custom
    /// [`error_handler`](crate::StatelessAuthManager::error_handler) can copy it into
    /// its own response.
    pub fn www_authenticate(&self) -> Option<HeaderValue> {
        match &self.challenge {
            Some(challenge) => challenge.to_header_value(self.code),
            None => Challenge::bearer().to_header_value(self.code),
        }
    }

    /// Returns the message when it is one of this crate's fixed messages, which
    /// never contain a token and so may be logged.
    pub(crate) fn fixed_msg(&self) -> Option<&'static str> {
        match self.msg {
            Cow::Borrowed(msg) if fixed_body(self.kind, msg).is_some() => Some(msg),
            _ => None,
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

impl fmt::Debug for StatelessAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("StatelessAuthError");
        match self.fixed_msg() {
            Some(msg) => debug.field("msg", &msg),
            None => debug.field("msg", &format_args!("<not shown>")),
        };

        debug
            .field("code", &self.code)
            .field("kind", &self.kind)
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// Returns `code` when it is a 4xx or 5xx status, else 500 with an error log.
fn error_status(code: StatusCode) -> StatusCode {
    if code.is_client_error() || code.is_server_error() {
        return code;
    }

    log::error!(
        "StatelessAuthError::new got status {code}, which is not an error status, so the \
         error responds with 500 Internal Server Error; give it a 4xx or 5xx status"
    );
    StatusCode::INTERNAL_SERVER_ERROR
}

/// The JSON body of an error response, for messages that need escaping.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl StatelessAuthError {
    /// Serializes the response body, `{"error": "<Kind> error: <msg>"}`, as
    /// `serde_json` does.
    ///
    /// The fixed messages of this crate have static bodies. The kind names and
    /// `" error: "` never need escaping, and most other messages do not either. Such
    /// a message is copied into a buffer of the exact length, so that the buffer
    /// becomes the response's `Bytes` without another allocation.
    fn json_body(&self) -> Bytes {
        if let Cow::Borrowed(msg) = self.msg
            && let Some(body) = fixed_body(self.kind, msg)
        {
            return Bytes::from_static(body.as_bytes());
        }

        let needs_escape = |byte: u8| byte < 0x20 || byte == b'"' || byte == b'\\';
        if self.msg.bytes().any(needs_escape) {
            let body = ErrorBody {
                error: self.full_msg(),
            };
            // serde_json fails only on I/O errors and non-string map keys, and a `Vec`
            // and this struct have neither.
            return serde_json::to_vec(&body).unwrap_or_default().into();
        }

        let kind = self.kind.as_str();
        let mut body = Vec::with_capacity(20 + kind.len() + self.msg.len());
        body.extend_from_slice(b"{\"error\":\"");
        body.extend_from_slice(kind.as_bytes());
        body.extend_from_slice(b" error: ");
        body.extend_from_slice(self.msg.as_bytes());
        body.extend_from_slice(b"\"}");
        body.into()
    }
}

/// Returns the JSON body of an error with one of the fixed messages of this crate.
///
/// Inlined because `json_body` calls it on every rejection, where a call costs
/// about 7 instructions more in the `auth` benchmark.
#[inline(always)]
fn fixed_body(kind: ErrorKind, msg: &str) -> Option<&'static str> {
    let body = match (kind, msg) {
        (ErrorKind::Request, "No token provided") => {
            r#"{"error":"Request error: No token provided"}"#
        }
        (ErrorKind::Request, "Invalid authorization header") => {
            r#"{"error":"Request error: Invalid authorization header"}"#
        }
        (ErrorKind::Request, "Multiple authorization headers") => {
            r#"{"error":"Request error: Multiple authorization headers"}"#
        }
        (ErrorKind::Request, "Invalid number of arguments in token header") => {
            r#"{"error":"Request error: Invalid number of arguments in token header"}"#
        }
        (ErrorKind::Request, "Invalid token type") => {
            r#"{"error":"Request error: Invalid token type"}"#
        }
        (ErrorKind::Request, "Malformed token") => r#"{"error":"Request error: Malformed token"}"#,
        (ErrorKind::Token, "Invalid token") => r#"{"error":"Token error: Invalid token"}"#,
        (ErrorKind::Token, "Invalid User") => r#"{"error":"Token error: Invalid User"}"#,
        (ErrorKind::Scope, "Insufficient scope") => {
            r#"{"error":"Scope error: Insufficient scope"}"#
        }
        (ErrorKind::Server, "Internal server error") => {
            r#"{"error":"Server error: Internal server error"}"#
        }
        _ => return None,
    };

    Some(body)
}

impl ResponseError for StatelessAuthError {
    fn status_code(&self) -> StatusCode {
        self.code
    }

    fn error_response(&self) -> HttpResponse {
        const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

        let body = BoxBody::new(self.json_body());
        let mut response = HttpResponse::with_body(self.code, body);
        // The response is new, so `append` adds each header as `insert` would, without
        // building and dropping the list of values that `insert` replaces.
        let headers = response.headers_mut();
        if let Some(challenge) = self.www_authenticate() {
            headers.append(header::WWW_AUTHENTICATE, challenge);
        }
        headers.append(header::CONTENT_TYPE, APPLICATION_JSON);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::HeaderError;
    use crate::loaders::INTERNAL;

    #[test]
    fn debug_hides_application_message() {
        let err = StatelessAuthError::token("unknown token tok-5521");

        let debug = format!("{err:?}");

        assert!(!debug.contains("tok-5521"), "{debug}");
        assert!(debug.contains("msg: <not shown>"), "{debug}");
        assert!(debug.contains("kind: Token"), "{debug}");
    }

    #[test]
    fn debug_shows_fixed_message() {
        let err = StatelessAuthError::token("Invalid token");

        let debug = format!("{err:?}");

        assert!(debug.contains(r#"msg: "Invalid token""#), "{debug}");
    }

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
    fn non_error_status_becomes_server_error() {
        let codes = [
            StatusCode::SWITCHING_PROTOCOLS,
            StatusCode::OK,
            StatusCode::NO_CONTENT,
            StatusCode::FOUND,
            StatusCode::NOT_MODIFIED,
        ];

        for code in codes {
            let err = StatelessAuthError::new("m", code, ErrorKind::Token);

            assert_eq!(err.code(), StatusCode::INTERNAL_SERVER_ERROR, "{code}");
            assert_eq!(err.kind(), ErrorKind::Token, "{code}");
        }
    }

    #[test]
    fn error_statuses_are_kept() {
        let codes = [
            StatusCode::BAD_REQUEST,
            StatusCode::IM_A_TEAPOT,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
        ];

        for code in codes {
            let err = StatelessAuthError::new("m", code, ErrorKind::Request);

            assert_eq!(err.code(), code);
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
    fn response_body_is_escaped_json() {
        let err = StatelessAuthError::token("Invalid \"token\"\n");

        let response = err.error_response();
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();

        let expected = serde_json::json!({ "error": "Token error: Invalid \"token\"\n" });
        assert_eq!(body, serde_json::to_vec(&expected).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn response_body_matches_serde_json(msg in "[ -~\\x00-\\x1f\\u{e9}\\u{1f600}]{0,24}") {
            let err = StatelessAuthError::scope(msg.clone());

            let body = err.json_body();

            let expected = serde_json::json!({ "error": format!("Scope error: {msg}") });
            proptest::prop_assert_eq!(&body[..], &serde_json::to_vec(&expected).unwrap()[..]);
        }
    }

    #[test]
    fn fixed_bodies_match_serde_json() {
        let header_errors = [
            HeaderError::Missing,
            HeaderError::InvalidHeader,
            HeaderError::Multiple,
            HeaderError::ArgumentCount,
            HeaderError::SchemeMismatch,
            HeaderError::MalformedToken,
        ];
        let mut cases: Vec<(ErrorKind, &str)> = header_errors
            .iter()
            .map(|err| (ErrorKind::Request, err.message()))
            .collect();
        cases.extend([
            (ErrorKind::Token, "Invalid token"),
            (ErrorKind::Token, "Invalid User"),
            (ErrorKind::Scope, "Insufficient scope"),
            (ErrorKind::Server, INTERNAL),
        ]);

        for (kind, msg) in cases {
            let body = fixed_body(kind, msg);

            let expected = serde_json::json!({ "error": format!("{kind} error: {msg}") });
            let expected = serde_json::to_string(&expected).unwrap();
            assert_eq!(body, Some(expected.as_str()), "{kind} error: {msg}");
        }
    }

    #[test]
    fn server_error_has_no_challenge() {
        let err = StatelessAuthError::server("Internal server error");

        assert!(err.www_authenticate().is_none());
    }
}
