//! The extractors, listeners and settings of the core crate, through a real `App`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use stateless_auth::{
    Access, Authenticated, CurrentToken, CurrentUser, OptionalUser, Refresh, StatelessAuthConfig,
    StatelessAuthError, StatelessAuthManager, TokenRequired, TokenSpec,
};
use stateless_auth_tests::{Store, Token, User, manager, status_and_error, user_header};

async fn whoami(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name.clone())
}

async fn guard_first(
    guard: TokenRequired<Access>,
    user: CurrentUser<User>,
    token: CurrentToken<Token>,
) -> HttpResponse {
    let body = format!(
        "{} {} {}",
        guard.authenticated().token_type(),
        user.name,
        token.user
    );
    HttpResponse::Ok().body(body)
}

async fn guard_last(
    user: CurrentUser<User>,
    token: CurrentToken<Token>,
    guard: TokenRequired<Refresh>,
) -> HttpResponse {
    let body = format!(
        "{} {} {}",
        guard.authenticated().token_type(),
        user.name,
        token.token_type
    );
    HttpResponse::Ok().body(body)
}

async fn optional(user: OptionalUser<User>) -> HttpResponse {
    let name = user.user().map_or("None", |user| user.name.as_str());
    HttpResponse::Ok().body(name.to_owned())
}

/// An access token sent with the `Token` scheme instead of the default `Bearer`.
struct TokenScheme;

impl TokenSpec for TokenScheme {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const AUTH_TYPE: Option<&'static str> = Some("Token");
}

async fn optional_then_token_scheme(
    user: OptionalUser<User>,
    _: TokenRequired<TokenScheme>,
) -> HttpResponse {
    let name = user.user().map_or("None", |user| user.name.as_str());
    HttpResponse::Ok().body(name.to_owned())
}

async fn token_scheme_then_optional(
    _: TokenRequired<TokenScheme>,
    user: OptionalUser<User>,
) -> HttpResponse {
    let name = user.user().map_or("None", |user| user.name.as_str());
    HttpResponse::Ok().body(name.to_owned())
}

async fn wrong_type(_: CurrentUser<String>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

macro_rules! service {
    ($manager:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($manager))
                .route("/whoami", web::get().to(whoami))
                .route("/guard_first", web::get().to(guard_first))
                .route("/guard_last", web::get().to(guard_last))
                .route("/optional", web::get().to(optional))
                .route(
                    "/optional_then_token_scheme",
                    web::get().to(optional_then_token_scheme),
                )
                .route(
                    "/token_scheme_then_optional",
                    web::get().to(token_scheme_then_optional),
                )
                .route("/wrong_type", web::get().to(wrong_type)),
        )
        .await
    };
}

fn get(uri: &str, authorization: Option<&str>) -> actix_http::Request {
    let mut request = test::TestRequest::get().uri(uri);
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value.to_owned()));
    }
    request.to_request()
}

async fn body_of(
    app: &impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    request: actix_http::Request,
) -> (u16, String) {
    let response = test::call_service(app, request).await;
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[actix_web::test]
async fn current_user_alone_uses_defaults() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let outcome = body_of(&app, get("/whoami", Some("Bearer alice-access"))).await;

    assert_eq!(outcome, (200, "alice".to_owned()));
    assert_eq!(*store.last_auth_type.lock().unwrap(), "Bearer");
}

#[actix_web::test]
async fn scheme_is_case_insensitive() {
    let store = Store::standard();
    let app = service!(manager(&store));

    for scheme in ["bearer", "BEARER", "bEaReR"] {
        let value = format!("{scheme} alice-access");

        let outcome = body_of(&app, get("/whoami", Some(&value))).await;

        assert_eq!(outcome, (200, "alice".to_owned()), "scheme {scheme}");
    }
    assert_eq!(*store.last_auth_type.lock().unwrap(), "Bearer");
}

#[actix_web::test]
async fn several_spaces_separate_scheme_and_token() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let outcome = body_of(&app, get("/whoami", Some("Bearer   alice-access"))).await;

    assert_eq!(outcome, (200, "alice".to_owned()));
}

