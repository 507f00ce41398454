//! The per-request record of authentication, shared by every extractor of a request.
//!
//! actix-web calls `from_request` for all of a handler's parameters before it
//! polls any of their futures. The first extractor to start authentication
//! stores an [`AuthSlot`] in the request's extensions. Every extractor then polls
//! that slot, so the loaders run once, and the first extractor to receive the
//! outcome runs the listeners, so they run once too. An extractor that starts
//! authentication in its own poll also polls the loaders as it stores the slot,
//! which spares a second look-up when they complete at once. A rejected
//! credentials header is reported by the extractor that finds it, when it starts.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use actix_web::{HttpMessage, HttpRequest, web};

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::header;
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
    /// The manager that started the authentication. A scope with a manager of its
    /// own must not accept an authentication that an outer manager made for a
    /// middleware that ran before the request entered the scope.
    manager: *const StatelessAuthManager,
}

enum State {
    /// Just stored by the extractor that is starting authentication.
    Vacant,
    /// The loaders are running, and these tasks found them pending.
    Pending(AuthFuture, Waiters),
    /// The outcome is known and reported.
    Reported(Result<Authenticated, Rejection>),
}

/// The wakers of the tasks that found the loaders pending.
///
/// Usually that is the request's own task alone, which polls the loaders with its
/// own waker. A task of its own that extracts from a clone of the request, such as
/// one that a middleware spawned, makes two. The loaders' future keeps only the
/// waker of its last poll, and that task may give up and never poll again, so the
/// loaders are then polled with a waker that wakes every waiting task.
///
/// NOTE: a task whose waker changes between polls, so that `will_wake` does not
/// match it, counts as one more task at each poll, and the list grows by one waker
/// per poll until the loaders complete. tokio, which actix-web runs on, passes a
/// task the same waker at each poll.
#[derive(Default)]
struct Waiters {
    first: Option<Waker>,
    /// Every waiting task, the first included, once a second one has joined.
    /// `None`, without an allocation, on the usual request.
    all: Option<Arc<WakeAll>>,
}

impl Waiters {
    /// Creates the list with the task of `waker`.
    fn of(waker: &Waker) -> Self {
        Waiters {
            first: Some(waker.clone()),
            all: None,
        }
    }

    /// Returns the waker to poll the loaders with for the task of `waker`, after
    /// adding that task: a waker that wakes every waiting task once there are two.
    /// While the task waits alone it returns `None`, and the task polls with its
    /// own waker and then calls [`keep`](Self::keep).
    fn shared_waker(&mut self, waker: &Waker) -> Option<Waker> {
        let first = self.first.as_ref()?;
        if self.all.is_none() && first.will_wake(waker) {
            return None;
        }

        let all = self.all.get_or_insert_with(|| Arc::new(WakeAll::of(first)));
        all.join(waker);
        Some(Waker::from(Arc::clone(all)))
    }

    /// Keeps `waker` as that of the one waiting task, for which
    /// [`shared_waker`](Self::shared_waker) returned `None`.
    fn keep(&mut self, waker: &Waker) {
        if self.first.is_none() {
            self.first = Some(waker.clone());
        }
    }

    /// Wakes every kept task except that of `current`, which is running.
    fn wake_except(self, current: Option<&Waker>) {
        let wake = |waker: Waker| {
            if !current.is_some_and(|current| waker.will_wake(current)) {
                waker.wake();
            }
        };

        match self.all {
            Some(all) => all.take().into_iter().for_each(wake),
            None => self.first.into_iter().for_each(wake),
        }
    }
}

/// A waker that wakes every task in its list.
///
/// The loaders' future may keep a clone of it after the list has grown, so the
/// list sits behind the shared pointer, and every clone wakes the tasks that have
/// joined since.
struct WakeAll(Mutex<Vec<Waker>>);

impl WakeAll {
    fn of(first: &Waker) -> Self {
        WakeAll(Mutex::new(vec![first.clone()]))
    }

