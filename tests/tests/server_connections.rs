//! Many requests on one keep-alive connection, pipelined, and many such
//! connections at once to a real server on 127.0.0.1: each reply and each
//! listener call must belong to its own request, whatever the requests before it
//! on the connection did. actix-web reuses its `HttpRequest` objects between
//! requests, and the authentication of a request lives in its extensions.
#![forbid(unsafe_code)]

mod log_capture;
mod raw_http;

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::middleware::Logger;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use raw_http::{Reply, ReplyReader};
use stateless_auth::{
    CurrentUser, OptionalUser, Refresh, StatelessAuthError, StatelessAuthManager, TokenMixin,
    TokenRequired, UserMixin, token_required,
};
use stateless_auth_tests::server::TestServer;
use tokio::sync::Notify;

/// Time one read or write on a raw connection may take before the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Token that the token loader does not find.
const UNKNOWN: &str = "nobody-Zx81";

/// Token model: its owner, and what the user loader does for it.
struct Token {
    user: String,
    user_step: Step,
}

impl TokenMixin for Token {}

struct User {
    name: String,
}

impl UserMixin for User {}

/// What a loader does before it returns, parsed from one part of the token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waits this many milliseconds on a timer, or returns at once for 0.
    Sleep(u64),
    /// Waits 1 ms on a timer, then panics.
    Panic,
    /// Waits until the test sends the server's `gate` signal.
    Gate,
}

impl Step {
    fn parse(part: &str) -> Option<Step> {
        match part {
            "panic" => Some(Step::Panic),
            "gate" => Some(Step::Gate),
            ms => ms.parse().ok().map(Step::Sleep),
        }
    }

    async fn run(self, gate: &Notify) {
        match self {
            Step::Sleep(0) => {}
            Step::Sleep(ms) => actix_web::rt::time::sleep(Duration::from_millis(ms)).await,
            Step::Panic => {
                actix_web::rt::time::sleep(Duration::from_millis(1)).await;
                panic!("a loader panicked on purpose after an await");
            }
            Step::Gate => gate.notified().await,
        }
    }
}

/// Builds a token `<user>.<token type>.<token loader step>.<user loader step>`,
/// such as `u7.access.3.0`, where a step is a number of milliseconds, `panic`
/// or `gate`.
fn token(user: &str, token_type: &str, token_step: &str, user_step: &str) -> String {
    format!("{user}.{token_type}.{token_step}.{user_step}")
}

/// What the server's loaders and listeners did.
#[derive(Default)]
struct Record {
    /// One line per listener call: `<request id> authorized <user>` or
    /// `<request id> rejected <status>`.
    calls: Mutex<Vec<String>>,
    /// User loader futures that started.
    users_started: AtomicUsize,
    /// User loader futures that completed.
    users_loaded: AtomicUsize,
    /// User loader futures dropped before they completed.
    users_abandoned: AtomicUsize,
}

impl Record {
    fn push(&self, call: String) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }

    fn calls(&self) -> Vec<String> {
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        calls.sort();
        calls
    }
}

