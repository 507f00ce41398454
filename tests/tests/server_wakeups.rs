//! Loaders that are still pending when an extractor first polls them must
//! complete once they are woken, on a real server on 127.0.0.1. The loaders wait
//! for SQLite queries through sqlx, a timer, a blocking thread, or a signal that
//! another thread sends later. A stopped server must drop pending loaders.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::rt::time::{sleep, timeout};
use actix_web::{App, HttpResponse, HttpServer, web};
use awc::Client;
use futures_util::future::join_all;
use stateless_auth::{
    Access, Authenticated, CurrentToken, CurrentUser, Guarded, OptionalUser, Refresh,
    StatelessAuthError, StatelessAuthManager, TokenRequired,
};
use stateless_auth_examples::api_token::{ApiToken, TokenPair};
use stateless_auth_examples::user::User as ApiUser;
use stateless_auth_examples::{auth, db};
use stateless_auth_tests::server::{TestServer, awc_client};
use stateless_auth_tests::{Calls, Token, User, count_listeners};

/// Time one request may take before the client gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a whole test may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Concurrent requests sent to each route.
const REQUESTS_PER_ROUTE: usize = 20;

/// Starts the app that `$factory` builds on 127.0.0.1 with two workers.
macro_rules! serve {
    ($factory:expr) => {
        TestServer::start(HttpServer::new($factory).workers(2).disable_signals())
    };
}

/// Sends a GET with `token` and returns the status, or `None` when the request
/// failed or timed out.
async fn get(client: &Client, url: &str, token: &str) -> Option<StatusCode> {
    let sent = client.get(url).bearer_auth(token).send();

    match timeout(REQUEST_TIMEOUT, sent).await {
        Ok(Ok(response)) => Some(response.status()),
        _ => None,
    }
}

async fn sql_guard_user(_: TokenRequired<Access>, user: CurrentUser<ApiUser>) -> HttpResponse {
    HttpResponse::Ok().body(user.username.clone())
}

async fn sql_user_guard(user: CurrentUser<ApiUser>, _: TokenRequired<Access>) -> HttpResponse {
    HttpResponse::Ok().body(user.username.clone())
}

async fn sql_guarded(
    guarded: Guarded<Access, (CurrentUser<ApiUser>, Authenticated)>,
) -> HttpResponse {
    let (user, _) = guarded.into_inner();
    HttpResponse::Ok().body(user.username.clone())
}

async fn sql_optional_token(
    user: OptionalUser<ApiUser>,
    _: CurrentToken<ApiToken>,
    _: TokenRequired<Access>,
) -> HttpResponse {
    HttpResponse::Ok().body(
        user.user()
            .map(|user| user.username.clone())
            .unwrap_or_default(),
    )
}

async fn sql_refresh(_: TokenRequired<Refresh>, token: CurrentToken<ApiToken>) -> HttpResponse {
    HttpResponse::Ok().body(token.token_type.clone())
}

#[actix_web::test]
async fn sqlite_loaders_complete_every_pairing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("wakeups.db").display());
    let pool = db::open(&url).await.unwrap();
    let alice = ApiUser::create(&pool, "alice").await.unwrap();
    let pair = TokenPair::issue(&pool, alice.id).await.unwrap();
    let (access, refresh) = (pair.access_token.as_str(), pair.refresh_token.as_str());
    let calls = Calls::default();
    let manager = web::Data::new(count_listeners(auth::auth_manager(pool.clone()), &calls));
    let server = serve!(move || {
        App::new()
            .app_data(manager.clone())
            .route("/guard_user", web::get().to(sql_guard_user))
            .route("/user_guard", web::get().to(sql_user_guard))
            .route("/guarded", web::get().to(sql_guarded))
            .route("/optional_token", web::get().to(sql_optional_token))
            .route("/refresh", web::get().to(sql_refresh))
    });
    let client = awc_client(REQUEST_TIMEOUT);
    let cases = [
        ("/guard_user", access, StatusCode::OK),
        ("/user_guard", access, StatusCode::OK),
        ("/guarded", access, StatusCode::OK),
        ("/optional_token", access, StatusCode::OK),
        ("/refresh", refresh, StatusCode::OK),
        ("/refresh", access, StatusCode::UNAUTHORIZED),
        ("/guard_user", refresh, StatusCode::UNAUTHORIZED),
        ("/user_guard", "unknown-token", StatusCode::UNAUTHORIZED),
        ("/guarded", "unknown-token", StatusCode::UNAUTHORIZED),
    ];
    let requests = cases.iter().flat_map(|&(path, token, _)| {
        let url = server.url(path);
        let client = &client;
        (0..REQUESTS_PER_ROUTE).map(move |_| {
            let url = url.clone();
            async move { get(client, &url, token).await }
        })
    });

    let statuses = timeout(TEST_TIMEOUT, join_all(requests)).await;
    server.stop(true).await;

    let statuses = statuses.expect("the requests did not finish in time");
    let expected = cases
        .iter()
        .flat_map(|&(_, _, status)| std::iter::repeat_n(Some(status), REQUESTS_PER_ROUTE));
    for (index, (status, expected)) in statuses.iter().zip(expected).enumerate() {
        assert_eq!(*status, expected, "request {index}");
    }
    let accepted = 5 * REQUESTS_PER_ROUTE;
    let rejected = 4 * REQUESTS_PER_ROUTE;
    assert_eq!(calls.counts(), (accepted, rejected, 0));
    pool.close().await;
}

/// A one-shot signal that another thread sends. Its futures register the waker of
/// every poll, as the `Future` contract requires.
#[derive(Clone, Default)]
struct Signal {
    state: Arc<Mutex<(bool, Vec<Waker>)>>,
}

