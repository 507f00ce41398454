//! Every pairing of guards and readers in one handler, in both orders, behind
//! middleware that authenticates before or reads after the handler, with loaders
//! that complete at once and loaders that stay pending for one or several polls.
//!
//! Each request must run each loader at most once and reach exactly one listener,
//! and the status must not depend on how long the loaders take.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, HttpResponse, test, web};
use stateless_auth::{
    Access, Authenticated, CurrentToken, CurrentUser, Guarded, OptionalUser, Refresh,
    StatelessAuthError, StatelessAuthManager, TokenRequired, token_required,
};
use stateless_auth_tests::{
    Calls, Loads, Token, User, count_error_handler, count_listeners, split_prefix, user_header,
};

/// The scope that a delayed token carries so that the user loader waits too.
const DELAY_USER: &str = "delay-user";

/// Prefixes that make both loaders wait before they return: none, a timer, three
/// yields to the scheduler, a spawned task, and a blocking thread.
const DELAYS: [&str; 5] = ["", "sleep-", "yield3-", "task-", "thread-"];

/// Time one request may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for the delay that `prefix` names.
async fn wait_for(prefix: &str) {
    match prefix {
        "sleep-" => actix_rt::time::sleep(Duration::from_millis(3)).await,
        "yield3-" => {
            for _ in 0..3 {
                actix_rt::task::yield_now().await;
            }
        }
        "task-" => {
            let task = actix_rt::spawn(actix_rt::time::sleep(Duration::from_millis(2)));
            task.await.unwrap();
        }
        "thread-" => {
            let thread = actix_rt::task::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(2));
            });
            thread.await.unwrap();
        }
        _ => {}
    }
}

/// Creates a manager whose loaders wait for the delay that the token's prefix
/// names, and count their calls in `loads`.
fn delayed_manager(loads: &Arc<Loads>) -> StatelessAuthManager {
    let (token_loads, user_loads) = (Arc::clone(loads), Arc::clone(loads));

    StatelessAuthManager::new(
        async move |token: &str, token_type: &str, _: &str| {
            token_loads.tokens.fetch_add(1, Ordering::SeqCst);
            let (prefix, stored) = split_prefix(token, &DELAYS);
            wait_for(prefix).await;

            let (user, stored_type, expired) = match stored {
                "alice-access" => ("alice", "access", false),
                "alice-refresh" => ("alice", "refresh", false),
                "expired-access" | "expired-refresh" => ("alice", &stored[8..], true),
                "bob-access" | "bob-refresh" => ("bob", &stored[4..], false),
                _ => return Ok(None),
            };
            let scopes = match prefix {
                "" => Vec::new(),
                _ => vec![DELAY_USER.to_owned(), prefix.to_owned()],
            };
            let model = Token {
                user: user.to_owned(),
                token_type: stored_type.to_owned(),
                expired,
                scopes,
            };
            Ok::<_, StatelessAuthError>((stored_type == token_type).then_some(model))
        },
        async move |token: &Token| {
            user_loads.users.fetch_add(1, Ordering::SeqCst);
            if token.scopes.iter().any(|scope| scope == DELAY_USER) {
                wait_for(&token.scopes[1]).await;
            }

            Ok(Some(User {
                name: token.user.clone(),
                active: token.user == "alice",
            }))
        },
    )
}

