//! Observable outcomes of `#[token_required]` handlers with `CurrentUser` and
//! `CurrentToken` parameters, over a matrix of handler shapes, tokens, loader
//! delays, middleware and error handling.
//!
//! Each request records its status, body, `WWW-Authenticate` header, loader calls,
//! listener and error handler calls, whether its body was read, and whether the
//! user model outlived the request. The tests check the invariants that hold for
//! every shape. With `READER_OUTCOMES=<file>` set, `matrix_keeps_invariants` also
//! writes one line per request, so that two builds of the library can be compared
//! with `diff`.

// `#[token_required(crate = "my_auth")]` needs the library under another name.
extern crate stateless_auth as my_auth;

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, HttpMessage, test, web};
use serde::Deserialize;
use stateless_auth::{
    Access, Authenticated, CurrentToken, CurrentUser, Guarded, OptionalUser, Refresh,
    StatelessAuthError, StatelessAuthManager, TokenMixin, TokenRequired, TokenSpec, UserMixin,
    token_required,
};
use stateless_auth_tests::{Calls, Loads, count_error_handler, count_listeners, split_prefix};

/// Time one request may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Prefixes that make both loaders wait before they return: none, one yield to the
/// scheduler, a timer, and a spawned task.
const DELAYS: [&str; 4] = ["", "yield-", "sleep-", "task-"];

thread_local! {
    /// Number of user models alive on this thread: created by the user loader,
    /// dropped with the last reference to the authentication. It is per thread
    /// because the test harness runs tests on several threads at once.
    static LIVE_MEMBERS: Cell<usize> = const { Cell::new(0) };
}

/// A token model that also names the delay of the user loader.
struct Grant {
    user: &'static str,
    token_type: &'static str,
    expired: bool,
    scopes: &'static [&'static str],
    delay: &'static str,
}

