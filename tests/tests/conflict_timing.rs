//! A guard that conflicts with an earlier guard of the same handler gets one
//! outcome whether the earlier guard's loaders return at once or return
//! `Pending` first, because it waits for that guard's outcome. After a success it
//! alone fails with 500 and the request keeps the success. After a rejection it
//! receives that rejection. When the earlier guard rejects the request after its
//! loaders succeeded, for a missing scope, that 403 is the response. Tokens named
//! `slow-...` make the token loader return `Pending` once.

mod log_capture;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, Either, HttpServer, test, web};
use stateless_auth::{
    Access, CurrentUser, Guarded, Refresh, StatelessAuthManager, TokenRequired, TokenSpec,
    token_required,
};
use stateless_auth_tests::server::{TestServer, awc_client};
use stateless_auth_tests::{
    Calls, Store, User, count_error_handler, counting_manager, manager, user_header,
};

/// Time a request to the real server may take before the test fails.
const SERVER_TIMEOUT: Duration = Duration::from_secs(5);

/// The JSON body of the 500 that a conflicting guard returns.
const SERVER_ERROR: &str = r#"{"error":"Server error: Internal server error"}"#;

/// The JSON body of the 401 for a token that the loaders reject.
const INVALID_TOKEN: &str = r#"{"error":"Token error: Invalid token"}"#;

/// The JSON body of the 403 for a token without a scope that the guard requires.
const INSUFFICIENT_SCOPE: &str = r#"{"error":"Scope error: Insufficient scope"}"#;

/// An access token that must grant `admin`, which no `alice-access` token of the
/// standard store does.
struct AdminAccess;

impl TokenSpec for AdminAccess {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

async fn access_then_optional_refresh(
    _: TokenRequired<Access>,
    refresh: Option<TokenRequired<Refresh>>,
) -> String {
    format!("refresh={}", refresh.is_some())
}

async fn access_then_refresh_or_user(
    _: TokenRequired<Access>,
    guard: Either<TokenRequired<Refresh>, CurrentUser<User>>,
) -> String {
    match guard {
        Either::Left(_) => "refresh".to_owned(),
        Either::Right(user) => format!("user {}", user.name),
    }
}

async fn access_then_refresh(_: TokenRequired<Access>, _: TokenRequired<Refresh>) -> &'static str {
    "both"
}

async fn refresh_then_access(_: TokenRequired<Refresh>, _: TokenRequired<Access>) -> &'static str {
    "both"
}

async fn admin_then_refresh(
    _: TokenRequired<AdminAccess>,
    _: TokenRequired<Refresh>,
) -> &'static str {
    "both"
}

async fn admin_then_optional_refresh(
    _: TokenRequired<AdminAccess>,
    refresh: Option<TokenRequired<Refresh>>,
) -> String {
    format!("refresh={}", refresh.is_some())
}

async fn guarded_admin_then_refresh(
    _: Guarded<AdminAccess, ()>,
    _: TokenRequired<Refresh>,
) -> &'static str {
    "both"
}

/// `Either` starts its first branch in its own poll, so the refresh guard starts
/// after the admin guard although actix-web polls it first.
async fn refresh_or_user_then_admin(
    guard: Either<TokenRequired<Refresh>, CurrentUser<User>>,
    _: TokenRequired<AdminAccess>,
) -> String {
    match guard {
        Either::Left(_) => "refresh".to_owned(),
        Either::Right(user) => format!("user {}", user.name),
    }
}

/// A `#[token_required]` handler whose `Option` parameter the macro extracts only
/// after the access guard completed, for comparison with the plain handler.
#[token_required]
async fn token_required_optional_refresh(refresh: Option<TokenRequired<Refresh>>) -> String {
    format!("refresh={}", refresh.is_some())
}

/// Adds the routes under test. `/log/{timing}/...` repeats `access_then_refresh`
/// and `refresh_then_access` under paths that each log test picks for itself,
/// because the tests of this binary share one log.
fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/optional_refresh",
            web::get().to(access_then_optional_refresh),
        )
        .route(
            "/refresh_or_user",
            web::get().to(access_then_refresh_or_user),
        )
        .route("/access_then_refresh", web::get().to(access_then_refresh))
        .route("/refresh_then_access", web::get().to(refresh_then_access))
        .route(
            "/macro_optional_refresh",
            web::get().to(token_required_optional_refresh),
        )
        .route("/admin_then_refresh", web::get().to(admin_then_refresh))
        .route(
            "/admin_then_optional_refresh",
            web::get().to(admin_then_optional_refresh),
        )
        .route(
            "/guarded_admin_then_refresh",
            web::get().to(guarded_admin_then_refresh),
        )
        .route(
            "/refresh_or_user_then_admin",
            web::get().to(refresh_or_user_then_admin),
        )
        .route(
            "/log/{timing}/access_then_refresh",
            web::get().to(access_then_refresh),
        )
        .route(
            "/log/{timing}/refresh_then_access",
            web::get().to(refresh_then_access),
        );
}

