//! An application with a custom header, scheme and realm in its configuration, a
//! refresh route, scopes, `OptionalUser`, an error handler, listeners and a
//! middleware that reads `Authenticated`. It runs as a real server on 127.0.0.1
//! and is driven over raw TCP, so that header bytes reach the server exactly as
//! written. A `log` backend captures every log line, and no token may appear in one.

mod log_capture;
mod raw_http;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use raw_http::Reply;
use serde_json::json;
use stateless_auth::{
    Authenticated, CurrentToken, CurrentUser, OptionalUser, StatelessAuthConfig,
    StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin, token_required,
};
use stateless_auth_tests::server::TestServer;

const ALICE_ACCESS: &str = "alice-access-Q7mZ";
const ALICE_REFRESH: &str = "alice-refresh-Q7mZ";
const ADMIN_ACCESS: &str = "admin-access-Q7mZ";
const EXPIRED_ACCESS: &str = "expired-access-Q7mZ";
const INACTIVE_ACCESS: &str = "bob-access-Q7mZ";
const ORPHAN_ACCESS: &str = "orphan-access-Q7mZ";
const LOADER_FAILS: &str = "loader-fails-Q7mZ";
const LOADER_PANICS: &str = "loader-panics-Q7mZ";
const LOADER_HANGS: &str = "loader-hangs-Q7mZ";

/// Every token above, for the check that none of them reaches a log line.
const ALL_TOKENS: [&str; 9] = [
    ALICE_ACCESS,
    ALICE_REFRESH,
    ADMIN_ACCESS,
    EXPIRED_ACCESS,
    INACTIVE_ACCESS,
    ORPHAN_ACCESS,
    LOADER_FAILS,
    LOADER_PANICS,
    LOADER_HANGS,
];

/// Time a raw request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

struct Token {
    user: &'static str,
    token_type: &'static str,
    expired: bool,
    scopes: &'static [&'static str],
}

