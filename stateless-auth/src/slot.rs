//! The per-request record of authentication, shared by every extractor of a request.
//!
//! actix-web calls `from_request` for all of a handler's parameters before it
//! polls any of their futures. The first extractor to start authentication
//! stores an [`AuthSlot`] in the request's extensions. Every extractor then polls
//! that slot, so the loaders run once, and the first extractor to receive the
//! outcome runs the listeners, so they run once too.

use std::task::{Context, Poll};

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest};

use crate::authenticated::Authenticated;
use crate::challenge::Challenge;
use crate::error::StatelessAuthError;
use crate::header::{self, HeaderError};
use crate::label::Label;
use crate::loaders::{self, AuthFuture, INTERNAL};
use crate::manager::StatelessAuthManager;
use crate::spec::Requirement;

/// Stored in the request's extensions from the start of authentication on.
pub(crate) struct AuthSlot {
    requirement: Requirement,
    state: State,
}

enum State {
    /// The loaders are running.
    Pending(AuthFuture),
    /// The outcome is known, but no extractor has reported it to the listeners yet.
    Unreported(Result<Authenticated, StatelessAuthError>),
    /// The outcome is known and reported.
    Reported(Result<Authenticated, StatelessAuthError>),
}

impl AuthSlot {
    /// Returns the authentication if it has completed and succeeded.
    pub(crate) fn succeeded(&self) -> Option<Authenticated> {
        match &self.state {
            State::Unreported(Ok(authenticated)) | State::Reported(Ok(authenticated)) => {
                Some(authenticated.clone())
            }
            _ => None,
        }
    }
}

/// Returns the authentication of `req` when a guard has completed it with success
/// and reported it to the listeners.
///
/// That outcome is final: no extractor of the request can replace a guard's
/// authentication or run the loaders again, so an extractor that only reads the
/// user can take it at once.
pub(crate) fn guard_success(req: &HttpRequest) -> Option<Authenticated> {
    let extensions = req.extensions();
    let slot = extensions.get::<AuthSlot>()?;

    match &slot.state {
        State::Reported(Ok(authenticated)) if slot.requirement.explicit => {
            Some(authenticated.clone())
        }
        _ => None,
    }
}

/// Starts authenticating `req` for `requirement`, unless an extractor of the same
/// request already did.
///
/// A guard whose requirement differs from that of a user-reading extractor that
/// started first replaces it. Two guards that require different token types or
/// schemes on one handler are a programming error, rejected with 500.
pub(crate) fn start(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    requirement: Requirement,
) -> Result<(), StatelessAuthError> {
    if let Some(slot) = req.extensions().get::<AuthSlot>() {
        if same_credentials(manager, &slot.requirement, &requirement) || !requirement.explicit {
            return Ok(());
        }
        if slot.requirement.explicit {
            log::error!(
                "{} has two guards that require different token types or schemes \
                 ({:?} and {:?}); responded with 500",
                req.path(),
                slot.requirement,
                requirement
            );
            return Err(StatelessAuthError::server(INTERNAL));
        }
    }

    let context = loaders::Context {
        token_type: Label::pick(requirement.token_type, &manager.default_token_type),
        auth_type: Label::pick(requirement.auth_type, &manager.default_auth_type),
        scopes: requirement.scopes,
    };
    let state = match begin(req, manager, context) {
        Ok(future) => State::Pending(future),
        Err(err) => {
            let challenge = challenge(manager, &requirement);
            State::Unreported(Err(header_error(manager, err, challenge)))
        }
    };

    req.extensions_mut().insert(AuthSlot { requirement, state });
    Ok(())
}

/// Polls the authentication of `req`, which [`start`] must have begun.
///
/// Returns the outcome to every caller, and runs the listeners for the first caller
/// to see it.
pub(crate) fn poll(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    cx: &mut Context<'_>,
) -> Poll<Result<Authenticated, StatelessAuthError>> {
    let outcome = {
        let mut extensions = req.extensions_mut();
        let Some(slot) = extensions.get_mut::<AuthSlot>() else {
            log::error!(
                "the authentication of {} was never started; responded with 500",
                req.path()
            );
            return Poll::Ready(Err(StatelessAuthError::server(INTERNAL)));
        };

        let outcome = match &mut slot.state {
            State::Reported(outcome) => return Poll::Ready(outcome.clone()),
            State::Unreported(outcome) => outcome.clone(),
            State::Pending(future) => match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(outcome) => {
                    let requirement = &slot.requirement;
                    outcome.map_err(|err| err.or_challenge(|| challenge(manager, requirement)))
                }
            },
        };
        slot.state = State::Reported(outcome.clone());
        outcome
    };

    manager.report(req, &outcome);
    Poll::Ready(outcome)
}

/// Reads and checks the credentials header, then starts the loaders.
fn begin(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    context: loaders::Context,
) -> Result<AuthFuture, HeaderError> {
    let value = header::single_header(req.headers(), &manager.header_name)?;
    let token = header::token_range(
        value.as_bytes(),
        &context.auth_type,
        manager.config.max_token_length,
    )?;

    let loaders = std::sync::Arc::clone(&manager.loaders);
    Ok(loaders.authenticate(value.clone(), token, context))
}

/// Maps a header error to its response, as Flask-Stateless-Auth does or, with
/// `strict_rfc6750`, as RFC 6750 §3.1 recommends.
fn header_error(
    manager: &StatelessAuthManager,
    err: HeaderError,
    challenge: Challenge,
) -> StatelessAuthError {
    let rejection = StatelessAuthError::request(err.message());
    let no_credentials = matches!(err, HeaderError::Missing | HeaderError::SchemeMismatch);

    match (no_credentials, manager.config.strict_rfc6750) {
        (true, true) => rejection
            .with_code(StatusCode::UNAUTHORIZED)
            .or_challenge(|| challenge.bare()),
        _ if err == HeaderError::Missing => rejection.or_challenge(|| challenge.bare()),
        _ => rejection.or_challenge(|| challenge),
    }
}

/// Builds the challenge of a rejection: the route's scheme, the configured realm
/// and the required scopes. It is built only for a rejection, because an accepted
/// request never sends one.
fn challenge(manager: &StatelessAuthManager, requirement: &Requirement) -> Challenge {
    Challenge::new(
        Label::pick(requirement.auth_type, &manager.default_auth_type),
        manager.realm.clone(),
        requirement.scopes,
    )
}

/// Reports whether two requirements ask for the same token type and scheme.
fn same_credentials(manager: &StatelessAuthManager, a: &Requirement, b: &Requirement) -> bool {
    let token_type = |r: &Requirement| r.token_type.unwrap_or(&manager.default_token_type);
    let auth_type = |r: &Requirement| r.auth_type.unwrap_or(&manager.default_auth_type);

    token_type(a) == token_type(b) && auth_type(a).eq_ignore_ascii_case(auth_type(b))
}
