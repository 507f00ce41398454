//! The extractors of this crate inside actix-web's own wrappers (`Option`,
//! `Result`, `Either`), panics in application code, loaders that a client
//! abandons or that wake spuriously, and middleware that reads the
//! authentication, as an actix-web user would combine them.

mod log_capture;
mod raw_http;

use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::{Logger, Next, from_fn};
use actix_web::rt::time::timeout;
use actix_web::{App, Either, FromRequest, HttpResponse, HttpServer, guard, test, web};
use raw_http::{Reply, ReplyReader};
use stateless_auth::{
    Access, Authenticated, CurrentUser, OptionalUser, Refresh, StatelessAuthError,
    StatelessAuthManager, TokenMixin, TokenRequired, TokenSpec, UserMixin, token_required,
};
use stateless_auth_tests::server::{TestServer, awc_client};
use stateless_auth_tests::{Calls, Store, Token, User, count_error_handler, counting_manager};

/// An access token that must grant `admin`.
struct Admin;

impl TokenSpec for Admin {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

/// An access token that must grant `write`.
struct Writer;

impl TokenSpec for Writer {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["write"];
}

/// Sends a GET for `uri` with `authorization`, if any, to an app with `manager`
/// and the routes that `routes` adds, and returns the status and the body.
async fn call(
    manager: StatelessAuthManager,
    routes: fn(&mut web::ServiceConfig),
    uri: &str,
    authorization: Option<&str>,
) -> (u16, String) {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .configure(routes),
    )
    .await;
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }

    let response = test::call_service(&app, req.to_request()).await;

    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn option_user(user: Option<CurrentUser<User>>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.name.clone())
}

async fn result_user(user: Result<CurrentUser<User>, actix_web::Error>) -> HttpResponse {
    match user {
        Ok(user) => HttpResponse::Ok().body(user.name.clone()),
        Err(err) => {
            let rejection = err.error_response();
            let challenge = rejection
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .map_or("none", |value| value.to_str().unwrap());
            HttpResponse::Ok().body(format!("err {} {challenge}", rejection.status().as_u16()))
        }
    }
}

async fn access_or_refresh(guard: Either<TokenRequired<Access>, TokenRequired<Refresh>>) -> String {
    match guard {
        Either::Left(_) => "access".to_owned(),
        Either::Right(_) => "refresh".to_owned(),
    }
}

async fn maybe_admin(admin: Option<TokenRequired<Admin>>, user: CurrentUser<User>) -> String {
    format!("{} admin={}", user.name, admin.is_some())
}

async fn maybe_admin_or_writer(
    admin: Option<TokenRequired<Admin>>,
    writer: Option<TokenRequired<Writer>>,
) -> String {
    format!("admin={} writer={}", admin.is_some(), writer.is_some())
}

#[token_required]
async fn guarded_option_user(user: Option<CurrentUser<User>>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.name.clone())
}

async fn admin_or_user(branch: Either<TokenRequired<Admin>, CurrentUser<User>>) -> String {
    match branch {
        Either::Left(admin) => format!(
            "admin {}",
            admin.authenticated().user::<User>().unwrap().name
        ),
        Either::Right(user) => format!("user {}", user.name),
    }
}

async fn result_guard_then_user(
    guard: Result<TokenRequired<Access>, actix_web::Error>,
    user: Result<CurrentUser<User>, actix_web::Error>,
) -> String {
    let status = |err: &actix_web::Error| err.error_response().status().as_u16();
    match (guard, user) {
        (Ok(_), Ok(user)) => format!("ok {}", user.name),
        (Err(guard), Err(user)) => format!("err {} {}", status(&guard), status(&user)),
        (guard, user) => format!("split {} {}", guard.is_ok(), user.is_ok()),
    }
}

#[token_required(token_type = "refresh")]
async fn refresh_with_wrapped_readers(
    optional: OptionalUser<User>,
    result: Result<CurrentUser<User>, actix_web::Error>,
    either: Either<CurrentUser<User>, web::Bytes>,
    user: CurrentUser<User>,
) -> String {
    let result = result.map_or_else(|_| "err".to_owned(), |user| user.name.clone());
    let either = match either {
        Either::Left(user) => user.name.clone(),
        Either::Right(_) => "bytes".to_owned(),
    };
    let optional = optional.user().map_or("none", |user| &user.name);
    format!("{} {optional} {result} {either}", user.name)
}

fn wrapper_routes(config: &mut web::ServiceConfig) {
    config
        .route("/option", web::get().to(option_user))
        .route("/result", web::get().to(result_user))
        .route("/either", web::get().to(access_or_refresh))
        .route("/maybe_admin", web::get().to(maybe_admin))
        .route(
            "/maybe_admin_or_writer",
            web::get().to(maybe_admin_or_writer),
        )
        .route("/guarded_option", web::get().to(guarded_option_user))
        .route("/admin_or_user", web::get().to(admin_or_user))
        .route("/result_pair", web::get().to(result_guard_then_user))
        .route(
            "/refresh_wrapped",
            web::get().to(refresh_with_wrapped_readers),
        );
}

