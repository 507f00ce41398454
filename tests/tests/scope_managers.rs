//! A scope with a manager of its own, inside an app whose middleware reads the
//! user before the request reaches that scope.
//!
//! actix-web looks app data up from the innermost scope outwards, and adds a
//! scope's data to the request only when the request enters the scope. An
//! app-wide middleware that extracts the user before calling the scope therefore
//! authenticates with the app's manager. The scope's routes must still accept
//! exactly the tokens of the scope's own manager.

mod log_capture;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, HttpServer, test, web};
use stateless_auth::{
    Access, CurrentUser, OptionalUser, StatelessAuthError, StatelessAuthManager, TokenMixin,
    TokenRequired, UserMixin, token_required,
};
use stateless_auth_tests::server::{TestServer, awc_client};

/// The only token that the app's manager accepts.
const APP_TOKEN: &str = "app-token";
/// The only token that the scope's manager accepts.
const SCOPE_TOKEN: &str = "scope-token";

struct Token {
    owner: &'static str,
}

impl TokenMixin for Token {}

struct User {
    name: &'static str,
}

impl UserMixin for User {}

/// Creates a manager that accepts only `accepted`, as the token of user `owner`,
/// and counts its token loader's calls in `loads`.
fn manager(
    accepted: &'static str,
    owner: &'static str,
    loads: &Arc<AtomicUsize>,
) -> StatelessAuthManager {
    let loads = Arc::clone(loads);

    StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok((token == accepted).then_some(Token { owner }))
        },
        async |token: &Token| Ok(Some(User { name: token.owner })),
    )
}

/// What the app-wide middleware extracts before the request reaches its route.
#[derive(Clone, Copy)]
enum FirstReader {
    /// `OptionalUser`, as a middleware that tags its log lines with the user would.
    User,
    /// `TokenRequired<Access>`, as an app that protects every route would.
    Guard,
    /// `OptionalUser`, then `TokenRequired<Access>`: a guard that shares the
    /// reader's authentication.
    UserThenGuard,
    /// `Option<TokenRequired<Access>>`: a guard whose rejection the middleware
    /// ignores, so the route runs after it.
    OptionalGuard,
}

/// Extracts what the app's [`FirstReader`] names, calls the route, and then
/// extracts the user again, as an access log would.
async fn read_first(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let first = *req.app_data::<FirstReader>().unwrap();
    let (http_req, payload) = req.into_parts();

    match first {
        FirstReader::User => {
            let _user = OptionalUser::<User>::extract(&http_req).await;
        }
        FirstReader::Guard => {
            TokenRequired::<Access>::extract(&http_req).await?;
        }
        FirstReader::UserThenGuard => {
            let _user = OptionalUser::<User>::extract(&http_req).await;
            TokenRequired::<Access>::extract(&http_req).await?;
        }
        FirstReader::OptionalGuard => {
            let _guard = Option::<TokenRequired<Access>>::extract(&http_req).await;
        }
    }

    let response = next
        .call(ServiceRequest::from_parts(http_req, payload))
        .await?;

    let _user = OptionalUser::<User>::extract(response.request()).await;
    Ok(response)
}

#[token_required]
async fn guarded(user: CurrentUser<User>) -> &'static str {
    user.name
}

async fn reader(user: CurrentUser<User>) -> &'static str {
    user.name
}

async fn optional_reader(user: OptionalUser<User>) -> &'static str {
    user.user().map_or("nobody", |user| user.name)
}

/// The response to one request, and what the managers counted while it ran.
struct Outcome {
    status: StatusCode,
    body: String,
    /// Calls of the app manager's token loader.
    app_loads: usize,
    /// Calls of the scope manager's `on_authorized` listener.
    scope_authorized: usize,
}

/// Sends `token` to `path` in an app with the app's manager, a middleware that
/// extracts `first`, and a `/scope` with its own manager. Only the scope's manager
/// has an `on_authorized` listener.
async fn send(first: FirstReader, path: &str, token: &str) -> Outcome {
    let (app_loads, scope_loads) = (Arc::default(), Arc::default());
    let scope_authorized = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&scope_authorized);
    let scope_manager =
        manager(SCOPE_TOKEN, "scope user", &scope_loads).on_authorized(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager(APP_TOKEN, "app user", &app_loads)))
            .app_data(first)
            .wrap(from_fn(read_first))
            .route("/guarded", web::get().to(guarded))
            .service(
                web::scope("/scope")
                    .app_data(web::Data::new(scope_manager))
                    .route("/guarded", web::get().to(guarded))
                    .route("/reader", web::get().to(reader))
                    .route("/optional", web::get().to(optional_reader)),
            ),
    )
    .await;
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_request();

    let res = test::call_service(&app, req).await;

    let status = res.status();
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    Outcome {
        status,
        body,
        app_loads: app_loads.load(Ordering::SeqCst),
        scope_authorized: scope_authorized.load(Ordering::SeqCst),
    }
}

/// Asserts that `outcome` is the 500 response of a request whose authentications
/// conflict.
fn assert_server_error(outcome: &Outcome) {
    assert_eq!(outcome.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        outcome.body,
        r#"{"error":"Server error: Internal server error"}"#
    );
}