#[actix_web::test]
async fn token_reaches_loader_exactly_as_sent() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let padded = body_of(&app, get("/whoami", Some("Bearer alice-access=="))).await;
    let upper = body_of(&app, get("/whoami", Some("Bearer ALICE-ACCESS"))).await;
    let unpadded_unknown = body_of(&app, get("/whoami", Some("Bearer alice-access="))).await;

    assert_eq!(padded, (200, "alice".to_owned()));
    assert_eq!(upper, (200, "alice".to_owned()));
    assert_eq!(unpadded_unknown.0, 401);
}

#[actix_web::test]
async fn custom_header_and_scheme_are_used() {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        auth_header: "X-Auth-Token".to_owned(),
        default_auth_type: "Token".to_owned(),
        ..StatelessAuthConfig::default()
    };
    let app = service!(manager(&store).with_config(config));
    let custom = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("X-Auth-Token", "Token alice-access"))
        .to_request();

    let accepted = body_of(&app, custom).await;
    let standard_header =
        test::call_service(&app, get("/whoami", Some("Token alice-access"))).await;

    assert_eq!(accepted, (200, "alice".to_owned()));
    assert_eq!(*store.last_auth_type.lock().unwrap(), "Token");
    assert_eq!(
        status_and_error(standard_header).await,
        (400, "Request error: No token provided".to_owned())
    );
}

#[actix_web::test]
async fn configured_token_type_is_the_default() {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        default_token_type: "refresh".to_owned(),
        ..StatelessAuthConfig::default()
    };
    let app = service!(manager(&store).with_config(config));

    let refresh = body_of(&app, get("/whoami", Some("Bearer alice-refresh"))).await;
    let access = test::call_service(&app, get("/whoami", Some("Bearer alice-access"))).await;

    assert_eq!(refresh, (200, "alice".to_owned()));
    assert_eq!(
        status_and_error(access).await,
        (401, "Token error: Invalid token".to_owned())
    );
}

#[actix_web::test]
async fn guard_user_and_token_share_one_load() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let fast = body_of(&app, get("/guard_first", Some("Bearer alice-access"))).await;
    let after_fast = store.loads();
    let slow = body_of(&app, get("/guard_first", Some("Bearer slow-alice-access"))).await;

    assert_eq!(fast, (200, "access alice alice".to_owned()));
    assert_eq!(after_fast, (1, 1));
    assert_eq!(slow, (200, "access alice alice".to_owned()));
    assert_eq!(store.loads(), (2, 2));
}

#[actix_web::test]
async fn guard_after_readers_sets_the_requirement() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let refresh = body_of(&app, get("/guard_last", Some("Bearer slow-alice-refresh"))).await;
    let access = test::call_service(&app, get("/guard_last", Some("Bearer alice-access"))).await;

    assert_eq!(refresh, (200, "refresh alice refresh".to_owned()));
    assert_eq!(
        status_and_error(access).await,
        (401, "Token error: Invalid token".to_owned())
    );
    assert_eq!(store.loads(), (2, 1));
}

#[actix_web::test]
async fn rejection_with_several_extractors_loads_once() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let response = test::call_service(&app, get("/guard_first", Some("Bearer slow-nobody"))).await;

    assert_eq!(response.status(), 401);
    assert_eq!(store.loads(), (1, 0));
}