/// The response to one request, with the listener and error handler calls.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    body: String,
    /// The `x-user` header: the user that `Authenticated::from_extensions`
    /// returned after the handler, `anonymous` for `None`, or `<none>` when the
    /// header is missing.
    user: String,
    /// Calls of `on_authorized`, `on_unauthorized` and the error handler.
    calls: (usize, usize, usize),
}

/// Sends `GET path` with `Bearer token` to a fresh app behind `user_header`,
/// whose manager counts its listener calls and, with `handle_errors`, has the
/// fixtures' error handler (418 with the error's message).
async fn send(path: &str, token: &str, handle_errors: bool) -> Reply {
    let store = Store::standard();
    let calls = Calls::default();
    let mut manager: StatelessAuthManager = counting_manager(&store, &calls);
    if handle_errors {
        manager = count_error_handler(manager, &calls);
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .wrap(from_fn(user_header))
            .configure(routes),
    )
    .await;
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();

    let response = test::call_service(&app, req).await;

    let status = response.status().as_u16();
    let user = match response.headers().get("x-user") {
        Some(value) => value.to_str().unwrap().to_owned(),
        None => "<none>".to_owned(),
    };
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    Reply {
        status,
        body,
        user,
        calls: calls.counts(),
    }
}

/// Builds an expected [`Reply`].
fn reply(status: u16, body: &str, user: &str, calls: (usize, usize, usize)) -> Reply {
    Reply {
        status,
        body: body.to_owned(),
        user: user.to_owned(),
        calls,
    }
}

#[actix_web::test]
async fn optional_conflicting_guard_is_none() {
    for token in ["alice-access", "slow-alice-access"] {
        let sent = send("/optional_refresh", token, false).await;

        assert_eq!(
            sent,
            reply(200, "refresh=false", "alice", (1, 1, 0)),
            "{token}"
        );
    }
}

#[actix_web::test]
async fn optional_guard_matches_token_required_handler() {
    for token in ["alice-access", "slow-alice-access"] {
        let plain = send("/optional_refresh", token, false).await;
        let macro_made = send("/macro_optional_refresh", token, false).await;

        assert_eq!(plain, macro_made, "{token}");
    }
}

#[actix_web::test]
async fn either_conflict_takes_second_branch() {
    for token in ["alice-access", "slow-alice-access"] {
        let sent = send("/refresh_or_user", token, false).await;

        assert_eq!(
            sent,
            reply(200, "user alice", "alice", (1, 1, 0)),
            "{token}"
        );
    }
}

#[actix_web::test]
async fn conflicting_guard_fails_alone() {
    let cases = [
        ("/access_then_refresh", "alice-access"),
        ("/access_then_refresh", "slow-alice-access"),
        ("/refresh_then_access", "alice-refresh"),
        ("/refresh_then_access", "slow-alice-refresh"),
    ];
    for (path, token) in cases {
        let sent = send(path, token, false).await;

        assert_eq!(
            sent,
            reply(500, SERVER_ERROR, "alice", (1, 1, 0)),
            "{path} {token}"
        );
    }
}

#[actix_web::test]
async fn conflicting_guard_error_handled_once() {
    let cases = [
        ("/access_then_refresh", "slow-alice-access"),
        ("/refresh_then_access", "slow-alice-refresh"),
    ];
    for (path, token) in cases {
        let sent = send(path, token, true).await;

        assert_eq!(
            sent,
            reply(418, "Internal server error", "alice", (1, 1, 1)),
            "{path} {token}"
        );
    }
}

#[actix_web::test]
async fn first_guard_rejection_is_response() {
    let cases = [
        ("/access_then_refresh", "nobody"),
        ("/access_then_refresh", "slow-nobody"),
        ("/access_then_refresh", "alice-refresh"),
        ("/access_then_refresh", "slow-alice-refresh"),
        ("/refresh_then_access", "alice-access"),
        ("/refresh_then_access", "slow-alice-access"),
        ("/optional_refresh", "slow-nobody"),
        ("/refresh_or_user", "slow-nobody"),
    ];
    for (path, token) in cases {
        let sent = send(path, token, false).await;

        assert_eq!(
            sent,
            reply(401, INVALID_TOKEN, "anonymous", (0, 1, 0)),
            "{path} {token}"
        );
    }
}

