//! Readers of the authentication that run after a `#[token_required]` guard
//! started, outside the handler: a middleware that extracts the user once the
//! handler responded, and one that extracts it while the handler runs.
//!
//! The loaders must still run once per request, each listener must run once per
//! outcome, and a guard with another token type must never receive the handler
//! guard's authentication.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, HttpServer, get, test, web};
use futures_util::future::join;
use stateless_auth::{CurrentUser, OptionalUser, Refresh, TokenRequired, token_required};
use stateless_auth_tests::server::{TestServer, awc_client};
use stateless_auth_tests::{Calls, Store, User, counting_manager};

/// Time a real-server check may take before the test fails.
const SERVER_TIMEOUT: Duration = Duration::from_secs(30);

/// Returns the user's name.
#[token_required]
#[get("/whoami")]
async fn whoami(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// The same handler without a route macro, for a resource with its own middleware.
#[token_required]
async fn whoami_resource(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Formats an extraction's outcome as `ok` and the text of `describe_ok`, or as
/// `err` and the rejection's status.
fn describe<T>(
    outcome: Result<T, actix_web::Error>,
    describe_ok: impl FnOnce(T) -> String,
) -> String {
    match outcome {
        Ok(value) => format!("ok {}", describe_ok(value)),
        Err(err) => format!("err {}", err.as_response_error().status_code().as_u16()),
    }
}

/// Formats an `OptionalUser` extraction as [`describe`] does, with the user's name
/// or `none`.
fn describe_user(outcome: Result<OptionalUser<User>, actix_web::Error>) -> String {
    describe(outcome, |user| {
        user.user()
            .map_or_else(|| "none".to_owned(), |user| user.name.clone())
    })
}

/// Copies `value` into the response header `name`.
fn set_header(response: &mut ServiceResponse<impl MessageBody>, name: &'static str, value: &str) {
    response.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(value).unwrap(),
    );
}

/// Extracts the user once the handler responded, as an access log would, and
/// copies the outcome into an `x-later-user` header.
async fn read_user_after(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;

    let user = OptionalUser::<User>::extract(response.request()).await;
    set_header(&mut response, "x-later-user", &describe_user(user));
    Ok(response)
}

/// Extracts the user while the handler runs, and copies the outcome into an
/// `x-concurrent-user` header.
async fn read_user_meanwhile(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request = req.request().clone();
    let reader = async { describe_user(OptionalUser::<User>::extract(&request).await) };

    let (response, described) = join(next.call(req), reader).await;

    let mut response = response?;
    set_header(&mut response, "x-concurrent-user", &described);
    Ok(response)
}

/// Extracts a refresh-token guard while the handler runs, and copies the outcome
/// into an `x-concurrent-refresh` header.
async fn require_refresh_meanwhile(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request = req.request().clone();
    let guard = async {
        let guard = TokenRequired::<Refresh>::extract(&request).await;
        describe(guard, |guard| {
            let authenticated = guard.authenticated();
            let user = authenticated.user::<User>().map_or("?", |user| &user.name);
            format!("{} {user}", authenticated.token_type())
        })
    };

    let (response, described) = join(next.call(req), guard).await;

    let mut response = response?;
    set_header(&mut response, "x-concurrent-refresh", &described);
    Ok(response)
}

/// Sends a GET for `path` with `authorization` and returns the status and the
/// response header `name`.
async fn get_header(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    path: &str,
    authorization: &str,
    name: &str,
) -> (u16, String) {
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header((header::AUTHORIZATION, authorization))
        .to_request();

    let response = test::call_service(app, req).await;

    let value = response.headers().get(name).unwrap().to_str().unwrap();
    (response.status().as_u16(), value.to_owned())
}

#[actix_web::test]
async fn later_reader_of_rejection_loads_once() {
    let cases = [
        ("Bearer nobody", 401, (1, 0)),
        ("Bearer slow-nobody", 401, (1, 0)),
        ("Bearer expired-access", 401, (1, 0)),
        ("Bearer bob-access", 401, (1, 1)),
    ];

    for (authorization, status, loads) in cases {
        let store = Store::standard();
        let calls = Calls::default();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(counting_manager(&store, &calls)))
                .wrap(from_fn(read_user_after))
                .service(whoami),
        )
        .await;

        let (observed, later) = get_header(&app, "/whoami", authorization, "x-later-user").await;

        assert_eq!(observed, status, "{authorization}");
        assert_eq!(later, format!("err {status}"), "{authorization}");
        assert_eq!(
            store.loads(),
            loads,
            "{authorization}: the later reader ran the loaders again"
        );
        assert_eq!(
            calls.counts(),
            (0, 1, 0),
            "{authorization}: the rejection was reported more than once"
        );
    }
}

