//! `Guarded` beside other extractors of this crate, in either order.
//!
//! The tests check one run of the loaders, also when they return `Pending` first,
//! and one listener call per outcome. They also cover the route's challenge, the
//! error handler, the spec's scopes beside a guard without them, custom
//! `FromAuthenticated` rejections, and a future polled again after it completed.

mod log_capture;
mod macro_support;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, test, web};
use log::Level;
use serde::Deserialize;
use stateless_auth::{
    Access, Authenticated, CurrentUser, ErrorKind, FromAuthenticated, Guarded, OptionalUser,
    Refresh, StatelessAuthConfig, StatelessAuthError, StatelessAuthManager, TokenMixin,
    TokenRequired, TokenSpec,
};
use stateless_auth_tests::{PANIC_TOKEN, Store, Token, User, manager};

use crate::macro_support::recording_payload;

#[derive(Deserialize)]
struct Note {
    text: String,
}

/// An access token that must grant `admin`.
struct AdminAccess;

impl TokenSpec for AdminAccess {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

/// A user whose token grants `admin`, or a 403 with a custom message.
struct Admin;

impl FromAuthenticated for Admin {
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        let granted = authenticated
            .token::<Token>()
            .is_some_and(|token| token.has_scope("admin"));
        if !granted {
            return Err(StatelessAuthError::scope("Administrators only"));
        }

        Ok(Admin)
    }
}

async fn user_then_guarded(
    user: CurrentUser<User>,
    guarded: Guarded<Access, (web::Json<Note>,)>,
) -> String {
    let (web::Json(note),) = guarded.into_inner();
    format!("{} {}", user.name, note.text)
}

async fn guarded_then_user(
    guarded: Guarded<Access, (web::Json<Note>,)>,
    user: CurrentUser<User>,
) -> String {
    let (web::Json(note),) = guarded.into_inner();
    format!("{} {}", user.name, note.text)
}

async fn optional_then_guarded(user: OptionalUser<User>, _: Guarded<Access, ()>) -> String {
    user.user()
        .map(|user| user.name.clone())
        .unwrap_or_default()
}

async fn guarded_then_optional(_: Guarded<Access, ()>, user: OptionalUser<User>) -> String {
    user.user()
        .map(|user| user.name.clone())
        .unwrap_or_default()
}

async fn authenticated_then_guarded(auth: Authenticated, _: Guarded<Access, ()>) -> String {
    auth.token_type().to_owned()
}

async fn guarded_then_authenticated(_: Guarded<Access, ()>, auth: Authenticated) -> String {
    auth.token_type().to_owned()
}

