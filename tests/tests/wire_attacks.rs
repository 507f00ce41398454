//! Requests written byte by byte to a real server on 127.0.0.1: keep-alive
//! framing after every kind of rejection, unread bodies, HEAD, many requests on
//! one pending loader, and header edge cases. A `log` backend captures every log
//! line at trace level, and no token may appear in one.
#![forbid(unsafe_code)]

mod log_capture;
mod raw_http;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::middleware::Logger;
use actix_web::{App, HttpResponse, HttpServer, web};
use raw_http::{Reply, ReplyReader};
use serde_json::Value;
use stateless_auth::{
    Access, CurrentUser, OptionalUser, StatelessAuthConfig, StatelessAuthError,
    StatelessAuthManager, TokenMixin, TokenRequired, UserMixin, token_required,
};
use stateless_auth_tests::server::{TestServer, awc_client};
use tokio::sync::Notify;

const ALICE: &str = "alice-tok-Zx81";
const ADMIN: &str = "admin-tok-Zx81";
const ORPHAN: &str = "orphan-tok-Zx81";
const FAILS: &str = "fails-tok-Zx81";
const ECHOED: &str = "echoed-tok-Zx81";
const WAITS: &str = "waits-tok-Zx81";
const PADDED: &str = "alice-pad-Zx81==";

const ALL_TOKENS: [&str; 7] = [ALICE, ADMIN, ORPHAN, FAILS, ECHOED, WAITS, PADDED];

/// Time a raw exchange may take before the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

struct Token {
    user: &'static str,
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

/// Counts of what the loaders and listeners did.
#[derive(Default)]
struct Counts {
    loads: AtomicUsize,
    /// Loader futures dropped before they completed.
    abandoned: AtomicUsize,
    authorized: AtomicUsize,
    rejected: AtomicUsize,
}

/// Increments `abandoned` when dropped, unless disarmed.
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

fn manager(
    counts: &Arc<Counts>,
    gate: &Arc<Notify>,
    config: StatelessAuthConfig,
) -> StatelessAuthManager {
    let loader_counts = Arc::clone(counts);
    let authorized = Arc::clone(counts);
    let rejected = Arc::clone(counts);
    let gate = Arc::clone(gate);

    StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            loader_counts.loads.fetch_add(1, Ordering::SeqCst);
            let row = |user, scopes| Some(Token { user, scopes });
            match token {
                ALICE | PADDED => Ok(row("alice", &[])),
                ADMIN => Ok(row("alice", &["admin"])),
                ORPHAN => Ok(row("nobody", &[])),
                FAILS => Err(StatelessAuthError::server("Token store unavailable")),
                // A careless loader puts the token in its message, which `Logger` logs
                // through the error's `Debug` output.
                ECHOED => Err(StatelessAuthError::token(format!("Revoked token {token}"))),
                WAITS => {
                    let mut guard = AbandonGuard {
                        counts: Arc::clone(&loader_counts),
                        armed: true,
                    };
                    gate.notified().await;
                    guard.armed = false;
                    Ok(row("alice", &[]))
                }
                _ => Ok(None),
            }
        },
        async |token: &Token| Ok((token.user == "alice").then_some(User { name: "alice" })),
    )
    .with_config(config)
    .on_authorized(move |_, _| {
        authorized.authorized.fetch_add(1, Ordering::SeqCst);
    })
    .on_unauthorized(move |_, _| {
        rejected.rejected.fetch_add(1, Ordering::SeqCst);
    })
}

#[token_required]
async fn me(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name)
}

#[token_required(scopes("admin"))]
async fn admin(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(format!("admin {}", user.name))
}

async fn optional(user: OptionalUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.user().map_or("stranger", |user| user.name))
}

async fn note(_: TokenRequired<Access>, body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().body(body.to_string())
}

#[token_required]
async fn echo(user: CurrentUser<User>, body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {}", user.name, body.len()))
}

struct Server {
    running: TestServer,
    counts: Arc<Counts>,
    gate: Arc<Notify>,
}

impl Server {
    fn start(config: StatelessAuthConfig) -> Server {
        log_capture::install();
        let counts = Arc::new(Counts::default());
        let gate = Arc::new(Notify::new());
        let manager = web::Data::new(manager(&counts, &gate, config));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(manager.clone())
                .wrap(Logger::default())
                .route("/me", web::get().to(me))
                .service(web::resource("/any/me").to(me))
                .route("/admin", web::get().to(admin))
                .route("/optional", web::get().to(optional))
                .route("/note", web::post().to(note))
                .route("/echo", web::post().to(echo))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);