#[actix_web::test]
async fn option_user_is_none_for_any_rejection() {
    let cases = [
        // `on_unauthorized` receives every rejection, a missing header included.
        (None, "anonymous", (0, 1)),
        (Some("Bearer nobody"), "anonymous", (0, 1)),
        (Some("Bearer expired-access"), "anonymous", (0, 1)),
        (Some("Bearer a,b"), "anonymous", (0, 1)),
        (Some("Bearer alice-access"), "alice", (1, 0)),
        (Some("Bearer slow-alice-access"), "alice", (1, 0)),
    ];

    for (authorization, body, (authorized, unauthorized)) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call(
            counting_manager(&store, &calls),
            wrapper_routes,
            "/option",
            authorization,
        )
        .await;

        assert_eq!(reply, (200, body.to_owned()), "{authorization:?}");
        assert_eq!(calls.authorized(), authorized, "{authorization:?}");
        assert_eq!(calls.unauthorized(), unauthorized, "{authorization:?}");
    }
}

#[actix_web::test]
async fn result_user_carries_rejection_response() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        counting_manager(&store, &calls),
        wrapper_routes,
        "/result",
        Some("Bearer nobody"),
    )
    .await;

    assert_eq!(
        reply,
        (200, r#"err 401 Bearer error="invalid_token""#.to_owned())
    );
    assert_eq!(calls.counts(), (0, 1, 0));
}

// NOTE: The loaders run once per request, for one token type. The second guard
// of `Either` finds the first guard's rejected authentication and keeps it, so a
// refresh token gets the access guard's 401, as the README describes.
#[actix_web::test]
async fn either_of_two_guards_keeps_first_outcome() {
    let cases = [
        ("Bearer alice-access", (200, "access")),
        (
            "Bearer alice-refresh",
            (401, r#"{"error":"Token error: Invalid token"}"#),
        ),
    ];

    for (authorization, (status, body)) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call(
            counting_manager(&store, &calls),
            wrapper_routes,
            "/either",
            Some(authorization),
        )
        .await;

        assert_eq!(reply, (status, body.to_owned()), "{authorization}");
    }
}

fn warned_either_routes(config: &mut web::ServiceConfig) {
    config.route("/either_warned", web::get().to(access_or_refresh));
}

#[actix_web::test]
async fn either_second_branch_logs_warning() {
    log_capture::install();
    let cases = [
        ("Bearer alice-refresh", 401),
        ("Bearer slow-alice-refresh", 401),
        ("Bearer nobody", 401),
        ("Bearer a,b", 400),
    ];

    for (authorization, status) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call(
            counting_manager(&store, &calls),
            warned_either_routes,
            "/either_warned",
            Some(authorization),
        )
        .await;

        assert_eq!(reply.0, status, "{authorization}");
        assert_eq!(calls.counts(), (0, 1, 0), "{authorization}");
        assert!(store.loads().0 <= 1, "{authorization}: loaders ran twice");
    }

    let errors = log_capture::lines_at(log::Level::Error, "/either_warned");
    let warnings = log_capture::lines_at(log::Level::Warn, "/either_warned");
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(warnings.len(), cases.len(), "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .all(|line| line.contains("actix_web::Either")),
        "{warnings:#?}"
    );
}

fn named_either_routes(config: &mut web::ServiceConfig) {
    config.route("/either_named", web::get().to(access_or_refresh));
}

#[actix_web::test]
async fn either_warning_names_both_token_types() {
    log_capture::install();
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        counting_manager(&store, &calls),
        named_either_routes,
        "/either_named",
        Some("Bearer alice-refresh"),
    )
    .await;

    assert_eq!(reply.0, 401, "{reply:?}");
    let warnings = log_capture::lines_at(log::Level::Warn, "/either_named");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("a guard for refresh tokens of scheme Bearer started"),
        "{warnings:#?}"
    );
    assert!(
        warnings[0].contains("rejected for access tokens of scheme Bearer"),
        "{warnings:#?}"
    );
}

/// A token type of the application's own, whose loader accepts access and
/// refresh tokens alike, as the README suggests in place of `Either`.
struct AnyToken;

impl TokenSpec for AnyToken {
    const TOKEN_TYPE: Option<&'static str> = Some("any");
}

async fn any_token(guard: TokenRequired<AnyToken>) -> String {
    guard.authenticated().token_type().to_owned()
}

/// Creates a manager whose token loader accepts `alice-access` and `alice-refresh`
/// for the token type `any`, and nothing else.
fn any_token_manager() -> StatelessAuthManager {
    StatelessAuthManager::new(
        async |token: &str, token_type: &str, _: &str| {
            let known = ["alice-access", "alice-refresh"].contains(&token);
            let model = Token {
                user: "alice".to_owned(),
                token_type: token_type.to_owned(),
                expired: false,
                scopes: Vec::new(),
            };
            Ok((token_type == "any" && known).then_some(model))
        },
        async |token: &Token| {
            Ok(Some(User {
                name: token.user.clone(),
                active: true,
            }))
        },
    )
}

