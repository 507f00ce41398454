//! A middleware extractor that waits for the request's loaders while the
//! handler runs must be woken when the handler's guard replaces them. A guard
//! that conflicts with the guard that started the loaders, in the middleware or
//! in the handler, waits for them and completes once they have.
//!
//! The loaders here sleep on a timer, which does not wake its task when it is
//! dropped. Each request runs in a task of its own, so that the test's timeout
//! cannot wake it.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, test, web};
use futures_util::future::join;
use stateless_auth::{
    CurrentUser, Refresh, StatelessAuthError, StatelessAuthManager, TokenRequired, token_required,
};
use stateless_auth_tests::{Calls, Token, User, count_listeners};

/// Time the token loader sleeps before it returns.
const LOADER_DELAY: Duration = Duration::from_millis(20);

/// Time a request may take before the test counts it as stalled.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Calls of the token loader.
#[derive(Default)]
struct Loads {
    tokens: AtomicUsize,
}

/// Creates a manager whose token loader sleeps for [`LOADER_DELAY`], then accepts
/// `alice-access` as an access token and `alice-refresh` as a refresh token.
fn sleeping_manager(loads: &Arc<Loads>) -> StatelessAuthManager {
    let counter = Arc::clone(loads);

    StatelessAuthManager::new(
        async move |token: &str, token_type: &str, _: &str| {
            counter.tokens.fetch_add(1, Ordering::SeqCst);
            actix_web::rt::time::sleep(LOADER_DELAY).await;

            let stored_type = match token {
                "alice-access" => "access",
                "alice-refresh" => "refresh",
                _ => return Ok::<_, StatelessAuthError>(None),
            };
            let model = Token {
                user: "alice".to_owned(),
                token_type: stored_type.to_owned(),
                expired: false,
                scopes: Vec::new(),
            };
            Ok((stored_type == token_type).then_some(model))
        },
        async |token: &Token| {
            Ok(Some(User {
                name: token.user.clone(),
                active: true,
            }))
        },
    )
}

/// Returns the user's name behind an access-token guard.
#[token_required]
async fn whoami(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Returns the user's name behind a guard whose scheme is `Token`.
#[token_required(auth_type = "Token")]
async fn whoami_token_scheme(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Extracts a refresh-token guard while the handler runs, the handler first.
async fn refresh_guard_after_handler(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request = req.request().clone();
    let guard = async { TokenRequired::<Refresh>::extract(&request).await.is_ok() };

    let (response, _) = join(next.call(req), guard).await;

    response
}

/// Extracts a refresh-token guard while the handler runs, the guard first.
async fn refresh_guard_before_handler(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request = req.request().clone();
    let guard = async { TokenRequired::<Refresh>::extract(&request).await.is_ok() };

    let (_, response) = join(guard, next.call(req)).await;

    response
}

/// Extracts the user while the handler runs, the reader first.
async fn user_before_handler(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request = req.request().clone();
    let reader = async { CurrentUser::<User>::extract(&request).await.is_ok() };

    let (_, response) = join(reader, next.call(req)).await;

    response
}

/// Sends a GET for `path` with `authorization` in a task of its own, and returns
/// its status, or `None` when the request did not complete within
/// [`REQUEST_TIMEOUT`], along with the token loads and listener calls.
async fn send(path: &'static str, authorization: &'static str) -> (Option<u16>, usize, Calls) {
    let loads = Arc::new(Loads::default());
    let calls = Calls::default();
    let manager = web::Data::new(count_listeners(sleeping_manager(&loads), &calls));
    let app = test::init_service(
        App::new()
            .app_data(manager)
            .service(
                web::resource("/after")
                    .wrap(from_fn(refresh_guard_after_handler))
                    .route(web::get().to(whoami)),
            )
            .service(
                web::resource("/before")
                    .wrap(from_fn(refresh_guard_before_handler))
                    .route(web::get().to(whoami)),
            )
            .service(
                web::resource("/reader")
                    .wrap(from_fn(user_before_handler))
                    .route(web::get().to(whoami_token_scheme)),
            ),
    )
    .await;
    let app = Rc::new(app);
    let request = test::TestRequest::get()
        .uri(path)
        .insert_header((header::AUTHORIZATION, authorization))
        .to_request();

    // NOTE: the request runs in its own task because a timer of the test's task
    // would wake a stalled request and hide the stall.
    let task = actix_web::rt::spawn(async move {
        let response = test::call_service(&*app, request).await;
        response.status().as_u16()
    });
    let status = match actix_web::rt::time::timeout(REQUEST_TIMEOUT, task).await {
        Ok(joined) => Some(joined.unwrap()),
        Err(_) => None,
    };

    (status, loads.tokens.load(Ordering::SeqCst), calls)
}

#[actix_web::test]
async fn conflicting_guard_after_handler_completes() {
    let (status, token_loads, calls) = send("/after", "Bearer alice-access").await;

    assert!(
        status.is_some(),
        "the middleware's guard was never woken by the handler's loaders"
    );
    assert_eq!(status, Some(200), "the handler's guard started first");
    assert_eq!(token_loads, 1);
    assert_eq!(
        (calls.authorized(), calls.unauthorized()),
        (1, 1),
        "the handler's success, then the middleware's guard's 500"
    );
}

#[actix_web::test]
async fn conflicting_guard_before_handler_completes() {
    let (status, token_loads, calls) = send("/before", "Bearer alice-access").await;

    assert!(
        status.is_some(),
        "the handler's guard was never woken by the middleware's loaders"
    );
    assert_eq!(
        status,
        Some(401),
        "the handler's guard receives the middleware's refresh-token rejection"
    );
    assert_eq!(token_loads, 1);
    assert_eq!((calls.authorized(), calls.unauthorized()), (0, 1));
}

#[actix_web::test]
async fn reader_replaced_by_guard_completes() {
    let (status, token_loads, calls) = send("/reader", "Bearer alice-access").await;

    assert!(
        status.is_some(),
        "the middleware's reader waited for loaders that the handler's guard dropped"
    );
    assert_eq!(status, Some(400), "a Bearer header on a Token route");
    assert_eq!(token_loads, 1);
    assert_eq!(calls.unauthorized(), 1);
}
