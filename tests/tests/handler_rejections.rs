//! `StatelessAuthManager::reject`: errors that a handler returns get the route's
//! challenge, the listeners and the error handler, as the extractors' rejections
//! do. Checked through real apps under `actix_web::test`, and through the example
//! API on an in-memory SQLite database.

mod common;
mod log_capture;

use std::sync::{Arc, Mutex};

use actix_web::dev::ServiceResponse;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, web};
use stateless_auth::{
    Access, CurrentUser, ErrorKind, OptionalUser, StatelessAuthConfig, StatelessAuthError,
    StatelessAuthManager, TokenRequired, TokenSpec, token_required,
};
use stateless_auth_tests::{Calls, Store, User, count_listeners, manager, status_and_error};

/// The message of the 403 that the handlers below return for another user's document.
const NOT_OWNER: &str = "You do not own this document";

/// A scope that only `admin-access` of the standard store grants.
struct AdminScope;

impl TokenSpec for AdminScope {
    const SCOPES: &'static [&'static str] = &["admin"];
}

/// Rejects every request with the status in the path, from a route whose guard
/// uses the scheme `Token`.
#[token_required(auth_type = "Token")]
async fn token_scheme(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
    status: web::Path<u16>,
) -> Result<HttpResponse, actix_web::Error> {
    let status = StatusCode::from_u16(*status).unwrap();
    let err = StatelessAuthError::new(NOT_OWNER, status, ErrorKind::Scope);

    Err(manager.reject(&req, err))
}

/// Rejects Alice with 403, as a route does for a document she does not own.
#[token_required]
async fn bob_document(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
    user: CurrentUser<User>,
) -> Result<HttpResponse, actix_web::Error> {
    if user.name != "bob" {
        let err = StatelessAuthError::scope(NOT_OWNER);
        return Err(manager.reject(&req, err));
    }

    Ok(HttpResponse::Ok().finish())
}

/// Rejects every request with 403 from a route whose guard requires `read`.
#[token_required(scopes("read"))]
async fn read_scope(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
) -> Result<HttpResponse, actix_web::Error> {
    Err(manager.reject(&req, StatelessAuthError::scope(NOT_OWNER)))
}

/// Rejects every request with 401 from a route without authentication.
async fn public(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
) -> Result<HttpResponse, actix_web::Error> {
    Err(manager.reject(&req, StatelessAuthError::token("Invalid token")))
}

/// Rejects a visitor without credentials with 401, as a page that only signed-in
/// users may read does.
async fn members_only(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
    user: OptionalUser<User>,
) -> Result<HttpResponse, actix_web::Error> {
    if user.user().is_none() {
        let err = StatelessAuthError::token("Sign in to read this page");
        return Err(manager.reject(&req, err));
    }

    Ok(HttpResponse::Ok().finish())
}

/// Rejects the request again with the error of a failed scope check, which
/// already carries the `scope="admin"` challenge of its guard.
async fn admin_again(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
    _access: TokenRequired<Access>,
    admin: Result<TokenRequired<AdminScope>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    let Err(err) = admin else {
        return Ok(HttpResponse::Ok().finish());
    };

    let err = err.as_error::<StatelessAuthError>().unwrap().clone();
    Err(manager.reject(&req, err))
}

/// Rejects every request with a message that contains the request's token.
#[token_required]
async fn leaky(
    req: HttpRequest,
    manager: web::Data<StatelessAuthManager>,
) -> Result<HttpResponse, actix_web::Error> {
    let credentials = req.headers().get(header::AUTHORIZATION).unwrap();
    let credentials = credentials.to_str().unwrap();
    let token = credentials.trim_start_matches("Bearer ");
    let err = StatelessAuthError::scope(format!("token {token} does not own this document"));

    Err(manager.reject(&req, err))
}

/// Returns the default config with the realm `example`.
fn realm_config() -> StatelessAuthConfig {
    StatelessAuthConfig {
        realm: Some("example".to_owned()),
        ..StatelessAuthConfig::default()
    }
}

/// Sends a GET for `uri` with `authorization`, if any, to an app of `manager`
/// with every route of this file, and returns the response.
async fn send(
    manager: StatelessAuthManager,
    uri: &str,
    authorization: Option<&str>,
) -> ServiceResponse {
    let app = App::new()
        .app_data(web::Data::new(manager))
        .route("/token/{status}", web::get().to(token_scheme))
        .route("/bob", web::get().to(bob_document))
        .route("/read", web::get().to(read_scope))
        .route("/public", web::get().to(public))
        .route("/members", web::get().to(members_only))
        .route("/admin", web::get().to(admin_again))
        .route("/leaky", web::get().to(leaky));
    let app = test::init_service(app).await;
    let mut request = TestRequest::get().uri(uri);
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value));
    }

    test::call_service(&app, request.to_request()).await
}