#[actix_web::test]
async fn own_token_type_accepts_either_kind() {
    let routes = |config: &mut web::ServiceConfig| {
        config.route("/any", web::get().to(any_token));
    };
    let cases = [
        ("Bearer alice-access", (200, "any".to_owned())),
        ("Bearer alice-refresh", (200, "any".to_owned())),
        (
            "Bearer nobody",
            (401, r#"{"error":"Token error: Invalid token"}"#.to_owned()),
        ),
    ];

    for (authorization, expected) in cases {
        let reply = call(any_token_manager(), routes, "/any", Some(authorization)).await;

        assert_eq!(reply, expected, "{authorization}");
    }
}

#[actix_web::test]
async fn optional_scoped_guard_leaves_user_accepted() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        counting_manager(&store, &calls),
        wrapper_routes,
        "/maybe_admin",
        Some("Bearer alice-access"),
    )
    .await;

    assert_eq!(reply, (200, "alice admin=false".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.authorized(), 1);
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn optional_scoped_guards_each_report_rejection() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        count_error_handler(counting_manager(&store, &calls), &calls),
        wrapper_routes,
        "/maybe_admin_or_writer",
        Some("Bearer alice-access"),
    )
    .await;

    assert_eq!(reply, (200, "admin=false writer=false".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.authorized(), 1);
    assert_eq!(calls.unauthorized(), 2);
    assert_eq!(calls.error_handler(), 2);
}

#[actix_web::test]
async fn token_required_fills_option_user() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        counting_manager(&store, &calls),
        wrapper_routes,
        "/guarded_option",
        Some("Bearer slow-alice-access"),
    )
    .await;

    assert_eq!(reply, (200, "alice".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.counts(), (1, 0, 0));
}

#[actix_web::test]
async fn either_scoped_guard_falls_back_to_user() {
    let cases = [
        ("Bearer admin-access", "admin alice"),
        ("Bearer alice-access", "user alice"),
    ];

    for (authorization, body) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call(
            counting_manager(&store, &calls),
            wrapper_routes,
            "/admin_or_user",
            Some(authorization),
        )
        .await;

        assert_eq!(reply, (200, body.to_owned()), "{authorization}");
    }
}

#[actix_web::test]
async fn result_guard_and_user_agree() {
    // Each `Err` that the handler receives comes from the error handler, which
    // responds with 418.
    let cases = [
        (None, "err 418 418", (0, 1, 2)),
        (Some("Bearer nobody"), "err 418 418", (0, 1, 2)),
        (Some("Bearer slow-alice-refresh"), "err 418 418", (0, 1, 2)),
        (Some("Bearer slow-alice-access"), "ok alice", (1, 0, 0)),
    ];

    for (authorization, body, listeners) in cases {
        let store = Store::standard();
        let calls = Calls::default();
        let manager = count_error_handler(counting_manager(&store, &calls), &calls);

        let reply = call(manager, wrapper_routes, "/result_pair", authorization).await;

        assert_eq!(reply, (200, body.to_owned()), "{authorization:?}");
        assert_eq!(calls.counts(), listeners, "{authorization:?}");
        assert!(store.loads().0 <= 1, "{authorization:?}: loaders ran twice");
    }
}

#[actix_web::test]
async fn token_required_fills_wrapped_readers() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = call(
        counting_manager(&store, &calls),
        wrapper_routes,
        "/refresh_wrapped",
        Some("Bearer slow-alice-refresh"),
    )
    .await;

    assert_eq!(reply, (200, "alice alice alice alice".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.counts(), (1, 0, 0));
}

#[actix_web::test]
async fn option_user_error_handler_runs_once() {
    let store = Store::standard();
    let calls = Calls::default();
    let manager = count_error_handler(counting_manager(&store, &calls), &calls);

    let reply = call(manager, wrapper_routes, "/option", Some("Bearer nobody")).await;

    assert_eq!(reply, (200, "anonymous".to_owned()));
    assert_eq!(calls.counts(), (0, 1, 1));
}

/// Token model of the `has_scope` panic tests, which grants every scope but
/// `explode`, where it panics.
struct ProbeToken;

impl TokenMixin for ProbeToken {
    fn has_scope(&self, scope: &str) -> bool {
        assert!(scope != "explode", "has_scope panicked on purpose");
        true
    }
}

/// User model of the `has_scope` panic tests.
struct ProbeUser;

impl UserMixin for ProbeUser {}

/// Creates a manager whose token loader accepts only `scopes-panic`.
fn probe_manager() -> StatelessAuthManager {
    StatelessAuthManager::new(
        async |token: &str, _: &str, _: &str| -> Result<Option<ProbeToken>, StatelessAuthError> {
            match token {
                "scopes-panic" => Ok(Some(ProbeToken)),
                _ => Ok(None),
            }
        },
        async |_: &ProbeToken| Ok(Some(ProbeUser)),
    )
}

