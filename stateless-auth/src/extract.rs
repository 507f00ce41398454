//! The future behind every extractor of this crate.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::{HttpRequest, web};

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::manager::{LazyManager, StatelessAuthManager, missing_manager};
use crate::slot::{self, Started};
use crate::spec::Requirement;

/// When an extractor starts authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// In `from_request`: guards, so that their requirement wins.
    Eager,
    /// At the first poll, after every parameter's `from_request` has run: extractors
    /// that only read the user, so that a guard later in the parameter list can set
    /// the requirement first.
    Lazy,
}

/// Builds an extractor's value from the authentication, or rejects the request.
pub(crate) type Project<O> = fn(&HttpRequest, Authenticated) -> Result<O, StatelessAuthError>;

/// The future of the extractors of this crate.
///
/// It completes when the request's authentication has, sharing one run of the
/// loaders with every other extractor of the request.
#[must_use = "futures do nothing unless polled"]
pub struct ExtractFuture<O> {
    state: State<O>,
}

// Every handler parameter of this crate holds one of these, and actix-web moves
// them several times per request, so `Waiting` is kept to three words: the
// manager is looked up again only when a poll needs it, and the requirement is a
// reference.
enum State<O> {
    Waiting {
        req: HttpRequest,
        /// The requirement of an extractor that has not started authentication yet.
        unstarted: Option<&'static Requirement>,
        project: Project<O>,
    },
    Ready(Option<Result<O, actix_web::Error>>),
}

impl<O> ExtractFuture<O> {
    /// Creates the future for an extractor with `requirement`.
    pub(crate) fn new(
        req: &HttpRequest,
        requirement: &'static Requirement,
        start: Start,
        project: Project<O>,
    ) -> Self {
        if start == Start::Lazy
            && let Some(authenticated) = slot::guard_success(req)
        {
            return Self::projected(req, authenticated, project);
        }

        let mut unstarted = Some(requirement);
        if start == Start::Eager {
            unstarted = match start_now(req, requirement) {
                Ok(unstarted) => unstarted,
                Err(err) => return Self::ready(Err(err)),
            };
        }

        ExtractFuture {
            state: State::Waiting {
                req: req.clone(),
                unstarted,
                project,
            },
        }
    }

    /// Creates a future that completes at once with the extractor's value, built
    /// from a guard's final authentication, or with the rejection of `project`.
    fn projected(req: &HttpRequest, authenticated: Authenticated, project: Project<O>) -> Self {
        let result = project(req, authenticated)
            .map_err(|err| reject_after_success(req, StatelessAuthManager::of(req), err));

        Self::ready(result)
    }

    /// Creates a future that completes at once with `result`.
    pub(crate) fn ready(result: Result<O, actix_web::Error>) -> Self {
        ExtractFuture {
            state: State::Ready(Some(result)),
        }
    }
}

impl<O> Unpin for ExtractFuture<O> {}

impl<O> Future for ExtractFuture<O> {
    type Output = Result<O, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (req, unstarted, project) = match &mut this.state {
            State::Ready(result) => {
                return Poll::Ready(
                    result
                        .take()
                        .unwrap_or_else(|| Err(polled_after_completion())),
                );
            }
            State::Waiting {
                req,
                unstarted,
                project,
            } => (req, unstarted, *project),
        };

        let result = match unstarted.take() {
            Some(requirement) => {
                let restart = || *unstarted = Some(requirement);
                ready!(start_and_poll(req, requirement, cx, project, restart))
            }
            None => ready!(poll_project(req, cx, project)),
        };
        this.state = State::Ready(None);
        Poll::Ready(result)
    }
}

/// Creates the error of an extractor's future that is polled after it completed.
pub(crate) fn polled_after_completion() -> actix_web::Error {
    StatelessAuthError::server("extractor polled after completion").into()
}

/// Starts authenticating `req` for `requirement`, unless an extractor of the same
/// request already did, and turns a rejection into the extractor's error.
///
/// Returns `Some(requirement)` when the extractor must start at its first poll
/// instead, with [`start_and_poll`], as [`Started::AtNextPoll`] describes.
pub(crate) fn start_now(
    req: &HttpRequest,
    requirement: &'static Requirement,
) -> Result<Option<&'static Requirement>, actix_web::Error> {
    let Some(manager) = StatelessAuthManager::of(req) else {
        return Err(missing_manager());
    };

    match slot::start(req, manager, requirement, None) {
        Started::Rejected(err) => Err(err),
        Started::AtNextPoll => Ok(Some(requirement)),
        Started::Succeeded(_) | Started::Pending | Started::Waiting => Ok(None),
    }
}