    /// Adds the task of `waker`, unless a kept waker already wakes it.
    fn join(&self, waker: &Waker) {
        let mut tasks = self.lock();
        if tasks.iter().any(|kept| kept.will_wake(waker)) {
            return;
        }

        tasks.push(waker.clone());
    }

    /// Removes and returns every kept waker.
    fn take(&self) -> Vec<Waker> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Waker>> {
        // A waker that panicked while the list was locked left it whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Wake for WakeAll {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for waker in self.lock().iter() {
            waker.wake_by_ref();
        }
    }
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

/// Returns the authentication of `req` when a guard of the manager that `req` finds
/// has completed it with success and reported it to the listeners.
///
/// That outcome is final: no extractor of the request can replace a guard's
/// authentication or run the loaders again, so an extractor that only reads the
/// user can take it at once. An extractor that finds another manager, inside a
/// scope with a manager of its own, gets `None` and starts, which fails that
/// extractor with 500 as `keep_earlier` describes.
pub(crate) fn guard_success(req: &HttpRequest) -> Option<Authenticated> {
    let extensions = req.extensions();
    let slot = extensions.get::<AuthSlot>()?;
    let State::Reported(Ok(authenticated)) = &slot.state else {
        return None;
    };
    if !slot.requirement.explicit {
        return None;
    }

    let manager = req.app_data::<web::Data<StatelessAuthManager>>()?;
    if !std::ptr::eq(slot.manager, &***manager) {
        return None;
    }
    Some(authenticated.clone())
}

/// The next step of an extractor once it has started authentication.
pub(crate) enum Started {
    /// The loaders completed at the first poll and accepted the request; the
    /// listeners ran.
    Succeeded(Authenticated),
    /// The loaders are pending after a poll with the extractor's context, which
    /// will be woken.
    Pending,
    /// The extractor must poll the request's authentication with [`poll`].
    Waiting,
    /// The request is rejected with this error, already reported to the listeners.
    Rejected(actix_web::Error),
    /// The extractor conflicts with a guard of the request, as `keep_earlier`
    /// describes, and must call [`start`] again at its next poll, with its context.
    /// Started in `from_request`, it settles the conflict only at its first poll,
    /// so that an extractor that is never polled neither logs nor reports it.
    /// Started in its poll, it polled the guard's loaders with its context, which
    /// will be woken: when they complete, or at once when this poll completed them.
    AtNextPoll,
}