/// An access token that must grant `explode`.
struct Explode;

impl TokenSpec for Explode {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["explode"];
}

async fn two_guards_second_scoped(_: TokenRequired<Access>, _: TokenRequired<Explode>) -> String {
    "admitted".to_owned()
}

#[token_required(scopes("explode"))]
async fn explode_route() -> String {
    "admitted".to_owned()
}

fn probe_routes(config: &mut web::ServiceConfig) {
    config
        .route("/two_guards", web::get().to(two_guards_second_scoped))
        .route("/explode", web::get().to(explode_route));
}

#[actix_web::test]
async fn has_scope_panic_in_later_guard_gets_500() {
    let reply = call(
        probe_manager(),
        probe_routes,
        "/two_guards",
        Some("Bearer scopes-panic"),
    )
    .await;

    assert_eq!(reply.0, 500, "{reply:?}");
    assert_eq!(
        reply.1,
        r#"{"error":"Server error: Internal server error"}"#
    );
}

#[actix_web::test]
async fn has_scope_panic_is_logged() {
    log_capture::install();

    let reply = call(
        probe_manager(),
        probe_routes,
        "/two_guards",
        Some("Bearer scopes-panic"),
    )
    .await;

    assert_eq!(reply.0, 500, "{reply:?}");
    let errors = log_capture::lines_at(
        log::Level::Error,
        "TokenMixin::has_scope of async_wrappers::ProbeToken panicked",
    );
    assert!(!errors.is_empty(), "the panic was not logged");
}

/// Extracts `OptionalUser` before the handler runs, as a logging middleware would.
async fn read_user_first(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = req.extract::<OptionalUser<ProbeUser>>().await;

    next.call(req).await
}

#[actix_web::test]
async fn has_scope_panic_after_middleware_gets_500() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(probe_manager()))
            .wrap(from_fn(read_user_first))
            .configure(probe_routes),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/explode")
        .insert_header((header::AUTHORIZATION, "Bearer scopes-panic"))
        .to_request();

    let response = test::call_service(&app, req).await;

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        test::read_body(response).await,
        r#"{"error":"Server error: Internal server error"}"#
    );
}

/// Time a raw exchange or a request may take before the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Tokens of the server tests. Each carries a suffix that no log line may contain.
const ALICE: &str = "alice-srv-Qv27";
const TOKEN_LOADER_PANICS: &str = "token-panic-Qv27";
const USER_LOADER_PANICS: &str = "user-panic-Qv27";
const EXPIRY_PANICS: &str = "expiry-panic-Qv27";
const ACTIVITY_PANICS: &str = "active-panic-Qv27";
const LISTENER_PANICS: &str = "listener-panic-Qv27";
const HANDLER_PANICS: &str = "handler-panic-Qv27";
const HANGS: &str = "hangs-srv-Qv27";
const SLOW: &str = "slow-srv-Qv27";
const SLEEPS: &str = "sleeps-srv-Qv27";
const SERVER_TOKENS: [&str; 10] = [
    SLEEPS,
    ALICE,
    TOKEN_LOADER_PANICS,
    USER_LOADER_PANICS,
    EXPIRY_PANICS,
    ACTIVITY_PANICS,
    LISTENER_PANICS,
    HANDLER_PANICS,
    HANGS,
    SLOW,
];

/// What the loaders, listeners and error handler of the server tests did.
#[derive(Default)]
struct Counts {
    loads: AtomicUsize,
    /// Loader futures dropped before they completed.
    abandoned: AtomicUsize,
    /// Loader futures that completed.
    completed: AtomicUsize,
    authorized: AtomicUsize,
    rejected: AtomicUsize,
    handled: AtomicUsize,
}

/// Increments `abandoned` when dropped before it is disarmed.
struct AbandonGuard {
    counts: Arc<Counts>,
    armed: bool,
}

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        if self.armed {
            self.counts.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A future that wakes its task `spurious` times without being ready, then waits
/// for a timer.
struct SpuriousWakes {
    spurious: usize,
    timer: Pin<Box<actix_web::rt::time::Sleep>>,
}

impl Future for SpuriousWakes {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.spurious > 0 {
            self.spurious -= 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }

        self.timer.as_mut().poll(cx)
    }
}

/// Token model of the server tests.
struct ServerToken {
    user: &'static str,
    expiry_panics: bool,
}

impl TokenMixin for ServerToken {
    fn is_expired(&self, _: &str, _: &str) -> bool {
        assert!(!self.expiry_panics, "is_expired panicked on purpose");
        false
    }
}

/// User model of the server tests.
struct ServerUser {
    name: &'static str,
}

impl UserMixin for ServerUser {
    fn is_active(&self) -> bool {
        assert!(
            self.name != "inactive-panic",
            "is_active panicked on purpose"
        );
        true
    }
}