#[actix_web::test]
async fn scope_guard_rejects_app_token() {
    let outcome = send(FirstReader::User, "/scope/guarded", APP_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn scope_guard_accepts_scope_token() {
    let outcome = send(FirstReader::User, "/scope/guarded", SCOPE_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::OK);
    assert_eq!(outcome.body, "scope user");
    assert_eq!(outcome.scope_authorized, 1);
}

#[actix_web::test]
async fn scope_reader_rejects_app_token() {
    let outcome = send(FirstReader::User, "/scope/reader", APP_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn scope_reader_accepts_scope_token() {
    let outcome = send(FirstReader::User, "/scope/reader", SCOPE_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::OK);
    assert_eq!(outcome.body, "scope user");
    assert_eq!(outcome.scope_authorized, 1);
}

#[actix_web::test]
async fn app_route_reuses_middleware_authentication() {
    let outcome = send(FirstReader::User, "/guarded", APP_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::OK);
    assert_eq!(outcome.body, "app user");
    assert_eq!(outcome.app_loads, 1);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn scope_reader_after_app_guard_fails_request() {
    let outcome = send(FirstReader::Guard, "/scope/reader", APP_TOKEN).await;

    assert_server_error(&outcome);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn scope_optional_user_after_app_guard_fails() {
    let outcome = send(FirstReader::Guard, "/scope/optional", APP_TOKEN).await;

    assert_server_error(&outcome);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn scope_optional_user_rejects_app_token() {
    let outcome = send(FirstReader::User, "/scope/optional", APP_TOKEN).await;

    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    assert_eq!(outcome.scope_authorized, 0);
}

#[actix_web::test]
async fn guards_of_two_managers_fail_request() {
    let outcome = send(FirstReader::Guard, "/scope/guarded", APP_TOKEN).await;

    assert_server_error(&outcome);
}

#[actix_web::test]
async fn scope_reader_after_rejected_app_guard_logs_conflict() {
    log_capture::install();

    let outcome = send(FirstReader::OptionalGuard, "/scope/reader", "unknown-token").await;

    assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
    let conflicts: Vec<String> = log_capture::lines_at(
        log::Level::Error,
        "/scope/reader has a guard and a later extractor that use different managers",
    )
    .into_iter()
    .filter(|line| line.contains("kept the rejection of its credentials"))
    .collect();
    assert!(
        !conflicts.is_empty(),
        "the conflict was not logged as an error"
    );
    let warnings = log_capture::lines_at(log::Level::Warn, "/scope/reader");
    assert!(warnings.is_empty(), "{warnings:#?}");
}

#[actix_web::test]
async fn scope_reader_after_app_reader_and_guard_fails_request() {
    let outcome = send(FirstReader::UserThenGuard, "/scope/reader", APP_TOKEN).await;

    assert_server_error(&outcome);
    assert_eq!(outcome.app_loads, 1);
    assert_eq!(outcome.scope_authorized, 0);
}

/// Builds an app whose manager `data` is registered on the app, through
/// `App::configure`, and again on `/scope` and through its `configure`, behind a
/// middleware that guards every route with it.
fn shared_manager_app(
    data: web::Data<StatelessAuthManager>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    let (app_copy, scope_copy) = (data.clone(), data.clone());

    App::new()
        .app_data(data.clone())
        .configure(move |cfg| {
            cfg.app_data(app_copy);
        })
        .app_data(FirstReader::Guard)
        .wrap(from_fn(read_first))
        .service(
            web::scope("/scope")
                .app_data(data)
                .configure(move |cfg| {
                    cfg.app_data(scope_copy);
                })
                .route("/reader", web::get().to(reader))
                .route("/guarded", web::get().to(guarded)),
        )
}

#[actix_web::test]
async fn shared_manager_data_is_one_manager() {
    for path in ["/scope/reader", "/scope/guarded"] {
        let loads = Arc::default();
        let data = web::Data::new(manager(APP_TOKEN, "app user", &loads));
        let app = test::init_service(shared_manager_app(data)).await;
        let req = test::TestRequest::get()
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {APP_TOKEN}")))
            .to_request();

        let body = test::call_and_read_body(&app, req).await;

        assert_eq!(body, "app user", "{path}");
        assert_eq!(loads.load(Ordering::SeqCst), 1, "{path}: token loads");
    }
}

/// Requests sent to the server test, half of them with each token.
const SERVER_REQUESTS: usize = 16;

#[actix_web::test]
async fn worker_managers_shared_by_scope() {
    let loads: Arc<AtomicUsize> = Arc::default();
    let worker_loads = Arc::clone(&loads);
    let server = TestServer::start(
        HttpServer::new(move || {
            let worker_manager = manager(APP_TOKEN, "app user", &worker_loads);
            shared_manager_app(web::Data::new(worker_manager))
        })
        .workers(2)
        .disable_signals(),
    );
    let client = awc_client(Duration::from_secs(5));

    let mut statuses = Vec::new();
    for index in 0..SERVER_REQUESTS {
        let token = [APP_TOKEN, SCOPE_TOKEN][index % 2];
        let sent = client
            .get(server.url("/scope/reader"))
            .bearer_auth(token)
            .send()
            .await;
        statuses.push((token, sent.map(|response| response.status().as_u16()).ok()));
    }
    server.stop(true).await;

    for (token, status) in statuses {
        let expected = match token {
            APP_TOKEN => 200,
            _ => 401,
        };
        assert_eq!(status, Some(expected), "{token}");
    }
    assert_eq!(loads.load(Ordering::SeqCst), SERVER_REQUESTS);
}