async fn refresh_then_guarded(
    _: TokenRequired<Refresh>,
    _: Guarded<Access, (web::Json<Note>,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guarded_then_refresh(
    _: Guarded<Access, (web::Json<Note>,)>,
    _: TokenRequired<Refresh>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn access_then_admin(
    _: TokenRequired<Access>,
    _: Guarded<AdminAccess, (web::Json<Note>,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn admin_then_access(
    _: Guarded<AdminAccess, (web::Json<Note>,)>,
    _: TokenRequired<Access>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn user_then_custom(
    _: CurrentUser<User>,
    _: Guarded<Access, (web::Json<Note>,), (Admin,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn custom_then_user(
    _: Guarded<Access, (web::Json<Note>,), (Admin,)>,
    _: CurrentUser<User>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn scoped_custom(_: Guarded<AdminAccess, (web::Json<Note>,), (Admin,)>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn wrong_model(
    _: Guarded<Access, (web::Json<Note>,), (CurrentUser<String>,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn two_guarded(
    _: Guarded<Access, (web::Json<Note>,)>,
    _: Guarded<Access, (), (CurrentUser<User>,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn plain(guarded: Guarded<Access, (web::Json<Note>,)>) -> String {
    let (web::Json(note),) = guarded.into_inner();
    note.text
}

/// Polls a `Guarded` future to completion, then once more, as a wrapping
/// extractor or combinator might, and returns both statuses.
async fn poll_after_completion(req: HttpRequest) -> String {
    let mut future = Guarded::<Access, (), (Admin,)>::from_request(&req, &mut Payload::None);

    let first = poll_fn(|cx| Pin::new(&mut future).poll(cx)).await;
    let second = poll_fn(|cx| Pin::new(&mut future).poll(cx)).await;

    let status = |outcome: &Result<Guarded<Access, (), (Admin,)>, actix_web::Error>| match outcome {
        Ok(_) => 200,
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    format!("{} {}", status(&first), status(&second))
}

/// Calls of the manager's listeners and error handler.
#[derive(Clone, Default)]
struct Calls {
    authorized: Arc<AtomicUsize>,
    unauthorized: Arc<AtomicUsize>,
    handled: Arc<AtomicUsize>,
}

impl Calls {
    fn counts(&self) -> (usize, usize, usize) {
        (
            self.authorized.load(Ordering::SeqCst),
            self.unauthorized.load(Ordering::SeqCst),
            self.handled.load(Ordering::SeqCst),
        )
    }
}

/// Creates a manager over `store` that counts its listener calls and, with
/// `handle`, passes rejections through an error handler that keeps the status and
/// the message and counts its calls.
fn counting_manager(store: &Arc<Store>, calls: &Calls, handle: bool) -> StatelessAuthManager {
    let authorized = Arc::clone(&calls.authorized);
    let unauthorized = Arc::clone(&calls.unauthorized);
    let handled = Arc::clone(&calls.handled);

    let config = StatelessAuthConfig {
        realm: Some("review".to_owned()),
        ..StatelessAuthConfig::default()
    };
    let manager = manager(store)
        .with_config(config)
        .on_authorized(move |_, _| {
            authorized.fetch_add(1, Ordering::SeqCst);
        })
        .on_unauthorized(move |_, _| {
            unauthorized.fetch_add(1, Ordering::SeqCst);
        });
    if !handle {
        return manager;
    }

    manager.error_handler(move |err, _| {
        handled.fetch_add(1, Ordering::SeqCst);
        let mut response = HttpResponse::build(err.code());
        if let Some(challenge) = err.www_authenticate() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        let response = response.body(err.full_msg());
        InternalError::from_response(err, response).into()
    })
}

/// The outcome of one request.
struct Outcome {
    status: u16,
    error: String,
    body: String,
    challenge: Option<String>,
    body_read: bool,
}

/// Reports whether the response carries the route's challenge, which names the
/// configured realm, rather than the bare fallback challenge.
fn has_route_challenge(outcome: &Outcome) -> bool {
    outcome
        .challenge
        .as_deref()
        .is_some_and(|challenge| challenge.contains("realm=\"review\""))
}

/// Creates a store with Alice and her access, refresh and scoped tokens. Tokens
/// named `slow-...` make the token loader return `Pending` once.
fn store() -> Arc<Store> {
    let mut store = Store::default();
    store.add_user("alice", true);
    store.add_token("alice-access", "alice", "access", false, &[]);
    store.add_token("slow-alice-access", "alice", "access", false, &[]);
    store.add_token("alice-refresh", "alice", "refresh", false, &[]);
    store.add_token("expired-access-4420", "alice", "access", true, &[]);
    store.add_token("reader-access", "alice", "access", false, &["read"]);
    store.add_token("slow-reader-access", "alice", "access", false, &["read"]);
    store.add_token("admin-access", "alice", "access", false, &["read", "admin"]);
    store.add_token(
        "slow-admin-access",
        "alice",
        "access",
        false,
        &["read", "admin"],
    );

    Arc::new(store)
}

/// Posts a JSON note with `Bearer token` to `path` on an app with `manager`, or
/// with no manager for `None`.
async fn post(manager: Option<StatelessAuthManager>, path: &str, token: &str) -> Outcome {
    let mut app = App::new();
    if let Some(manager) = manager {
        app = app.app_data(web::Data::new(manager));
    }
    let app = test::init_service(
        app.route("/user_then_guarded", web::post().to(user_then_guarded))
            .route("/guarded_then_user", web::post().to(guarded_then_user))
            .route(
                "/optional_then_guarded",
                web::post().to(optional_then_guarded),
            )
            .route(
                "/guarded_then_optional",
                web::post().to(guarded_then_optional),
            )
            .route(
                "/authenticated_then_guarded",
                web::post().to(authenticated_then_guarded),
            )
            .route(
                "/guarded_then_authenticated",
                web::post().to(guarded_then_authenticated),
            )
            .route(
                "/refresh_then_guarded",
                web::post().to(refresh_then_guarded),
            )
            .route(
                "/guarded_then_refresh",
                web::post().to(guarded_then_refresh),
            )
            .route("/access_then_admin", web::post().to(access_then_admin))
            .route("/admin_then_access", web::post().to(admin_then_access))
            .route("/user_then_custom", web::post().to(user_then_custom))
            .route("/custom_then_user", web::post().to(custom_then_user))
            .route("/wrong_model", web::post().to(wrong_model))
            .route("/scoped_custom", web::post().to(scoped_custom))
            .route("/plain", web::post().to(plain))
            .route("/two_guarded", web::post().to(two_guarded))
            .route(
                "/poll_after_completion",
                web::post().to(poll_after_completion),
            ),
    )
    .await;
    let (payload, polled) = recording_payload(r#"{"text": "hello"}"#);
    let mut req = test::TestRequest::post()
        .uri(path)
        .insert_header(ContentType::json())
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();
    *req.payload() = payload;

    let response = test::call_service(&app, req).await;

    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    let status = response.status().as_u16();
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    let error = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| {
            json.get("error")
                .and_then(|error| error.as_str().map(str::to_owned))
        })
        .unwrap_or_default();
    Outcome {
        status,
        error,
        body,
        challenge,
        body_read: polled.get(),
    }
}

#[actix_web::test]
async fn user_sibling_shares_pending_load() {
    for path in ["/user_then_guarded", "/guarded_then_user"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, false)),
            path,
            "slow-alice-access",
        )
        .await;

        assert_eq!(outcome.status, 200, "{path}");
        assert_eq!(store.loads(), (1, 1), "{path}");
        assert_eq!(calls.counts(), (1, 0, 0), "{path}");
    }
}

#[actix_web::test]
async fn user_sibling_rejection_skips_body() {
    for path in ["/user_then_guarded", "/guarded_then_user"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, true)),
            path,
            "slow-nobody",
        )
        .await;

        assert_eq!(outcome.status, 401, "{path}");
        assert_eq!(outcome.error, "", "{path}");
        assert!(has_route_challenge(&outcome), "{path}");
        assert!(!outcome.body_read, "{path}: the body was read");
        assert_eq!(store.loads(), (1, 0), "{path}");
        assert_eq!(calls.counts(), (0, 1, 1), "{path}");
    }
}

#[actix_web::test]
async fn reader_siblings_load_once() {
    let paths = [
        "/optional_then_guarded",
        "/guarded_then_optional",
        "/authenticated_then_guarded",
        "/guarded_then_authenticated",
    ];
    for path in paths {
        for token in ["alice-access", "slow-alice-access"] {
            let store = store();
            let calls = Calls::default();

            let outcome = post(Some(counting_manager(&store, &calls, false)), path, token).await;

            assert_eq!(outcome.status, 200, "{path} {token}");
            assert_eq!(store.loads(), (1, 1), "{path} {token}");
            assert_eq!(calls.counts(), (1, 0, 0), "{path} {token}");
        }
    }
}

#[actix_web::test]
async fn optional_sibling_rejection_reports_once() {
    for path in ["/optional_then_guarded", "/guarded_then_optional"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, false)),
            path,
            "slow-nobody",
        )
        .await;

        assert_eq!(outcome.status, 401, "{path}");
        assert_eq!(store.loads(), (1, 0), "{path}");
        assert_eq!(calls.counts(), (0, 1, 0), "{path}");
    }
}

#[actix_web::test]
async fn refresh_guard_beside_guarded_waits_for_first() {
    log_capture::install();
    // The first guard accepts the token in `/guarded_then_refresh`, where the
    // refresh guard then fails alone, and rejects it in `/refresh_then_guarded`.
    let cases = [
        (
            "/guarded_then_refresh",
            500,
            "Server error: Internal server error",
            (1, 1),
            (1, 1, 0),
        ),
        (
            "/refresh_then_guarded",
            401,
            "Token error: Invalid token",
            (1, 0),
            (0, 1, 0),
        ),
    ];
    for (path, status, error, loads, counts) in cases {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, false)),
            path,
            "slow-alice-access",
        )
        .await;

        assert_eq!(outcome.status, status, "{path}");
        assert_eq!(outcome.error, error, "{path}");
        let conflicts = log_capture::lines_with(&format!("{path} has two guards"));
        assert_eq!(conflicts.len(), usize::from(status == 500), "{path}");
        assert_eq!(store.loads(), loads, "{path}");
        assert_eq!(calls.counts(), counts, "{path}");
    }
}

#[actix_web::test]
async fn spec_scope_beside_guard_forbidden() {
    for path in ["/access_then_admin", "/admin_then_access"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, false)),
            path,
            "slow-reader-access",
        )
        .await;

        assert_eq!(outcome.status, 403, "{path}");
        assert_eq!(outcome.error, "Scope error: Insufficient scope", "{path}");
        assert!(has_route_challenge(&outcome), "{path}");
        assert!(!outcome.body_read, "{path}: the body was read");
        assert_eq!(store.loads(), (1, 1), "{path}");
        assert_eq!(calls.counts().1, 1, "{path}");
    }
}