/// Loads the token model of `token`, counting the loads and the loader futures
/// that complete or are dropped before they complete. [`SLOW`] wakes its task a
/// few times without being ready, then waits 1 to 7 ms on a timer, both varying
/// with the number of loads so far.
async fn load_server_token(
    counts: &Arc<Counts>,
    token: &str,
) -> Result<Option<ServerToken>, StatelessAuthError> {
    counts.loads.fetch_add(1, Ordering::SeqCst);
    let mut guard = AbandonGuard {
        counts: Arc::clone(counts),
        armed: true,
    };
    let row = |user, expiry_panics| {
        Some(ServerToken {
            user,
            expiry_panics,
        })
    };

    let loaded = match token {
        ALICE | LISTENER_PANICS => Ok(row("alice", false)),
        TOKEN_LOADER_PANICS => panic!("the token loader panicked on purpose"),
        USER_LOADER_PANICS => Ok(row("user-loader-panic", false)),
        EXPIRY_PANICS => Ok(row("alice", true)),
        ACTIVITY_PANICS => Ok(row("inactive-panic", false)),
        HANDLER_PANICS => Err(StatelessAuthError::new(
            "Short and stout",
            StatusCode::IM_A_TEAPOT,
            stateless_auth::ErrorKind::Request,
        )),
        HANGS => {
            std::future::pending::<()>().await;
            Ok(None)
        }
        SLEEPS => {
            actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            Ok(row("alice", false))
        }
        SLOW => {
            let spurious = counts.loads.load(Ordering::SeqCst) % 4;
            let delay = Duration::from_millis(1 + (counts.loads.load(Ordering::SeqCst) % 7) as u64);
            SpuriousWakes {
                spurious,
                timer: Box::pin(actix_web::rt::time::sleep(delay)),
            }
            .await;
            Ok(row("alice", false))
        }
        _ => Ok(None),
    };
    guard.armed = false;
    counts.completed.fetch_add(1, Ordering::SeqCst);
    loaded
}

fn server_manager(counts: &Arc<Counts>) -> StatelessAuthManager {
    let loader_counts = Arc::clone(counts);
    let authorized = Arc::clone(counts);
    let rejected = Arc::clone(counts);
    let handled = Arc::clone(counts);

    StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| load_server_token(&loader_counts, token).await,
        async |token: &ServerToken| {
            assert!(
                token.user != "user-loader-panic",
                "the user loader panicked on purpose"
            );
            Ok(Some(ServerUser { name: token.user }))
        },
    )
    .on_authorized(move |req, _| {
        authorized.authorized.fetch_add(1, Ordering::SeqCst);
        let listener_panics = req
            .headers()
            .get(header::AUTHORIZATION)
            .is_some_and(|value| value.as_bytes().ends_with(LISTENER_PANICS.as_bytes()));
        assert!(
            !listener_panics,
            "the on_authorized listener panicked on purpose"
        );
    })
    .on_unauthorized(move |_, _| {
        rejected.rejected.fetch_add(1, Ordering::SeqCst);
    })
    .error_handler(move |err, _| {
        handled.handled.fetch_add(1, Ordering::SeqCst);
        assert!(
            err.code() != StatusCode::IM_A_TEAPOT,
            "the error handler panicked on purpose"
        );
        err.into()
    })
}

#[token_required]
async fn server_me(user: CurrentUser<ServerUser>) -> HttpResponse {
    HttpResponse::Ok().body(user.name)
}

async fn server_optional(user: OptionalUser<ServerUser>) -> HttpResponse {
    HttpResponse::Ok().body(user.user().map_or("stranger", |user| user.name))
}

async fn server_option(user: Option<CurrentUser<ServerUser>>) -> HttpResponse {
    HttpResponse::Ok().body(user.map_or("none", |user| user.name))
}

async fn server_siblings(
    _: TokenRequired<Access>,
    user: CurrentUser<ServerUser>,
    optional: OptionalUser<ServerUser>,
) -> HttpResponse {
    let same = optional.user().is_some_and(|other| other.name == user.name);
    HttpResponse::Ok().body(format!("{} {same}", user.name))
}

/// A real server on 127.0.0.1 with two workers.
struct Server {
    running: TestServer,
    counts: Arc<Counts>,
}

impl Server {
    fn start() -> Server {
        log_capture::install();
        let counts = Arc::new(Counts::default());
        let manager = web::Data::new(server_manager(&counts));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(manager.clone())
                .wrap(Logger::default())
                .route("/me", web::get().to(server_me))
                .route("/optional", web::get().to(server_optional))
                .route("/option", web::get().to(server_option))
                .route("/siblings", web::get().to(server_siblings))
                // On the resource, because a request cloned before routing makes
                // actix-web's router panic.
                .service(
                    web::resource("/audited")
                        .wrap(from_fn(audit_in_background))
                        .route(web::get().to(server_me)),
                )
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1);

        Server {
            running: TestServer::start(server),
            counts,
        }
    }

    fn count(&self, counter: fn(&Counts) -> &AtomicUsize) -> usize {
        counter(&self.counts).load(Ordering::SeqCst)
    }

    async fn stop(self) {
        self.running.stop(true).await;
    }
}