async fn guard_user(_: TokenRequired<Access>, _: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn user_guard(_: CurrentUser<User>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guard_token_auth(
    _: TokenRequired<Access>,
    _: CurrentToken<Token>,
    _: Authenticated,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn auth_token_guard(
    _: Authenticated,
    _: CurrentToken<Token>,
    _: TokenRequired<Access>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guard_optional(_: TokenRequired<Access>, _: OptionalUser<User>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn optional_guard(_: OptionalUser<User>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guarded_user(
    _: Guarded<Access, (CurrentUser<User>,)>,
    _: CurrentUser<User>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn user_guarded(
    _: CurrentUser<User>,
    _: Guarded<Access, (CurrentUser<User>,)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guarded_auth_guard(
    _: Guarded<Access, (), (CurrentUser<User>,)>,
    _: TokenRequired<Access>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guard_nested_guard(
    _: TokenRequired<Access>,
    _: Guarded<Access, (TokenRequired<Access>, CurrentToken<Token>)>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn two_guards(_: TokenRequired<Access>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn readers_only(
    _: Authenticated,
    _: CurrentUser<User>,
    _: CurrentToken<Token>,
) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn optional_only(_: OptionalUser<User>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[token_required]
async fn macro_readers(_user: CurrentUser<User>, _token: CurrentToken<Token>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn refresh_user(_: TokenRequired<Refresh>, _: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn user_refresh(_: CurrentUser<User>, _: TokenRequired<Refresh>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guarded_refresh_token(_: Guarded<Refresh, (CurrentToken<Token>,)>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Routes that require an access token, whose readers use the configured default.
const ACCESS_ROUTES: [&str; 14] = [
    "/guard_user",
    "/user_guard",
    "/guard_token_auth",
    "/auth_token_guard",
    "/guard_optional",
    "/optional_guard",
    "/guarded_user",
    "/user_guarded",
    "/guarded_auth_guard",
    "/guard_nested_guard",
    "/two_guards",
    "/readers_only",
    "/optional_only",
    "/macro_readers",
];

/// Routes whose guard requires a refresh token.
const REFRESH_ROUTES: [&str; 3] = ["/refresh_user", "/user_refresh", "/guarded_refresh_token"];

/// Authenticates with `OptionalUser` before the handler, ignoring a rejection.
async fn optional_before(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = req.extract::<OptionalUser<User>>().await;

    next.call(req).await
}

/// Authenticates with `Authenticated` before the handler, ignoring a rejection.
async fn authenticated_before(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = req.extract::<Authenticated>().await;

    next.call(req).await
}

/// Extracts `OptionalUser` after the handler, ignoring a rejection.
async fn optional_after(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(req).await?;

    let _ = OptionalUser::<User>::extract(response.request()).await;
    Ok(response)
}

/// Middleware around the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Around {
    Nothing,
    OptionalBefore,
    AuthenticatedBefore,
    HeaderAfter,
    OptionalAfter,
}

/// What one request did.
#[derive(Debug)]
struct Outcome {
    status: u16,
    token_loads: usize,
    user_loads: usize,
    authorized: usize,
    unauthorized: usize,
    handled: usize,
}

/// Sends `authorization` to `path` through a fresh app with `around`.
async fn send(
    around: Around,
    path: &str,
    authorization: Option<&str>,
    handle_errors: bool,
) -> Outcome {
    let loads = Arc::new(Loads::default());
    let calls = Calls::default();
    let mut manager = count_listeners(delayed_manager(&loads), &calls);
    if handle_errors {
        manager = count_error_handler(manager, &calls);
    }
    let app = App::new()
        .app_data(web::Data::new(manager))
        .route("/guard_user", web::get().to(guard_user))
        .route("/user_guard", web::get().to(user_guard))
        .route("/guard_token_auth", web::get().to(guard_token_auth))
        .route("/auth_token_guard", web::get().to(auth_token_guard))
        .route("/guard_optional", web::get().to(guard_optional))
        .route("/optional_guard", web::get().to(optional_guard))
        .route("/guarded_user", web::get().to(guarded_user))
        .route("/user_guarded", web::get().to(user_guarded))
        .route("/guarded_auth_guard", web::get().to(guarded_auth_guard))
        .route("/guard_nested_guard", web::get().to(guard_nested_guard))
        .route("/two_guards", web::get().to(two_guards))
        .route("/readers_only", web::get().to(readers_only))
        .route("/optional_only", web::get().to(optional_only))
        .route("/macro_readers", web::get().to(macro_readers))
        .route("/refresh_user", web::get().to(refresh_user))
        .route("/user_refresh", web::get().to(user_refresh))
        .route(
            "/guarded_refresh_token",
            web::get().to(guarded_refresh_token),
        );
    let mut req = test::TestRequest::get().uri(path);
    if let Some(value) = authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }
    let req = req.to_request();

    let status = match around {
        Around::Nothing => {
            let app = test::init_service(app).await;
            call(&app, req).await
        }
        Around::OptionalBefore => {
            let app = test::init_service(app.wrap(from_fn(optional_before))).await;
            call(&app, req).await
        }
        Around::AuthenticatedBefore => {
            let app = test::init_service(app.wrap(from_fn(authenticated_before))).await;
            call(&app, req).await
        }
        Around::HeaderAfter => {
            let app = test::init_service(app.wrap(from_fn(user_header))).await;
            call(&app, req).await
        }
        Around::OptionalAfter => {
            let app = test::init_service(app.wrap(from_fn(optional_after))).await;
            call(&app, req).await
        }
    };

    Outcome {
        status: status.as_u16(),
        token_loads: loads.tokens.load(Ordering::SeqCst),
        user_loads: loads.users.load(Ordering::SeqCst),
        authorized: calls.authorized(),
        unauthorized: calls.unauthorized(),
        handled: calls.error_handler(),
    }
}

/// Calls `app` with `req`, failing the test when the response takes longer than
/// [`CALL_TIMEOUT`].
async fn call<S, B>(app: &S, req: actix_http::Request) -> actix_web::http::StatusCode
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
{
    let response = actix_web::rt::time::timeout(CALL_TIMEOUT, test::call_service(app, req)).await;

    response
        .expect("the request did not complete in time")
        .status()
}

/// Stored tokens of `token_type`, and whether each one is accepted.
fn stored_tokens(token_type: &str) -> Vec<(String, bool)> {
    vec![
        (format!("alice-{token_type}"), true),
        (format!("expired-{token_type}"), false),
        (format!("bob-{token_type}"), false),
        ("nobody".to_owned(), false),
    ]
}

/// Sends every stored token with every delay, a missing header and a malformed
/// one to `path`, and checks the loads, the listener calls, the error handler
/// calls and that the status matches that of the same token without delay.
async fn check_route(around: Around, path: &str, token_type: &str, handle_errors: bool) {
    for (stored, accepted) in stored_tokens(token_type) {
        let undelayed = send(
            around,
            path,
            Some(&format!("Bearer {stored}")),
            handle_errors,
        )
        .await;
        for prefix in DELAYS {
            let value = format!("Bearer {prefix}{stored}");

            let outcome = send(around, path, Some(&value), handle_errors).await;

            let case = format!("{around:?} {path} {prefix}{stored}: {outcome:?}");
            assert_eq!(outcome.status, undelayed.status, "{case}");
            assert_eq!(outcome.status == 200, accepted, "{case}");
            assert_eq!(outcome.token_loads, 1, "{case}");
            assert!(outcome.user_loads <= 1, "{case}");
            assert_eq!(outcome.authorized + outcome.unauthorized, 1, "{case}");
            assert_eq!(outcome.authorized, usize::from(accepted), "{case}");
            if handle_errors {
                assert_eq!(outcome.handled, usize::from(!accepted), "{case}");
            }
        }
    }

    for authorization in [None, Some("Bearer a*b")] {
        let outcome = send(around, path, authorization, handle_errors).await;

        let case = format!("{around:?} {path} {authorization:?}: {outcome:?}");
        let missing_optional = authorization.is_none() && path == "/optional_only";
        if missing_optional {
            // Only a middleware that requires the authentication reports the
            // missing header, and `OptionalUser` returns `None` after it too.
            let expected = usize::from(around == Around::AuthenticatedBefore);
            assert_eq!(outcome.status, 200, "{case}");
            assert_eq!(outcome.unauthorized, expected, "{case}");
        } else {
            assert_eq!(outcome.unauthorized, 1, "{case}");
            if handle_errors {
                assert_eq!(outcome.handled, 1, "{case}");
            }
        }
        assert_eq!(outcome.token_loads, 0, "{case}");
        assert_eq!(outcome.authorized, 0, "{case}");
    }
}

#[actix_web::test]
async fn access_routes_load_and_report_once() {
    for around in [Around::Nothing, Around::HeaderAfter, Around::OptionalAfter] {
        for path in ACCESS_ROUTES {
            check_route(around, path, "access", false).await;
        }
    }
}

#[actix_web::test]
async fn refresh_routes_load_and_report_once() {
    for around in [Around::Nothing, Around::HeaderAfter, Around::OptionalAfter] {
        for path in REFRESH_ROUTES {
            check_route(around, path, "refresh", false).await;
        }
    }
}

#[actix_web::test]
async fn routes_behind_authenticating_middleware_load_once() {
    for around in [Around::OptionalBefore, Around::AuthenticatedBefore] {
        for path in ACCESS_ROUTES {
            check_route(around, path, "access", false).await;
        }
    }
}

#[actix_web::test]
async fn every_rejection_handled_once() {
    for around in [Around::Nothing, Around::HeaderAfter] {
        for path in ACCESS_ROUTES {
            check_route(around, path, "access", true).await;
        }
        for path in REFRESH_ROUTES {
            check_route(around, path, "refresh", true).await;
        }
    }
}