        Server {
            running: TestServer::start(server),
            counts,
            gate,
        }
    }

    /// Writes `bytes` on one connection, then reads one reply per entry of `heads` from it,
    /// using the methods in `heads` to know which replies have no body.
    async fn exchange(&self, bytes: Vec<u8>, heads: Vec<bool>) -> Vec<Reply> {
        let addr = self.running.addr();

        let replies = actix_web::rt::task::spawn_blocking(move || {
            let mut stream = connect(addr);
            stream.write_all(&bytes).unwrap();
            let mut reader = ReplyReader::new(stream);
            heads.iter().map(|&head| reader.next(head)).collect()
        });

        replies.await.unwrap()
    }

    async fn stop(self) {
        self.running.stop(true).await;
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Builds a keep-alive request with `headers` and `Content-Length` for `body`.
fn request(method: &str, path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

#[actix_web::test]
async fn keep_alive_survives_every_rejection() {
    let server = Server::start(StatelessAuthConfig::default());
    let first_requests = [
        ("missing", "GET", "/me", String::new(), 400),
        ("malformed", "GET", "/me", bearer("a,b"), 400),
        (
            "repeated",
            "GET",
            "/me",
            format!("{}authorization: Bearer x\r\n", bearer(ALICE)),
            400,
        ),
        ("unknown", "GET", "/me", bearer("nobody"), 401),
        ("scope", "GET", "/admin", bearer(ALICE), 403),
        ("orphan", "GET", "/me", bearer(ORPHAN), 500),
        ("loader error", "GET", "/me", bearer(FAILS), 500),
        ("loader message", "GET", "/me", bearer(ECHOED), 401),
        ("head missing", "HEAD", "/any/me", String::new(), 400),
        ("head unknown", "HEAD", "/any/me", bearer("nobody"), 401),
        ("head orphan", "HEAD", "/any/me", bearer(ORPHAN), 500),
        ("head valid", "HEAD", "/any/me", bearer(ALICE), 200),
    ];

    for (name, method, path, headers, status) in first_requests {
        let mut bytes = request(method, path, &headers, b"");
        bytes.extend(request("GET", "/me", &bearer(ALICE), b""));
        bytes.extend(request("GET", "/optional", "", b""));

        let replies = server
            .exchange(bytes, vec![method == "HEAD", false, false])
            .await;

        assert_eq!(replies[0].status, status, "{name}: {:?}", replies[0]);
        assert_eq!(replies[1].status, 200, "{name}: second {:?}", replies[1]);
        assert_eq!(replies[1].text(), "alice", "{name}");
        assert_eq!(replies[2].status, 200, "{name}: third {:?}", replies[2]);
        assert_eq!(replies[2].text(), "stranger", "{name}");
    }
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn unread_body_of_rejection_is_not_parsed_as_request() {
    let server = Server::start(StatelessAuthConfig::default());
    // The body is itself a request, so a server that parses it as one sends its response.
    let smuggled = request("GET", "/admin", &bearer(ADMIN), b"");
    let cases = [
        ("guard rejected", "/note", String::new()),
        ("guard unknown", "/note", bearer("nobody")),
        ("macro rejected", "/echo", String::new()),
        ("macro unknown", "/echo", bearer("nobody")),
    ];

    for (name, path, headers) in cases {
        let headers = format!("{headers}Content-Type: application/json\r\n");
        let mut bytes = request("POST", path, &headers, &smuggled);
        bytes.extend(request("GET", "/optional", "", b""));

        let replies = server.exchange(bytes, vec![false, false]).await;

        assert!(
            matches!(replies[0].status, 400 | 401),
            "{name}: {:?}",
            replies[0]
        );
        assert_ne!(
            replies[1].text(),
            "admin alice",
            "{name}: body ran as a request"
        );
        assert!(
            replies[1].status == 0 || replies[1].text() == "stranger",
            "{name}: second {:?}",
            replies[1]
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn many_requests_share_pending_loader_gate() {
    const REQUESTS: usize = 200;
    let server = Server::start(StatelessAuthConfig::default());
    let client = awc_client(Duration::from_secs(20));
    let url = server.running.url("/me");

    let sent: Vec<_> = (0..REQUESTS)
        .map(|_| async {
            // awc keeps the connection until the body is read, and it opens at most
            // 100 connections to one host.
            let mut reply = client.get(&url).bearer_auth(WAITS).send().await.ok()?;
            let body = reply.body().await.ok()?;
            Some((reply.status(), body))
        })
        .collect();
    let all = futures_util::future::join_all(sent);
    let notifier = async {
        while server.counts.authorized.load(Ordering::SeqCst) < REQUESTS {
            server.gate.notify_waiters();
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (replies, ()) = actix_web::rt::time::timeout(Duration::from_secs(30), async {
        futures_util::future::join(all, notifier).await
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "requests did not complete: loads {}, authorized {}, rejected {}, abandoned {}",
            server.counts.loads.load(Ordering::SeqCst),
            server.counts.authorized.load(Ordering::SeqCst),
            server.counts.rejected.load(Ordering::SeqCst),
            server.counts.abandoned.load(Ordering::SeqCst),
        )
    });

    let ok = replies
        .into_iter()
        .filter(|reply| {
            reply
                .as_ref()
                .is_some_and(|(status, body)| *status == 200 && body == "alice")
        })
        .count();
    assert_eq!(server.counts.loads.load(Ordering::SeqCst), REQUESTS);
    assert_eq!(ok, REQUESTS);
    assert_eq!(server.counts.authorized.load(Ordering::SeqCst), REQUESTS);
    assert_eq!(server.counts.rejected.load(Ordering::SeqCst), 0);
    assert_eq!(server.counts.abandoned.load(Ordering::SeqCst), 0);
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}

#[actix_web::test]
async fn header_edge_cases_match_readme() {
    let config = StatelessAuthConfig {
        auth_header: "X-Api-Token".to_owned(),
        max_token_length: ALICE.len(),
        ..StatelessAuthConfig::default()
    };
    let server = Server::start(config);
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "custom header",
            format!("x-api-token: Bearer {ALICE}\r\n"),
            200,
            "alice",
        ),
        (
            "mixed case name",
            format!("X-API-TOKEN: bEaReR {ALICE}\r\n"),
            200,
            "alice",
        ),
        (
            "standard header ignored",
            bearer(ALICE),
            400,
            "Request error: No token provided",
        ),
        (
            "at max length",
            format!("X-Api-Token: Bearer {ALICE}\r\n"),
            200,
            "alice",
        ),
        (
            "over max length",
            format!("X-Api-Token: Bearer {ALICE}x\r\n"),
            400,
            "Request error: Malformed token",
        ),
        (
            "padded over max",
            format!("X-Api-Token: Bearer {PADDED}\r\n"),
            400,
            "Request error: Malformed token",
        ),
        (
            "tab in token",
            "X-Api-Token: Bearer ab\tc\r\n".to_owned(),
            400,
            "Request error: Invalid authorization header",
        ),
        (
            "twice",
            format!("X-Api-Token: Bearer {ALICE}\r\nx-api-token: Bearer {ALICE}\r\n"),
            400,
            "Request error: Multiple authorization headers",
        ),
        (
            "comma list",
            format!("X-Api-Token: Bearer {ALICE}, Bearer {ALICE}\r\n"),
            400,
            "Request error: Invalid number of arguments in token header",
        ),
    ];

    for (name, headers, status, expected) in cases {
        let replies = server
            .exchange(request("GET", "/me", &headers, b""), vec![false])
            .await;

        assert_eq!(replies[0].status, status, "{name}: {:?}", replies[0]);
        let text = replies[0].text();
        assert!(
            text == expected || text.contains(expected),
            "{name}: {text}"
        );
        for token in ALL_TOKENS {
            assert!(!text.contains(token), "{name}: token echoed in {text}");
        }
    }
    let non_ascii = b"GET /me HTTP/1.1\r\nHost: x\r\nX-Api-Token: Bearer caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n".to_vec();
    let replies = server.exchange(non_ascii, vec![false]).await;
    assert_eq!(replies[0].status, 400, "{:?}", replies[0]);
    assert!(
        replies[0].text().contains("Invalid authorization header"),
        "{:?}",
        replies[0]
    );
    let obs_fold = format!("GET /me HTTP/1.1\r\nHost: x\r\nX-Api-Token: Bearer\r\n {ALICE}\r\nContent-Length: 0\r\n\r\n").into_bytes();
    let replies = server.exchange(obs_fold, vec![false]).await;
    assert_eq!(replies[0].status, 400, "{:?}", replies[0]);
    let control =
        b"GET /me HTTP/1.1\r\nHost: x\r\nX-Api-Token: Bearer ab\x01c\r\nContent-Length: 0\r\n\r\n"
            .to_vec();
    let replies = server.exchange(control, vec![false]).await;
    assert_eq!(replies[0].status, 400, "{:?}", replies[0]);
    assert!(replies[0].body.is_empty(), "{:?}", replies[0]);
    assert_eq!(
        replies[0].header("www-authenticate"),
        None,
        "{:?}",
        replies[0]
    );
    server.stop().await;
    log_capture::assert_no_line_contains(&ALL_TOKENS);
}