/// Builds a keep-alive GET request for `path` with `token` as bearer token.
fn raw_get(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

/// Writes `bytes` on one new connection and reads `replies` replies from it, each
/// framed by `Content-Length`.
async fn exchange(addr: SocketAddr, bytes: Vec<u8>, replies: usize) -> Vec<Reply> {
    let read = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(&bytes).unwrap();
        let mut reader = ReplyReader::new(stream);
        (0..replies).map(|_| reader.next(false)).collect()
    });

    read.await.unwrap()
}

#[actix_web::test]
async fn panics_get_500_and_keep_connection_serving() {
    let server = Server::start();
    let cases = [
        ("token loader", "/me", TOKEN_LOADER_PANICS, 500),
        ("user loader", "/me", USER_LOADER_PANICS, 500),
        ("is_expired", "/me", EXPIRY_PANICS, 500),
        ("is_active", "/me", ACTIVITY_PANICS, 500),
        ("error handler", "/me", HANDLER_PANICS, 500),
        ("listener", "/me", LISTENER_PANICS, 200),
        (
            "optional token loader",
            "/optional",
            TOKEN_LOADER_PANICS,
            500,
        ),
        ("siblings user loader", "/siblings", USER_LOADER_PANICS, 500),
        ("option user loader", "/option", USER_LOADER_PANICS, 200),
    ];

    for (name, path, token, status) in cases {
        let mut bytes = raw_get(path, token);
        bytes.extend(raw_get("/me", ALICE));

        let replies = exchange(server.running.addr(), bytes, 2).await;

        assert_eq!(replies[0].status, status, "{name}: {:?}", replies[0]);
        assert_eq!(replies[1].status, 200, "{name}: second {:?}", replies[1]);
        assert_eq!(replies[1].text(), "alice", "{name}");
    }
    let rejected = server.count(|counts| &counts.rejected);
    server.stop().await;

    // Every case but the listener's is one rejection.
    assert_eq!(rejected, cases.len() - 1);
    log_capture::assert_no_line_contains(&SERVER_TOKENS);
}

/// Polls `counter` every 10 ms until it reaches `target`, for at most 2 seconds,
/// and returns its last value.
async fn wait_for(counter: &AtomicUsize, target: usize) -> usize {
    for _ in 0..200 {
        let count = counter.load(Ordering::SeqCst);
        if count >= target {
            return count;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }

    counter.load(Ordering::SeqCst)
}

/// Sends a GET for `path` with `token` on a new connection, and closes the
/// connection once the loader has started, without reading a reply.
async fn send_and_disconnect(server: &Server, path: &str, token: &str) {
    let addr = server.running.addr();
    let bytes = raw_get(path, token);
    let stream = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        stream.write_all(&bytes).unwrap();
        stream
    })
    .await
    .unwrap();

    let started = wait_for(&server.counts.loads, 1).await;
    stream.shutdown(std::net::Shutdown::Both).unwrap();
    drop(stream);

    assert_eq!(started, 1, "the loader never started");
}

