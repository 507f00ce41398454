//! The example API's real server on 127.0.0.1 with a file-backed SQLite
//! database, driven by a real HTTP client.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::http::StatusCode;
use awc::Client;
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{Value, json};
use stateless_auth_examples::{db, server};
use stateless_auth_tests::server::{TestServer, awc_client};

/// Number of concurrent authenticated requests.
const CONCURRENT_REQUESTS: usize = 50;

/// Number of concurrent requests that present the same refresh token.
const CONCURRENT_REFRESHES: usize = 10;

/// Time the whole flow may take before the test fails.
const FLOW_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
struct Tokens {
    access_token: String,
    refresh_token: String,
    expiry: u64,
}

/// Client of the server at `addr`.
struct Api {
    client: Client,
    base: String,
}

impl Api {
    fn new(addr: SocketAddr) -> Api {
        let client = awc_client(Duration::from_secs(10));

        Api {
            client,
            base: format!("http://{addr}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send_json(&self, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let request = match method {
            "POST" => self.client.post(self.url(path)),
            "DELETE" => self.client.delete(self.url(path)),
            other => panic!("unsupported method {other}"),
        };

        let mut response = request.send_json(&body).await.unwrap();

        (response.status(), response.json().await.unwrap())
    }

    async fn with_token(&self, method: &str, path: &str, token: &str) -> (StatusCode, Value) {
        let request = match method {
            "GET" => self.client.get(self.url(path)),
            "PUT" => self.client.put(self.url(path)),
            other => panic!("unsupported method {other}"),
        };

        let mut response = request.bearer_auth(token).send().await.unwrap();

        (response.status(), response.json().await.unwrap())
    }
}

#[actix_web::test]
async fn server_serves_whole_flow() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("api.db").display());
    let pool = db::open(&database_url).await.unwrap();
    let running = TestServer::start_with(|listener| server::start(pool.clone(), listener));
    let addr = running.addr();

    let flow = actix_web::rt::time::timeout(FLOW_TIMEOUT, run_flow(Api::new(addr))).await;
    let serving = running.stop(true).await;
    let stopped = actix_web::rt::time::timeout(Duration::from_secs(10), serving).await;

    assert!(
        flow.is_ok(),
        "the flow did not finish within {FLOW_TIMEOUT:?}"
    );
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    let refused = Client::new().get(format!("http://{addr}/")).send().await;
    assert!(refused.is_err(), "the server still answers after stop");
    pool.close().await;
}

async fn run_flow(api: Api) {
    let mut index = api.client.get(api.url("/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.body().await.unwrap(), "hello");

    let (status, body) = api
        .send_json("POST", "/user", json!({"username": "alice"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api
        .send_json("POST", "/create_token", json!({"username": "alice"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tokens: Tokens = serde_json::from_value(body).unwrap();
    assert_eq!(tokens.expiry, 3600);

    let (status, body) = api.with_token("GET", "/whoami", &tokens.access_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["my_username"], "alice");

    concurrent_secrets(&api, &tokens.access_token).await;
    let tokens = concurrent_refreshes(&api, &tokens).await;

    let (status, body) = api.with_token("GET", "/secret", &tokens.access_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["secret"], "Stateless auth is awesome :O");

    let (status, _) = api
        .send_json("DELETE", "/delete_token", json!({"username": "alice"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = api.with_token("GET", "/secret", &tokens.access_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "Token error: Invalid token");

    let (status, _) = api
        .send_json("DELETE", "/user", json!({"username": "alice"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// Sends [`CONCURRENT_REQUESTS`] requests at once, half to `/secret` and half
/// to `/whoami`, and checks that every one succeeds.
async fn concurrent_secrets(api: &Api, access_token: &str) {
    let requests = (0..CONCURRENT_REQUESTS).map(|i| {
        let path = if i % 2 == 0 { "/secret" } else { "/whoami" };
        api.with_token("GET", path, access_token)
    });

    let replies = join_all(requests).await;

    for (status, body) in &replies {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let whoami = replies
        .iter()
        .filter(|(_, body)| body["my_username"] == "alice");
    assert_eq!(whoami.count(), CONCURRENT_REQUESTS / 2);
}

/// Presents the same refresh token [`CONCURRENT_REFRESHES`] times at once and
/// checks that exactly one request gets a new pair. Returns that pair.
async fn concurrent_refreshes(api: &Api, tokens: &Tokens) -> Tokens {
    let requests = (0..CONCURRENT_REFRESHES)
        .map(|_| api.with_token("PUT", "/refresh_token", &tokens.refresh_token));

    let replies = join_all(requests).await;

    let (created, rejected): (Vec<_>, Vec<_>) = replies
        .into_iter()
        .partition(|(status, _)| *status == StatusCode::CREATED);
    assert_eq!(created.len(), 1, "{created:?} {rejected:?}");
    for (status, body) in &rejected {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"], "Token error: Invalid token");
    }
    let new: Tokens = serde_json::from_value(created[0].1.clone()).unwrap();
    assert_ne!(new.refresh_token, tokens.refresh_token);
    let (status, _) = api.with_token("GET", "/secret", &tokens.access_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    new
}