#[actix_web::test]
async fn listeners_run_once_per_request() {
    let store = Store::standard();
    let authorized = Arc::new(AtomicUsize::new(0));
    let unauthorized = Arc::new(AtomicUsize::new(0));
    let (ok_count, err_count) = (Arc::clone(&authorized), Arc::clone(&unauthorized));
    let second_ok = Arc::clone(&authorized);
    let manager = manager(&store)
        .on_authorized(move |_, auth| {
            assert_eq!(auth.user::<User>().unwrap().name, "alice");
            ok_count.fetch_add(1, Ordering::SeqCst);
        })
        .on_authorized(move |_, _| {
            second_ok.fetch_add(100, Ordering::SeqCst);
        })
        .on_unauthorized(move |_, err| {
            assert_eq!(err.msg(), "Invalid token");
            err_count.fetch_add(1, Ordering::SeqCst);
        });
    let app = service!(manager);

    let _ = test::call_service(&app, get("/guard_first", Some("Bearer slow-alice-access"))).await;
    let _ = test::call_service(&app, get("/guard_first", Some("Bearer nobody"))).await;
    let _ = test::call_service(&app, get("/guard_first", Some("Bearer slow-nobody"))).await;

    assert_eq!(authorized.load(Ordering::SeqCst), 101);
    assert_eq!(unauthorized.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn listeners_run_in_order_added() {
    let store = Store::standard();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (first_authorized, second_authorized) = (Arc::clone(&calls), Arc::clone(&calls));
    let (first_unauthorized, second_unauthorized) = (Arc::clone(&calls), Arc::clone(&calls));
    let manager = manager(&store)
        .on_authorized(move |_, _| first_authorized.lock().unwrap().push("authorized 1"))
        .on_authorized(move |_, _| second_authorized.lock().unwrap().push("authorized 2"))
        .on_unauthorized(move |_, _| first_unauthorized.lock().unwrap().push("unauthorized 1"))
        .on_unauthorized(move |_, _| second_unauthorized.lock().unwrap().push("unauthorized 2"));
    let app = service!(manager);

    let _ = test::call_service(&app, get("/whoami", Some("Bearer alice-access"))).await;
    let _ = test::call_service(&app, get("/whoami", Some("Bearer nobody"))).await;

    assert_eq!(
        *calls.lock().unwrap(),
        [
            "authorized 1",
            "authorized 2",
            "unauthorized 1",
            "unauthorized 2"
        ]
    );
}

#[actix_web::test]
#[should_panic(expected = "invalid StatelessAuthConfig: invalid auth_header \"Bad Header\"")]
async fn with_config_panics_on_invalid_header() {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        auth_header: "Bad Header".to_owned(),
        ..StatelessAuthConfig::default()
    };

    let _ = manager(&store).with_config(config);
}

#[actix_web::test]
async fn header_rejection_reaches_unauthorized_listener() {
    let store = Store::standard();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let manager = manager(&store).on_unauthorized(move |req, err| {
        sink.lock()
            .unwrap()
            .push(format!("{} {}", req.path(), err.full_msg()));
    });
    let app = service!(manager);

    let _ = test::call_service(&app, get("/guard_first", None)).await;

    assert_eq!(
        *seen.lock().unwrap(),
        ["/guard_first Request error: No token provided"]
    );
}

/// Returns a manager over `store` whose only listener, an `on_unauthorized` one,
/// counts its calls, and that count.
fn manager_counting_rejections(store: &Arc<Store>) -> (StatelessAuthManager, Arc<AtomicUsize>) {
    let unauthorized = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&unauthorized);

    let manager = manager(store).on_unauthorized(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
    });

    (manager, unauthorized)
}

/// Adds an error handler to `manager` that counts its calls in `handled` and
/// keeps the default response.
fn count_handled(
    manager: StatelessAuthManager,
    handled: &Arc<AtomicUsize>,
) -> StatelessAuthManager {
    let counter = Arc::clone(handled);

    manager.error_handler(move |err: StatelessAuthError, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        err.into()
    })
}

