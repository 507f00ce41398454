//! The `WWW-Authenticate` challenge of RFC 6750 §3.

use std::fmt::Write;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;

use crate::label::Label;

/// The parts of a challenge that the route and the config decide; the status of
/// the error decides the `error` attribute.
#[derive(Clone, Debug)]
pub(crate) struct Challenge {
    scheme: Label,
    realm: Option<Arc<str>>,
    scopes: &'static [&'static str],
    bare: bool,
}

impl Challenge {
    /// Creates a challenge for the route's scheme, realm and required scopes.
    pub(crate) fn new(
        scheme: Label,
        realm: Option<Arc<str>>,
        scopes: &'static [&'static str],
    ) -> Self {
        Challenge {
            scheme,
            realm,
            scopes,
            bare: false,
        }
    }

    /// Creates a `Bearer` challenge without realm, for errors built outside an extractor.
    pub(crate) fn bearer() -> Self {
        Self::new(Label::Static("Bearer"), None, &[])
    }

    /// Drops the `error` attribute: RFC 6750 §3.1 recommends none when the request
    /// carried no credentials for this scheme.
    pub(crate) fn bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// Renders the challenge for an error with status `code`; only 400, 401 and
    /// 403 get one.
    pub(crate) fn to_header_value(&self, code: StatusCode) -> Option<HeaderValue> {
        let error = match code {
            StatusCode::BAD_REQUEST => "invalid_request",
            StatusCode::UNAUTHORIZED => "invalid_token",
            StatusCode::FORBIDDEN => "insufficient_scope",
            _ => return None,
        };

        self.prebuilt(code).or_else(|| self.render(code, error))
    }

    /// Formats the challenge with `error` as its `error` attribute.
    fn render(&self, code: StatusCode, error: &str) -> Option<HeaderValue> {
        let mut value = String::with_capacity(64);
        value.push_str(&self.scheme);
        let mut params = Params::new(&mut value);
        if let Some(realm) = &self.realm {
            params.quoted("realm", realm);
        }
        if !self.bare {
            params.quoted("error", error);
            if code == StatusCode::FORBIDDEN && !self.scopes.is_empty() {
                params.quoted("scope", &self.scopes.join(" "));
            }
        }

        // The config check keeps the realm to visible ASCII, and schemes and scopes
        // are checked where they are declared. So this conversion fails only on a
        // value that bypassed those checks, and the challenge is then left out.
        HeaderValue::from_str(&value).ok()
    }
}