impl Signal {
    fn send(&self) {
        let wakers = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            std::mem::take(&mut state.1)
        };
        for waker in wakers {
            waker.wake();
        }
    }

    fn wait(&self) -> SignalFuture {
        SignalFuture {
            signal: self.clone(),
        }
    }
}

struct SignalFuture {
    signal: Signal,
}

impl Future for SignalFuture {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.state.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }

        // Waiting futures of other requests keep their wakers. A waker that an
        // earlier poll of this future left is woken too, at the cost of one
        // spurious poll.
        state.1.push(cx.waker().clone());
        Poll::Pending
    }
}

/// Counts its drops, to show that a loader's future was dropped.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The shared state of [`waiting_manager`]'s loaders.
#[derive(Clone, Default)]
struct Waits {
    signal: Signal,
    started: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

/// Creates a manager whose token loader waits according to the token: `signal` for
/// [`Waits::signal`], `timer` for a 20 ms timer, `thread` for a blocking thread,
/// `never` for ever. Every token is an access token of alice.
fn waiting_manager(waits: &Waits) -> StatelessAuthManager {
    let waits = waits.clone();

    StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| {
            waits.started.fetch_add(1, Ordering::SeqCst);
            let _counter = DropCounter(Arc::clone(&waits.dropped));
            match token {
                "signal" => waits.signal.wait().await,
                "timer" => sleep(Duration::from_millis(20)).await,
                "thread" => {
                    let thread = actix_web::rt::task::spawn_blocking(|| {
                        std::thread::sleep(Duration::from_millis(20));
                    });
                    thread.await.unwrap();
                }
                "never" => std::future::pending::<()>().await,
                _ => return Ok(None),
            }

            Ok::<_, StatelessAuthError>(Some(Token {
                user: "alice".to_owned(),
                token_type: "access".to_owned(),
                expired: false,
                scopes: Vec::new(),
            }))
        },
        async |token: &Token| {
            Ok(Some(User {
                name: token.user.clone(),
                active: true,
            }))
        },
    )
}

async fn guard_then_user(_: TokenRequired<Access>, user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name.clone())
}

async fn user_then_guarded(
    user: CurrentUser<User>,
    _: Guarded<Access, (CurrentToken<Token>,)>,
) -> HttpResponse {
    HttpResponse::Ok().body(user.name.clone())
}

/// Waits up to 2 s, in steps of 10 ms, for `counter` to reach `target`, and
/// returns its last value.
async fn wait_for_count(counter: &AtomicUsize, target: usize) -> usize {
    for _ in 0..200 {
        let count = counter.load(Ordering::SeqCst);
        if count >= target {
            return count;
        }
        sleep(Duration::from_millis(10)).await;
    }

    counter.load(Ordering::SeqCst)
}

#[actix_web::test]
async fn loader_woken_later_completes() {
    let waits = Waits::default();
    let manager = web::Data::new(waiting_manager(&waits));
    let server = serve!(move || {
        App::new()
            .app_data(manager.clone())
            .route("/guard_then_user", web::get().to(guard_then_user))
            .route("/user_then_guarded", web::get().to(user_then_guarded))
    });
    let client = awc_client(REQUEST_TIMEOUT);
    let paths = ["/guard_then_user", "/user_then_guarded"];
    let waiting = paths.map(|path| {
        let (client, url) = (client.clone(), server.url(path));
        actix_web::rt::spawn(async move { get(&client, &url, "signal").await })
    });
    let timed = ["timer", "thread"].into_iter().flat_map(|token| {
        paths.map(|path| {
            let (client, url) = (client.clone(), server.url(path));
            actix_web::rt::spawn(async move { get(&client, &url, token).await })
        })
    });
    let timed: Vec<_> = timed.collect();

    let started = wait_for_count(&waits.started, 6).await;
    sleep(Duration::from_millis(50)).await;
    let sender = waits.signal.clone();
    std::thread::spawn(move || sender.send()).join().unwrap();
    let signalled = timeout(TEST_TIMEOUT, join_all(waiting)).await;
    let timed = timeout(TEST_TIMEOUT, join_all(timed)).await;
    server.stop(true).await;

    assert_eq!(started, 6, "loaders started before the signal");
    let signalled = signalled.expect("the signalled requests did not finish in time");
    for status in signalled {
        assert_eq!(status.unwrap(), Some(StatusCode::OK));
    }
    let timed = timed.expect("the timed requests did not finish in time");
    for status in timed {
        assert_eq!(status.unwrap(), Some(StatusCode::OK));
    }
}

#[actix_web::test]
async fn stopped_server_drops_pending_loader() {
    let waits = Waits::default();
    let manager = web::Data::new(waiting_manager(&waits));
    let server = serve!(move || {
        App::new()
            .app_data(manager.clone())
            .route("/guard_then_user", web::get().to(guard_then_user))
    });
    let client = awc_client(Duration::from_millis(300));

    let abandoned = client
        .get(server.url("/guard_then_user"))
        .bearer_auth("never")
        .send()
        .await;
    drop(client);
    // NOTE: actix-web keeps serving a request whose client left until it writes
    // the response, so only stopping the server ends this one.
    timeout(TEST_TIMEOUT, server.stop(false)).await.unwrap();
    let dropped = wait_for_count(&waits.dropped, 1).await;

    assert!(abandoned.is_err(), "{abandoned:?}");
    assert_eq!(waits.started.load(Ordering::SeqCst), 1);
    assert_eq!(dropped, 1, "the pending loader outlived its server");
}
