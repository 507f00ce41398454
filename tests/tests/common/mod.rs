//! The example API under `actix_web::test`, with helpers shared by its tests.

#![allow(dead_code)]

use std::rc::Rc;

use actix_web::App;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::SqlitePool;

/// Status, headers and body of a response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Parses the body as JSON, failing the test with the body text otherwise.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {:?}", self.text()))
    }

    /// Returns the body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Returns the `error` field of a JSON error body.
    pub fn error(&self) -> String {
        let body = self.json();

        body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field in {body}"))
            .to_owned()
    }

    /// Returns the `WWW-Authenticate` header as text.
    pub fn challenge(&self) -> Option<&str> {
        self.headers
            .get(header::WWW_AUTHENTICATE)
            .map(|value| value.to_str().unwrap())
    }
}

/// Token pair as returned by `POST /create_token` and `PUT /refresh_token`.
#[derive(Clone, Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expiry: u64,
}

type Call = Box<dyn Fn(TestRequest) -> LocalBoxFuture<'static, Reply>>;

/// The example API on a fresh in-memory database.
pub struct Api {
    /// Pool of the API's database, for arranging and inspecting rows directly.
    pub pool: SqlitePool,
    call: Call,
}

impl Api {
    /// Builds the example API on a new in-memory database.
    pub async fn new() -> Api {
        let pool = stateless_auth_examples::db::open_in_memory().await.unwrap();

        Api::on_pool(pool).await
    }

    /// Builds the example API on the database of `pool`.
    pub async fn on_pool(pool: SqlitePool) -> Api {
        let app = App::new().configure(stateless_auth_examples::configure(pool.clone()));
        let service = Rc::new(test::init_service(app).await);

        // The closure erases the service type, which names a request type of
        // actix-http that this package does not depend on.
        let call = move |request: TestRequest| {
            let service = Rc::clone(&service);
            async move { send(&*service, request.to_request()).await }.boxed_local()
        };
        Api {
            pool,
            call: Box::new(call),
        }
    }

    /// Sends `request` and reads the whole response.
    pub async fn send(&self, request: TestRequest) -> Reply {
        (self.call)(request).await
    }

    /// Sends a `GET` request to `uri` with `token` as bearer token.
    pub async fn get_with_token(&self, uri: &str, token: &str) -> Reply {
        self.send(TestRequest::get().uri(uri).insert_header(bearer(token)))
            .await
    }

    /// Creates a user through `POST /user`, asserting the 201 response.
    pub async fn create_user(&self, username: &str) {
        let request = TestRequest::post()
            .uri("/user")
            .set_json(username_body(username));

        let reply = self.send(request).await;

        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }

    /// Issues a token pair through `POST /create_token`, asserting the 201
    /// response.
    pub async fn create_token(&self, username: &str) -> Tokens {
        let request = TestRequest::post()
            .uri("/create_token")
            .set_json(username_body(username));

        let reply = self.send(request).await;

        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// Creates a user and issues its token pair.
    pub async fn user_with_tokens(&self, username: &str) -> Tokens {
        self.create_user(username).await;

        self.create_token(username).await
    }

    /// Returns the id of the user named `username`, read from the database.
    pub async fn user_id(&self, username: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(username)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Sends `request` to `service` and reads the whole response.
async fn send<S, R, B>(service: &S, request: R) -> Reply
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(service, request).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;

    Reply {
        status,
        headers,
        body,
    }
}

/// Returns the `Authorization` header that presents `token` as a bearer token.
pub fn bearer(token: &str) -> (HeaderName, String) {
    (header::AUTHORIZATION, format!("Bearer {token}"))
}

/// Returns the `{"username": ...}` body.
pub fn username_body(username: &str) -> Value {
    json!({ "username": username })
}