#[actix_web::test]
async fn unauthorized_listener_alone_receives_rejections() {
    let store = Store::standard();
    let (manager, unauthorized) = manager_counting_rejections(&store);
    let app = service!(manager);

    let ready = test::call_service(&app, get("/guard_first", Some("Bearer nobody"))).await;
    let pending = test::call_service(&app, get("/guard_first", Some("Bearer slow-nobody"))).await;

    assert_eq!(ready.status(), 401);
    assert_eq!(pending.status(), 401);
    assert_eq!(unauthorized.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn header_rejection_before_guard_reports_once() {
    let store = Store::standard();
    let (manager, unauthorized) = manager_counting_rejections(&store);
    let app = service!(manager);

    let missing = test::call_service(&app, get("/guard_last", None)).await;
    let malformed = test::call_service(&app, get("/guard_last", Some("Bearer a*b"))).await;

    assert_eq!(missing.status(), 400);
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        r#"Bearer error="invalid_request""#
    );
    assert_eq!(
        status_and_error(malformed).await,
        (400, "Request error: Malformed token".to_owned())
    );
    assert_eq!(unauthorized.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn error_handler_runs_once_after_readers() {
    let store = Store::standard();
    let (manager, unauthorized) = manager_counting_rejections(&store);
    let handled = Arc::new(AtomicUsize::new(0));
    let manager = count_handled(manager, &handled);
    let app = service!(manager);

    let guard_last = test::call_service(&app, get("/guard_last", Some("Bearer a*b"))).await;
    let guard_first = test::call_service(&app, get("/guard_first", None)).await;

    assert_eq!(guard_last.status(), 400);
    assert_eq!(guard_first.status(), 400);
    assert_eq!(handled.load(Ordering::SeqCst), 2);
    assert_eq!(unauthorized.load(Ordering::SeqCst), 2);
}

/// Extracts `CurrentUser` before the handler runs and ignores its rejection, as a
/// middleware that only logs the user would.
async fn user_before_handler_ignoring_rejection(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let _ = req.extract::<CurrentUser<User>>().await;

    next.call(req).await
}

#[actix_web::test]
async fn error_handler_runs_per_rejecting_extractor() {
    let store = Store::standard();
    let (manager, unauthorized) = manager_counting_rejections(&store);
    let handled = Arc::new(AtomicUsize::new(0));
    let manager = count_handled(manager, &handled);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .wrap(from_fn(user_before_handler_ignoring_rejection))
            .route("/whoami", web::get().to(whoami)),
    )
    .await;

    let response = test::call_service(&app, get("/whoami", Some("Bearer nobody"))).await;

    assert_eq!(
        status_and_error(response).await,
        (401, "Token error: Invalid token".to_owned())
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2);
    assert_eq!(unauthorized.load(Ordering::SeqCst), 1);
    assert_eq!(store.loads(), (1, 0));
}

#[derive(serde::Deserialize)]
struct Page {
    #[allow(dead_code, reason = "the query only has to parse")]
    number: u32,
}

async fn page_before_guard(_: web::Query<Page>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Sends a malformed credentials header and no query string to a handler whose
/// query parameter comes before its guard. Returns the status, whether the
/// response has a challenge, and the `on_unauthorized` and error handler calls.
async fn bad_query_and_header(with_error_handler: bool) -> (u16, bool, usize, usize) {
    let store = Store::standard();
    let (mut manager, unauthorized) = manager_counting_rejections(&store);
    let handled = Arc::new(AtomicUsize::new(0));
    if with_error_handler {
        manager = count_handled(manager, &handled);
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .route("/page", web::get().to(page_before_guard)),
    )
    .await;

    let response = test::call_service(&app, get("/page", Some("Bearer a*b"))).await;

    (
        response.status().as_u16(),
        response.headers().contains_key(header::WWW_AUTHENTICATE),
        unauthorized.load(Ordering::SeqCst),
        handled.load(Ordering::SeqCst),
    )
}

#[actix_web::test]
async fn bad_header_reported_despite_earlier_failure() {
    let without_handler = bad_query_and_header(false).await;
    let with_handler = bad_query_and_header(true).await;

    assert_eq!(without_handler, (400, false, 1, 0));
    assert_eq!(with_handler, (400, false, 1, 0));
}

#[actix_web::test]
async fn user_does_not_leak_into_next_request() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let first = body_of(&app, get("/optional", Some("Bearer alice-access"))).await;
    let second = body_of(&app, get("/optional", None)).await;
    let third = test::call_service(&app, get("/whoami", None)).await;

    assert_eq!(first, (200, "alice".to_owned()));
    assert_eq!(second, (200, "None".to_owned()));
    assert_eq!(third.status(), 400);
}

#[actix_web::test]
async fn optional_user_rejects_bad_credentials() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let unknown = test::call_service(&app, get("/optional", Some("Bearer nobody"))).await;
    let malformed = test::call_service(&app, get("/optional", Some("Bearer"))).await;

    assert_eq!(unknown.status(), 401);
    assert_eq!(malformed.status(), 400);
}

#[actix_web::test]
async fn optional_user_treats_blank_header_as_absent() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let empty = body_of(&app, get("/optional", Some(""))).await;
    let blank = body_of(&app, get("/optional", Some(" \t "))).await;

    assert_eq!(empty, (200, "None".to_owned()));
    assert_eq!(blank, (200, "None".to_owned()));
    assert_eq!(store.loads(), (0, 0));
}

