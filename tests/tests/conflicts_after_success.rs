//! A guard of another token type that starts after a guard of its manager
//! completed with success. It fails alone with 500, at its first poll, so that the
//! error handler runs only when that 500 becomes the response. The request keeps
//! the first guard's authentication for the handler and for middleware that reads
//! it after the response.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Either, HttpServer, test, web};
use stateless_auth::{
    Access, Guarded, Refresh, StatelessAuthManager, TokenRequired, TokenSpec, token_required,
};
use stateless_auth_tests::server::{TestServer, awc_client};
use stateless_auth_tests::{
    Calls, Store, count_error_handler, counting_manager, manager, user_header,
};

/// An access token that must grant `admin`.
struct Admin;

impl TokenSpec for Admin {
    const TOKEN_TYPE: Option<&'static str> = Some("access");
    const SCOPES: &'static [&'static str] = &["admin"];
}

/// Time a request to the real server may take before the test fails.
const SERVER_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(serde::Deserialize)]
struct Page {
    #[allow(dead_code, reason = "the query only has to parse")]
    number: u32,
}

#[token_required(scopes("read"))]
async fn read_with_optional_refresh(refresh: Option<TokenRequired<Refresh>>) -> String {
    format!("refresh={}", refresh.is_some())
}

#[token_required(scopes("read"))]
async fn read_with_refresh_result(
    refresh: Result<TokenRequired<Refresh>, actix_web::Error>,
) -> String {
    match refresh {
        Ok(_) => "refresh accepted".to_owned(),
        Err(err) => format!(
            "refresh rejected with {}",
            err.error_response().status().as_u16()
        ),
    }
}

async fn admin_or_refresh(guard: Either<TokenRequired<Admin>, TokenRequired<Refresh>>) -> String {
    match guard {
        Either::Left(_) => "admin".to_owned(),
        Either::Right(_) => "refresh".to_owned(),
    }
}

async fn page_with_refresh(_: web::Query<Page>, _: TokenRequired<Refresh>) -> &'static str {
    "page"
}

async fn page_with_guarded_refresh(_: web::Query<Page>, _: Guarded<Refresh, ()>) -> &'static str {
    "page"
}

/// Rejects every request without a valid access token, as the README's recipe for
/// a protected scope does.
async fn require_access(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    req.extract::<TokenRequired<Access>>().await?;

    next.call(req).await
}

/// Adds the routes under test, with `/protected` behind [`require_access`].
fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/optional_refresh",
            web::get().to(read_with_optional_refresh),
        )
        .route("/refresh_result", web::get().to(read_with_refresh_result))
        .route("/admin_or_refresh", web::get().to(admin_or_refresh))
        .service(
            web::scope("/protected")
                .wrap(from_fn(require_access))
                .route("/page", web::get().to(page_with_refresh))
                .route("/guarded_page", web::get().to(page_with_guarded_refresh)),
        );
}

/// The response to one request through `user_header`.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    body: String,
    /// The `x-user` header: the user that `Authenticated::from_extensions`
    /// returned after the handler, `anonymous` for `None`, or `<none>` when the
    /// header is missing.
    user: String,
}

/// Sends `GET uri` with `Bearer token` to an app with `manager` behind the
/// `user_header` middleware.
async fn send(manager: StatelessAuthManager, uri: &str, token: &str) -> Reply {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager))
            .wrap(from_fn(user_header))
            .configure(routes),
    )
    .await;
    let req = test::TestRequest::get()
        .uri(uri)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request();

    let response = test::call_service(&app, req).await;

    let status = response.status().as_u16();
    let user = response.headers().get("x-user").map_or_else(
        || "<none>".to_owned(),
        |value| value.to_str().unwrap().to_owned(),
    );
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    Reply { status, body, user }
}

#[actix_web::test]
async fn optional_conflicting_guard_keeps_user() {
    let store = Store::standard();
    let calls = Calls::default();

    let reply = send(
        counting_manager(&store, &calls),
        "/optional_refresh",
        "reader-access",
    )
    .await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "refresh=false");
    assert_eq!(reply.user, "alice", "the middleware lost the guard's user");
    assert_eq!(
        calls.counts(),
        (1, 1, 0),
        "on_authorized, on_unauthorized, error handler"
    );
}

#[actix_web::test]
async fn conflicting_guard_fails_alone_after_success() {
    let store = Store::standard();

    let reply = send(manager(&store), "/refresh_result", "reader-access").await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body, "refresh rejected with 500",
        "a refresh guard must not accept the access guard's success"
    );
    assert_eq!(reply.user, "alice", "the middleware lost the guard's user");
}

#[actix_web::test]
async fn conflict_error_handled_only_as_response() {
    let cases = [
        ("/protected/page?number=x", 400, 0),
        ("/protected/page?number=1", 418, 1),
        ("/protected/guarded_page?number=x", 400, 0),
        ("/protected/guarded_page?number=1", 418, 1),
    ];
    for (uri, status, handled) in cases {
        let store = Store::standard();
        let calls = Calls::default();
        let manager = count_error_handler(counting_manager(&store, &calls), &calls);

        let reply = send(manager, uri, "alice-access").await;

        assert_eq!(reply.status, status, "{uri}");
        assert_eq!(calls.error_handler(), handled, "{uri}: error handler calls");
        assert_eq!(reply.user, "alice", "{uri}: the middleware lost the user");
    }
}

#[actix_web::test]
async fn either_conflict_keeps_scope_rejection() {
    let store = Store::standard();

    let reply = send(manager(&store), "/admin_or_refresh", "reader-access").await;

    assert_eq!(reply.status, 403);
    assert_eq!(reply.body, r#"{"error":"Scope error: Insufficient scope"}"#);
    assert_eq!(
        reply.user, "alice",
        "`Authenticated::from_extensions` must return the authentication after a 403"
    );
}

#[actix_web::test]
async fn server_access_log_names_user_after_conflict() {
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

    let mut replies = Vec::new();
    for (path, status) in [("/optional_refresh", 200), ("/admin_or_refresh", 403)] {
        let sent = client
            .get(server.url(path))
            .bearer_auth("reader-access")
            .send()
            .await;
        let reply = sent.map(|response| {
            let user = response.headers().get("x-user").cloned();
            (response.status().as_u16(), user)
        });
        replies.push((path, status, reply));
    }
    server.stop(true).await;

    for (path, status, reply) in replies {
        let (sent_status, user) = reply.unwrap_or_else(|err| panic!("{path}: {err}"));
        assert_eq!(sent_status, status, "{path}");
        assert_eq!(
            user.as_ref().and_then(|user| user.to_str().ok()),
            Some("alice"),
            "{path}"
        );
    }
}
