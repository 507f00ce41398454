//! A scope protected by a middleware that extracts a guard, as the README shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::{EitherBody, MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::test::{self, TestRequest};
use actix_web::{App, Error, web};
use stateless_auth::{
    Access, CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, TokenRequired,
    TokenSpec, UserMixin, token_required,
};

const ACCESS_TOKEN: &str = "alice-access";
const REFRESH_TOKEN: &str = "alice-refresh";

struct Token {
    scopes: &'static [&'static str],
}

impl TokenMixin for Token {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

struct User {
    name: &'static str,
}

impl UserMixin for User {}

/// Creates a manager that accepts one access and one refresh token of `alice`, and
/// counts its token loader's calls in `loads`.
fn manager(loads: &Arc<AtomicUsize>) -> web::Data<StatelessAuthManager> {
    let loads = Arc::clone(loads);

    let manager = StatelessAuthManager::new(
        async move |token: &str,
                    token_type: &str,
                    _: &str|
                    -> Result<Option<Token>, StatelessAuthError> {
            loads.fetch_add(1, Ordering::SeqCst);
            let known = match token_type {
                "access" => token == ACCESS_TOKEN,
                "refresh" => token == REFRESH_TOKEN,
                _ => false,
            };
            Ok(known.then_some(Token { scopes: &["read"] }))
        },
        async |_: &Token| Ok(Some(User { name: "alice" })),
    );
    web::Data::new(manager)
}

/// Rejects every request without a valid access token, as the README's recipe does.
async fn require_access(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Err(err) = req.extract::<TokenRequired<Access>>().await {
        return Ok(req.error_response(err).map_into_right_body());
    }

    let res = next.call(req).await?;
    Ok(res.map_into_left_body())
}

async fn stats(user: CurrentUser<User>) -> String {
    format!("stats for {}", user.name)
}

#[token_required]
async fn guarded_stats(user: CurrentUser<User>) -> String {
    format!("guarded stats for {}", user.name)
}

#[token_required(scopes("write"))]
async fn write_stats() -> &'static str {
    "written"
}

/// Requirements of a route that needs an access token granting `write` and `admin`.
struct WriteAdmin;

impl TokenSpec for WriteAdmin {
    const SCOPES: &'static [&'static str] = &["write", "admin"];
}

async fn admin_stats(_guard: TokenRequired<WriteAdmin>) -> &'static str {
    "admin stats"
}

#[token_required(token_type = "refresh")]
async fn refresh() -> &'static str {
    "refreshed"
}

async fn public() -> &'static str {
    "public"
}

/// Builds an app whose `/admin` scope is behind `require_access`, with `/public`
/// outside it.
async fn app(
    loads: &Arc<AtomicUsize>,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = Error> {
    test::init_service(
        App::new()
            .app_data(manager(loads))
            .route("/public", web::get().to(public))
            .service(
                web::scope("/admin")
                    .wrap(from_fn(require_access))
                    .route("/stats", web::get().to(stats))
                    .route("/guarded", web::get().to(guarded_stats))
                    .route("/write", web::get().to(write_stats))
                    .route("/admin-stats", web::get().to(admin_stats))
                    .route("/refresh", web::get().to(refresh)),
            ),
    )
    .await
}

/// Status, challenge and body of a response.
struct Reply {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

/// Sends `GET path`, with `Authorization: Bearer <token>` when `token` is given.
///
/// An error of a middleware would reach the caller of the service as `Err`, and
/// the server would turn it into its response, so this does the same.
async fn get(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = Error>,
    path: &str,
    token: Option<&str>,
) -> Reply {
    let mut request = TestRequest::get().uri(path);
    if let Some(token) = token {
        request = request.insert_header((AUTHORIZATION, format!("Bearer {token}")));
    }

    let response = match test::try_call_service(app, request.to_request()).await {
        Ok(response) => response.into_parts().1.map_into_boxed_body(),
        Err(err) => err.error_response(),
    };
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = to_bytes(response.into_body()).await.unwrap();

    Reply {
        status,
        challenge,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

#[actix_web::test]
async fn scope_handler_reads_user_after_one_load() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/stats", Some(ACCESS_TOKEN)).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "stats for alice");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn guarded_handler_in_scope_shares_authentication() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/guarded", Some(ACCESS_TOKEN)).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "guarded stats for alice");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn missing_token_is_rejected_before_handler() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/stats", None).await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.challenge.as_deref(), Some("Bearer"));
    assert_eq!(
        response.body,
        r#"{"error":"Request error: No token provided"}"#
    );
    assert_eq!(loads.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn unknown_token_is_rejected_with_401() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/stats", Some("mallory")).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_eq!(response.body, r#"{"error":"Token error: Invalid token"}"#);
}

#[actix_web::test]
async fn unknown_path_in_scope_is_authenticated_first() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let anonymous = get(&app, "/admin/missing", None).await;
    let authenticated = get(&app, "/admin/missing", Some(ACCESS_TOKEN)).await;

    assert_eq!(anonymous.status, StatusCode::BAD_REQUEST);
    assert_eq!(authenticated.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn route_outside_scope_needs_no_token() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/public", None).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(loads.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn handler_scopes_are_checked_after_middleware() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/write", Some(ACCESS_TOKEN)).await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(
        response.body,
        r#"{"error":"Scope error: Insufficient scope"}"#
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn handler_scope_rejection_names_its_scopes() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/write", Some(ACCESS_TOKEN)).await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(
        response.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="write""#)
    );
}

#[actix_web::test]
async fn guard_parameter_scope_rejection_names_its_scopes() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let response = get(&app, "/admin/admin-stats", Some(ACCESS_TOKEN)).await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(
        response.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="write admin""#)
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn handler_of_other_token_type_fails_with_500() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = app(&loads).await;

    let with_access = get(&app, "/admin/refresh", Some(ACCESS_TOKEN)).await;
    let with_refresh = get(&app, "/admin/refresh", Some(REFRESH_TOKEN)).await;

    assert_eq!(with_access.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        with_access.body,
        r#"{"error":"Server error: Internal server error"}"#
    );
    assert_eq!(with_refresh.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn rejection_passes_outer_middleware() {
    let loads = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new()
            .app_data(manager(&loads))
            .wrap(DefaultHeaders::new().add(("x-outer", "seen")))
            .service(
                web::scope("/admin")
                    .wrap(from_fn(require_access))
                    .route("/stats", web::get().to(stats)),
            ),
    )
    .await;
    let request = TestRequest::get().uri("/admin/stats").to_request();

    let result = test::try_call_service(&app, request).await;

    let response = result.expect("the rejection should reach the outer middleware as a response");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response
            .headers()
            .get("x-outer")
            .map(|value| value.to_str().unwrap()),
        Some("seen")
    );
}