#[actix_web::test]
async fn spec_scope_rejection_uses_error_handler() {
    let store = store();
    let calls = Calls::default();

    let outcome = post(
        Some(counting_manager(&store, &calls, true)),
        "/access_then_admin",
        "reader-access",
    )
    .await;

    assert_eq!(outcome.status, 403);
    assert!(!outcome.body_read, "the body was read");
    assert_eq!(calls.counts(), (1, 1, 1));
}

#[actix_web::test]
async fn granted_spec_scope_passes() {
    for path in ["/access_then_admin", "/admin_then_access"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, false)),
            path,
            "admin-access",
        )
        .await;

        assert_eq!(outcome.status, 200, "{path}");
        assert!(outcome.body_read, "{path}: the body was not read");
        assert_eq!(calls.counts(), (1, 0, 0), "{path}");
    }
}

#[actix_web::test]
async fn spec_scope_is_checked_before_custom_value() {
    let store = store();
    let calls = Calls::default();

    let outcome = post(
        Some(counting_manager(&store, &calls, false)),
        "/scoped_custom",
        "reader-access",
    )
    .await;

    assert_eq!(outcome.status, 403);
    assert_eq!(outcome.error, "Scope error: Insufficient scope");
    assert!(has_route_challenge(&outcome));
}

#[actix_web::test]
async fn custom_rejection_reports_once() {
    for path in ["/user_then_custom", "/custom_then_user"] {
        for handle in [false, true] {
            let store = store();
            let calls = Calls::default();

            let outcome = post(
                Some(counting_manager(&store, &calls, handle)),
                path,
                "slow-reader-access",
            )
            .await;

            assert_eq!(outcome.status, 403, "{path} {handle}");
            assert!(has_route_challenge(&outcome), "{path} {handle}");
            assert!(!outcome.body_read, "{path} {handle}: the body was read");
            assert_eq!(store.loads(), (1, 1), "{path} {handle}");
            assert_eq!(
                calls.counts(),
                (1, 1, usize::from(handle)),
                "{path} {handle}"
            );
        }
    }
}

