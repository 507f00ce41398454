//! Every rejection of the core crate, through a real `App` and `actix_web::test`.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{App, HttpResponse, test, web};
use stateless_auth::{
    CurrentUser, ErrorKind, StatelessAuthConfig, StatelessAuthError, StatelessAuthManager,
    TokenRequired, TokenSpec,
};
use stateless_auth_tests::{
    Calls, FAILING_TOKEN, PANIC_TOKEN, Store, TEAPOT_TOKEN, Token, User, counting_manager, manager,
    status_and_error,
};

struct ReadScope;

impl TokenSpec for ReadScope {
    const SCOPES: &'static [&'static str] = &["read", "write"];
}

async fn whoami(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name.clone())
}

async fn scoped(_: TokenRequired<ReadScope>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

macro_rules! service {
    ($manager:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($manager))
                .route("/whoami", web::get().to(whoami))
                .route("/scoped", web::get().to(scoped)),
        )
        .await
    };
}

/// Sends `Authorization: <value>` (or no header for `None`) to `/whoami`.
async fn whoami_with(config: StatelessAuthConfig, value: Option<&[u8]>) -> (u16, String) {
    let store = Store::standard();
    let app = service!(manager(&store).with_config(config));
    let mut request = test::TestRequest::get().uri("/whoami");
    if let Some(value) = value {
        let value = HeaderValue::from_bytes(value).unwrap();
        request = request.insert_header((header::AUTHORIZATION, value));
    }

    let response = test::call_service(&app, request.to_request()).await;

    status_and_error(response).await
}

/// Builds a request to `/whoami` with Alice's valid access token.
fn alice_whoami() -> actix_http::Request {
    test::TestRequest::get()
        .uri("/whoami")
        .insert_header((header::AUTHORIZATION, "Bearer alice-access"))
        .to_request()
}

async fn whoami_default(value: Option<&[u8]>) -> (u16, String) {
    whoami_with(StatelessAuthConfig::default(), value).await
}

#[actix_web::test]
async fn missing_header_is_bad_request() {
    let outcome = whoami_default(None).await;

    assert_eq!(
        outcome,
        (400, "Request error: No token provided".to_owned())
    );
}

#[actix_web::test]
async fn empty_header_is_missing_token() {
    let outcome = whoami_default(Some(b"")).await;

    assert_eq!(
        outcome,
        (400, "Request error: No token provided".to_owned())
    );
}

#[actix_web::test]
async fn obs_text_is_invalid_header() {
    // NOTE: control bytes cannot reach an extractor: the `http` crate rejects
    // them in `HeaderValue` and the HTTP/1 parser rejects them on the wire. The
    // parser's unit tests cover them.
    let values: [&[u8]; 3] = [b"Bearer caf\xc3\xa9", b"Bearer \xff\xfe", b"Bearer \x80abc"];

    for value in values {
        let outcome = whoami_default(Some(value)).await;

        assert_eq!(
            outcome,
            (
                400,
                "Request error: Invalid authorization header".to_owned()
            ),
            "value {value:?}"
        );
    }
}

#[actix_web::test]
async fn tab_separator_is_invalid_header() {
    let outcome = whoami_default(Some(b"Bearer\talice-access")).await;

    assert_eq!(
        outcome,
        (
            400,
            "Request error: Invalid authorization header".to_owned()
        )
    );
}

#[actix_web::test]
async fn repeated_header_is_rejected() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = test::TestRequest::get()
        .uri("/whoami")
        .append_header((header::AUTHORIZATION, "Bearer alice-access"))
        .append_header((header::AUTHORIZATION, "Bearer alice-access"))
        .to_request();

    let response = test::call_service(&app, request).await;

    assert_eq!(
        status_and_error(response).await,
        (
            400,
            "Request error: Multiple authorization headers".to_owned()
        )
    );
    assert_eq!(store.loads(), (0, 0));
}

#[actix_web::test]
async fn wrong_argument_count_is_rejected() {
    // The parts are counted before the scheme is compared, as in
    // Flask-Stateless-Auth, so the last two, of other schemes, fail the count too.
    let values: [&[u8]; 5] = [
        b"Bearer",
        b"Bearer ",
        b"Bearer alice-access extra",
        b"Negotiate",
        br#"Digest username="alice", realm="example""#,
    ];

    for value in values {
        let outcome = whoami_default(Some(value)).await;

        assert_eq!(
            outcome,
            (
                400,
                "Request error: Invalid number of arguments in token header".to_owned()
            ),
            "value {value:?}"
        );
    }
}