/// Starts authenticating `req` for `requirement`, unless an extractor of the same
/// request already did.
///
/// A guard whose requirement differs from that of a user-reading extractor that
/// started first replaces it, and so does any extractor that finds another
/// manager. Two guards that require different token types or schemes on one
/// request, and a guard followed by an extractor of another manager, are
/// programming errors. The later extractor settles the conflict in its poll once
/// the first guard's outcome is known, and gets [`Started::AtNextPoll`] until
/// then. It alone fails with 500 after a success, and receives a rejection, as
/// `keep_earlier` describes.
///
/// An extractor that starts in its own poll passes its context `cx`, and the
/// loaders are polled here. Their success or rejection is reported to the
/// listeners at once, and the slot keeps it for the other extractors of the
/// request. A guard that starts in `from_request` passes `None`, and the slot keeps
/// the loaders' future until an extractor polls it. A credentials header that
/// fails the checks is reported either way, since the manager is at hand. The slot
/// keeps that rejection, marked as reported.
pub(crate) fn start(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    requirement: &'static Requirement,
    cx: Option<&mut Context<'_>>,
) -> Started {
    let mut extensions = req.extensions_mut();
    // One look-up of the extensions serves both the usual request, whose only
    // authentication this is, and the rare second start.
    let slot = extensions.get_or_insert_with(|| AuthSlot {
        requirement,
        state: State::Vacant,
        authorized_listeners: manager.has_authorized_listeners(),
        manager,
    });
    if !matches!(slot.state, State::Vacant) {
        match keep_earlier(req, manager, slot, requirement) {
            KeptSlot::Earlier => return Started::Waiting,
            KeptSlot::New => {}
            KeptSlot::GuardSuccess(conflict) => {
                let earlier = slot.requirement;
                drop(extensions);
                return reject_conflicting(
                    req,
                    manager,
                    conflict,
                    earlier,
                    requirement,
                    cx.is_some(),
                );
            }
            KeptSlot::GuardPending => {
                drop(extensions);
                return wait_for_guard(req, cx);
            }
        }
    }

    let in_poll = cx.is_some();
    let outcome = match (begin(req, manager, requirement), cx) {
        (Err(rejection), _) => Err(rejection),
        (Ok(future), None) => {
            fill(slot, State::Pending(future, Waiters::default()));
            return Started::Waiting;
        }
        // The loaders never receive the request, so they may run while its
        // extensions are borrowed.
        (Ok(mut future), Some(cx)) => match poll_loaders(req, &mut future, cx) {
            Poll::Pending => {
                fill(slot, State::Pending(future, Waiters::of(cx.waker())));
                return Started::Pending;
            }
            Poll::Ready(outcome) => outcome,
        },
    };
    fill(slot, State::Reported(outcome.clone()));
    let authorized_listeners = slot.authorized_listeners;
    drop(extensions);

    match outcome {
        Ok(authenticated) => {
            if authorized_listeners {
                manager.report_success(req, &authenticated);
            }
            Started::Succeeded(authenticated)
        }
        Err(rejection) => reject_at_start(req, manager, rejection, requirement, in_poll),
    }
}

/// Stores `state` in a slot that is still vacant.
#[inline]
fn fill(slot: &mut AuthSlot, state: State) {
    let vacant = std::mem::replace(&mut slot.state, state);
    debug_assert!(matches!(vacant, State::Vacant));

    // A vacant state owns nothing, and forgetting it spares a call to its drop
    // glue on every request, since the compiler cannot see that it is vacant.
    std::mem::forget(vacant);
}

/// Reports a rejection found when authentication started to the listeners, and
/// returns the extractor's error, unless the extractor started in `from_request`
/// and an error handler is set.
#[cold]
fn reject_at_start(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    rejection: Rejection,
    requirement: &Requirement,
    in_poll: bool,
) -> Started {
    let err = rejection.into_error(manager, requirement);
    manager.report_rejection(req, &err, Some(requirement));

    // An extractor before this one in the handler's parameters may poll the slot
    // first, and an error handler must run only for the error that becomes the
    // response. So with a handler, a rejection found in `from_request` is left to
    // the first poll.
    if !in_poll && manager.has_error_handler() {
        return Started::Waiting;
    }
    Started::Rejected(manager.response_error(err, req))
}

/// Rejects with 500 an extractor that conflicts with a guard that has completed
/// with success, and leaves that success in the slot for the other extractors and
/// for middleware that reads it after the response.
///
/// In `from_request` it only returns [`Started::AtNextPoll`]. An extractor before
/// this one in the handler's parameters may still fail, and of the errors that the
/// parameters return, the error handler must run only for the one that becomes the
/// response. An error that `Option` or `Either` discards still reaches it, as
/// [`StatelessAuthManager::error_handler`] documents. A guard's success is final,
/// so the extractor's start at its first poll finds the same conflict, and it is
/// logged and reported to the listeners there. An extractor that is never polled,
/// because an earlier parameter failed, therefore neither logs nor reports it.
#[cold]
fn reject_conflicting(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    conflict: Conflict,
    earlier: &Requirement,
    requirement: &Requirement,
    in_poll: bool,
) -> Started {
    if !in_poll {
        return Started::AtNextPoll;
    }

    log_conflict(req, conflict, earlier, requirement, Settlement::FailedLater);
    let err = StatelessAuthError::server(INTERNAL);
    manager.report_rejection(req, &err, Some(requirement));
    Started::Rejected(manager.response_error(err, req))
}

