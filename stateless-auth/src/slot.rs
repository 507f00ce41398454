//! The per-request record of authentication, shared by every extractor of a request.
//!
//! actix-web calls `from_request` for all of a handler's parameters before it
//! polls any of their futures. The first extractor to start authentication
//! stores an [`AuthSlot`] in the request's extensions. Every extractor then polls
//! that slot, so the loaders run once, and the first extractor to receive the
//! outcome runs the listeners, so they run once too. A rejected credentials
//! header is reported by the extractor that finds it, when it starts.

use std::task::{Context, Poll, ready};

use actix_web::{HttpMessage, HttpRequest};

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::header::{self, HeaderError};
use crate::label::Label;
use crate::loaders::{self, AuthFuture, INTERNAL};
use crate::manager::{LazyManager, StatelessAuthManager};
use crate::rejection::{self, Rejection};
use crate::spec::Requirement;

/// Stored in the request's extensions from the start of authentication on.
pub(crate) struct AuthSlot {
    requirement: &'static Requirement,
    state: State,
    /// Whether the manager has `on_authorized` listeners, so that a success can be
    /// reported without looking the manager up when it has none.
    authorized_listeners: bool,
}

enum State {
    /// The loaders are running.
    Pending(AuthFuture),
    /// The outcome is known and reported.
    Reported(Result<Authenticated, Rejection>),
}