#[actix_web::test]
async fn disconnected_client_leaves_loader_to_finish() {
    let server = Server::start();
    let counts = Arc::clone(&server.counts);

    send_and_disconnect(&server, "/me", SLEEPS).await;
    let completed = wait_for(&counts.completed, 1).await;
    let authorized = wait_for(&counts.authorized, 1).await;
    server.stop().await;

    // NOTE: actix-web 4.18.1 keeps serving a request whose client closed the
    // connection until its response is written, so the loader completes and the
    // listener reports an outcome that no client reads.
    assert_eq!(completed, 1);
    assert_eq!(authorized, 1);
    assert_eq!(counts.rejected.load(Ordering::SeqCst), 0);
    assert_eq!(counts.abandoned.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn stopped_server_drops_abandoned_hanging_loader() {
    let server = Server::start();
    let counts = Arc::clone(&server.counts);

    send_and_disconnect(&server, "/optional", HANGS).await;
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    let pending = counts.abandoned.load(Ordering::SeqCst);
    server.stop().await;
    let abandoned = wait_for(&counts.abandoned, 1).await;

    assert_eq!(pending, 0, "the loader was dropped while its server ran");
    assert_eq!(abandoned, 1, "the hanging loader outlived its server");
    assert_eq!(counts.authorized.load(Ordering::SeqCst), 0);
    assert_eq!(counts.rejected.load(Ordering::SeqCst), 0);
}

/// Sends a GET with `token` and returns the status and body, or `None` when the
/// request failed or timed out.
async fn fetch(client: &awc::Client, url: &str, token: &str) -> Option<(u16, String)> {
    let exchange = async {
        let mut response = client.get(url).bearer_auth(token).send().await.ok()?;
        let body = response.body().await.ok()?;
        Some((
            response.status().as_u16(),
            String::from_utf8_lossy(&body).into_owned(),
        ))
    };

    actix_web::rt::time::timeout(IO_TIMEOUT, exchange)
        .await
        .ok()
        .flatten()
}

#[actix_web::test]
async fn concurrent_spurious_wakeups_report_once_each() {
    const REQUESTS_PER_ROUTE: usize = 30;
    let server = Server::start();
    let client = awc_client(IO_TIMEOUT);
    let routes = [
        ("/me", "alice"),
        ("/siblings", "alice true"),
        ("/optional", "alice"),
        ("/option", "alice"),
    ];
    let requests = routes.iter().flat_map(|&(path, body)| {
        let url = server.running.url(path);
        let client = &client;
        (0..REQUESTS_PER_ROUTE).map(move |index| {
            let url = url.clone();
            let token = if index % 3 == 0 { ALICE } else { SLOW };
            async move { (fetch(client, &url, token).await, body) }
        })
    });

    let replies = actix_web::rt::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join_all(requests),
    )
    .await
    .expect("the requests did not complete within 30 seconds");
    let counts = Arc::clone(&server.counts);
    server.stop().await;

    let total = routes.len() * REQUESTS_PER_ROUTE;
    for (reply, body) in &replies {
        assert_eq!(reply.as_ref(), Some(&(200, (*body).to_owned())));
    }
    assert_eq!(counts.loads.load(Ordering::SeqCst), total);
    assert_eq!(counts.completed.load(Ordering::SeqCst), total);
    assert_eq!(counts.authorized.load(Ordering::SeqCst), total);
    assert_eq!(counts.rejected.load(Ordering::SeqCst), 0);
    assert_eq!(counts.abandoned.load(Ordering::SeqCst), 0);
    log_capture::assert_no_line_contains(&SERVER_TOKENS);
}

/// Responds with 504 when the rest of the chain takes more than 50 ms. With
/// `x-read-user`, it then extracts `OptionalUser` and names the user in the body.
async fn time_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request = req.request().clone();
    let read_user = req.headers().contains_key("x-read-user");

    let Ok(response) = timeout(Duration::from_millis(50), next.call(req)).await else {
        let name = match read_user {
            true => OptionalUser::<ServerUser>::extract(&request)
                .await
                .ok()
                .and_then(|user| user.user().map(|user| user.name))
                .unwrap_or("stranger"),
            false => "unread",
        };
        let response = HttpResponse::GatewayTimeout().body(format!("timed out; {name}"));
        return Ok(ServiceResponse::new(request, response));
    };
    response.map(ServiceResponse::map_into_boxed_body)
}

/// Sends a GET for `/me` with [`SLEEPS`] through [`time_limit`], with
/// `x-read-user` if `read_user`, and returns the reply and the counts.
async fn call_with_time_limit(read_user: bool) -> ((u16, String), Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(server_manager(&counts)))
            // On the resource, because a request cloned before routing makes
            // actix-web's router panic.
            .service(
                web::resource("/me")
                    .wrap(from_fn(time_limit))
                    .route(web::get().to(server_me)),
            ),
    )
    .await;
    let mut req = test::TestRequest::get()
        .uri("/me")
        .insert_header((header::AUTHORIZATION, format!("Bearer {SLEEPS}")));
    if read_user {
        req = req.insert_header(("x-read-user", "1"));
    }

    let response = test::call_service(&app, req.to_request()).await;

    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    let reply = (status, String::from_utf8_lossy(&body).into_owned());
    (reply, counts)
}

#[actix_web::test]
async fn timed_out_guard_leaves_loaders_to_later_reader() {
    let (reply, counts) = call_with_time_limit(true).await;

    assert_eq!(reply, (504, "timed out; alice".to_owned()));
    assert_eq!(counts.loads.load(Ordering::SeqCst), 1);
    assert_eq!(counts.completed.load(Ordering::SeqCst), 1);
    assert_eq!(counts.authorized.load(Ordering::SeqCst), 1);
    assert_eq!(counts.rejected.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn timed_out_guard_drops_loaders_with_request() {
    let (reply, counts) = call_with_time_limit(false).await;

    assert_eq!(reply, (504, "timed out; unread".to_owned()));
    assert_eq!(counts.loads.load(Ordering::SeqCst), 1);
    assert_eq!(counts.abandoned.load(Ordering::SeqCst), 1);
    assert_eq!(counts.authorized.load(Ordering::SeqCst), 0);
    assert_eq!(counts.rejected.load(Ordering::SeqCst), 0);
}

/// Extracts `OptionalUser` before the handler and ignores the result, as a
/// logging middleware would.
async fn read_store_user_first(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = req.extract::<OptionalUser<User>>().await;

    next.call(req).await
}

/// Admits a request whose completed authentication grants `admin`.
fn admin_guard(ctx: &guard::GuardContext<'_>) -> bool {
    Authenticated::from_extensions(&ctx.req_data()).is_some_and(|auth| auth.has_scope("admin"))
}

async fn admin_panel(user: CurrentUser<User>) -> String {
    format!("admin panel {}", user.name)
}

async fn user_panel(user: OptionalUser<User>) -> String {
    format!(
        "user panel {}",
        user.user().map_or("stranger", |user| &user.name)
    )
}

#[token_required]
async fn guarded_fallback(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::NotFound().body(format!("no such page, {}", user.name))
}

/// Sends a GET for `uri` with `authorization`, if any, to an app whose
/// middleware extracts the user first, with a route guard and a default service
/// that read the authentication.
async fn call_guarded_app(
    store: &Arc<Store>,
    calls: &Calls,
    uri: &str,
    authorization: Option<&str>,
) -> (u16, String) {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(counting_manager(store, calls)))
            .wrap(from_fn(read_store_user_first))
            .service(
                web::resource("/panel")
                    .route(
                        web::get()
                            .guard(guard::fn_guard(admin_guard))
                            .to(admin_panel),
                    )
                    .route(web::get().to(user_panel)),
            )
            .default_service(web::to(guarded_fallback)),
    )
    .await;
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }

    let response = test::call_service(&app, req.to_request()).await;

    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn route_guard_reads_middleware_authentication() {
    let cases = [
        (Some("Bearer admin-access"), "admin panel alice"),
        (Some("Bearer slow-alice-access"), "user panel alice"),
        (None, "user panel stranger"),
    ];

    for (authorization, body) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call_guarded_app(&store, &calls, "/panel", authorization).await;

        assert_eq!(reply, (200, body.to_owned()), "{authorization:?}");
        let loads = usize::from(authorization.is_some());
        assert_eq!(store.loads(), (loads, loads), "{authorization:?}");
        assert_eq!(calls.counts(), (loads, 0, 0), "{authorization:?}");
    }
}