#[actix_web::test]
async fn later_reader_of_success_loads_once() {
    let store = Store::standard();
    let calls = Calls::default();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(counting_manager(&store, &calls)))
            .wrap(from_fn(read_user_after))
            .service(whoami),
    )
    .await;

    let outcome = get_header(&app, "/whoami", "Bearer slow-alice-access", "x-later-user").await;

    assert_eq!(outcome, (200, "ok alice".to_owned()));
    assert_eq!(store.loads(), (1, 1));
    assert_eq!(calls.counts(), (1, 0, 0));
}

#[actix_web::test]
async fn concurrent_reader_shares_pending_load() {
    for (authorization, status, loads, counts) in [
        ("Bearer slow-alice-access", 200, (1, 1), (1, 0, 0)),
        ("Bearer slow-nobody", 401, (1, 0), (0, 1, 0)),
    ] {
        let store = Store::standard();
        let calls = Calls::default();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(counting_manager(&store, &calls)))
                .service(
                    web::resource("/whoami")
                        .wrap(from_fn(read_user_meanwhile))
                        .route(web::get().to(whoami_resource)),
                ),
        )
        .await;

        let (observed, _) = get_header(&app, "/whoami", authorization, "x-concurrent-user").await;

        assert_eq!(observed, status, "{authorization}");
        assert_eq!(
            store.loads(),
            loads,
            "{authorization}: the concurrent reader ran the loaders again"
        );
        assert_eq!(calls.counts(), counts, "{authorization}");
    }
}

#[actix_web::test]
async fn concurrent_refresh_guard_rejects_access_token() {
    let store = Store::standard();
    let calls = Calls::default();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(counting_manager(&store, &calls)))
            .service(
                web::resource("/whoami")
                    .wrap(from_fn(require_refresh_meanwhile))
                    .route(web::get().to(whoami_resource)),
            ),
    )
    .await;

    let (status, refresh) = get_header(
        &app,
        "/whoami",
        "Bearer slow-alice-access",
        "x-concurrent-refresh",
    )
    .await;

    assert_eq!(
        (status, refresh.as_str()),
        (200, "err 500"),
        "a refresh-token guard that waited for the handler's access-token guard \
         fails alone, as a programming error"
    );
    assert_eq!(
        calls.counts(),
        (1, 1, 0),
        "the handler's success, then the refresh guard's 500"
    );
}

/// Starts a real server on 127.0.0.1 with [`whoami`] behind [`read_user_after`],
/// sends `authorization` once with awc, and returns the status, the loads and the
/// listener calls.
async fn serve_once(authorization: &str) -> (u16, (usize, usize), (usize, usize, usize)) {
    let store = Store::standard();
    let calls = Calls::default();
    let manager = web::Data::new(counting_manager(&store, &calls));
    let server = TestServer::start(
        HttpServer::new(move || {
            App::new()
                .app_data(manager.clone())
                .wrap(from_fn(read_user_after))
                .service(whoami)
        })
        .workers(1)
        .disable_signals(),
    );
    let client = awc_client(Duration::from_secs(10));

    let sent = client
        .get(server.url("/whoami"))
        .insert_header((header::AUTHORIZATION, authorization))
        .send();
    let response = actix_web::rt::time::timeout(SERVER_TIMEOUT, sent).await;
    let serving = server.stop(true).await;
    let stopped = actix_web::rt::time::timeout(SERVER_TIMEOUT, serving).await;

    assert!(stopped.is_ok(), "the server did not stop in time");
    let status = response.unwrap().unwrap().status().as_u16();
    (status, store.loads(), calls.counts())
}

#[actix_web::test]
async fn server_later_reader_reports_rejection_once() {
    let (status, loads, calls) = serve_once("Bearer nobody").await;

    assert_eq!(status, 401);
    assert_eq!(loads, (1, 0), "the later reader ran the loaders again");
    assert_eq!(
        calls,
        (0, 1, 0),
        "the rejection was reported more than once"
    );
}

#[actix_web::test]
async fn server_later_reader_reports_success_once() {
    let (status, loads, calls) = serve_once("Bearer alice-access").await;

    assert_eq!(status, 200);
    assert_eq!(loads, (1, 1), "the later reader ran the loaders again");
    assert_eq!(calls, (1, 0, 0), "the success was reported more than once");
}