#[actix_web::test]
async fn foreign_scheme_is_invalid_token_type() {
    let outcome = whoami_default(Some(b"Basic alice-access")).await;

    assert_eq!(
        outcome,
        (400, "Request error: Invalid token type".to_owned())
    );
}

#[actix_web::test]
async fn malformed_token_is_rejected() {
    let values: [&[u8]; 3] = [b"Bearer a,b", b"Bearer =abc", b"Bearer ab=cd"];

    for value in values {
        let outcome = whoami_default(Some(value)).await;

        assert_eq!(
            outcome,
            (400, "Request error: Malformed token".to_owned()),
            "value {value:?}"
        );
    }
}

#[actix_web::test]
async fn overlong_token_is_malformed() {
    let config = StatelessAuthConfig {
        max_token_length: 8,
        ..StatelessAuthConfig::default()
    };

    let outcome = whoami_with(config, Some(b"Bearer alice-access")).await;

    assert_eq!(outcome, (400, "Request error: Malformed token".to_owned()));
}

#[actix_web::test]
async fn default_max_token_length_is_4096_bytes() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = |token_length: usize| {
        let value = format!("Bearer {}", "a".repeat(token_length));
        test::TestRequest::get()
            .uri("/whoami")
            .insert_header((header::AUTHORIZATION, value))
            .to_request()
    };

    let longest = test::call_service(&app, request(4096)).await;
    let too_long = test::call_service(&app, request(4097)).await;

    assert_eq!(
        status_and_error(longest).await,
        (401, "Token error: Invalid token".to_owned())
    );
    assert_eq!(
        status_and_error(too_long).await,
        (400, "Request error: Malformed token".to_owned())
    );
    assert_eq!(store.loads(), (1, 0));
}

#[actix_web::test]
async fn unknown_token_is_unauthorized() {
    let outcome = whoami_default(Some(b"Bearer nobody")).await;

    assert_eq!(outcome, (401, "Token error: Invalid token".to_owned()));
}

#[actix_web::test]
async fn expired_token_is_unauthorized() {
    let outcome = whoami_default(Some(b"Bearer expired-access")).await;

    assert_eq!(
        outcome,
        (401, "Token error: access token expired".to_owned())
    );
}

#[actix_web::test]
async fn token_without_user_is_server_error() {
    let outcome = whoami_default(Some(b"Bearer ghost-access")).await;

    assert_eq!(
        outcome,
        (500, "Server error: Internal server error".to_owned())
    );
}

#[actix_web::test]
async fn inactive_user_is_unauthorized() {
    let outcome = whoami_default(Some(b"Bearer bob-access")).await;

    assert_eq!(outcome, (401, "Token error: Invalid User".to_owned()));
}

#[actix_web::test]
async fn missing_scope_is_forbidden_with_scope_challenge() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = test::TestRequest::get()
        .uri("/scoped")
        .insert_header((header::AUTHORIZATION, "Bearer reader-access"))
        .to_request();

    let response = test::call_service(&app, request).await;
    let challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();

    assert_eq!(
        status_and_error(response).await,
        (403, "Scope error: Insufficient scope".to_owned())
    );
    assert_eq!(
        challenge.unwrap(),
        r#"Bearer error="insufficient_scope", scope="read write""#
    );
}