#[actix_web::test]
async fn default_service_guard_reuses_middleware_authentication() {
    let cases = [
        (
            Some("Bearer slow-alice-access"),
            (404, "no such page, alice"),
            (1, 0),
        ),
        (Some("Bearer nobody"), (401, ""), (0, 1)),
        (None, (400, ""), (0, 1)),
    ];

    for (authorization, (status, body), listeners) in cases {
        let store = Store::standard();
        let calls = Calls::default();

        let reply = call_guarded_app(&store, &calls, "/missing", authorization).await;

        assert_eq!(reply.0, status, "{authorization:?}: {reply:?}");
        if status == 404 {
            assert_eq!(reply.1, body, "{authorization:?}");
        }
        assert!(store.loads().0 <= 1, "{authorization:?}: loaders ran twice");
        assert_eq!(
            (calls.authorized(), calls.unauthorized()),
            listeners,
            "{authorization:?}"
        );
    }
}

/// Starts extracting `OptionalUser` in a task of its own, as a middleware that
/// audits requests in the background would, then calls the rest of the chain.
/// With `x-audit-ms`, the task gives up after that many milliseconds.
async fn audit_in_background(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request = req.request().clone();
    let limit = req
        .headers()
        .get("x-audit-ms")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .map_or(IO_TIMEOUT, Duration::from_millis);
    let audit = actix_web::rt::spawn(async move {
        let user = timeout(limit, OptionalUser::<ServerUser>::extract(&request)).await;
        user.ok()?.ok()?.user().map(|user| user.name)
    });

    let response = next.call(req).await?;
    let audited = audit.await.ok().flatten().unwrap_or("stranger");
    let (request, response) = response.into_parts();
    let mut response = response.map_into_boxed_body();
    response.headers_mut().insert(
        header::HeaderName::from_static("x-audited"),
        header::HeaderValue::from_static(audited),
    );
    Ok(ServiceResponse::new(request, response))
}

// A real server, because `actix_web::test` polls the request's future whenever any
// task of the test's runtime wakes, which hides a task that is never woken.
#[actix_web::test]
async fn background_reader_and_guard_both_wake() {
    let server = Server::start();
    let client = awc_client(IO_TIMEOUT);
    let url = server.running.url("/audited");

    let sent = client.get(&url).bearer_auth(SLEEPS).send();
    let response = timeout(Duration::from_secs(3), sent).await;
    let counts = Arc::clone(&server.counts);
    server.stop().await;

    let response = response
        .expect("a task waiting for the shared loaders was never woken")
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("x-audited").unwrap(), "alice");
    assert_eq!(counts.loads.load(Ordering::SeqCst), 1);
    assert_eq!(counts.authorized.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn abandoned_background_reader_leaves_guard_woken() {
    let server = Server::start();
    let client = awc_client(IO_TIMEOUT);
    let url = server.running.url("/audited");

    // The audit task polls the loaders last, then gives up long before they
    // complete, 300 ms after they start.
    let sent = client
        .get(&url)
        .bearer_auth(SLEEPS)
        .insert_header(("x-audit-ms", "20"))
        .send();
    let response = timeout(Duration::from_secs(3), sent).await;
    let counts = Arc::clone(&server.counts);
    server.stop().await;

    let response = response
        .expect("the guard waiting for the shared loaders was never woken")
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("x-audited").unwrap(), "stranger");
    assert_eq!(counts.loads.load(Ordering::SeqCst), 1);
    assert_eq!(counts.authorized.load(Ordering::SeqCst), 1);
}