impl TokenMixin for Grant {
    fn is_expired(&self, _token_type: &str, _auth_type: &str) -> bool {
        self.expired
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A user model that counts itself in [`LIVE_MEMBERS`].
struct Member {
    name: &'static str,
    active: bool,
}

impl Member {
    fn new(name: &'static str) -> Self {
        LIVE_MEMBERS.with(|live| live.set(live.get() + 1));

        Member {
            name,
            active: name != "bob",
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        LIVE_MEMBERS.with(|live| live.set(live.get() - 1));
    }
}

impl UserMixin for Member {
    fn is_active(&self) -> bool {
        self.active
    }
}

#[derive(Deserialize)]
struct Note {
    text: String,
}

/// Waits for the delay that `prefix` names.
async fn wait_for(prefix: &str) {
    match prefix {
        "yield-" => stateless_auth_tests::YieldOnce::default().await,
        "sleep-" => actix_rt::time::sleep(Duration::from_millis(2)).await,
        "task-" => {
            let task = actix_rt::spawn(actix_rt::time::sleep(Duration::from_millis(1)));
            task.await.expect("the delay task completes");
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
            let (delay, stored) = split_prefix(token, &DELAYS);
            wait_for(delay).await;

            let (user, stored_type, expired, scopes): (_, _, _, &'static [&'static str]) =
                match stored {
                    "alice-access" => ("alice", "access", false, &[]),
                    "admin-access" => ("alice", "access", false, &["admin"]),
                    "alice-refresh" => ("alice", "refresh", false, &[]),
                    "expired-access" => ("alice", "access", true, &[]),
                    "bob-access" => ("bob", "access", false, &[]),
                    "failing" => return Err(StatelessAuthError::server("database unavailable")),
                    _ => return Ok(None),
                };
            let grant = Grant {
                user,
                token_type: stored_type,
                expired,
                scopes,
                delay,
            };
            Ok::<_, StatelessAuthError>((stored_type == token_type).then_some(grant))
        },
        async move |grant: &Grant| {
            user_loads.users.fetch_add(1, Ordering::SeqCst);
            wait_for(grant.delay).await;

            Ok(Some(Member::new(grant.user)))
        },
    )
}

#[token_required]
async fn user_only(user: CurrentUser<Member>) -> String {
    user.name.to_owned()
}

#[token_required]
async fn token_only(token: CurrentToken<Grant>) -> String {
    token.token_type.to_owned()
}

#[token_required]
async fn token_user(token: CurrentToken<Grant>, user: CurrentUser<Member>) -> String {
    format!("{} {}", token.token_type, user.name)
}

#[token_required]
async fn wrong_first(
    _: CurrentUser<String>,
    user: CurrentUser<Member>,
    token: CurrentToken<Grant>,
) -> String {
    format!("{} {}", user.name, token.token_type)
}

#[token_required]
async fn wrong_middle(
    user: CurrentUser<Member>,
    _: CurrentToken<u64>,
    token: CurrentToken<Grant>,
) -> String {
    format!("{} {}", user.name, token.token_type)
}

#[token_required]
async fn wrong_last(
    user: CurrentUser<Member>,
    token: CurrentToken<Grant>,
    _: CurrentUser<String>,
) -> String {
    format!("{} {}", user.name, token.token_type)
}

#[token_required]
async fn json_first(web::Json(note): web::Json<Note>, user: CurrentUser<Member>) -> String {
    format!("{} {}", user.name, note.text)
}

#[token_required]
async fn bytes_last(
    user: CurrentUser<Member>,
    token: CurrentToken<Grant>,
    body: web::Bytes,
) -> String {
    format!("{} {} {}", user.name, token.token_type, body.len())
}

#[token_required]
async fn string_between(
    user: CurrentUser<Member>,
    body: String,
    token: CurrentToken<Grant>,
) -> String {
    format!("{} {} {}", user.name, body.len(), token.token_type)
}

#[token_required]
async fn bytes_wrong_last(
    body: web::Bytes,
    user: CurrentUser<Member>,
    _: CurrentToken<u64>,
) -> String {
    format!("{} {}", user.name, body.len())
}

#[token_required(scopes("admin"))]
async fn scoped(user: CurrentUser<Member>, token: CurrentToken<Grant>) -> String {
    format!("{} {}", user.name, token.scopes.join(","))
}

#[token_required(scopes("admin"))]
async fn scoped_wrong(
    user: CurrentUser<Member>,
    body: web::Bytes,
    _: CurrentUser<String>,
) -> String {
    format!("{} {}", user.name, body.len())
}

#[token_required(token_type = "refresh")]
async fn refresh_readers(user: CurrentUser<Member>, token: CurrentToken<Grant>) -> String {
    format!("{} {}", user.name, token.token_type)
}

#[token_required(auth_type = "Token")]
async fn token_scheme_wrong(_: CurrentToken<u64>) -> &'static str {
    "unreachable"
}

/// Binds readers with `mut`, `ref`, `ref mut` and `_` patterns.
#[token_required]
async fn patterns(
    mut user: CurrentUser<Member>,
    ref token: CurrentToken<Grant>,
    ref mut again: CurrentUser<Member>,
    _: CurrentToken<Grant>,
) -> String {
    std::mem::swap(&mut user, again);

    format!("{} {} {}", user.name, token.token_type, again.name)
}

#[token_required]
#[allow(clippy::too_many_arguments)]
async fn sixteen(
    u1: CurrentUser<Member>,
    t1: CurrentToken<Grant>,
    mut u2: CurrentUser<Member>,
    ref t2: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _t3: CurrentToken<Grant>,
    u4: CurrentUser<Member>,
    t4: CurrentToken<Grant>,
    u5: CurrentUser<Member>,
    t5: CurrentToken<Grant>,
    u6: CurrentUser<Member>,
    t6: CurrentToken<Grant>,
    u7: CurrentUser<Member>,
    t7: CurrentToken<Grant>,
    ref mut u8: CurrentUser<Member>,
    t8: CurrentToken<Grant>,
) -> String {
    std::mem::swap(&mut u2, u8);
    let users = [&u1, &u2, &u4, &u5, &u6, &u7, &*u8].map(|user| user.name);
    let tokens = [&t1, t2, &t4, &t5, &t6, &t7, &t8].map(|token| token.token_type);

    format!("{} {}", users.join(","), tokens.join(","))
}

#[token_required]
#[allow(clippy::too_many_arguments)]
async fn sixteen_wrong_last(
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<Grant>,
    _: CurrentUser<Member>,
    _: CurrentToken<u64>,
) -> &'static str {
    "unreachable"
}