#[actix_web::test]
async fn wrong_model_is_logged_server_error() {
    log_capture::install();
    let store = store();
    let calls = Calls::default();

    let outcome = post(
        Some(counting_manager(&store, &calls, false)),
        "/wrong_model",
        "alice-access",
    )
    .await;

    assert_eq!(outcome.status, 500);
    assert_eq!(outcome.error, "Server error: Internal server error");
    assert_eq!(outcome.challenge, None);
    assert_eq!(
        log_capture::lines_with("CurrentUser<alloc::string::String> does not match").len(),
        1
    );
    assert!(!outcome.body_read, "the body was read");
    assert_eq!(calls.counts(), (1, 1, 0));
}

#[actix_web::test]
async fn missing_manager_is_logged_server_error() {
    log_capture::install();

    let outcome = post(None, "/plain", "alice-access").await;

    assert_eq!(outcome.status, 500);
    assert!(!outcome.body_read, "the body was read");
    assert!(!log_capture::lines_with("registered for /plain").is_empty());
}

#[actix_web::test]
async fn loader_panic_keeps_worker_serving() {
    let store = store();
    let calls = Calls::default();

    let panicked = post(
        Some(counting_manager(&store, &calls, false)),
        "/guarded_then_user",
        PANIC_TOKEN,
    )
    .await;
    let next = post(
        Some(counting_manager(&store, &calls, false)),
        "/guarded_then_user",
        "alice-access",
    )
    .await;

    assert_eq!(panicked.status, 500);
    assert!(!panicked.body_read, "the body was read");
    assert_eq!(next.status, 200);
}