#[actix_web::test]
async fn missing_scope_is_reported_after_authorization() {
    let store = Store::standard();
    let calls = Calls::default();
    let app = service!(counting_manager(&store, &calls));
    let request = test::TestRequest::get()
        .uri("/scoped")
        .insert_header((header::AUTHORIZATION, "Bearer reader-access"))
        .to_request();

    let response = test::call_service(&app, request).await;

    assert_eq!(response.status(), 403);
    assert_eq!(calls.authorized(), 1);
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn loader_error_keeps_its_status_and_message() {
    let teapot = format!("Bearer {TEAPOT_TOKEN}");
    let failing = format!("Bearer {FAILING_TOKEN}");

    let teapot_outcome = whoami_default(Some(teapot.as_bytes())).await;
    let failing_outcome = whoami_default(Some(failing.as_bytes())).await;

    assert_eq!(
        teapot_outcome,
        (418, "Request error: Short and stout".to_owned())
    );
    assert_eq!(
        failing_outcome,
        (500, "Server error: database unavailable".to_owned())
    );
}

/// Sends `failing`, which must get the generic 500, then a request with Alice's
/// access token, which the same app must still serve.
async fn assert_server_error_then_served(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    failing: actix_http::Request,
) {
    let good = alice_whoami();

    let failed = test::call_service(app, failing).await;
    let served = test::call_service(app, good).await;

    assert_eq!(
        status_and_error(failed).await,
        (500, "Server error: Internal server error".to_owned())
    );
    assert_eq!(served.status(), 200);
    assert_eq!(test::read_body(served).await, "alice");
}

#[actix_web::test]
async fn panicking_error_handler_is_server_error() {
    let store = Store::standard();
    let manager = manager(&store).error_handler(|_, _| panic!("error handler failed"));
    let app = service!(manager);
    let rejected = test::TestRequest::get().uri("/whoami").to_request();

    assert_server_error_then_served(&app, rejected).await;
}

#[actix_web::test]
async fn loader_error_with_success_status_is_server_error() {
    let manager = StatelessAuthManager::new(
        async |_: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Err(StatelessAuthError::new(
                "Renew later",
                StatusCode::NO_CONTENT,
                ErrorKind::Token,
            ))
        },
        async |_: &Token| Ok(None::<User>),
    );
    let app = service!(manager);
    let request = alice_whoami();

    let response = test::call_service(&app, request).await;

    assert_eq!(
        status_and_error(response).await,
        (500, "Token error: Renew later".to_owned())
    );
}

#[actix_web::test]
async fn panicking_loader_is_server_error_and_service_survives() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let panicking = test::TestRequest::get()
        .uri("/whoami")
        .insert_header((header::AUTHORIZATION, format!("Bearer {PANIC_TOKEN}")))
        .to_request();

    assert_server_error_then_served(&app, panicking).await;
}

#[actix_web::test]
async fn missing_manager_is_server_error() {
    let app = test::init_service(App::new().route("/whoami", web::get().to(whoami))).await;
    let request = alice_whoami();

    let response = test::call_service(&app, request).await;

    assert_eq!(
        status_and_error(response).await,
        (500, "Server error: Internal server error".to_owned())
    );
}

#[actix_web::test]
async fn challenges_follow_rfc6750() {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        realm: Some("example".to_owned()),
        ..StatelessAuthConfig::default()
    };
    let app = service!(manager(&store).with_config(config));
    let cases: [(Option<&str>, &str); 7] = [
        (None, r#"Bearer realm="example""#),
        (
            Some("Bearer a,b"),
            r#"Bearer realm="example", error="invalid_request""#,
        ),
        (
            Some("Bearer"),
            r#"Bearer realm="example", error="invalid_request""#,
        ),
        (Some("Basic dXNlcg=="), r#"Bearer realm="example""#),
        (Some("Negotiate"), r#"Bearer realm="example""#),
        (
            Some("Bearer nobody"),
            r#"Bearer realm="example", error="invalid_token""#,
        ),
        (Some("Bearer ghost-access"), ""),
    ];

    for (value, expected) in cases {
        let mut request = test::TestRequest::get().uri("/whoami");
        if let Some(value) = value {
            request = request.insert_header((header::AUTHORIZATION, value));
        }

        let response = test::call_service(&app, request.to_request()).await;
        let challenge = response.headers().get(header::WWW_AUTHENTICATE);

        let challenge = challenge.map_or("", |value| value.to_str().unwrap());
        assert_eq!(challenge, expected, "header {value:?}");
    }
}

#[actix_web::test]
async fn loader_error_gets_route_challenge() {
    let config = StatelessAuthConfig {
        realm: Some("example".to_owned()),
        ..StatelessAuthConfig::default()
    };
    let manager = StatelessAuthManager::new(
        async |_: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Err(StatelessAuthError::token("Token revoked"))
        },
        async |_: &Token| Ok(None::<User>),
    )
    .with_config(config);
    let app = service!(manager);
    let request = alice_whoami();

    let response = test::call_service(&app, request).await;
    let challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();

    assert_eq!(
        status_and_error(response).await,
        (401, "Token error: Token revoked".to_owned())
    );
    assert_eq!(
        challenge.unwrap(),
        r#"Bearer realm="example", error="invalid_token""#
    );
}

#[actix_web::test]
async fn strict_mode_answers_unauthorized_with_bare_challenge() {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        strict_rfc6750: true,
        ..StatelessAuthConfig::default()
    };
    let app = service!(manager(&store).with_config(config));

    for value in [None, Some("Basic alice-access")] {
        let mut request = test::TestRequest::get().uri("/whoami");
        if let Some(value) = value {
            request = request.insert_header((header::AUTHORIZATION, value));
        }

        let response = test::call_service(&app, request.to_request()).await;

        assert_eq!(response.status(), 401, "header {value:?}");
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer",
            "header {value:?}"
        );
    }
}