#[token_required(crate = "my_auth")]
async fn renamed_crate(user: my_auth::CurrentUser<Member>, token: CurrentToken<Grant>) -> String {
    format!("{} {}", user.name, token.token_type)
}

#[cfg(test)]
#[token_required]
async fn cfg_enabled(user: CurrentUser<Member>) -> String {
    user.name.to_owned()
}

#[token_required]
async fn beside_extractors(
    optional: OptionalUser<Member>,
    user: CurrentUser<Member>,
    authenticated: Authenticated,
) -> String {
    let optional = optional.user().map_or("none", |member| member.name);

    format!("{optional} {} {}", user.name, authenticated.token_type())
}

#[token_required]
async fn beside_refresh_guard(_: TokenRequired<Refresh>, user: CurrentUser<Member>) -> String {
    user.name.to_owned()
}

async fn guarded_user(guarded: Guarded<Access, (), (CurrentUser<Member>,)>) -> String {
    let ((), (user,)) = guarded.into_parts();

    user.name.to_owned()
}

async fn guarded_wrong(guarded: Guarded<Access, (web::Bytes,), (CurrentUser<String>,)>) -> String {
    let ((body,), (user,)) = guarded.into_parts();

    format!("{} {}", user.as_str(), body.len())
}

/// An access token with the `admin` scope.
struct AdminSpec;

impl TokenSpec for AdminSpec {
    const SCOPES: &'static [&'static str] = &["admin"];
}

async fn guarded_scoped(
    guarded: Guarded<AdminSpec, (web::Bytes,), (CurrentUser<Member>, CurrentToken<Grant>)>,
) -> String {
    let ((body,), (user, token)) = guarded.into_parts();

    format!("{} {} {}", user.name, token.scopes.join(","), body.len())
}

/// Every route, and whether its handler reads the body when it runs.
const ROUTES: [(&str, bool); 24] = [
    ("/user_only", false),
    ("/token_only", false),
    ("/token_user", false),
    ("/wrong_first", false),
    ("/wrong_middle", false),
    ("/wrong_last", false),
    ("/json_first", true),
    ("/bytes_last", true),
    ("/string_between", true),
    ("/bytes_wrong_last", true),
    ("/scoped", false),
    ("/scoped_wrong", true),
    ("/refresh_readers", false),
    ("/token_scheme_wrong", false),
    ("/patterns", false),
    ("/sixteen", false),
    ("/sixteen_wrong_last", false),
    ("/renamed_crate", false),
    ("/cfg_enabled", false),
    ("/beside_extractors", false),
    ("/beside_refresh_guard", false),
    ("/guarded_user", false),
    ("/guarded_wrong", true),
    ("/guarded_scoped", true),
];

/// Tokens without their delay prefix: stored ones, an unknown one, one whose
/// look-up fails, and a malformed one.
const TOKENS: [&str; 8] = [
    "alice-access",
    "admin-access",
    "alice-refresh",
    "expired-access",
    "bob-access",
    "nobody",
    "failing",
    "a*b",
];

/// Middleware around the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Around {
    Nothing,
    AuthenticatedBefore,
    OptionalBefore,
    RefreshGuardBefore,
    HeaderAfter,
}

const AROUNDS: [Around; 5] = [
    Around::Nothing,
    Around::AuthenticatedBefore,
    Around::OptionalBefore,
    Around::RefreshGuardBefore,
    Around::HeaderAfter,
];

/// Extracts `T` before the handler, as an authenticating middleware does, and
/// ignores its rejection.
async fn extract_before<T: FromRequest>(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = req.extract::<T>().await;

    next.call(req).await
}

/// Copies the user's name, read from the request's extensions after the handler,
/// into an `x-user` header.
async fn user_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;

    let name = Authenticated::from_extensions(&response.request().extensions())
        .and_then(|auth| auth.user::<Member>().map(|member| member.name))
        .unwrap_or("anonymous");
    response.headers_mut().insert(
        header::HeaderName::from_static("x-user"),
        header::HeaderValue::from_static(name),
    );
    Ok(response)
}