/// Starts authenticating `req` for `requirement` in an extractor's poll, unless an
/// extractor of the same request already did, and polls it with `cx`. Builds the
/// extractor's value with `project` once it succeeds.
///
/// Once this has returned `Pending`, the extractor polls with [`poll_project`],
/// unless it called `restart` first. Then the extractor conflicts with a guard
/// whose loaders are pending, as [`Started::AtNextPoll`] describes, and must call
/// this again at its next poll.
///
/// It is always inlined. Every `Guarded` passes the same `project`, and without the
/// attribute the compiler kept it as a function of its own, which cost a guarded
/// request about 40 instructions in the benchmark (callgrind).
#[inline(always)]
pub(crate) fn start_and_poll<O>(
    req: &HttpRequest,
    requirement: &'static Requirement,
    cx: &mut Context<'_>,
    project: impl FnOnce(&HttpRequest, Authenticated) -> Result<O, StatelessAuthError>,
    restart: impl FnOnce(),
) -> Poll<Result<O, actix_web::Error>> {
    let Some(manager) = StatelessAuthManager::of(req) else {
        return Poll::Ready(Err(missing_manager()));
    };

    match slot::start(req, manager, requirement, Some(cx)) {
        Started::Succeeded(authenticated) => Poll::Ready(
            project(req, authenticated)
                .map_err(|err| reject_after_success(req, Some(manager), err)),
        ),
        Started::Rejected(err) => Poll::Ready(Err(err)),
        Started::Pending => Poll::Pending,
        Started::Waiting => poll_project(req, cx, project),
        Started::AtNextPoll => {
            restart();
            Poll::Pending
        }
    }
}

/// Polls the authentication of `req`, which [`start_now`] must have begun, and
/// builds an extractor's value from it with `project`.
#[inline]
pub(crate) fn poll_project<O>(
    req: &HttpRequest,
    cx: &mut Context<'_>,
    project: impl FnOnce(&HttpRequest, Authenticated) -> Result<O, StatelessAuthError>,
) -> Poll<Result<O, actix_web::Error>> {
    // An accepted request needs nothing from the manager here, so it is looked
    // up only for a rejection, once.
    let mut manager = LazyManager::new(req);
    let outcome = match ready!(slot::poll(req, &mut manager, cx)) {
        Ok(authenticated) => project(req, authenticated).map_err(|err| (err, true)),
        Err(err) => Err((err, false)),
    };

    Poll::Ready(outcome.map_err(|(err, unreported)| reject(req, &mut manager, err, unreported)))
}

/// Turns a rejection into the extractor's error, after reporting it to the
/// listeners if `unreported`.
fn reject(
    req: &HttpRequest,
    manager: &mut LazyManager<'_>,
    err: StatelessAuthError,
    unreported: bool,
) -> actix_web::Error {
    if unreported {
        return reject_after_success(req, manager.get(), err);
    }

    match manager.get() {
        Some(manager) => manager.response_error(err, req),
        None => missing_manager(),
    }
}

/// Turns a rejection that an extractor made after the authentication succeeded,
/// such as a model type mismatch or a failed role check, into its error: with the
/// route's challenge, reported to the listeners, through the error handler.
pub(crate) fn reject_after_success(
    req: &HttpRequest,
    manager: Option<&web::Data<StatelessAuthManager>>,
    err: StatelessAuthError,
) -> actix_web::Error {
    let Some(manager) = manager else {
        return missing_manager();
    };

    let requirement = slot::route_requirement(req);
    let err = slot::with_route_challenge(manager, err, requirement);
    manager.report_rejection(req, &err, requirement);
    manager.response_error(err, req)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::http::StatusCode;
    use actix_web::http::header::AUTHORIZATION;
    use actix_web::{App, HttpResponse, test, web};

    use crate::{
        Access, CurrentUser, Guarded, StatelessAuthError, StatelessAuthManager, TokenMixin,
        UserMixin,
    };

    struct Token;

    impl TokenMixin for Token {}

    struct User(u32);

    impl UserMixin for User {}

    async fn right_type(guarded: Guarded<Access, (CurrentUser<User>,)>) -> HttpResponse {
        let (user,) = guarded.into_inner();
        HttpResponse::Ok().body(user.0.to_string())
    }

    async fn wrong_type(_: Guarded<Access, (CurrentUser<String>,)>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    /// Sends a valid token to `path` and returns the status and the number of
    /// `on_unauthorized` calls.
    async fn call(path: &str) -> (StatusCode, usize) {
        let rejections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&rejections);
        let manager = StatelessAuthManager::new(
            async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
                Ok((token == "valid").then_some(Token))
            },
            async |_: &Token| Ok(Some(User(7))),
        )
        .on_unauthorized(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(manager))
                .route("/right", web::get().to(right_type))
                .route("/wrong", web::get().to(wrong_type)),
        )
        .await;
        let request = test::TestRequest::get()
            .uri(path)
            .insert_header((AUTHORIZATION, "Bearer valid"))
            .to_request();

        let response = test::call_service(&app, request).await;

        (response.status(), rejections.load(Ordering::SeqCst))
    }

    #[actix_web::test]
    async fn user_after_guard_reads_its_outcome() {
        let (status, rejections) = call("/right").await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(rejections, 0);
    }

    #[actix_web::test]
    async fn mismatched_user_after_guard_is_rejected_once() {
        let (status, rejections) = call("/wrong").await;

        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(rejections, 1);
    }
}