/// Returns the `WWW-Authenticate` header of `response` as text.
fn challenge(response: &ServiceResponse) -> Option<String> {
    let value = response.headers().get(header::WWW_AUTHENTICATE)?;

    Some(value.to_str().unwrap().to_owned())
}

#[actix_web::test]
async fn forbidden_gets_route_scheme_and_realm() {
    let store = Store::standard();
    let manager = manager(&store).with_config(realm_config());

    let response = send(manager, "/token/403", Some("Token alice-access")).await;

    let challenge = challenge(&response);
    let (status, error) = status_and_error(response).await;
    assert_eq!(status, 403);
    assert_eq!(error, format!("Scope error: {NOT_OWNER}"));
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Token realm="example", error="insufficient_scope""#)
    );
}

#[actix_web::test]
async fn status_selects_route_challenge_error() {
    let cases = [
        (
            400,
            Some(r#"Token realm="example", error="invalid_request""#),
        ),
        (401, Some(r#"Token realm="example", error="invalid_token""#)),
        (
            403,
            Some(r#"Token realm="example", error="insufficient_scope""#),
        ),
        (404, None),
        (500, None),
    ];

    for (status, expected) in cases {
        let store = Store::standard();
        let manager = manager(&store).with_config(realm_config());

        let uri = format!("/token/{status}");
        let response = send(manager, &uri, Some("Token alice-access")).await;

        assert_eq!(response.status().as_u16(), status);
        assert_eq!(challenge(&response).as_deref(), expected, "status {status}");
    }
}

#[actix_web::test]
async fn forbidden_lists_guard_scopes() {
    let store = Store::standard();
    let manager = manager(&store).with_config(realm_config());

    let response = send(manager, "/read", Some("Bearer reader-access")).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response).as_deref(),
        Some(r#"Bearer realm="example", error="insufficient_scope", scope="read""#)
    );
}

#[actix_web::test]
async fn listeners_receive_error_once() {
    let store = Store::standard();
    let calls = Calls::default();
    let received = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&received);
    let manager = count_listeners(manager(&store), &calls).on_unauthorized(move |req, err| {
        let challenge = err
            .www_authenticate()
            .map(|value| value.to_str().unwrap().to_owned());
        let rejection = (
            req.path().to_owned(),
            err.code(),
            err.msg().to_owned(),
            challenge,
        );
        recorder.lock().unwrap().push(rejection);
    });

    let response = send(manager, "/bob", Some("Bearer alice-access")).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(calls.authorized(), 1);
    assert_eq!(calls.unauthorized(), 1);
    let received = received.lock().unwrap();
    let expected = (
        "/bob".to_owned(),
        StatusCode::FORBIDDEN,
        NOT_OWNER.to_owned(),
        Some(r#"Bearer error="insufficient_scope""#.to_owned()),
    );
    assert_eq!(*received, [expected]);
}

#[actix_web::test]
async fn error_handler_shapes_response() {
    let store = Store::standard();
    let handled = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&handled);
    let manager = manager(&store)
        .with_config(realm_config())
        .error_handler(move |err, _req| {
            *counter.lock().unwrap() += 1;
            let mut response = HttpResponse::build(StatusCode::IM_A_TEAPOT);
            if let Some(challenge) = err.www_authenticate() {
                response.insert_header(("x-challenge", challenge));
            }
            let response = response.body(format!("handled: {}", err.msg()));
            InternalError::from_response(err, response).into()
        });

    let response = send(manager, "/bob", Some("Bearer alice-access")).await;

    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(*handled.lock().unwrap(), 1);
    assert_eq!(
        response.headers().get("x-challenge"),
        Some(&HeaderValue::from_static(
            r#"Bearer realm="example", error="insufficient_scope""#
        ))
    );
    assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    let body = test::read_body(response).await;
    assert_eq!(body, format!("handled: {NOT_OWNER}"));
}

#[actix_web::test]
async fn unauthenticated_route_gets_default_scheme() {
    let store = Store::standard();
    let calls = Calls::default();
    let config = StatelessAuthConfig {
        default_auth_type: "Token".to_owned(),
        ..realm_config()
    };
    let manager = count_listeners(manager(&store).with_config(config), &calls);

    let response = send(manager, "/public", Some("Token alice-access")).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&response).as_deref(),
        Some(r#"Token realm="example", error="invalid_token""#)
    );
    assert_eq!(calls.counts(), (0, 1, 0));
    assert_eq!(store.loads(), (0, 0));
}

#[actix_web::test]
async fn missing_credentials_get_bare_challenge() {
    let cases = [
        ("/public", None),
        ("/public", Some("Basic dXNlcg==")),
        ("/members", None),
        ("/members", Some(" ")),
        ("/members", Some("Basic dXNlcg==")),
    ];

    for strict_rfc6750 in [false, true] {
        for (uri, authorization) in cases {
            let store = Store::standard();
            let config = StatelessAuthConfig {
                strict_rfc6750,
                ..realm_config()
            };

            let response = send(manager(&store).with_config(config), uri, authorization).await;

            let case = format!("{uri} {authorization:?}, strict {strict_rfc6750}");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
            assert_eq!(
                challenge(&response).as_deref(),
                Some(r#"Bearer realm="example""#),
                "{case}"
            );
        }
    }
}

#[actix_web::test]
async fn missing_credentials_challenge_matches_guard() {
    let store = Store::standard();

    let guarded = send(manager(&store).with_config(realm_config()), "/bob", None).await;
    let rejected = send(manager(&store).with_config(realm_config()), "/public", None).await;

    assert_eq!(challenge(&rejected), challenge(&guarded));
}

#[actix_web::test]
async fn challenge_on_error_is_kept() {
    let store = Store::standard();
    let calls = Calls::default();
    let manager = count_listeners(manager(&store).with_config(realm_config()), &calls);

    let response = send(manager, "/admin", Some("Bearer alice-access")).await;

    // The request's authentication is the access guard's, whose challenge has
    // no scope, so the `scope` attribute can only come from the error.
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response).as_deref(),
        Some(r#"Bearer realm="example", error="insufficient_scope", scope="admin""#)
    );
    // The guard reported its rejection, and `reject` reports the copy again, as
    // its documentation warns.
    assert_eq!(calls.unauthorized(), 2);
}

#[actix_web::test]
async fn token_in_message_is_not_logged() {
    log_capture::install();
    let token = "leaky-token-5521";
    let mut store = Store::default();
    store.add_user("alice", true);
    store.add_token(token, "alice", "access", false, &[]);
    let debug_output = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&debug_output);
    let manager = manager(&Arc::new(store)).on_unauthorized(move |_, err| {
        recorder.lock().unwrap().push(format!("{err:?}"));
    });

    let response = send(manager, "/leaky", Some(&format!("Bearer {token}"))).await;

    // The body is the application's message, which here contains the token.
    let (status, error) = status_and_error(response).await;
    assert_eq!(status, 403);
    assert_eq!(
        error,
        format!("Scope error: token {token} does not own this document")
    );
    let rejected = log_capture::lines_at(log::Level::Debug, "rejected GET /leaky");
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    assert!(
        rejected[0].contains("Scope error (message not logged), status 403"),
        "{}",
        rejected[0]
    );
    let debug_output = debug_output.lock().unwrap();
    assert_eq!(debug_output.len(), 1);
    assert!(!debug_output[0].contains(token), "{}", debug_output[0]);
    log_capture::assert_no_line_contains(&[token]);
}