/// What one request did.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: u16,
    body: String,
    challenge: String,
    user_header: String,
    token_loads: usize,
    user_loads: usize,
    authorized: usize,
    unauthorized: usize,
    handled: usize,
    body_read: bool,
    live_members: usize,
}

/// One request of the matrix.
#[derive(Clone, Copy, Debug)]
struct Case<'a> {
    around: Around,
    path: &'a str,
    authorization: Option<&'a str>,
    handle_errors: bool,
}

fn app(
    manager: StatelessAuthManager,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .app_data(web::Data::new(manager))
        .route("/user_only", web::post().to(user_only))
        .route("/token_only", web::post().to(token_only))
        .route("/token_user", web::post().to(token_user))
        .route("/wrong_first", web::post().to(wrong_first))
        .route("/wrong_middle", web::post().to(wrong_middle))
        .route("/wrong_last", web::post().to(wrong_last))
        .route("/json_first", web::post().to(json_first))
        .route("/bytes_last", web::post().to(bytes_last))
        .route("/string_between", web::post().to(string_between))
        .route("/bytes_wrong_last", web::post().to(bytes_wrong_last))
        .route("/scoped", web::post().to(scoped))
        .route("/scoped_wrong", web::post().to(scoped_wrong))
        .route("/refresh_readers", web::post().to(refresh_readers))
        .route("/token_scheme_wrong", web::post().to(token_scheme_wrong))
        .route("/patterns", web::post().to(patterns))
        .route("/sixteen", web::post().to(sixteen))
        .route("/sixteen_wrong_last", web::post().to(sixteen_wrong_last))
        .route("/renamed_crate", web::post().to(renamed_crate))
        .route("/cfg_enabled", web::post().to(cfg_enabled))
        .route("/beside_extractors", web::post().to(beside_extractors))
        .route(
            "/beside_refresh_guard",
            web::post().to(beside_refresh_guard),
        )
        .route("/guarded_user", web::post().to(guarded_user))
        .route("/guarded_wrong", web::post().to(guarded_wrong))
        .route("/guarded_scoped", web::post().to(guarded_scoped))
}