/// Waits for the outcome of a guard whose loaders are pending, for an extractor
/// that conflicts with it, which then settles the conflict as for a guard that had
/// completed.
///
/// In `from_request` it only returns [`Started::AtNextPoll`], as
/// [`reject_conflicting`] does. In the extractor's poll it polls the slot as any
/// other extractor of the request does. So the loaders make progress, and the
/// extractor's task is woken when they complete, also when the guard that started
/// them is never polled again. It returns [`Started::AtNextPoll`] while they are
/// pending. Once they have completed, it starts again at its next poll, and
/// `keep_earlier` finds the guard's success or rejection. So the loaders' timing
/// does not pick the outcome, apart from the case in the first `NOTE:` below,
/// and the extractor never takes the guard's success as its own.
///
/// When this poll completes the loaders, the extractor wakes its own task and
/// settles at its next poll, not at once. The guard of the same task may have
/// polled the loaders first in this round and found them pending, and it must see
/// the outcome before this extractor fails. Otherwise a guard that rejects the
/// request after the loaders, such as for a missing scope (403), would lose to
/// this extractor's 500 exactly when the loaders returned `Pending` once.
///
/// NOTE: another extractor polled between the two, such as the `CurrentUser` of
/// `(TokenRequired<S>, CurrentUser<U>, TokenRequired<Refresh>)`, can complete the
/// loaders in the round in which the guard found them pending. This extractor
/// then settles at once, with 500, before the guard's 403 for a missing scope.
/// It would need to know whether the guard has received the outcome, which the
/// slot does not record.
///
/// NOTE: when this poll completes the loaders, `poll` reports the guard's outcome
/// to the listeners of the manager that this extractor finds. For a conflict of
/// two managers, that is not the guard's manager, because the slot keeps only the
/// guard's manager's address, for comparison.
#[cold]
fn wait_for_guard(req: &HttpRequest, cx: Option<&mut Context<'_>>) -> Started {
    let Some(cx) = cx else {
        return Started::AtNextPoll;
    };

    // The outcome belongs to the guard, and `poll` has reported it to the
    // listeners if this poll completed the loaders. The extractor's own outcome
    // comes from its start at the next poll.
    if poll(req, &mut LazyManager::new(req), cx).is_ready() {
        cx.waker().wake_by_ref();
    }
    Started::AtNextPoll
}

/// The slot that a second start of authentication in one request leaves in place.
#[derive(Clone, Copy)]
enum KeptSlot {
    /// The slot of the extractor that is starting, which replaces the earlier one.
    New,
    /// The slot of the extractor that started first.
    Earlier,
    /// The slot of a guard that has completed with success, which the extractor
    /// that is starting conflicts with. That extractor fails alone, so that the
    /// slot never lends the guard's success to a requirement it was not made for.
    GuardSuccess(Conflict),
    /// The slot of a guard whose loaders are pending, which the extractor that is
    /// starting conflicts with. That extractor waits for the guard's outcome, as
    /// `wait_for_guard` describes.
    GuardPending,
}