#[actix_web::test]
async fn consumed_refresh_token_reaches_listener() {
    log_capture::install();
    let api = common::Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    // The trigger keeps every refresh token row, so the route's rotation finds
    // its refresh token gone, as when a concurrent refresh consumed it between
    // the token loader and the rotation.
    sqlx::query(
        "CREATE TRIGGER keep_refresh_tokens BEFORE DELETE ON api_tokens \
         WHEN OLD.token_type = 'refresh' BEGIN SELECT RAISE(IGNORE); END",
    )
    .execute(&api.pool)
    .await
    .unwrap();

    let reply = api
        .send(
            TestRequest::put()
                .uri("/refresh_token")
                .insert_header(common::bearer(&tokens.refresh_token)),
        )
        .await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: Invalid token");
    assert_eq!(reply.challenge(), Some(r#"Bearer error="invalid_token""#));
    let consumed = log_capture::lines_with("a concurrent request consumed the refresh token");
    assert_eq!(consumed.len(), 1, "{consumed:#?}");
    let listener = log_capture::lines_at(
        log::Level::Info,
        "rejected PUT /refresh_token: Token error: Invalid token",
    );
    assert_eq!(listener.len(), 1, "{listener:#?}");
    log_capture::assert_no_line_contains(&[&tokens.refresh_token, &tokens.access_token]);
}