/// Returns a JSON payload that records in `read` whether anything polled it.
fn recording_payload(read: &Arc<AtomicUsize>) -> Payload {
    let read = Arc::clone(read);
    let mut chunk = Some(web::Bytes::from_static(br#"{"text":"hi"}"#));
    let stream = futures_util::stream::poll_fn(move |_| {
        read.fetch_add(1, Ordering::SeqCst);
        std::task::Poll::Ready(chunk.take().map(Ok))
    });

    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// Sends `case` through a fresh app and returns what it did, once the app and the
/// response are dropped.
async fn send(case: Case<'_>) -> Outcome {
    let live_before = LIVE_MEMBERS.with(Cell::get);
    let loads = Arc::new(Loads::default());
    let calls = Calls::default();
    let mut manager = count_listeners(delayed_manager(&loads), &calls);
    if case.handle_errors {
        manager = count_error_handler(manager, &calls);
    }
    let read = Arc::new(AtomicUsize::new(0));
    let mut req = test::TestRequest::post()
        .uri(case.path)
        .insert_header(ContentType::json());
    if let Some(value) = case.authorization {
        req = req.insert_header((header::AUTHORIZATION, value));
    }
    let mut req = req.to_request();
    *req.payload() = recording_payload(&read);

    let response = match case.around {
        Around::Nothing => {
            let app = test::init_service(app(manager)).await;
            call(&app, req).await
        }
        Around::AuthenticatedBefore => {
            let app =
                test::init_service(app(manager).wrap(from_fn(extract_before::<Authenticated>)))
                    .await;
            call(&app, req).await
        }
        Around::OptionalBefore => {
            let app = test::init_service(
                app(manager).wrap(from_fn(extract_before::<OptionalUser<Member>>)),
            )
            .await;
            call(&app, req).await
        }
        Around::RefreshGuardBefore => {
            let app = test::init_service(
                app(manager).wrap(from_fn(extract_before::<TokenRequired<Refresh>>)),
            )
            .await;
            call(&app, req).await
        }
        Around::HeaderAfter => {
            let app = test::init_service(app(manager).wrap(from_fn(user_header))).await;
            call(&app, req).await
        }
    };

    let (status, challenge, user_header, body) = response;
    Outcome {
        status,
        body,
        challenge,
        user_header,
        token_loads: loads.tokens.load(Ordering::SeqCst),
        user_loads: loads.users.load(Ordering::SeqCst),
        authorized: calls.authorized(),
        unauthorized: calls.unauthorized(),
        handled: calls.error_handler(),
        body_read: read.load(Ordering::SeqCst) > 0,
        live_members: LIVE_MEMBERS.with(Cell::get) - live_before,
    }
}

/// Calls `app` with `req` and returns the status, the `WWW-Authenticate` and
/// `x-user` headers and the body, failing the test when the response takes longer
/// than [`CALL_TIMEOUT`].
async fn call<S, B>(app: &S, req: actix_http::Request) -> (u16, String, String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: MessageBody,
{
    let response = actix_web::rt::time::timeout(CALL_TIMEOUT, test::call_service(app, req))
        .await
        .expect("the request did not complete in time");

    let header_text = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("header is ASCII").to_owned())
            .unwrap_or_default()
    };
    let status = response.status().as_u16();
    let challenge = header_text("www-authenticate");
    let user = header_text("x-user");
    let body = test::read_body(response).await;
    (
        status,
        challenge,
        user,
        String::from_utf8(body.to_vec()).expect("body is UTF-8"),
    )
}

/// Returns every `Authorization` value of the matrix: each token with each delay,
/// an empty token, a header with another scheme, and no header.
fn authorizations() -> Vec<Option<String>> {
    let mut values = vec![
        None,
        Some("Bearer ".to_owned()),
        Some("Basic YWxpY2U6eA==".to_owned()),
    ];
    for token in TOKENS {
        for delay in DELAYS {
            values.push(Some(format!("Bearer {delay}{token}")));
        }
    }

    values
}

/// Returns whether `path`'s handler reads the body when it runs.
fn reads_body(path: &str) -> bool {
    ROUTES.iter().any(|(route, reads)| *route == path && *reads)
}

/// Checks the invariants that hold for every request of the matrix.
fn check_invariants(case: &Case<'_>, outcome: &Outcome) {
    let text = format!("{case:?}: {outcome:?}");

    assert_eq!(
        outcome.live_members, 0,
        "a user model outlived the request: {text}"
    );
    assert!(outcome.authorized <= 1, "{text}");
    if outcome.status == 200 {
        assert_eq!(outcome.body_read, reads_body(case.path), "{text}");
    } else {
        assert!(
            !outcome.body_read,
            "a rejected request's body was read: {text}"
        );
    }

    // A middleware that authenticates before the handler reports its own outcome,
    // and before a refresh route the guard runs the loaders again for its token type.
    let before = !matches!(case.around, Around::Nothing | Around::HeaderAfter);
    if before {
        assert!(outcome.token_loads <= 2, "{text}");
        assert!(outcome.user_loads <= 2, "{text}");
        return;
    }
    assert!(outcome.token_loads <= 1, "{text}");
    assert!(outcome.user_loads <= 1, "{text}");
    if outcome.status == 200 {
        assert_eq!(outcome.unauthorized, 0, "{text}");
    } else {
        assert_eq!(outcome.unauthorized, 1, "{text}");
    }
    if case.handle_errors && outcome.status != 200 {
        assert_eq!(outcome.handled, 1, "{text}");
    }
}

/// Formats one recorded line for the comparison between builds.
fn record_line(case: &Case<'_>, outcome: &Outcome) -> String {
    format!(
        "{:?} {} {:?} errors={} => {} {:?} challenge={:?} x-user={:?} loads={}/{} \
         listeners={}/{} handled={} body_read={} live={}\n",
        case.around,
        case.path,
        case.authorization,
        case.handle_errors,
        outcome.status,
        outcome.body,
        outcome.challenge,
        outcome.user_header,
        outcome.token_loads,
        outcome.user_loads,
        outcome.authorized,
        outcome.unauthorized,
        outcome.handled,
        outcome.body_read,
        outcome.live_members,
    )
}

#[actix_web::test]
async fn matrix_keeps_invariants() {
    let authorizations = authorizations();
    let mut recording = String::new();

    for around in AROUNDS {
        for handle_errors in [false, true] {
            for (path, _) in ROUTES {
                for authorization in &authorizations {
                    let case = Case {
                        around,
                        path,
                        authorization: authorization.as_deref(),
                        handle_errors,
                    };

                    let outcome = send(case).await;

                    check_invariants(&case, &outcome);
                    recording.push_str(&record_line(&case, &outcome));
                }
            }
        }
    }

    if let Some(file) = std::env::var_os("READER_OUTCOMES") {
        std::fs::write(file, recording).expect("the recording is written");
    }
}

#[actix_web::test]
async fn delay_does_not_change_outcome() {
    for (path, _) in ROUTES {
        for token in TOKENS {
            let undelayed = format!("Bearer {token}");
            let base = Case {
                around: Around::Nothing,
                path,
                authorization: Some(&undelayed),
                handle_errors: false,
            };
            let expected = send(base).await;

            for delay in &DELAYS[1..] {
                let value = format!("Bearer {delay}{token}");
                let case = Case {
                    authorization: Some(&value),
                    ..base
                };

                let outcome = send(case).await;

                assert_eq!(outcome, expected, "{case:?}");
            }
        }
    }
}

#[actix_web::test]
async fn mismatched_reader_anywhere_is_reported_once() {
    let mut failures = String::new();

    for path in [
        "/wrong_first",
        "/wrong_middle",
        "/wrong_last",
        "/bytes_wrong_last",
        "/sixteen_wrong_last",
        "/guarded_wrong",
    ] {
        let case = Case {
            around: Around::Nothing,
            path,
            authorization: Some("Bearer alice-access"),
            handle_errors: true,
        };

        let outcome = send(case).await;

        let expected = (418, 1, 1, 1, false);
        let actual = (
            outcome.status,
            outcome.authorized,
            outcome.unauthorized,
            outcome.handled,
            outcome.body_read,
        );
        if actual != expected {
            writeln!(failures, "{path}: {outcome:?}").expect("writing to a String succeeds");
        }
    }

    assert!(failures.is_empty(), "{failures}");
}

// `Guarded` checks its own scopes when the loaders ran for another extractor, so
// the cases include middleware that authenticates first.
#[actix_web::test]
async fn scope_rejection_precedes_mismatched_reader() {
    for around in [
        Around::Nothing,
        Around::AuthenticatedBefore,
        Around::OptionalBefore,
    ] {
        let unscoped = Case {
            around,
            path: "/scoped_wrong",
            authorization: Some("Bearer alice-access"),
            handle_errors: false,
        };
        let admin = Case {
            authorization: Some("Bearer admin-access"),
            ..unscoped
        };

        let without_scope = send(unscoped).await;
        let with_scope = send(admin).await;

        assert_eq!(without_scope.status, 403, "{without_scope:?}");
        assert_eq!(without_scope.unauthorized, 1, "{without_scope:?}");
        assert_eq!(with_scope.status, 500, "{with_scope:?}");
        assert_eq!(with_scope.unauthorized, 1, "{with_scope:?}");
        assert!(!with_scope.body_read, "{with_scope:?}");
    }
}

#[actix_web::test]
async fn reader_patterns_bind_every_value() {
    let case = |path| Case {
        around: Around::Nothing,
        path,
        authorization: Some("Bearer task-alice-access"),
        handle_errors: false,
    };

    let patterns = send(case("/patterns")).await;
    let sixteen = send(case("/sixteen")).await;

    assert_eq!(patterns.body, "alice access alice", "{patterns:?}");
    assert_eq!(
        sixteen.body,
        "alice,alice,alice,alice,alice,alice,alice access,access,access,access,access,access,access",
        "{sixteen:?}"
    );
}
