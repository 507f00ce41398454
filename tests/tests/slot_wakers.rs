//! Wake-ups of extractor futures that wait for the shared loaders.
//!
//! `actix_web::test` polls a request's future whenever any task of the test's
//! runtime wakes, which would hide a task that is never woken. So each future here
//! is polled by hand with a counting waker of its own, as two tasks that extract
//! from clones of one request would poll it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, test, web};
use stateless_auth::{
    Access, CurrentUser, Refresh, StatelessAuthError, StatelessAuthManager, TokenMixin,
    TokenRequired, UserMixin,
};

struct Token;

impl TokenMixin for Token {}

struct User;

impl UserMixin for User {}

/// A gate that the token loader waits at until the test opens it. It keeps only
/// the waker of its last poll, as the `Future` contract allows.
#[derive(Default)]
struct Gate {
    open: bool,
    waker: Option<Waker>,
}

fn open(gate: &Mutex<Gate>) {
    let waker = {
        let mut gate = gate.lock().unwrap();
        gate.open = true;
        gate.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Opens `gate` and wakes the waker of its last poll, but returns that waker
/// instead of dropping it, as a channel's sender keeps the receiver's waker.
fn open_keeping_waker(gate: &Mutex<Gate>) -> Option<Waker> {
    let waker = {
        let mut gate = gate.lock().unwrap();
        gate.open = true;
        gate.waker.clone()
    };
    if let Some(waker) = &waker {
        waker.wake_by_ref();
    }

    waker
}

struct WaitAtGate(Arc<Mutex<Gate>>);

impl Future for WaitAtGate {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut gate = self.0.lock().unwrap();
        if gate.open {
            return Poll::Ready(());
        }

        gate.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Counter {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn gated_request(gate: &Arc<Mutex<Gate>>) -> HttpRequest {
    let gate = Arc::clone(gate);
    let manager = StatelessAuthManager::new(
        async move |_: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            WaitAtGate(Arc::clone(&gate)).await;
            Ok(Some(Token))
        },
        async |_: &Token| Ok(Some(User)),
    );

    test::TestRequest::get()
        .app_data(web::Data::new(manager))
        .insert_header((AUTHORIZATION, "Bearer valid"))
        .to_http_request()
}

fn poll_with<F: Future + Unpin>(future: &mut F, counter: &Arc<Counter>) -> Poll<F::Output> {
    let waker = Waker::from(Arc::clone(counter));
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Creates the extractor futures of two tasks that read the user from clones of
/// `req`, and polls each once with its task's waker, so both wait for the loaders.
fn two_waiting_readers(
    req: &HttpRequest,
    first_waker: &Arc<Counter>,
    second_waker: &Arc<Counter>,
) -> (ReaderFuture, ReaderFuture) {
    let mut first = CurrentUser::<User>::from_request(req, &mut Payload::None);
    let mut second = CurrentUser::<User>::from_request(&req.clone(), &mut Payload::None);

    assert!(poll_with(&mut first, first_waker).is_pending());
    assert!(poll_with(&mut second, second_waker).is_pending());
    (first, second)
}

type ReaderFuture = <CurrentUser<User> as FromRequest>::Future;

/// Asserts that the test holds the only reference to the waker of the `task`
/// task, so that neither the slot nor the loaders kept it.
fn assert_released(waker: &Arc<Counter>, task: &str) {
    assert_eq!(
        Arc::strong_count(waker),
        1,
        "the {task} task's waker outlived the loaders"
    );
}

#[actix_web::test]
async fn loaders_wake_both_waiting_tasks() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let first_waker = Arc::new(Counter::default());
    let second_waker = Arc::new(Counter::default());
    let (mut first, mut second) = two_waiting_readers(&req, &first_waker, &second_waker);

    open(&gate);

    assert_eq!((first_waker.count(), second_waker.count()), (1, 1));
    assert!(poll_with(&mut second, &second_waker).is_ready());
    assert!(poll_with(&mut first, &first_waker).is_ready());
    assert_released(&first_waker, "first");
    assert_released(&second_waker, "second");
}

// The gate opens without a wake, so the loaders complete in a poll that the
// second task makes for a reason of its own.
#[actix_web::test]
async fn completing_task_wakes_other_waiter() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let first_waker = Arc::new(Counter::default());
    let second_waker = Arc::new(Counter::default());
    let (mut first, mut second) = two_waiting_readers(&req, &first_waker, &second_waker);
    gate.lock().unwrap().open = true;

    let completed = poll_with(&mut second, &second_waker);

    assert!(completed.is_ready());
    assert_eq!(first_waker.count(), 1, "the first task was not woken");
    assert_eq!(second_waker.count(), 0, "the completing task woke itself");
    assert!(poll_with(&mut first, &first_waker).is_ready());
}

// A guard of another token type replaces the readers' loaders and drops the
// gate's only waker with them.
#[actix_web::test]
async fn replaced_loaders_wake_every_waiter() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let first_waker = Arc::new(Counter::default());
    let second_waker = Arc::new(Counter::default());
    let (mut first, mut second) = two_waiting_readers(&req, &first_waker, &second_waker);

    let guard = TokenRequired::<Refresh>::from_request(&req, &mut Payload::None);

    assert_eq!(first_waker.count(), 1, "the first task was not woken");
    assert_eq!(second_waker.count(), 1, "the second task was not woken");
    drop(guard);
    open(&gate);
    assert!(poll_with(&mut first, &first_waker).is_ready());
    assert!(poll_with(&mut second, &second_waker).is_ready());
}

// Each task polls again while the loaders wait, as a task does after a wake-up
// for a reason of its own.
#[actix_web::test]
async fn repolled_tasks_are_each_woken_once() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let first_waker = Arc::new(Counter::default());
    let second_waker = Arc::new(Counter::default());
    let (mut first, mut second) = two_waiting_readers(&req, &first_waker, &second_waker);
    assert!(poll_with(&mut first, &first_waker).is_pending());
    assert!(poll_with(&mut second, &second_waker).is_pending());
    assert!(poll_with(&mut first, &first_waker).is_pending());

    open(&gate);

    assert_eq!(
        second_waker.count(),
        1,
        "the second task was not woken once"
    );
    assert_eq!(first_waker.count(), 1, "the first task was not woken once");
    assert!(poll_with(&mut second, &second_waker).is_ready());
    assert!(poll_with(&mut first, &first_waker).is_ready());
}