#[actix_web::test]
async fn tokens_stay_out_of_logs() {
    log_capture::install();
    let store = store();
    let calls = Calls::default();
    let manager = counting_manager(&store, &calls, false);
    let secret = "slow-secret-token-4417";

    let _ = post(Some(manager), "/access_then_admin", secret).await;
    let _ = post(None, "/plain", "secret-token-4418").await;

    assert!(log_capture::lines_with("4417").is_empty());
    assert!(log_capture::lines_with("4418").is_empty());
}

#[actix_web::test]
async fn rejection_log_names_route_requirement() {
    log_capture::install();
    let store = store();
    let calls = Calls::default();
    let manager = counting_manager(&store, &calls, false);

    let outcome = post(Some(manager), "/plain", "unknown-token-4419").await;

    assert_eq!(outcome.status, 401);
    let records =
        log_capture::lines_with("rejected POST /plain: Token error: Invalid token, status 401");
    assert!(!records.is_empty(), "no rejection was logged");
    for record in records {
        assert!(
            record.ends_with(r#"the route requires token type "access" and scheme "Bearer""#),
            "{record}"
        );
    }
    assert!(log_capture::lines_with("4419").is_empty());
}

#[actix_web::test]
async fn rejection_log_names_expired_token() {
    log_capture::install();
    let store = store();
    let calls = Calls::default();
    let manager = counting_manager(&store, &calls, false);

    let outcome = post(Some(manager), "/plain", "expired-access-4420").await;

    assert_eq!(outcome.status, 401);
    let records = log_capture::lines_with(
        "rejected POST /plain: Token error: access token expired, status 401",
    );
    assert!(!records.is_empty(), "no rejection was logged");
    assert!(log_capture::lines_with("4420").is_empty());
}

#[actix_web::test]
async fn rejection_log_omits_application_messages() {
    log_capture::install();
    let store = store();
    let calls = Calls::default();
    let manager = counting_manager(&store, &calls, false);

    let outcome = post(Some(manager), "/custom_then_user", "alice-access").await;

    assert_eq!(outcome.status, 403);
    let records = log_capture::lines_with("rejected POST /custom_then_user");
    assert!(!records.is_empty(), "no rejection was logged");
    for record in records {
        assert!(
            record.contains("Scope error (message not logged), status 403"),
            "{record}"
        );
    }
    assert!(log_capture::lines_with("Administrators only").is_empty());
}

#[actix_web::test]
async fn loader_error_log_omits_its_message() {
    log_capture::install();
    let manager = StatelessAuthManager::new(
        async |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Err(StatelessAuthError::server(format!(
                "lookup of {token} failed"
            )))
        },
        async |_: &Token| Ok(None::<User>),
    );

    let outcome = post(Some(manager), "/plain", "secret-token-4422").await;

    assert_eq!(outcome.status, 500);
    assert!(!log_capture::lines_with("the token loader failed").is_empty());
    assert!(log_capture::lines_with("4422").is_empty());
}