impl Challenge {
    /// Returns the challenge without allocating when it is one of the four that the
    /// default settings produce: scheme `Bearer`, no realm, and no scope list.
    fn prebuilt(&self, code: StatusCode) -> Option<HeaderValue> {
        const BARE: HeaderValue = HeaderValue::from_static("Bearer");
        const INVALID_REQUEST: HeaderValue =
            HeaderValue::from_static(r#"Bearer error="invalid_request""#);
        const INVALID_TOKEN: HeaderValue =
            HeaderValue::from_static(r#"Bearer error="invalid_token""#);
        const INSUFFICIENT_SCOPE: HeaderValue =
            HeaderValue::from_static(r#"Bearer error="insufficient_scope""#);

        if &*self.scheme != "Bearer" || self.realm.is_some() {
            return None;
        }

        match code {
            _ if self.bare => Some(BARE),
            StatusCode::BAD_REQUEST => Some(INVALID_REQUEST),
            StatusCode::UNAUTHORIZED => Some(INVALID_TOKEN),
            StatusCode::FORBIDDEN if self.scopes.is_empty() => Some(INSUFFICIENT_SCOPE),
            _ => None,
        }
    }
}

/// Appends `name="value"` parameters, the first after a space and the rest after commas.
struct Params<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Params<'a> {
    fn new(out: &'a mut String) -> Self {
        Params { out, first: true }
    }

    fn quoted(&mut self, name: &str, value: &str) {
        self.out.push_str(if self.first { " " } else { ", " });
        self.first = false;

        let _ = write!(self.out, "{name}=\"");
        for ch in value.chars() {
            if ch == '"' || ch == '\\' {
                self.out.push('\\');
            }
            self.out.push(ch);
        }
        self.out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(challenge: &Challenge, code: StatusCode) -> String {
        let value = challenge.to_header_value(code).unwrap();
        value.to_str().unwrap().to_owned()
    }

    #[test]
    fn status_selects_error_attribute() {
        let challenge = Challenge::bearer();

        assert_eq!(
            render(&challenge, StatusCode::BAD_REQUEST),
            r#"Bearer error="invalid_request""#
        );
        assert_eq!(
            render(&challenge, StatusCode::UNAUTHORIZED),
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(
            render(&challenge, StatusCode::FORBIDDEN),
            r#"Bearer error="insufficient_scope""#
        );
    }

    #[test]
    fn realm_comes_first_and_is_escaped() {
        let challenge =
            Challenge::new(Label::Static("Bearer"), Some(Arc::from(r#"my "api""#)), &[]);

        let value = render(&challenge, StatusCode::UNAUTHORIZED);

        assert_eq!(value, r#"Bearer realm="my \"api\"", error="invalid_token""#);
    }

    #[test]
    fn forbidden_lists_required_scopes() {
        let challenge = Challenge::new(Label::Static("Bearer"), None, &["read", "write"]);

        let value = render(&challenge, StatusCode::FORBIDDEN);

        assert_eq!(
            value,
            r#"Bearer error="insufficient_scope", scope="read write""#
        );
    }

    #[test]
    fn realm_backslash_is_escaped() {
        let challenge = Challenge::new(Label::Static("Bearer"), Some(Arc::from(r"a\b")), &[]);

        let value = render(&challenge, StatusCode::UNAUTHORIZED);

        assert_eq!(value, r#"Bearer realm="a\\b", error="invalid_token""#);
    }

    #[test]
    fn scopes_appear_only_on_forbidden() {
        // The prebuilt values cover only `Bearer`, so a `Token` challenge is rendered.
        let challenge = Challenge::new(Label::Static("Token"), None, &["read"]);

        let bad_request = render(&challenge, StatusCode::BAD_REQUEST);
        let unauthorized = render(&challenge, StatusCode::UNAUTHORIZED);
        let forbidden = render(&challenge, StatusCode::FORBIDDEN);

        assert_eq!(bad_request, r#"Token error="invalid_request""#);
        assert_eq!(unauthorized, r#"Token error="invalid_token""#);
        assert_eq!(
            forbidden,
            r#"Token error="insufficient_scope", scope="read""#
        );
    }

    #[test]
    fn bare_challenge_has_no_error() {
        let challenge = Challenge::new(Label::Static("Token"), Some(Arc::from("api")), &[]).bare();

        let value = render(&challenge, StatusCode::UNAUTHORIZED);

        assert_eq!(value, r#"Token realm="api""#);
    }

    #[test]
    fn prebuilt_challenges_match_rendered() {
        let cases = [
            (StatusCode::BAD_REQUEST, "invalid_request"),
            (StatusCode::UNAUTHORIZED, "invalid_token"),
            (StatusCode::FORBIDDEN, "insufficient_scope"),
        ];

        for bare in [false, true] {
            for (code, error) in cases {
                let mut challenge = Challenge::bearer();
                challenge.bare = bare;

                let prebuilt = challenge.prebuilt(code);
                let rendered = challenge.render(code, error);

                assert!(
                    prebuilt.is_some(),
                    "no prebuilt value for {code}, bare {bare}"
                );
                assert_eq!(prebuilt, rendered, "status {code}, bare {bare}");
            }
        }
    }

    #[test]
    fn challenge_with_scopes_or_realm_is_rendered() {
        let scoped = Challenge::new(Label::Static("Bearer"), None, &["read"]);
        let with_realm = Challenge::new(Label::Static("Bearer"), Some(Arc::from("api")), &[]);
        let other_scheme = Challenge::new(Label::Static("Token"), None, &[]);

        assert!(scoped.prebuilt(StatusCode::FORBIDDEN).is_none());
        assert!(with_realm.prebuilt(StatusCode::UNAUTHORIZED).is_none());
        assert!(other_scheme.prebuilt(StatusCode::UNAUTHORIZED).is_none());
    }

    #[test]
    fn server_error_gets_no_challenge() {
        let challenge = Challenge::bearer();

        assert!(
            challenge
                .to_header_value(StatusCode::INTERNAL_SERVER_ERROR)
                .is_none()
        );
    }
}
