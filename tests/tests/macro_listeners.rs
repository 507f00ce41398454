//! The listeners and the error handler of `#[token_required]` routes, and what a
//! middleware reads around them.
//!
//! The tests check one listener call per outcome, also when the loaders return
//! `Pending` first or panic, one error handler call per rejection, what a
//! middleware reads after the handler, and a middleware that authenticated the
//! request before the handler.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, get, test, web};
use stateless_auth::{CurrentUser, OptionalUser, StatelessAuthManager, token_required};
use stateless_auth_tests::{
    Calls, PANIC_TOKEN, Store, User, count_error_handler, counting_manager, status_and_error,
    user_header,
};

/// Returns the user's name.
#[token_required]
#[get("/whoami")]
async fn whoami(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Creates an app with [`whoami`] behind [`user_header`].
fn app(
    manager: StatelessAuthManager,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .app_data(web::Data::new(manager))
        .wrap(from_fn(user_header))
        .service(whoami)
}

/// Sends a GET for `/whoami` with `authorization`, if any, and returns the status,
/// the `x-user` header and the JSON error or body.
async fn send(manager: StatelessAuthManager, authorization: Option<&str>) -> (u16, String, String) {
    let app = test::init_service(app(manager)).await;
    let mut req = test::TestRequest::get().uri("/whoami");
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }

    let response = test::call_service(&app, req.to_request()).await;

    let user = response
        .headers()
        .get("x-user")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    if response.status().is_success() {
        let status = response.status().as_u16();
        let body = test::read_body(response).await;
        return (status, user, String::from_utf8(body.to_vec()).unwrap());
    }
    let (status, error) = status_and_error(response).await;
    (status, user, error)
}

#[actix_web::test]
async fn pending_loaders_complete_and_report_once() {
    let store = Store::standard();
    let calls = Calls::default();

    let outcome = send(
        counting_manager(&store, &calls),
        Some("Bearer slow-alice-access"),
    )
    .await;

    assert_eq!(outcome, (200, "alice".to_owned(), "alice".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.counts(), (1, 0, 0));
}

#[actix_web::test]
async fn loader_rejection_reports_once_and_leaves_no_authentication() {
    let store = Store::standard();
    let calls = Calls::default();

    let outcome = send(counting_manager(&store, &calls), Some("Bearer nobody")).await;

    assert_eq!(
        outcome,
        (
            401,
            "anonymous".to_owned(),
            "Token error: Invalid token".to_owned()
        )
    );
    assert_eq!(store.loads(), (1, 0));
    assert_eq!(calls.counts(), (0, 1, 0));
}

#[actix_web::test]
async fn error_handler_runs_once_for_each_rejection() {
    let cases = [
        (None, (0, 0)),
        (Some("Bearer nobody"), (1, 0)),
        (Some("Bearer slow-alice-refresh"), (1, 0)),
        (Some("Bearer bob-access"), (1, 1)),
    ];

    for (authorization, loads) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let (status, user, _) = send(
            count_error_handler(counting_manager(&store, &calls), &calls),
            authorization,
        )
        .await;

        assert_eq!(status, 418, "{authorization:?}");
        assert_eq!(user, "anonymous", "{authorization:?}");
        assert_eq!(store.loads(), loads, "{authorization:?}");
        assert_eq!(calls.counts(), (0, 1, 1), "{authorization:?}");
    }
}

#[actix_web::test]
async fn panicking_loader_gets_500_and_reports_once() {
    let store = Store::standard();
    let calls = Calls::default();

    let outcome = send(
        counting_manager(&store, &calls),
        Some(&format!("Bearer {PANIC_TOKEN}")),
    )
    .await;

    assert_eq!(
        outcome,
        (
            500,
            "anonymous".to_owned(),
            "Server error: Internal server error".to_owned()
        )
    );
    assert_eq!(calls.counts(), (0, 1, 0));
}

/// Authenticates the request before the handler, with the configured defaults, and
/// copies the user's name into an `x-middleware-user` header.
async fn authenticate_first(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let user = req.extract::<OptionalUser<User>>().await?;
    let name = user
        .user()
        .map_or_else(|| "anonymous".to_owned(), |user| user.name.clone());

    let mut response = next.call(req).await?;
    response.headers_mut().insert(
        HeaderName::from_static("x-middleware-user"),
        HeaderValue::from_str(&name).unwrap(),
    );
    Ok(response)
}

#[actix_web::test]
async fn guard_reuses_authentication_that_middleware_completed() {
    let store = Store::standard();
    let calls = Calls::default();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(counting_manager(&store, &calls)))
            .wrap(from_fn(authenticate_first))
            .service(whoami),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/whoami")
        .insert_header((header::AUTHORIZATION, "Bearer alice-access"))
        .to_request();

    let response = test::call_service(&app, req).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("x-middleware-user").unwrap(),
        "alice"
    );
    assert_eq!(store.loads(), (1, 1), "the guard ran the loaders again");
    assert_eq!(calls.counts(), (1, 0, 0));
    assert_eq!(test::read_body(response).await, "alice");
}