#[actix_web::test]
async fn loader_error_with_server_status_is_logged() {
    log_capture::install();
    let manager = StatelessAuthManager::new(
        async |_: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Err(StatelessAuthError::new(
                "Token store busy",
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Token,
            ))
        },
        async |_: &Token| Ok(None::<User>),
    );

    let outcome = post(Some(manager), "/plain", "busy-token-4424").await;

    assert_eq!(outcome.status, 503);
    let records = log_capture::lines_at(Level::Error, "the token loader failed with status 503");
    assert_eq!(records.len(), 1, "{records:?}");
}

#[actix_web::test]
async fn error_handler_panic_is_logged() {
    log_capture::install();
    let store = store();
    let manager = manager(&store).error_handler(|_, _| panic!("error handler failed"));

    let outcome = post(Some(manager), "/plain", "unknown-token-4423").await;

    assert_eq!(outcome.status, 500);
    assert!(
        !log_capture::lines_at(
            Level::Error,
            "the stateless-auth error handler panicked while handling /plain"
        )
        .is_empty()
    );
    assert!(log_capture::lines_with("4423").is_empty());
}

#[actix_web::test]
async fn success_status_replacement_is_logged() {
    log_capture::install();

    let err = StatelessAuthError::new(
        "Renew later",
        StatusCode::ALREADY_REPORTED,
        ErrorKind::Token,
    );

    assert_eq!(err.code(), StatusCode::INTERNAL_SERVER_ERROR);
    let records = log_capture::lines_at(
        Level::Error,
        "StatelessAuthError::new got status 208 Already Reported",
    );
    assert_eq!(records.len(), 1, "{records:?}");
}

#[actix_web::test]
async fn repoll_after_custom_rejection_reports_once() {
    let store = store();
    let calls = Calls::default();

    let outcome = post(
        Some(counting_manager(&store, &calls, true)),
        "/poll_after_completion",
        "reader-access",
    )
    .await;

    assert_eq!(outcome.body, "403 500");
    assert_eq!(
        calls.counts(),
        (1, 1, 1),
        "a second poll reported the rejection again"
    );
}

#[actix_web::test]
async fn repoll_after_invalid_token_handles_once() {
    let store = store();
    let calls = Calls::default();

    let outcome = post(
        Some(counting_manager(&store, &calls, true)),
        "/poll_after_completion",
        "nobody",
    )
    .await;

    assert_eq!(outcome.body, "401 500");
    assert_eq!(store.loads(), (1, 0));
    assert_eq!(
        calls.counts(),
        (0, 1, 1),
        "a second poll went through the error handler again"
    );
}

#[actix_web::test]
async fn two_guarded_same_spec_report_once() {
    for token in ["slow-alice-access", "slow-nobody"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(
            Some(counting_manager(&store, &calls, true)),
            "/two_guarded",
            token,
        )
        .await;

        let expected = if token == "slow-nobody" {
            (401, (0, 1, 1))
        } else {
            (200, (1, 0, 0))
        };
        assert_eq!((outcome.status, calls.counts()), expected, "{token}");
        assert!(store.loads().0 == 1, "{token}");
    }
}

#[actix_web::test]
async fn missing_header_skips_body() {
    for path in ["/user_then_guarded", "/guarded_then_user"] {
        let store = store();
        let calls = Calls::default();

        let outcome = post(Some(counting_manager(&store, &calls, false)), path, "").await;

        assert_eq!(outcome.status, 400, "{path}");
        assert!(!outcome.body_read, "{path}: the body was read");
        assert_eq!(store.loads(), (0, 0), "{path}");
        assert_eq!(calls.counts(), (0, 1, 0), "{path}");
    }
}