impl TokenMixin for Token {
    fn is_expired(&self, _token_type: &str, _auth_type: &str) -> bool {
        self.expired
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

struct User {
    name: &'static str,
    active: bool,
}

impl UserMixin for User {
    fn is_active(&self) -> bool {
        self.active
    }
}

fn token_row(token: &str) -> Option<Token> {
    let row = |user, token_type, expired, scopes| Token {
        user,
        token_type,
        expired,
        scopes,
    };

    match token {
        ALICE_ACCESS => Some(row("alice", "access", false, &[])),
        ALICE_REFRESH => Some(row("alice", "refresh", false, &[])),
        ADMIN_ACCESS => Some(row("alice", "access", false, &["admin"])),
        EXPIRED_ACCESS => Some(row("alice", "access", true, &[])),
        INACTIVE_ACCESS => Some(row("bob", "access", false, &[])),
        ORPHAN_ACCESS => Some(row("nobody", "access", false, &[])),
        _ => None,
    }
}

async fn load_token(
    token: &str,
    token_type: &str,
    _auth_type: &str,
) -> Result<Option<Token>, StatelessAuthError> {
    match token {
        LOADER_FAILS => {
            log::error!("the token store is unavailable");
            Err(StatelessAuthError::server("Token store unavailable"))
        }
        LOADER_PANICS => panic!("the token store panicked"),
        LOADER_HANGS => {
            std::future::pending::<()>().await;
            Ok(None)
        }
        _ => Ok(token_row(token).filter(|row| row.token_type == token_type)),
    }
}

async fn load_user(token: &Token) -> Result<Option<User>, StatelessAuthError> {
    let user = match token.user {
        "alice" => Some(User {
            name: "alice",
            active: true,
        }),
        "bob" => Some(User {
            name: "bob",
            active: false,
        }),
        _ => None,
    };

    Ok(user)
}

/// Error handler: `{"status": .., "message": ..}` with the rejection's challenge.
fn json_error(err: StatelessAuthError, _req: &HttpRequest) -> actix_web::Error {
    let mut response = HttpResponse::build(err.code());
    if let Some(challenge) = err.www_authenticate() {
        response.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    let body = json!({ "status": err.code().as_u16(), "message": err.full_msg() });

    InternalError::from_response(err, response.json(body)).into()
}

#[token_required]
async fn me(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name)
}

#[token_required(token_type = "refresh")]
async fn refresh(token: CurrentToken<Token>, user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Created().body(format!("{} {}", user.name, token.token_type))
}

#[token_required(scopes("admin"))]
async fn admin(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(format!("admin {}", user.name))
}

async fn hello(user: OptionalUser<User>) -> String {
    match user.user() {
        Some(user) => format!("hello, {}", user.name),
        None => "hello, stranger".to_owned(),
    }
}

/// Copies the authenticated user's name into an `x-user` response header.
async fn tag_user(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;

    let authenticated = Authenticated::from_extensions(&response.request().extensions());
    let name = authenticated.and_then(|auth| auth.user::<User>().map(|user| user.name));
    log::info!("{} responded for user {name:?}", response.request().path());
    if let Some(name) = name {
        response.headers_mut().insert(
            HeaderName::from_static("x-user"),
            HeaderValue::from_static(name),
        );
    }
    Ok(response)
}

/// Outcomes that the listeners saw, one entry per call.
#[derive(Default)]
struct Outcomes {
    authorized: AtomicUsize,
    rejected: Mutex<Vec<String>>,
}

fn manager(outcomes: Arc<Outcomes>) -> StatelessAuthManager {
    let config = StatelessAuthConfig {
        auth_header: "X-Auth-Token".to_owned(),
        default_auth_type: "Token".to_owned(),
        realm: Some("demo".to_owned()),
        ..StatelessAuthConfig::default()
    };
    let authorized = Arc::clone(&outcomes);

    StatelessAuthManager::new(load_token, load_user)
        .with_config(config)
        .error_handler(json_error)
        .on_authorized(move |_, _| {
            authorized.authorized.fetch_add(1, Ordering::SeqCst);
        })
        .on_unauthorized(move |req, err| {
            log::info!("{} rejected: {err}", req.path());
            outcomes.rejected.lock().unwrap().push(err.full_msg());
        })
}

/// The application on a real server, on a port that the operating system picks.
struct Server {
    running: TestServer,
    outcomes: Arc<Outcomes>,
}

impl Server {
    fn start() -> Server {
        log_capture::install();
        let outcomes = Arc::new(Outcomes::default());
        let manager = web::Data::new(manager(Arc::clone(&outcomes)));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(manager.clone())
                .wrap(from_fn(tag_user))
                .route("/me", web::get().to(me))
                .route("/refresh", web::put().to(refresh))
                .route("/admin", web::get().to(admin))
                .route("/hello", web::get().to(hello))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);

        Server {
            running: TestServer::start(server),
            outcomes,
        }
    }

    /// Sends a `method` request for `path` with the raw header lines `headers`, and
    /// returns the reply.
    async fn send(&self, method: &str, path: &str, headers: &[u8]) -> Reply {
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
                .into_bytes();
        request.extend_from_slice(headers);
        request.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        let addr = self.running.addr();

        let reply = actix_web::rt::task::spawn_blocking(move || raw_exchange(addr, &request));

        reply.await.unwrap()
    }

    fn rejections(&self) -> Vec<String> {
        self.outcomes.rejected.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.running.stop(true).await;
    }
}

/// Writes `request` to `addr` and reads the reply until the server closes the
/// connection, failing after [`REQUEST_TIMEOUT`].
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).unwrap();
    stream.write_all(request).unwrap();

    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|err| panic!("no complete reply within {REQUEST_TIMEOUT:?}: {err}"));

    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));

    Reply {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

/// One request and the reply it must get.
struct Case {
    name: &'static str,
    path: &'static str,
    headers: Vec<u8>,
    status: u16,
    message: &'static str,
    /// Whether the value names another scheme, which gets a challenge without an
    /// error code.
    other_scheme: bool,
}

fn case(name: &'static str, headers: &[u8], status: u16, message: &'static str) -> Case {
    Case {
        name,
        path: "/me",
        headers: headers.to_vec(),
        status,
        message,
        other_scheme: false,
    }
}

/// Builds the case of a value whose first word names another scheme than `Token`.
fn other_scheme_case(name: &'static str, headers: &[u8], message: &'static str) -> Case {
    Case {
        other_scheme: true,
        ..case(name, headers, 400, message)
    }
}

fn credentials(value: &str) -> Vec<u8> {
    format!("X-Auth-Token: {value}\r\n").into_bytes()
}

/// Returns the credentials header line that sends `token` with the `Token` scheme.
fn token_credentials(token: &str) -> Vec<u8> {
    credentials(&format!("Token {token}"))
}

/// Sends each case and checks its status, the error handler's body and the
/// challenge of the configured scheme and realm.
async fn check_rejections(server: &Server, cases: &[Case]) {
    for case in cases {
        let reply = server.send("GET", case.path, &case.headers).await;

        assert_eq!(reply.status, case.status, "{}: {}", case.name, reply.text());
        let body = reply.json();
        assert_eq!(body["message"], case.message, "{}", case.name);
        assert_eq!(body["status"], case.status, "{}", case.name);
        assert_eq!(
            reply.header("www-authenticate"),
            expected_challenge(case),
            "{}",
            case.name
        );
    }
}

/// Returns the RFC 6750 challenge of a rejection: no error code without
/// credentials for the scheme, and none at all for a server error.
fn expected_challenge(case: &Case) -> Option<&'static str> {
    if case.other_scheme {
        return Some(r#"Token realm="demo""#);
    }

    match (case.status, case.message) {
        (400, "Request error: No token provided") => Some(r#"Token realm="demo""#),
        (400, _) => Some(r#"Token realm="demo", error="invalid_request""#),
        (401, _) => Some(r#"Token realm="demo", error="invalid_token""#),
        (403, _) => Some(r#"Token realm="demo", error="insufficient_scope", scope="admin""#),
        _ => None,
    }
}

#[actix_web::test]
async fn custom_scheme_accepts_valid_token() {
    let server = Server::start();
    let spellings = [
        format!("Token {ALICE_ACCESS}"),
        format!("token {ALICE_ACCESS}"),
        format!("TOKEN {ALICE_ACCESS}"),
        format!("Token    {ALICE_ACCESS}"),
        format!("  Token {ALICE_ACCESS}  "),
        format!("\tToken {ALICE_ACCESS}\t"),
    ];

    for spelling in &spellings {
        let reply = server.send("GET", "/me", &credentials(spelling)).await;

        assert_eq!(reply.status, 200, "{spelling:?}: {}", reply.text());
        assert_eq!(reply.text(), "alice", "{spelling:?}");
        assert_eq!(reply.header("x-user"), Some("alice"), "{spelling:?}");
    }
    let lowercase_name = format!("x-auth-token: Token {ALICE_ACCESS}\r\n");
    let reply = server.send("GET", "/me", lowercase_name.as_bytes()).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        server.outcomes.authorized.load(Ordering::SeqCst),
        spellings.len() + 1
    );
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn bad_header_gets_specific_400() {
    let server = Server::start();
    let long_bad = "a".repeat(4097);
    let twice = [token_credentials(ALICE_ACCESS), credentials("Token x")].concat();
    let empty_and_valid = [
        b"X-Auth-Token:\r\n".to_vec(),
        token_credentials(ALICE_ACCESS),
    ]
    .concat();
    let cases = [
        case("no header", b"", 400, "Request error: No token provided"),
        case(
            "standard header only",
            format!("Authorization: Token {ALICE_ACCESS}\r\n").as_bytes(),
            400,
            "Request error: No token provided",
        ),
        case(
            "empty value",
            b"X-Auth-Token:\r\n",
            400,
            "Request error: No token provided",
        ),
        case(
            "blank value",
            b"X-Auth-Token:   \t \r\n",
            400,
            "Request error: No token provided",
        ),
        case(
            "scheme alone",
            &credentials("Token"),
            400,
            "Request error: Invalid number of arguments in token header",
        ),
        case(
            "scheme and blanks",
            &credentials("Token    "),
            400,
            "Request error: Invalid number of arguments in token header",
        ),
        other_scheme_case(
            "token alone",
            &credentials(ALICE_ACCESS),
            "Request error: Invalid number of arguments in token header",
        ),
        case(
            "three parts",
            &credentials("Token a b"),
            400,
            "Request error: Invalid number of arguments in token header",
        ),
        other_scheme_case(
            "other scheme",
            &credentials(&format!("Bearer {ALICE_ACCESS}")),
            "Request error: Invalid token type",
        ),
        other_scheme_case(
            "scheme prefix",
            &credentials(&format!("Tokens {ALICE_ACCESS}")),
            "Request error: Invalid token type",
        ),
        case(
            "tab separator",
            &credentials(&format!("Token\t{ALICE_ACCESS}")),
            400,
            "Request error: Invalid authorization header",
        ),
        case(
            "comma in token",
            &credentials("Token a,b"),
            400,
            "Request error: Malformed token",
        ),
        case(
            "quoted token",
            &credentials("Token \"abc\""),
            400,
            "Request error: Malformed token",
        ),
        case(
            "auth-param syntax",
            &credentials("Token token=\"abc\""),
            400,
            "Request error: Malformed token",
        ),
        case(
            "padding first",
            &credentials("Token =abc"),
            400,
            "Request error: Malformed token",
        ),
        case(
            "token over maximum",
            &token_credentials(&long_bad),
            400,
            "Request error: Malformed token",
        ),
        case(
            "non-UTF-8 token",
            b"X-Auth-Token: Token \xff\xfeabc\r\n",
            400,
            "Request error: Invalid authorization header",
        ),
        case(
            "UTF-8 token",
            "X-Auth-Token: Token caf\u{e9}\r\n".as_bytes(),
            400,
            "Request error: Invalid authorization header",
        ),
        case(
            "non-ASCII scheme",
            "X-Auth-Token: T\u{f6}ken abc\r\n".as_bytes(),
            400,
            "Request error: Invalid authorization header",
        ),
        case(
            "header twice",
            &twice,
            400,
            "Request error: Multiple authorization headers",
        ),
        case(
            "empty header and valid header",
            &empty_and_valid,
            400,
            "Request error: Multiple authorization headers",
        ),
    ];

    check_rejections(&server, &cases).await;

    assert_eq!(server.rejections().len(), cases.len());
    assert_eq!(server.outcomes.authorized.load(Ordering::SeqCst), 0);
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn loader_and_model_outcomes_map_to_status() {
    let server = Server::start();
    let cases = [
        case(
            "unknown token",
            &credentials("Token unknown"),
            401,
            "Token error: Invalid token",
        ),
        case(
            "unknown token at maximum length",
            &credentials(&format!("Token {}", "a".repeat(4096))),
            401,
            "Token error: Invalid token",
        ),
        case(
            "expired token",
            &token_credentials(EXPIRED_ACCESS),
            401,
            "Token error: access token expired",
        ),
        case(
            "inactive user",
            &token_credentials(INACTIVE_ACCESS),
            401,
            "Token error: Invalid User",
        ),
        case(
            "refresh token on access route",
            &token_credentials(ALICE_REFRESH),
            401,
            "Token error: Invalid token",
        ),
        case(
            "token without user",
            &token_credentials(ORPHAN_ACCESS),
            500,
            "Server error: Internal server error",
        ),
        case(
            "failing loader",
            &token_credentials(LOADER_FAILS),
            500,
            "Server error: Token store unavailable",
        ),
        case(
            "panicking loader",
            &token_credentials(LOADER_PANICS),
            500,
            "Server error: Internal server error",
        ),
        Case {
            path: "/admin",
            ..case(
                "missing scope",
                &token_credentials(ALICE_ACCESS),
                403,
                "Scope error: Insufficient scope",
            )
        },
        Case {
            path: "/hello",
            ..case(
                "optional user with unknown token",
                &credentials("Token unknown"),
                401,
                "Token error: Invalid token",
            )
        },
        Case {
            path: "/hello",
            ..case(
                "optional user with malformed token",
                &credentials("Token a,b"),
                400,
                "Request error: Malformed token",
            )
        },
    ];

    check_rejections(&server, &cases).await;

    assert_eq!(server.rejections().len(), cases.len());
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn special_routes_accept_right_tokens() {
    let server = Server::start();

    let admin = server
        .send("GET", "/admin", &token_credentials(ADMIN_ACCESS))
        .await;
    let forbidden = server
        .send("GET", "/admin", &token_credentials(ALICE_ACCESS))
        .await;
    let refreshed = server
        .send("PUT", "/refresh", &token_credentials(ALICE_REFRESH))
        .await;
    let access_on_refresh = server
        .send("PUT", "/refresh", &token_credentials(ALICE_ACCESS))
        .await;
    let anonymous = server.send("GET", "/hello", b"").await;
    let empty = server.send("GET", "/hello", b"X-Auth-Token:\r\n").await;
    let other_scheme = server
        .send("GET", "/hello", &credentials("Bearer abc"))
        .await;
    let known = server
        .send("GET", "/hello", &token_credentials(ALICE_ACCESS))
        .await;

    assert_eq!(admin.status, 200, "{}", admin.text());
    assert_eq!(admin.text(), "admin alice");
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.header("www-authenticate"),
        Some(r#"Token realm="demo", error="insufficient_scope", scope="admin""#)
    );
    assert_eq!(refreshed.status, 201, "{}", refreshed.text());
    assert_eq!(refreshed.text(), "alice refresh");
    assert_eq!(
        access_on_refresh.status,
        401,
        "{}",
        access_on_refresh.text()
    );
    assert_eq!(anonymous.text(), "hello, stranger");
    assert_eq!(empty.text(), "hello, stranger");
    assert_eq!(other_scheme.status, 200, "{}", other_scheme.text());
    assert_eq!(other_scheme.text(), "hello, stranger");
    assert_eq!(known.text(), "hello, alice");
    assert_eq!(known.header("x-user"), Some("alice"));
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn hanging_loader_leaves_other_requests_served() {
    let server = Server::start();
    let addr = server.running.addr();
    let request = format!(
        "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: Token {LOADER_HANGS}\r\n\r\n"
    );

    // The client gives up after a second and closes its connection.
    let hung = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut buffer = [0; 64];
        // A read timeout is `WouldBlock` on Unix and `TimedOut` on Windows.
        match stream.read(&mut buffer) {
            Err(err) => matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            // Any bytes, or the end of the stream, mean that the server responded.
            Ok(_read) => false,
        }
    });
    let timed_out = hung.await.unwrap();
    let served = server
        .send("GET", "/me", &token_credentials(ALICE_ACCESS))
        .await;
    server.stop().await;

    assert!(timed_out, "the hanging loader's request got a reply");
    assert_eq!(served.status, 200, "{}", served.text());
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}