#[actix_web::test]
async fn optional_user_treats_foreign_scheme_as_absent() {
    let foreign = [
        "Basic dXNlcg==",
        "Negotiate",
        r#"Digest username="alice", realm="example""#,
    ];

    for strict_rfc6750 in [false, true] {
        let store = Store::standard();
        let config = StatelessAuthConfig {
            strict_rfc6750,
            ..StatelessAuthConfig::default()
        };
        let app = service!(manager(&store).with_config(config));

        for value in foreign {
            let outcome = body_of(&app, get("/optional", Some(value))).await;

            assert_eq!(
                outcome,
                (200, "None".to_owned()),
                "value {value:?}, strict {strict_rfc6750}"
            );
        }
        assert_eq!(store.loads(), (0, 0));
    }
}

#[actix_web::test]
async fn optional_user_rejects_malformed_own_scheme() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let values = [
        ("Bearer a,b", "Request error: Malformed token"),
        (
            "bearer a b",
            "Request error: Invalid number of arguments in token header",
        ),
        (
            "Bearer\talice-access",
            "Request error: Invalid authorization header",
        ),
    ];

    for (value, error) in values {
        let response = test::call_service(&app, get("/optional", Some(value))).await;

        assert_eq!(
            status_and_error(response).await,
            (400, error.to_owned()),
            "value {value:?}"
        );
    }
}

#[actix_web::test]
async fn optional_user_reads_scheme_of_later_guard() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let before = body_of(
        &app,
        get("/optional_then_token_scheme", Some("Token alice-access")),
    )
    .await;
    let after = body_of(
        &app,
        get("/token_scheme_then_optional", Some("Token alice-access")),
    )
    .await;

    assert_eq!(before, (200, "alice".to_owned()));
    assert_eq!(after, (200, "alice".to_owned()));
}

/// Extracts `OptionalUser` before the handler runs, and copies the user's name,
/// or `None`, into an `x-earlier-user` header.
async fn optional_user_before_handler(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let user = req.extract::<OptionalUser<User>>().await?;
    let name = user
        .user()
        .map_or("None", |user| user.name.as_str())
        .to_owned();

    let mut response = next.call(req).await?;
    let value = header::HeaderValue::from_str(&name).unwrap();
    response
        .headers_mut()
        .insert(header::HeaderName::from_static("x-earlier-user"), value);
    Ok(response)
}

#[actix_web::test]
async fn middleware_optional_user_uses_default_scheme() {
    let store = Store::standard();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager(&store)))
            .wrap(from_fn(optional_user_before_handler))
            .route(
                "/token_scheme_then_optional",
                web::get().to(token_scheme_then_optional),
            ),
    )
    .await;

    let token_scheme = get("/token_scheme_then_optional", Some("Token alice-access"));
    let response = test::call_service(&app, token_scheme).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("x-earlier-user").unwrap(), "None");
    assert_eq!(test::read_body(response).await, "alice");
}

#[actix_web::test]
async fn optional_user_rejects_repeated_blank_headers() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = test::TestRequest::get()
        .uri("/optional")
        .append_header((header::AUTHORIZATION, ""))
        .append_header((header::AUTHORIZATION, ""))
        .to_request();

    let response = test::call_service(&app, request).await;

    assert_eq!(
        status_and_error(response).await,
        (
            400,
            "Request error: Multiple authorization headers".to_owned()
        )
    );
}

#[actix_web::test]
async fn mismatched_user_type_is_server_error() {
    let store = Store::standard();
    let app = service!(manager(&store));

    let response = test::call_service(&app, get("/wrong_type", Some("Bearer alice-access"))).await;

    assert_eq!(
        status_and_error(response).await,
        (500, "Server error: Internal server error".to_owned())
    );
}