#[actix_web::test]
async fn first_guard_scope_rejection_is_response() {
    let paths = [
        "/admin_then_refresh",
        "/admin_then_optional_refresh",
        "/guarded_admin_then_refresh",
        "/refresh_or_user_then_admin",
    ];
    for path in paths {
        for token in ["alice-access", "slow-alice-access"] {
            let sent = send(path, token, false).await;

            assert_eq!(
                sent,
                reply(403, INSUFFICIENT_SCOPE, "alice", (1, 1, 0)),
                "{path} {token}"
            );
        }
    }
}

#[actix_web::test]
async fn first_guard_scope_rejection_handled_once() {
    for token in ["alice-access", "slow-alice-access"] {
        let sent = send("/admin_then_optional_refresh", token, true).await;

        assert_eq!(
            sent,
            reply(418, "Insufficient scope", "alice", (1, 1, 1)),
            "{token}"
        );
    }
}

#[actix_web::test]
async fn first_guard_rejection_handled_once() {
    for token in ["nobody", "slow-nobody"] {
        let sent = send("/access_then_refresh", token, true).await;

        assert_eq!(
            sent,
            reply(418, "Invalid token", "anonymous", (0, 1, 1)),
            "{token}"
        );
    }
}

#[actix_web::test]
async fn conflict_logged_once_for_later_guard() {
    log_capture::install();
    let cases = [
        ("ready", "access_then_refresh", "alice-access", "refresh"),
        (
            "pending",
            "access_then_refresh",
            "slow-alice-access",
            "refresh",
        ),
        ("ready", "refresh_then_access", "alice-refresh", "access"),
        (
            "pending",
            "refresh_then_access",
            "slow-alice-refresh",
            "access",
        ),
    ];
    for (timing, handler, token, later_type) in cases {
        let path = format!("/log/{timing}/{handler}");

        let sent = send(&path, token, false).await;

        assert_eq!(sent.status, 500, "{path}");
        let conflicts = log_capture::lines_at(log::Level::Error, &format!("{path} has two guards"));
        assert_eq!(conflicts.len(), 1, "{path}: {conflicts:#?}");
        assert!(
            conflicts[0]
                .ends_with("failed the later extractor with 500 and kept the guard's success"),
            "{path}: {conflicts:#?}"
        );
        let rejections = log_capture::lines_at(
            log::Level::Debug,
            &format!("rejected GET {path}: Server error: Internal server error, status 500"),
        );
        assert_eq!(rejections.len(), 1, "{path}: {rejections:#?}");
        assert!(
            rejections[0].contains(&format!("requires token type \"{later_type}\"")),
            "{path}: {rejections:#?}"
        );
    }
}

#[actix_web::test]
async fn rejection_logs_no_conflict() {
    log_capture::install();
    for (timing, token) in [
        ("rejected-ready", "nobody"),
        ("rejected-pending", "slow-nobody"),
    ] {
        let path = format!("/log/{timing}/access_then_refresh");

        let sent = send(&path, token, false).await;

        assert_eq!(sent.status, 401, "{path}");
        let errors = log_capture::lines_at(log::Level::Error, &path);
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let warnings = log_capture::lines_at(log::Level::Warn, &path);
        assert!(warnings.is_empty(), "{path}: {warnings:#?}");
    }
}

#[actix_web::test]
async fn server_conflicts_ignore_loader_timing() {
    let store = Store::standard();
    let worker_store = Arc::clone(&store);
    let server = TestServer::start(
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(manager(&worker_store)))
                .wrap(from_fn(user_header))
                .configure(routes)
        })
        .workers(1)
        .disable_signals(),
    );
    let client = awc_client(SERVER_TIMEOUT);
    let cases = [
        ("/optional_refresh", "slow-alice-access", 200, "alice"),
        ("/refresh_or_user", "slow-alice-access", 200, "alice"),
        ("/access_then_refresh", "slow-alice-access", 500, "alice"),
        (
            "/refresh_then_access",
            "slow-alice-access",
            401,
            "anonymous",
        ),
        ("/optional_refresh", "alice-access", 200, "alice"),
        ("/refresh_or_user", "alice-access", 200, "alice"),
        ("/access_then_refresh", "alice-access", 500, "alice"),
        ("/refresh_then_access", "alice-access", 401, "anonymous"),
    ];

    let mut replies = Vec::new();
    for (path, token, _, _) in cases {
        let sent = client.get(server.url(path)).bearer_auth(token).send().await;
        let reply = sent.map(|response| {
            let user = response.headers().get("x-user").cloned();
            (response.status().as_u16(), user)
        });
        replies.push(reply);
    }
    server.stop(true).await;

    for ((path, token, status, user), reply) in cases.into_iter().zip(replies) {
        let (sent_status, sent_user) = reply.unwrap_or_else(|err| panic!("{path} {token}: {err}"));
        assert_eq!(sent_status, status, "{path} {token}");
        assert_eq!(
            sent_user.as_ref().and_then(|value| value.to_str().ok()),
            Some(user),
            "{path} {token}"
        );
    }
}