// A resource that the loaders wait on, such as a channel, may keep the waker of
// their last poll after they complete.
#[actix_web::test]
async fn completed_loaders_release_task_wakers() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let first_waker = Arc::new(Counter::default());
    let second_waker = Arc::new(Counter::default());
    let (mut first, mut second) = two_waiting_readers(&req, &first_waker, &second_waker);

    let kept = open_keeping_waker(&gate);

    assert!(poll_with(&mut second, &second_waker).is_ready());
    assert!(poll_with(&mut first, &first_waker).is_ready());
    assert!(kept.is_some(), "the loaders registered no waker");
    assert_released(&first_waker, "first");
    assert_released(&second_waker, "second");
}

// The access guard starts the loaders and is dropped unpolled, so the refresh
// guard that conflicts with it polls them alone. The poll that completes them
// settles the conflict only at the next poll, which needs a wake-up of its own.
#[actix_web::test]
async fn conflicting_guard_wakes_after_completing_loaders() {
    let gate = Arc::new(Mutex::new(Gate::default()));
    let req = gated_request(&gate);
    let waker = Arc::new(Counter::default());
    let first = TokenRequired::<Access>::from_request(&req, &mut Payload::None);
    let mut later = TokenRequired::<Refresh>::from_request(&req, &mut Payload::None);
    drop(first);
    assert!(poll_with(&mut later, &waker).is_pending());

    gate.lock().unwrap().open = true;
    let completing = poll_with(&mut later, &waker);

    assert!(
        completing.is_pending(),
        "the conflict settled in the completing poll"
    );
    assert_eq!(waker.count(), 1, "the task was not woken for the next poll");
    let Poll::Ready(Err(err)) = poll_with(&mut later, &waker) else {
        panic!("the conflicting guard did not fail at its next poll");
    };
    assert_eq!(err.error_response().status(), 500);
    assert_eq!(waker.count(), 1, "the settled guard woke its task again");
}