/// Settles a second start of authentication in one request: keeps the `earlier`
/// slot unless the new requirement, a guard's, must replace it, or unless `manager`
/// is not the one that started it. A replaced slot takes the new requirement and
/// manager and must then be started.
///
/// A guard's authentication is never replaced. So two guards with different token
/// types or schemes, and a guard followed by any extractor of another manager,
/// are in conflict. The guard is the one that started first, which for a
/// handler's parameters is the earlier parameter. While its loaders are pending,
/// the later extractor waits for them, as `wait_for_guard` describes, so the
/// outcome does not depend on when the loaders complete, apart from the case in
/// the first `NOTE:` there. Once the guard has completed with success, the slot
/// keeps that success and only the later extractor fails with 500, as
/// `reject_conflicting` describes. The handler may still run, with that extractor
/// inside `Option`, or the response may be another error, such as the 403 of the
/// first branch of `Either` for a missing scope. A middleware that reads the
/// authentication after the response must find the guard's success in both
/// cases. Once the guard's credentials are rejected, the later extractor receives
/// that rejection. A guard of the same manager that receives it gets a warning in
/// the log, not an error, since the request fails with the client's own error.
/// That is what the second branch of `Either` of two such guards finds, because
/// actix-web extracts it only after the first branch failed.
///
/// NOTE: That branch therefore never succeeds. Starting a fresh authentication
/// for it would let a guard that still waits for the rejected authentication,
/// such as the first of two guards behind a middleware that read the user,
/// accept the new one. The slot does not record which guards have received its
/// outcome, so it cannot tell such a guard from `Either`'s first branch.
fn keep_earlier(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    earlier: &mut AuthSlot,
    requirement: &'static Requirement,
) -> KeptSlot {
    let same_manager = std::ptr::eq(earlier.manager, manager);
    if same_manager && !requirement.explicit {
        return KeptSlot::Earlier;
    }
    if same_manager && same_credentials(manager, earlier.requirement, requirement) {
        // A guard that shares a reader's authentication makes it a guard's, so that
        // no later extractor replaces what this guard accepted.
        if !earlier.requirement.explicit {
            earlier.requirement = requirement;
        }
        return KeptSlot::Earlier;
    }
    if !earlier.requirement.explicit {
        earlier.requirement = requirement;
        earlier.manager = manager;
        earlier.authorized_listeners = manager.has_authorized_listeners();
        cancel(earlier, State::Vacant);
        return KeptSlot::New;
    }

    let rejected = matches!(earlier.state, State::Reported(Err(_)));
    if rejected && same_manager {
        log_kept_rejection(req, manager, earlier.requirement, requirement);
        return KeptSlot::Earlier;
    }
    let conflict = match same_manager {
        true => Conflict::Credentials,
        false => Conflict::Managers,
    };
    match earlier.state {
        State::Reported(Ok(_)) => KeptSlot::GuardSuccess(conflict),
        State::Reported(Err(_)) => {
            let settlement = Settlement::KeptRejection;
            log_conflict(req, conflict, earlier.requirement, requirement, settlement);
            KeptSlot::Earlier
        }
        State::Pending(..) | State::Vacant => KeptSlot::GuardPending,
    }
}

/// Replaces the state of `slot` by `state`, and wakes the extractors that found
/// the replaced loaders pending.
///
/// Dropping the loaders' future cancels that run of them, and drops the waker
/// that it registered too, so the extractors waiting for it would never be woken.
/// Woken, they poll the slot again and find the new state.
fn cancel(slot: &mut AuthSlot, state: State) {
    let replaced = std::mem::replace(&mut slot.state, state);

    if let State::Pending(future, waiters) = replaced {
        drop(future);
        waiters.wake_except(None);
    }
}

/// The cause of a conflict between a guard's authentication and a later start in
/// the same request.
#[derive(Clone, Copy)]
enum Conflict {
    /// Two guards of one manager require different token types or schemes.
    Credentials,
    /// The later extractor finds another manager than the guard did, as in a scope
    /// with a manager of its own behind a middleware that used the app's manager.
    Managers,
}

/// The state in which a conflict leaves the request's authentication.
#[derive(Clone, Copy)]
enum Settlement {
    /// The credentials were rejected, and every extractor gets that rejection.
    KeptRejection,
    /// The guard completed with success, which the slot keeps: only the later
    /// extractor fails with 500.
    FailedLater,
}

/// Logs a guard and a later start of authentication that cannot both hold.
#[cold]
fn log_conflict(
    req: &HttpRequest,
    conflict: Conflict,
    first: &Requirement,
    second: &Requirement,
    settlement: Settlement,
) {
    let outcome = match settlement {
        Settlement::KeptRejection => "kept the rejection of its credentials",
        Settlement::FailedLater => {
            "failed the later extractor with 500 and kept the guard's success"
        }
    };
    let cause = match conflict {
        Conflict::Credentials => "two guards that require different token types or schemes",
        Conflict::Managers => {
            "a guard and a later extractor that use different managers, such as an \
             app's manager in a middleware and a scope's own manager"
        }
    };

    log::error!(
        "{} has {cause} ({first:?} and {second:?}); {outcome}",
        req.path(),
    );
}

