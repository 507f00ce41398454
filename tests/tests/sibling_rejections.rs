//! Rejections beside other extractors of the same handler, with loaders that
//! return at once and loaders that return `Pending` first: each listener and the
//! error handler must run once, and only for the error that becomes the response.
//! Of two guards with different token types, the later one waits for the first
//! one's outcome whatever the loaders' timing. It fails with 500 after a success,
//! and the request gets the first guard's rejection otherwise. Two guards whose
//! schemes differ only in case share one authentication, and a later guard still
//! checks its own scopes. A middleware that extracts `OptionalUser` before the
//! handler does not let two such guards share its authentication.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, HttpResponse, test, web};
use stateless_auth::{
    Access, CurrentToken, CurrentUser, OptionalUser, Refresh, StatelessAuthManager, TokenRequired,
    TokenSpec,
};
use stateless_auth_tests::{Calls, Store, User, count_error_handler, counting_manager};

/// An access token that must grant `admin`.
struct Admin;

impl TokenSpec for Admin {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

/// An access token that must grant both `read` and `admin`.
struct ReadAdmin;

impl TokenSpec for ReadAdmin {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["read", "admin"];
}

/// The configured token type with the default scheme spelled in lower case.
struct LowerCaseBearer;

impl TokenSpec for LowerCaseBearer {
    const AUTH_TYPE: Option<&'static str> = Some("bearer");
}

#[derive(serde::Deserialize)]
struct Page {
    #[allow(dead_code, reason = "the query only has to parse")]
    number: u32,
}

async fn guard_then_wrong_models(
    _: TokenRequired<Access>,
    _: CurrentUser<String>,
    _: CurrentToken<String>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guard_admin_wrong_user(
    _: TokenRequired<Access>,
    _: TokenRequired<Admin>,
    _: CurrentUser<String>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guard_then_read_admin(
    _: TokenRequired<Access>,
    _: TokenRequired<ReadAdmin>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn schemes_in_two_cases(
    _: TokenRequired<Access>,
    _: TokenRequired<LowerCaseBearer>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn page_guard_wrong_user(
    _: web::Query<Page>,
    _: TokenRequired<Access>,
    _: CurrentUser<String>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn page_then_guard(_: web::Query<Page>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn access_then_refresh(_: TokenRequired<Access>, _: TokenRequired<Refresh>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn refresh_then_access(_: TokenRequired<Refresh>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Tokens that the token loader returns at once, and the same tokens for which it
/// returns `Pending` once first.
const ACCESS_TOKENS: [&str; 2] = ["alice-access", "slow-alice-access"];

/// Sends one request to `path` with `token` through a fresh app whose manager
/// counts its listener calls and, with `handle_errors`, sets the fixtures' error
/// handler (418 with the error's message). Returns the status, the JSON error or
/// the handler's body, and the calls of both listeners and the error handler.
async fn send(
    path: &str,
    token: &str,
    handle_errors: bool,
) -> ((u16, String), (usize, usize, usize)) {
    let store = Store::standard();
    let calls = Calls::default();
    let mut manager: StatelessAuthManager = counting_manager(&store, &calls);
    if handle_errors {
        manager = count_error_handler(manager, &calls);
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .route(
                "/guard_then_wrong_models",
                web::get().to(guard_then_wrong_models),
            )
            .route(
                "/guard_admin_wrong_user",
                web::get().to(guard_admin_wrong_user),
            )
            .route(
                "/guard_then_read_admin",
                web::get().to(guard_then_read_admin),
            )
            .route("/schemes_in_two_cases", web::get().to(schemes_in_two_cases))
            .route(
                "/page_guard_wrong_user",
                web::get().to(page_guard_wrong_user),
            )
            .route("/page_then_guard", web::get().to(page_then_guard))
            .route("/access_then_refresh", web::get().to(access_then_refresh))
            .route("/refresh_then_access", web::get().to(refresh_then_access)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();

    let response = test::call_service(&app, req).await;

    let status = response.status().as_u16();
    let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
    let error = error_of(&body);
    ((status, error), calls.counts())
}

/// Returns the JSON `error` field of a body, or the body itself when it is not JSON.
fn error_of(body: &str) -> String {
    let json = serde_json::from_str::<serde_json::Value>(body).ok();

    let error = json.and_then(|json| json.get("error")?.as_str().map(str::to_owned));
    error.unwrap_or_else(|| body.to_owned())
}

#[actix_web::test]
async fn rejections_beside_guard_report_once() {
    let cases = [
        (
            "/guard_then_wrong_models",
            500,
            "Server error: Internal server error",
        ),
        (
            "/guard_admin_wrong_user",
            403,
            "Scope error: Insufficient scope",
        ),
    ];
    for (path, status, error) in cases {
        for token in ACCESS_TOKENS {
            let (response, counts) = send(path, token, false).await;

            assert_eq!(response, (status, error.to_owned()), "{path} {token}");
            assert_eq!(
                counts,
                (1, 1, 0),
                "{path} {token}: on_authorized, on_unauthorized, handler"
            );
        }
    }
}

#[actix_web::test]
async fn scope_and_model_rejections_handled_once() {
    for token in ACCESS_TOKENS {
        let (response, counts) = send("/guard_admin_wrong_user", token, true).await;

        assert_eq!(response, (418, "Insufficient scope".to_owned()), "{token}");
        assert_eq!(counts.2, 1, "{token}: error handler calls");
    }
}

#[actix_web::test]
async fn later_guard_requires_every_scope() {
    // `reader-access` grants `read` but not `admin`. The first guard starts the
    // loaders without scopes, so only the second guard's own check can reject it.
    let cases = [
        ("reader-access", 403, "Scope error: Insufficient scope"),
        ("admin-access", 200, ""),
    ];
    for (token, status, error) in cases {
        let (response, _) = send("/guard_then_read_admin", token, false).await;

        assert_eq!(response, (status, error.to_owned()), "{token}");
    }
}

#[actix_web::test]
async fn guards_differing_in_scheme_case_agree() {
    for token in ACCESS_TOKENS {
        let (response, counts) = send("/schemes_in_two_cases", token, false).await;

        assert_eq!(response, (200, String::new()), "{token}");
        assert_eq!(
            counts,
            (1, 0, 0),
            "{token}: on_authorized, on_unauthorized, handler"
        );
    }
}

#[actix_web::test]
async fn error_handler_skips_reader_behind_failed_query() {
    for token in ACCESS_TOKENS {
        let (response, counts) = send("/page_guard_wrong_user", token, true).await;

        assert_eq!(
            response.0, 400,
            "{token}: the query's rejection is the response"
        );
        assert_eq!(counts.2, 0, "{token}: error handler calls");
    }
}

#[actix_web::test]
async fn listeners_after_failed_query_ignore_loader_timing() {
    let pairs = [
        ("alice-access", "slow-alice-access"),
        ("nobody", "slow-nobody"),
    ];
    for (ready_token, pending_token) in pairs {
        let (ready_response, ready_counts) = send("/page_then_guard", ready_token, false).await;
        let (pending_response, pending_counts) =
            send("/page_then_guard", pending_token, false).await;

        assert_eq!(ready_response.0, 400, "{ready_token}");
        assert_eq!(pending_response.0, 400, "{pending_token}");
        assert_eq!(
            ready_counts, pending_counts,
            "{ready_token} at once, then {pending_token} pending once: listener calls"
        );
    }
}

/// Handlers with two guards of different token types, each with a token that its
/// first guard accepts, returned at once or after one `Pending`.
const CONFLICTS: [(&str, &str); 4] = [
    ("/access_then_refresh", "alice-access"),
    ("/access_then_refresh", "slow-alice-access"),
    ("/refresh_then_access", "alice-refresh"),
    ("/refresh_then_access", "slow-alice-refresh"),
];

#[actix_web::test]
async fn conflicting_guards_handled_once() {
    for (path, token) in CONFLICTS {
        let (response, counts) = send(path, token, true).await;

        assert_eq!(
            response,
            (418, "Internal server error".to_owned()),
            "{path} {token}"
        );
        assert_eq!(counts.2, 1, "{path} {token}: error handler calls");
    }
}

#[actix_web::test]
async fn conflicting_guards_return_500_for_valid_token() {
    for (path, token) in CONFLICTS {
        let (response, _) = send(path, token, false).await;

        assert_eq!(
            response,
            (500, "Server error: Internal server error".to_owned()),
            "{path} {token}"
        );
    }
}

#[actix_web::test]
async fn conflicting_guards_keep_first_rejection() {
    // Each token is one that the first guard's loaders reject, returned at once
    // or after one `Pending`.
    let cases = [
        ("/access_then_refresh", "nobody"),
        ("/access_then_refresh", "slow-nobody"),
        ("/refresh_then_access", "alice-access"),
        ("/refresh_then_access", "slow-alice-access"),
    ];
    for (path, token) in cases {
        let (response, counts) = send(path, token, false).await;

        assert_eq!(
            response,
            (401, "Token error: Invalid token".to_owned()),
            "{path} {token}"
        );
        assert_eq!(
            counts,
            (0, 1, 0),
            "{path} {token}: on_authorized, on_unauthorized, handler"
        );
    }
}

#[actix_web::test]
async fn conflicting_guards_keep_header_rejection() {
    let (response, counts) = send("/access_then_refresh", "a*b", true).await;

    assert_eq!(response, (418, "Malformed token".to_owned()));
    assert_eq!(counts, (0, 1, 1), "on_authorized, on_unauthorized, handler");
}

#[actix_web::test]
async fn conflicting_guards_with_rejection_handled_once() {
    for token in ["nobody", "slow-nobody", "a*b"] {
        let (response, counts) = send("/access_then_refresh", token, true).await;

        assert_eq!(response.0, 418, "{token}");
        assert_eq!(counts.2, 1, "{token}: error handler calls");
    }
}

/// What the middleware of [`assert_statuses_after_middleware`] extracts before the route,
/// ignoring the outcome.
#[derive(Clone, Copy)]
enum FirstExtractor {
    /// `OptionalUser`, as a middleware that tags its log lines with the user would.
    User,
    /// `TokenRequired<Access>`, whose rejection the middleware ignores.
    AccessGuard,
}

/// Extracts what the app's [`FirstExtractor`] names and ignores the outcome, then
/// calls the route.
async fn extract_first(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let first = *req.app_data::<FirstExtractor>().unwrap();
    let (http_req, payload) = req.into_parts();

    match first {
        FirstExtractor::User => {
            let _user = OptionalUser::<User>::extract(&http_req).await;
        }
        FirstExtractor::AccessGuard => {
            let _guard = TokenRequired::<Access>::extract(&http_req).await;
        }
    }

    next.call(ServiceRequest::from_parts(http_req, payload))
        .await
}

/// Checks the status of each `(path, token, status)` case behind a middleware
/// that extracts `first`.
async fn assert_statuses_after_middleware(first: FirstExtractor, cases: &[(&str, &str, u16)]) {
    for &(path, token, expected) in cases {
        let store = Store::standard();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(counting_manager(&store, &Calls::default())))
                .app_data(first)
                .wrap(from_fn(extract_first))
                .route("/access_then_refresh", web::get().to(access_then_refresh))
                .route("/refresh_then_access", web::get().to(refresh_then_access)),
        )
        .await;
        let req = test::TestRequest::get()
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .to_request();

        let response = test::call_service(&app, req).await;

        assert_eq!(response.status().as_u16(), expected, "{path} {token}");
    }
}

#[actix_web::test]
async fn conflicting_guards_after_middleware_reader_fail() {
    // The refresh guard of `/refresh_then_access` replaces the middleware's
    // access-token authentication and is the first guard, so the access guard
    // receives its rejection of an access token.
    let cases = [
        ("/access_then_refresh", "alice-access", 500),
        ("/access_then_refresh", "alice-refresh", 401),
        ("/refresh_then_access", "alice-access", 401),
        ("/refresh_then_access", "alice-refresh", 500),
    ];

    assert_statuses_after_middleware(FirstExtractor::User, &cases).await;
}

#[actix_web::test]
async fn conflicting_guards_after_middleware_guard_fail() {
    let cases = [
        ("/access_then_refresh", "alice-access", 500),
        ("/access_then_refresh", "alice-refresh", 401),
        ("/access_then_refresh", "slow-alice-refresh", 401),
        ("/refresh_then_access", "alice-access", 500),
        ("/refresh_then_access", "alice-refresh", 401),
    ];

    assert_statuses_after_middleware(FirstExtractor::AccessGuard, &cases).await;
}