/// Sends each of `values` as the credentials header of a strict-mode app, and checks
/// the status, the body's `error` and the challenge of every response.
async fn assert_strict_responses(values: &[&str], status: u16, error: &str, challenge: &str) {
    let store = Store::standard();
    let config = StatelessAuthConfig {
        strict_rfc6750: true,
        ..StatelessAuthConfig::default()
    };
    let app = service!(manager(&store).with_config(config));

    for value in values {
        let request = test::TestRequest::get()
            .uri("/whoami")
            .insert_header((header::AUTHORIZATION, *value));

        let response = test::call_service(&app, request.to_request()).await;
        let sent_challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();

        assert_eq!(
            status_and_error(response).await,
            (status, error.to_owned()),
            "header {value:?}"
        );
        assert_eq!(sent_challenge.unwrap(), challenge, "header {value:?}");
    }
}

/// Credentials may be a scheme alone or a scheme with auth-params (RFC 9110
/// §11.4), so these values carry another scheme and get the strict mode's 401.
#[actix_web::test]
async fn strict_mode_foreign_scheme_forms_get_401() {
    let foreign = [
        "Negotiate",
        "Negotiate\t",
        "Basic",
        r#"Digest username="alice", realm="example""#,
    ];

    assert_strict_responses(&foreign, 401, "Request error: Invalid token type", "Bearer").await;
}

/// RFC 9110 §11.4 puts spaces after the scheme, so a tab there leaves the value
/// outside the credentials grammar, whatever its scheme.
#[actix_web::test]
async fn strict_mode_keeps_tab_after_foreign_scheme_invalid() {
    let config = StatelessAuthConfig {
        strict_rfc6750: true,
        ..StatelessAuthConfig::default()
    };

    let outcome = whoami_with(config, Some(b"Basic\talice-access")).await;

    assert_eq!(
        outcome,
        (
            400,
            "Request error: Invalid authorization header".to_owned()
        )
    );
}

/// `,`, `"` and `@` are not `tchar`s (RFC 9110 §5.6.2), so a first word that
/// contains one names no scheme. RFC 6750 §3.1 gives such a malformed value 400
/// `invalid_request`, not the 401 for missing credentials.
#[actix_web::test]
async fn strict_mode_keeps_first_word_without_scheme_malformed() {
    let values = ["Bearer, alice-access", r#""Basic" abc"#, "B@sic abc"];

    assert_strict_responses(
        &values,
        400,
        "Request error: Invalid token type",
        r#"Bearer error="invalid_request""#,
    )
    .await;
}

/// Only the first word decides: once it is another scheme, the rest of the value
/// is that scheme's business, even where it breaks the credentials grammar.
#[actix_web::test]
async fn strict_mode_ignores_what_follows_foreign_scheme() {
    let values = ["Basic a b c", "Basic a,b", "Basic ==abc"];

    assert_strict_responses(&values, 401, "Request error: Invalid token type", "Bearer").await;
}

#[actix_web::test]
async fn strict_mode_keeps_other_rejections() {
    let config = StatelessAuthConfig {
        strict_rfc6750: true,
        ..StatelessAuthConfig::default()
    };

    let outcome = whoami_with(config, Some(b"Bearer a,b")).await;

    assert_eq!(outcome, (400, "Request error: Malformed token".to_owned()));
}

#[actix_web::test]
async fn rejection_never_echoes_the_token() {
    let secret = "sEcReT-tOkEn-123";
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = test::TestRequest::get()
        .uri("/whoami")
        .insert_header((header::AUTHORIZATION, format!("Bearer {secret}")))
        .to_request();

    let response = test::call_service(&app, request).await;
    let headers = format!("{:?}", response.headers());
    let body = test::read_body(response).await;

    assert!(!headers.contains(secret));
    assert!(!String::from_utf8_lossy(&body).contains(secret));
}

#[actix_web::test]
async fn header_rejection_skips_loaders() {
    let store = Store::standard();
    let app = service!(manager(&store));
    let request = test::TestRequest::get().uri("/whoami").to_request();

    let _ = test::call_service(&app, request).await;

    assert_eq!(store.loads(), (0, 0));
}