/// Logs a guard that received the rejection of an earlier guard of the same
/// manager with another token type or scheme, as `keep_earlier` describes.
#[cold]
fn log_kept_rejection(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    first: &Requirement,
    second: &Requirement,
) {
    log::warn!(
        "{}: a guard for {} tokens of scheme {} started after the credentials were \
         rejected for {} tokens of scheme {} and received that rejection, as the \
         second branch of `actix_web::Either` does. The loaders run once per request, \
         for one token type and scheme, so such a guard never succeeds",
        req.path(),
        manager.token_type_for(second),
        manager.scheme_for(second),
        manager.token_type_for(first),
        manager.scheme_for(first),
    );
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
    let (outcome, requirement, report, waiters) = {
        let mut extensions = req.extensions_mut();
        let Some(slot) = extensions.get_mut::<AuthSlot>() else {
            return Poll::Ready(Err(never_started(req)));
        };

        let (outcome, completed) = match &mut slot.state {
            State::Vacant => return Poll::Ready(Err(never_started(req))),
            State::Reported(outcome) => (outcome.clone(), false),
            State::Pending(future, waiters) => {
                let polled = match waiters.shared_waker(cx.waker()) {
                    Some(shared) => poll_loaders(req, future, &mut Context::from_waker(&shared)),
                    None => poll_loaders(req, future, cx),
                };
                match polled {
                    Poll::Pending => {
                        waiters.keep(cx.waker());
                        return Poll::Pending;
                    }
                    Poll::Ready(outcome) => (outcome, true),
                }
            }
        };
        let mut waiters = None;
        if completed {
            let replaced = std::mem::replace(&mut slot.state, State::Reported(outcome.clone()));
            if let State::Pending(_, replaced) = replaced {
                waiters = Some(replaced);
            }
        }
        let report = completed && (slot.authorized_listeners || outcome.is_err());
        (outcome, slot.requirement, report, waiters)
    };

    // The loaders may have completed without a wake, in a poll that another
    // cause started, so the other waiting tasks are woken here.
    if let Some(waiters) = waiters {
        waiters.wake_except(Some(cx.waker()));
    }

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

/// Polls the loaders' future, and turns a panic in a loader or a model method
/// into its rejection.
#[inline]
fn poll_loaders(
    req: &HttpRequest,
    future: &mut AuthFuture,
    cx: &mut Context<'_>,
) -> Poll<Result<Authenticated, Rejection>> {
    match future.as_mut().poll(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Ok(outcome)) => Poll::Ready(outcome),
        Poll::Ready(Err(_)) => Poll::Ready(Err(panicked(req))),
    }
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

/// Reads and checks the credentials header, then creates the loaders' future for
/// `requirement`, resolved against the configuration.
fn begin(
    req: &HttpRequest,
    manager: &StatelessAuthManager,
    requirement: &Requirement,
) -> Result<AuthFuture, Rejection> {
    let context = loaders::Context {
        token_type: Label::pick(requirement.token_type, &manager.default_token_type),
        auth_type: Label::pick(requirement.auth_type, &manager.default_auth_type),
    };
    let strict = manager.config.strict_rfc6750;
    let value = header::single_header(req.headers(), &manager.header_name)
        .map_err(|err| Rejection::of_header(strict, b"", &context.auth_type, err))?;
    let token = header::token_range(
        value.as_bytes(),
        &context.auth_type,
        manager.config.max_token_length,
    )
    .map_err(|err| Rejection::of_header(strict, value.as_bytes(), &context.auth_type, err))?;

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