/// Increments `users_abandoned` when dropped, unless disarmed.
struct AbandonGuard<'a> {
    record: &'a Record,
    armed: bool,
}

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.record.users_abandoned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Returns the `X-Request-Id` header of `req`, or `-` without one.
fn request_id(req: &HttpRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// Creates a manager whose token loader accepts every token that [`token`] builds
/// for the route's token type, and whose listeners write to `record`.
fn manager(record: &Arc<Record>, gate: &Arc<Notify>) -> StatelessAuthManager {
    let token_gate = Arc::clone(gate);
    let user_gate = Arc::clone(gate);
    let user_record = Arc::clone(record);
    let authorized = Arc::clone(record);
    let rejected = Arc::clone(record);

    StatelessAuthManager::new(
        async move |token: &str,
                    token_type: &str,
                    _: &str|
                    -> Result<Option<Token>, StatelessAuthError> {
            let parts: Vec<&str> = token.split('.').collect();
            let [user, kind, token_step, user_step] = parts[..] else {
                return Ok(None);
            };
            let (Some(token_step), Some(user_step)) =
                (Step::parse(token_step), Step::parse(user_step))
            else {
                return Ok(None);
            };
            let user = user.to_owned();

            token_step.run(&token_gate).await;
            Ok((kind == token_type).then_some(Token { user, user_step }))
        },
        async move |token: &Token| {
            user_record.users_started.fetch_add(1, Ordering::SeqCst);
            let mut guard = AbandonGuard {
                record: &user_record,
                armed: true,
            };
            token.user_step.run(&user_gate).await;
            guard.armed = false;
            user_record.users_loaded.fetch_add(1, Ordering::SeqCst);

            Ok(Some(User {
                name: token.user.clone(),
            }))
        },
    )
    .on_authorized(move |req, authenticated| {
        let user = authenticated.user::<User>().map_or("?", |user| &user.name);
        authorized.push(format!("{} authorized {user}", request_id(req)));
    })
    .on_unauthorized(move |req, err| {
        rejected.push(format!(
            "{} rejected {}",
            request_id(req),
            err.code().as_u16()
        ));
    })
}

#[token_required]
async fn me(req: HttpRequest, user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {}", request_id(&req), user.name))
}

async fn refresh(
    req: HttpRequest,
    _: TokenRequired<Refresh>,
    user: CurrentUser<User>,
) -> HttpResponse {
    HttpResponse::Ok().body(format!("{} {}", request_id(&req), user.name))
}

async fn optional(req: HttpRequest, user: OptionalUser<User>) -> HttpResponse {
    let name = user.user().map_or("stranger", |user| &user.name);

    HttpResponse::Ok().body(format!("{} {name}", request_id(&req)))
}

/// A real server on 127.0.0.1.
struct Server {
    running: TestServer,
    record: Arc<Record>,
    gate: Arc<Notify>,
}

impl Server {
    fn start(workers: usize) -> Server {
        log_capture::install();
        let record = Arc::new(Record::default());
        let gate = Arc::new(Notify::new());
        let manager = web::Data::new(manager(&record, &gate));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(manager.clone())
                .wrap(Logger::default())
                .route("/me", web::get().to(me))
                .route("/refresh", web::get().to(refresh))
                .route("/optional", web::get().to(optional))
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(1);

        Server {
            running: TestServer::start(server),
            record,
            gate,
        }
    }

    async fn stop(self) {
        self.running.stop(true).await;
    }
}

/// One request of a pipeline and what must come back for it.
struct Case {
    bytes: Vec<u8>,
    status: u16,
    /// The body of a 200 reply.
    body: Option<String>,
    /// The listener call that the request must cause, if any.
    call: Option<String>,
    /// The bearer token sent, which no log line may contain.
    token: Option<String>,
}

/// Builds the request `id` of kind `id % 11` for user `user`, whose loaders wait
/// a few milliseconds that vary with `id`.
fn case(id: usize, user: &str) -> Case {
    let delay = (id % 4).to_string();
    let valid = token(user, "access", &delay, &(id % 3).to_string());
    let (path, token, status) = match id % 11 {
        0 => ("/me", Some(valid), 200),
        1 => ("/me", Some(UNKNOWN.to_owned()), 401),
        2 => ("/me", None, 400),
        3 => ("/me", Some(format!("{user}.access.0.0,x")), 400),
        4 => ("/me", Some(token(user, "refresh", &delay, "0")), 401),
        5 => ("/optional", None, 200),
        6 => ("/optional", Some(valid), 200),
        7 => ("/refresh", Some(token(user, "refresh", "0", &delay)), 200),
        8 => ("/refresh", Some(valid), 401),
        9 => ("/me", Some(token(user, "access", "panic", "0")), 500),
        _ => (
            "/optional",
            Some(token(user, "access", &delay, "panic")),
            500,
        ),
    };

    let mut head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: {id}\r\n");
    if let Some(token) = &token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    let stranger = token.is_none() && path == "/optional";
    let name = if stranger { "stranger" } else { user };
    let call = match (status, stranger) {
        (200, true) => None,
        (200, false) => Some(format!("{id} authorized {user}")),
        _ => Some(format!("{id} rejected {status}")),
    };

    Case {
        bytes: head.into_bytes(),
        status,
        body: (status == 200).then(|| format!("{id} {name}")),
        call,
        token,
    }
}

/// Writes every request of `cases` at once on one new connection, then reads
/// one reply per request.
fn pipeline(addr: SocketAddr, cases: &[Case]) -> Vec<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let bytes: Vec<u8> = cases.iter().flat_map(|case| case.bytes.clone()).collect();

    stream.write_all(&bytes).unwrap();
    let mut reader = ReplyReader::new(stream);

    cases.iter().map(|_| reader.next(false)).collect()
}

/// Checks each reply against its case, naming the connection `name` on failure.
fn assert_replies(name: &str, cases: &[Case], replies: &[Reply]) {
    for (id, (case, reply)) in cases.iter().zip(replies).enumerate() {
        assert_eq!(reply.status, case.status, "{name}, request {id}: {reply:?}");
        if let Some(body) = &case.body {
            assert_eq!(&reply.text(), body, "{name}, request {id}");
        }
        if case.status == 500 {
            assert_eq!(
                reply.json()["error"],
                "Server error: Internal server error",
                "{name}, request {id}"
            );
        }
    }
}

