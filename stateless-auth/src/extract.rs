//! The future behind every extractor of this crate.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::{HttpRequest, web};

use crate::authenticated::Authenticated;
use crate::error::StatelessAuthError;
use crate::manager::{StatelessAuthManager, missing_manager};
use crate::slot;
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

enum State<O> {
    Waiting {
        req: HttpRequest,
        manager: web::Data<StatelessAuthManager>,
        requirement: Requirement,
        started: bool,
        project: Project<O>,
    },
    Ready(Option<Result<O, actix_web::Error>>),
}

impl<O> ExtractFuture<O> {
    /// Creates the future for an extractor with `requirement`.
    pub(crate) fn new(
        req: &HttpRequest,
        requirement: Requirement,
        start: Start,
        project: Project<O>,
    ) -> Self {
        let Some(manager) = StatelessAuthManager::of(req) else {
            return Self::ready(Err(missing_manager()));
        };

        let mut started = false;
        if start == Start::Eager {
            if let Err(err) = slot::start(req, manager, requirement) {
                manager.report_rejection(req, &err);
                return Self::ready(Err(manager.response_error(err, req)));
            }
            started = true;
        }

        ExtractFuture {
            state: State::Waiting {
                req: req.clone(),
                manager: manager.clone(),
                requirement,
                started,
                project,
            },
        }
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
        let (req, manager, project) = match &mut this.state {
            State::Ready(result) => {
                return Poll::Ready(result.take().unwrap_or_else(|| {
                    Err(StatelessAuthError::server("extractor polled after completion").into())
                }));
            }
            State::Waiting {
                req,
                manager,
                requirement,
                started,
                project,
            } => {
                if !*started {
                    *started = true;
                    if let Err(err) = slot::start(req, manager, *requirement) {
                        manager.report_rejection(req, &err);
                        return Poll::Ready(Err(manager.response_error(err, req)));
                    }
                }
                (req, manager, *project)
            }
        };

        let outcome = ready!(slot::poll(req, manager, cx))
            .and_then(|authenticated| {
                project(req, authenticated).inspect_err(|err| manager.report_rejection(req, err))
            })
            .map_err(|err| manager.response_error(err, req));

        this.state = State::Ready(None);
        Poll::Ready(outcome)
    }
}