#[actix_web::test]
async fn mismatched_user_type_reaches_both_listeners_once() {
    let store = Store::standard();
    let authorized = Arc::new(AtomicUsize::new(0));
    let unauthorized = Arc::new(AtomicUsize::new(0));
    let (ok_count, err_count) = (Arc::clone(&authorized), Arc::clone(&unauthorized));
    let manager = manager(&store)
        .on_authorized(move |_, _| {
            ok_count.fetch_add(1, Ordering::SeqCst);
        })
        .on_unauthorized(move |_, err| {
            assert_eq!(err.code(), 500);
            err_count.fetch_add(1, Ordering::SeqCst);
        });
    let app = service!(manager);

    let response = test::call_service(&app, get("/wrong_type", Some("Bearer alice-access"))).await;

    assert_eq!(response.status(), 500);
    assert_eq!(authorized.load(Ordering::SeqCst), 1);
    assert_eq!(unauthorized.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn error_handler_shapes_the_response() {
    let store = Store::standard();
    let manager = manager(&store).error_handler(|err: StatelessAuthError, req| {
        let body = format!("{} at {}", err.msg(), req.path());
        let response = HttpResponse::build(err.code()).body(body);
        actix_web::error::InternalError::from_response(err, response).into()
    });
    let app = service!(manager);

    let outcome = body_of(&app, get("/whoami", Some("Bearer nobody"))).await;

    assert_eq!(outcome, (401, "Invalid token at /whoami".to_owned()));
}

/// An access token that must grant `admin`.
struct AdminScope;

impl TokenSpec for AdminScope {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

async fn admin_only(_: TokenRequired<AdminScope>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

// A guard checks its scopes after the loaders accepted the token, so the
// authentication stays in the extensions of a request that gets its 403.
#[actix_web::test]
async fn scope_rejection_keeps_authenticated_in_extensions() {
    let store = Store::standard();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager(&store)))
            .wrap(from_fn(user_header))
            .route("/admin", web::get().to(admin_only)),
    )
    .await;

    let response = test::call_service(&app, get("/admin", Some("Bearer alice-access"))).await;

    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(response.headers().get("x-user").unwrap(), "alice");
}

#[actix_web::test]
async fn middleware_reads_authenticated_from_extensions() {
    let store = Store::standard();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager(&store)))
            .wrap(from_fn(user_header))
            .route("/whoami", web::get().to(whoami)),
    )
    .await;

    let authenticated = test::call_service(&app, get("/whoami", Some("Bearer alice-access"))).await;
    let rejected = test::call_service(&app, get("/whoami", Some("Bearer nobody"))).await;

    assert_eq!(authenticated.headers().get("x-user").unwrap(), "alice");
    assert_eq!(rejected.headers().get("x-user").unwrap(), "anonymous");
}

#[actix_web::test]
async fn authenticated_debug_hides_models() {
    let store = Store::standard();
    let app = test::init_service(App::new().app_data(web::Data::new(manager(&store))).route(
        "/debug",
        web::get().to(|auth: Authenticated| async move { format!("{auth:?}") }),
    ))
    .await;

    let outcome = body_of(&app, get("/debug", Some("Bearer alice-access"))).await;

    assert_eq!(outcome.0, 200);
    assert!(
        outcome.1.contains("token_type: \"access\""),
        "{}",
        outcome.1
    );
    assert!(
        outcome.1.contains("token: <stateless_auth_tests::Token>"),
        "{}",
        outcome.1
    );
    assert!(!outcome.1.contains("alice"), "{}", outcome.1);
}

#[actix_web::test]
async fn panicking_listener_does_not_fail_request() {
    let store = Store::standard();
    let manager = manager(&store)
        .on_authorized(|_, _| panic!("the listener panicked on purpose"))
        .on_unauthorized(|_, _| panic!("the listener panicked on purpose"));
    let app = service!(manager);

    let accepted = body_of(&app, get("/whoami", Some("Bearer alice-access"))).await;
    let rejected = test::call_service(&app, get("/whoami", Some("Bearer nobody"))).await;

    assert_eq!(accepted, (200, "alice".to_owned()));
    assert_eq!(rejected.status(), 401);
}