/// Returns the sorted listener calls that `cases` must cause.
fn expected_calls<'a>(cases: impl IntoIterator<Item = &'a Case>) -> Vec<String> {
    let mut calls: Vec<String> = cases
        .into_iter()
        .filter_map(|case| case.call.clone())
        .collect();
    calls.sort();
    calls
}

#[actix_web::test]
async fn pipelined_requests_keep_own_outcomes() {
    const REQUESTS: usize = 66;
    let server = Server::start(1);
    let cases: Vec<Case> = (0..REQUESTS)
        .map(|id| case(id, &format!("user{}", id % 7)))
        .collect();
    let addr = server.running.addr();

    let (cases, replies) = actix_web::rt::task::spawn_blocking(move || {
        let replies = pipeline(addr, &cases);
        (cases, replies)
    })
    .await
    .unwrap();
    let calls = server.record.calls();
    server.stop().await;

    assert_replies("one connection", &cases, &replies);
    assert_eq!(calls, expected_calls(&cases));
    let tokens: Vec<&str> = cases
        .iter()
        .filter_map(|case| case.token.as_deref())
        .collect();
    log_capture::assert_no_line_contains(&tokens);
}

#[actix_web::test]
async fn concurrent_connections_name_own_users() {
    const CONNECTIONS: usize = 8;
    const REQUESTS: usize = 22;
    let server = Server::start(2);
    let addr = server.running.addr();

    let connections: Vec<_> = (0..CONNECTIONS)
        .map(|connection| {
            actix_web::rt::task::spawn_blocking(move || {
                // Each request names a user of its own, so a reply or a listener
                // call for another request shows in the name.
                let cases: Vec<Case> = (0..REQUESTS)
                    .map(|id| case(id, &format!("c{connection}r{id}")))
                    .collect();
                let replies = pipeline(addr, &cases);
                (cases, replies)
            })
        })
        .collect();
    let results = futures_util::future::join_all(connections).await;
    let calls = server.record.calls();
    server.stop().await;

    let mut all_cases = Vec::new();
    for (connection, result) in results.into_iter().enumerate() {
        let (cases, replies) = result.unwrap();
        assert_replies(&format!("connection {connection}"), &cases, &replies);
        all_cases.extend(cases);
    }
    assert_eq!(calls, expected_calls(&all_cases));
}

/// Polls `counter` every 10 ms until it reaches `target`, for at most 5 seconds,
/// and returns its last value.
async fn wait_for(counter: &AtomicUsize, target: usize) -> usize {
    for _ in 0..500 {
        let count = counter.load(Ordering::SeqCst);
        if count >= target {
            return count;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }

    counter.load(Ordering::SeqCst)
}

#[actix_web::test]
async fn abandoned_user_loader_leaves_worker_serving() {
    let server = Server::start(1);
    let addr = server.running.addr();
    let waiting = token("gated", "access", "0", "gate");
    let request = format!(
        "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: 1\r\nAuthorization: Bearer {waiting}\r\n\r\n"
    );
    let stream = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        stream
    })
    .await
    .unwrap();

    // Closing the connection while the user loader waits for the gate leaves the
    // loader pending on the only worker.
    let started = wait_for(&server.record.users_started, 1).await;
    stream.shutdown(Shutdown::Both).unwrap();
    drop(stream);
    let next = case(0, "next");
    let next_replies = actix_web::rt::task::spawn_blocking(move || {
        let replies = pipeline(addr, std::slice::from_ref(&next));
        (next, replies)
    })
    .await
    .unwrap();
    let calls_while_pending = server.record.calls();
    // A permit, in case the loader has not yet registered as a waiter.
    server.gate.notify_one();
    let loaded = wait_for(&server.record.users_loaded, 2).await;
    let calls = server.record.calls();
    let abandoned = server.record.users_abandoned.load(Ordering::SeqCst);
    server.stop().await;

    let (next, replies) = next_replies;
    assert_eq!(started, 1, "the user loader never started");
    assert_replies("next connection", std::slice::from_ref(&next), &replies);
    assert_eq!(calls_while_pending, ["0 authorized next"]);
    assert_eq!(loaded, 2, "the abandoned user loader never completed");
    assert_eq!(calls, ["0 authorized next", "1 authorized gated"]);
    assert_eq!(abandoned, 0);
}
