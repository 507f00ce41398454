//! A real actix-web server on 127.0.0.1 for the tests that talk to one over TCP.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use actix_http::{Request, Response};
use actix_service::IntoServiceFactory;
use actix_web::HttpServer;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServerHandle, Service, ServiceFactory};
use actix_web::rt::task::JoinHandle;

/// A server spawned on the test's actix runtime, listening on 127.0.0.1 on a
/// port that the operating system picked.
///
/// Dropping it before [`stop`](TestServer::stop), as a failed assertion does,
/// aborts the server's task. actix-server 2.10 closes the listener and stops the
/// workers when that task is dropped, which happens at the latest when the
/// test's runtime shuts down.
pub struct TestServer {
    addr: SocketAddr,
    handle: ServerHandle,
    /// The spawned server's task, until `stop` returns it.
    serving: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Starts `server` on 127.0.0.1 with the workers and settings it was built with.
    pub fn start<F, I, S, B>(server: HttpServer<F, I, S, B>) -> TestServer
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<actix_web::Error> + 'static,
        S::InitError: fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        TestServer::start_with(|listener| Ok(server.listen(listener)?.run()))
    }

    /// Binds a listener on 127.0.0.1 with a port that the operating system picks,
    /// builds a server on it with `build`, and spawns the server on the current
    /// actix runtime.
    pub fn start_with(build: impl FnOnce(TcpListener) -> io::Result<Server>) -> TestServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();

        let server = build(listener).unwrap();
        let handle = server.handle();
        let serving = actix_web::rt::spawn(server);

        TestServer {
            addr,
            handle,
            serving: Some(serving),
        }
    }

    /// Returns the address that the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the URL of `path` on this server, such as `http://127.0.0.1:40123/me`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server, gracefully when `graceful` is true, as
    /// [`ServerHandle::stop`] does. Returns the server's task, which ends with
    /// the server's result.
    pub async fn stop(mut self, graceful: bool) -> JoinHandle<io::Result<()>> {
        self.handle.stop(graceful).await;

        self.serving
            .take()
            .expect("a TestServer is stopped at most once")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            serving.abort();
        }
    }
}

/// Builds an awc client whose requests fail after `timeout`.
pub fn awc_client(timeout: Duration) -> awc::Client {
    awc::Client::builder().timeout(timeout).finish()
}