impl AuthSlot {
    /// Returns the authentication if it has completed and succeeded.
    pub(crate) fn succeeded(&self) -> Option<Authenticated> {
        match &self.state {
            State::Reported(Ok(authenticated)) => Some(authenticated.clone()),
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
///
/// A credentials header that fails the checks is reported to the listeners here,
/// since the manager is at hand. The slot keeps the rejection, marked as reported,
/// for the other extractors of the request. Returns the extractor's error when it
/// must respond at once.
pub(crate) fn start(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    requirement: &'static Requirement,
) -> Result<(), actix_web::Error> {
    let context = loaders::Context {
        token_type: Label::pick(requirement.token_type, &manager.default_token_type),
        auth_type: Label::pick(requirement.auth_type, &manager.default_auth_type),
        scopes: requirement.scopes,
    };
    let (state, header_error) = match begin(req, manager, context) {
        Ok(future) => (State::Pending(future), None),
        Err(err) => (State::Reported(Err(Rejection::Header(err))), Some(err)),
    };
    let slot = AuthSlot {
        requirement,
        state,
        authorized_listeners: manager.has_authorized_listeners(),
    };

    // Inserting first and looking at what was there saves a look-up on the usual
    // path, where this is the request's only authentication. The loaders' future
    // does nothing until polled, so dropping a new slot has no effect on the store.
    let earlier = req.extensions_mut().insert(slot);
    let kept_slot = match earlier {
        Some(earlier) => keep_earlier(req, manager, earlier, requirement),
        None => Ok(KeptSlot::New),
    };

    match (kept_slot, header_error) {
        (Ok(KeptSlot::New), Some(err)) => reject_header(req, manager, err, requirement),
        (Ok(_), _) => Ok(()),
        (Err(err), _) => {
            manager.report_rejection(req, &err, Some(requirement));
            Err(manager.response_error(err, req))
        }
    }
}

/// Reports the rejection of the credentials header to the listeners, and returns
/// the extractor's error unless an error handler is set.
#[cold]
fn reject_header(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    err: HeaderError,
    requirement: &Requirement,
) -> Result<(), actix_web::Error> {
    let err = Rejection::Header(err).into_error(manager, requirement);
    manager.report_rejection(req, &err, Some(requirement));

    // An extractor before this one in the handler's parameters may poll the slot
    // first, and an error handler must run only for the error that becomes the
    // response. So with a handler, the rejection is left to the first poll.
    if manager.has_error_handler() {
        return Ok(());
    }
    Err(manager.response_error(err, req))
}

/// The slot that a second start of authentication in one request leaves in place.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeptSlot {
    /// The slot of the extractor that is starting.
    New,
    /// The slot of the extractor that started first.
    Earlier,
}

/// Settles a second start of authentication in one request: puts `earlier` back
/// unless the new requirement, a guard's, must replace it.
fn keep_earlier(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    earlier: AuthSlot,
    requirement: &Requirement,
) -> Result<KeptSlot, StatelessAuthError> {
    if same_credentials(manager, earlier.requirement, requirement) || !requirement.explicit {
        req.extensions_mut().insert(earlier);
        return Ok(KeptSlot::Earlier);
    }
    if !earlier.requirement.explicit {
        return Ok(KeptSlot::New);
    }

    log::error!(
        "{} has two guards that require different token types or schemes \
         ({:?} and {:?}); responded with 500",
        req.path(),
        earlier.requirement,
        requirement
    );
    req.extensions_mut().insert(earlier);
    Err(StatelessAuthError::server(INTERNAL))
}

/// Polls the authentication of `req`, which [`start`] must have begun.
///
/// Returns the outcome to every caller, and runs the listeners for the caller whose
/// poll completes the loaders.
pub(crate) fn poll(
    req: &HttpRequest,
    manager: &mut LazyManager<'_>,
    cx: &mut Context<'_>,
) -> Poll<Result<Authenticated, StatelessAuthError>> {
    let (outcome, requirement, report) = {
        let mut extensions = req.extensions_mut();
        let Some(slot) = extensions.get_mut::<AuthSlot>() else {
            return Poll::Ready(Err(never_started(req)));
        };

        let (outcome, completed) = match &mut slot.state {
            State::Reported(outcome) => (outcome.clone(), false),
            State::Pending(future) => match ready!(future.as_mut().poll(cx)) {
                Ok(outcome) => (outcome, true),
                Err(_) => (Err(panicked(req)), true),
            },
        };
        if completed {
            slot.state = State::Reported(outcome.clone());
        }
        let report = completed && (slot.authorized_listeners || outcome.is_err());
        (outcome, slot.requirement, report)
    };

    let outcome = outcome.map_err(|rejection| match manager.get() {
        Some(manager) => rejection.into_error(manager, requirement),
        None => StatelessAuthError::server(INTERNAL),
    });
    if report && let Some(manager) = manager.get() {
        manager.report(req, &outcome, requirement);
    }
    Poll::Ready(outcome)
}

/// Logs a poll of a request whose authentication never started, and returns its 500.
#[cold]
fn never_started(req: &HttpRequest) -> StatelessAuthError {
    log::error!(
        "the authentication of {} was never started; responded with 500",
        req.path()
    );

    StatelessAuthError::server(INTERNAL)
}

/// Logs a panic in a loader or a model method, and returns its rejection.
#[cold]
fn panicked(req: &HttpRequest) -> Rejection {
    log::error!(
        "a loader or model method panicked while authenticating {}; responded with 500",
        req.path()
    );

    Rejection::Internal
}

/// Returns the requirement of the request's authentication, once it has started.
pub(crate) fn route_requirement(req: &HttpRequest) -> Option<&'static Requirement> {
    req.extensions()
        .get::<AuthSlot>()
        .map(|slot| slot.requirement)
}

/// Adds the challenge of the route's `requirement` to a rejection that an
/// extractor made after the authentication succeeded, such as a model type
/// mismatch or a failed role check.
pub(crate) fn with_route_challenge(
    manager: &StatelessAuthManager,
    err: StatelessAuthError,
    requirement: Option<&Requirement>,
) -> StatelessAuthError {
    match requirement {
        Some(requirement) => err.or_challenge(|| rejection::challenge(manager, requirement)),
        None => err,
    }
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

/// Reports whether two requirements ask for the same token type and scheme.
fn same_credentials(manager: &StatelessAuthManager, a: &Requirement, b: &Requirement) -> bool {
    manager.token_type_for(a) == manager.token_type_for(b)
        && manager
            .scheme_for(a)
            .eq_ignore_ascii_case(manager.scheme_for(b))
}
