//! The reason for a failed authentication, in the compact form that the request's slot keeps.

use std::rc::Rc;

use actix_web::http::StatusCode;

use crate::challenge::Challenge;
use crate::error::StatelessAuthError;
use crate::header::{self, HeaderError};
use crate::label::Label;
use crate::loaders::INTERNAL;
use crate::manager::StatelessAuthManager;
use crate::spec::Requirement;

/// A failed authentication, before it becomes a [`StatelessAuthError`].
///
/// A `StatelessAuthError` takes 96 bytes, most of them for its challenge, and a
/// `Result<Authenticated, StatelessAuthError>` as many. This type takes two words
/// (16 bytes on a 64-bit target), so the outcome that the loaders' future returns
/// and the slot keeps takes three. The full error is built only for a rejection,
/// with the route's challenge.
#[derive(Clone, Debug)]
pub(crate) enum Rejection {
    /// The credentials header is missing, repeated or malformed.
    Header(HeaderError),
    /// With `strict_rfc6750`, the request carries no credentials for the route's
    /// scheme, for which RFC 6750 §3.1 recommends 401 and a challenge without an
    /// `error` attribute. The error gives the message.
    NoCredentials(HeaderError),
    /// Without `strict_rfc6750`, credentials of another scheme, such as `Basic
    /// dXNlcg==` or `Negotiate`. They get Flask-Stateless-Auth's 400 and message,
    /// and a challenge without an `error` attribute, which RFC 6750 §3.1 recommends
    /// for a request that used an unsupported authentication method.
    OtherScheme(HeaderError),
    /// The token loader found no token.
    InvalidToken,
    /// The token model reported itself expired.
    Expired,
    /// The user model reported itself inactive.
    InactiveUser,
    /// A data fault, a panic or a misconfiguration, already logged.
    Internal,
    /// An error that a loader returned.
    Loader(Rc<StatelessAuthError>),
}

impl Rejection {
    /// Wraps the error of a rejected credentials header `value`. A value that
    /// carries no credentials for `scheme` becomes [`Rejection::NoCredentials`] in
    /// the strict RFC 6750 mode, and [`Rejection::OtherScheme`] without it when it
    /// names another scheme.
    #[cold]
    pub(crate) fn of_header(strict: bool, value: &[u8], scheme: &str, err: HeaderError) -> Self {
        match strict {
            true => strict_header(value, scheme, err),
            false => default_header(value, scheme, err),
        }
    }

    /// Builds the error of this rejection for a route with `requirement`.
    #[cold]
    pub(crate) fn into_error(
        self,
        manager: &StatelessAuthManager,
        requirement: &Requirement,
    ) -> StatelessAuthError {
        let challenge = || challenge(manager, requirement);

        match self {
            Rejection::Header(err) => header_error(err, challenge()),
            Rejection::NoCredentials(err) => StatelessAuthError::request(err.message())
                .with_code(StatusCode::UNAUTHORIZED)
                .or_challenge(|| challenge().bare()),
            Rejection::OtherScheme(err) => {
                StatelessAuthError::request(err.message()).or_challenge(|| challenge().bare())
            }
            Rejection::InvalidToken => StatelessAuthError::token("Invalid token"),
            Rejection::Expired => StatelessAuthError::token(format!(
                "{} token expired",
                manager.token_type_for(requirement)
            )),
            Rejection::InactiveUser => StatelessAuthError::token("Invalid User"),
            // A 500 never renders a challenge, so none is attached.
            Rejection::Internal => return StatelessAuthError::server(INTERNAL),
            Rejection::Loader(err) => Rc::unwrap_or_clone(err),
        }
        .or_challenge(challenge)
    }
}

/// Separates a value without credentials from a malformed one, for
/// [`Rejection::of_header`] in strict RFC 6750 mode. It stays out of line because
/// only that mode calls it.
#[cold]
fn strict_header(value: &[u8], scheme: &str, err: HeaderError) -> Rejection {
    match header::no_credentials_error(value, scheme, err) {
        Some(err) => Rejection::NoCredentials(err),
        None => Rejection::Header(err),
    }
}

/// Separates credentials of another scheme from other rejected values, for
/// [`Rejection::of_header`] without strict RFC 6750 mode. The error keeps
/// Flask-Stateless-Auth's message for the value, such as `Invalid token type` for
/// `Basic dXNlcg==` and `Invalid number of arguments in token header` for
/// `Negotiate`.
#[cold]
fn default_header(value: &[u8], scheme: &str, err: HeaderError) -> Rejection {
    match header::no_credentials_error(value, scheme, err) {
        Some(HeaderError::Missing) | None => Rejection::Header(err),
        Some(_) => Rejection::OtherScheme(err),
    }
}

/// Maps a header error to its response, as Flask-Stateless-Auth does, with the
/// challenge that RFC 6750 §3 describes: without an `error` attribute when the
/// request has no credentials, with one otherwise.
fn header_error(err: HeaderError, challenge: Challenge) -> StatelessAuthError {
    let rejection = StatelessAuthError::request(err.message());

    match err {
        HeaderError::Missing => rejection.or_challenge(|| challenge.bare()),
        _ => rejection.or_challenge(|| challenge),
    }
}

/// Builds the challenge of a rejection: the route's scheme, the configured realm
/// and the required scopes. It is built only for a rejection, because an accepted
/// request never sends one.
pub(crate) fn challenge(manager: &StatelessAuthManager, requirement: &Requirement) -> Challenge {
    Challenge::new(
        Label::pick(requirement.auth_type, &manager.default_auth_type),
        manager.realm.clone(),
        requirement.scopes,
    )
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::*;
    use crate::authenticated::Authenticated;

    #[test]
    fn outcome_takes_at_most_three_words() {
        let outcome = size_of::<Result<Authenticated, Rejection>>();

        assert!(
            outcome <= 3 * size_of::<usize>(),
            "the outcome takes {outcome} bytes"
        );
    }
}
