//! How a `#[token_required]` handler extracts its parameters: authentication first
//! with the body untouched, one loader call shared by every parameter, and from none
//! up to 16 parameters of the handler's own.

mod macro_support;

use std::sync::Arc;

use actix_web::dev::{ConnectionInfo, PeerAddr};
use actix_web::http::header::ContentType;
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::{App, HttpRequest, HttpResponse, get, post, test, web};
use serde::Deserialize;
use stateless_auth::{
    CurrentToken, CurrentUser, OptionalUser, StatelessAuthManager, TokenRequired, token_required,
};

use crate::macro_support::{
    ALICE_ACCESS, Store, Token, User, bearer, call, error_field, manager, recording_payload,
};

#[derive(Deserialize)]
struct Note {
    text: String,
}

#[derive(Deserialize)]
struct Page {
    number: u32,
}

/// Adds a note. The body extractor comes first on purpose, and authentication still
/// runs before it.
#[post("/notes")]
#[token_required]
async fn add_note(web::Json(note): web::Json<Note>, user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Created().body(format!("{} wrote {}", user.name, note.text))
}

/// Returns what each extractor of the library extracted. All of them must share one
/// authentication.
#[get("/whoami")]
#[token_required]
async fn whoami(
    token: CurrentToken<Token>,
    user: CurrentUser<User>,
    optional: OptionalUser<User>,
) -> String {
    let optional_name = optional.user().map_or("nobody", |user| user.name.as_str());

    format!("{} {} {}", token.token_type, user.name, optional_name)
}

/// Returns `pong`, with no parameters of its own.
#[get("/ping")]
#[token_required]
async fn ping() -> &'static str {
    "pong"
}

/// Joins the values of sixteen parameters, the most a handler may have.
#[post("/sixteen/{id}")]
#[token_required]
async fn sixteen(
    user: CurrentUser<User>,
    token: CurrentToken<Token>,
    optional: OptionalUser<User>,
    guard: TokenRequired,
    req: HttpRequest,
    path: web::Path<u32>,
    query: web::Query<Page>,
    web::Json(note): web::Json<Note>,
    manager: web::Data<StatelessAuthManager>,
    method: Method,
    uri: Uri,
    connection: ConnectionInfo,
    content_type: Option<web::Header<ContentType>>,
    (): (),
    (again_path, again_query): (web::Path<u32>, web::Query<Page>),
    peer: Option<PeerAddr>,
) -> String {
    let values = [
        user.name.clone(),
        token.token_type.clone(),
        optional
            .user()
            .map_or("nobody", |user| user.name.as_str())
            .to_owned(),
        guard.authenticated().token_type().to_owned(),
        req.path().to_owned(),
        path.into_inner().to_string(),
        query.number.to_string(),
        note.text,
        manager.config().default_auth_type.clone(),
        method.to_string(),
        uri.query().unwrap_or_default().to_owned(),
        connection.host().to_owned(),
        content_type
            .map(|header| header.into_inner().to_string())
            .unwrap_or_default(),
        again_path.into_inner().to_string(),
        again_query.number.to_string(),
        peer.map(|peer| peer.0.to_string()).unwrap_or_default(),
    ];

    values.join(" | ")
}

fn app(
    store: &Arc<Store>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .app_data(web::Data::new(manager(store)))
        .service(add_note)
        .service(whoami)
        .service(ping)
        .service(sixteen)
}

#[actix_web::test]
async fn rejected_token_leaves_body_unread() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let (payload, polled) = recording_payload("{not json");
    let mut req = test::TestRequest::post()
        .uri("/notes")
        .insert_header(ContentType::json())
        .insert_header(bearer("unknown-token"))
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
    assert!(
        !polled.get(),
        "the body of an unauthenticated request was read"
    );
}

#[actix_web::test]
async fn missing_header_leaves_body_unread() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let (payload, polled) = recording_payload("{not json");
    let mut req = test::TestRequest::post()
        .uri("/notes")
        .insert_header(ContentType::json())
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "Request error: No token provided");
    assert!(
        !polled.get(),
        "the body of an unauthenticated request was read"
    );
}

#[actix_web::test]
async fn valid_token_with_broken_body_gets_json_error() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let (payload, polled) = recording_payload("{not json");
    let mut req = test::TestRequest::post()
        .uri("/notes")
        .insert_header(ContentType::json())
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("Json deserialize error"), "{body}");
    assert!(
        polled.get(),
        "the body of an authenticated request was not read"
    );
}

#[actix_web::test]
async fn valid_token_and_body_reach_handler() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let (payload, polled) = recording_payload(r#"{"text": "hello"}"#);
    let mut req = test::TestRequest::post()
        .uri("/notes")
        .insert_header(ContentType::json())
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, "alice wrote hello");
    assert!(polled.get());
}

#[actix_web::test]
async fn user_token_and_optional_user_share_one_loader_call() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "access alice alice");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn each_request_loads_once() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;

    for _ in 0..3 {
        let req = test::TestRequest::get()
            .uri("/whoami")
            .insert_header(bearer(ALICE_ACCESS))
            .to_request();
        let (status, _) = call(&app, req).await;
        assert_eq!(status, StatusCode::OK);
    }

    assert_eq!(store.token_loads(), 3);
    assert_eq!(store.user_loads(), 3);
}

#[actix_web::test]
async fn handler_without_parameters_is_guarded() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let accepted = test::TestRequest::get()
        .uri("/ping")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();
    let rejected = test::TestRequest::get()
        .uri("/ping")
        .insert_header(bearer("unknown-token"))
        .to_request();

    let (accepted_status, accepted_body) = call(&app, accepted).await;
    let (rejected_status, rejected_body) = call(&app, rejected).await;

    assert_eq!(accepted_status, StatusCode::OK);
    assert_eq!(accepted_body, "pong");
    assert_eq!(rejected_status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&rejected_body), "Token error: Invalid token");
}

#[actix_web::test]
async fn sixteen_parameters_are_extracted_after_one_authentication() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::post()
        .uri("/sixteen/42?number=7")
        .insert_header(bearer(ALICE_ACCESS))
        .insert_header(("Host", "api.example.test"))
        .peer_addr("127.0.0.1:4000".parse().expect("valid socket address"))
        .set_json(serde_json::json!({ "text": "hello" }))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        "alice | access | alice | access | /sixteen/42 | 42 | 7 | hello | Bearer | POST | \
         number=7 | api.example.test | application/json | 42 | 7 | 127.0.0.1:4000"
    );
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn sixteen_parameter_handler_leaves_body_unread_when_rejected() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let (payload, polled) = recording_payload(r#"{"text": "hello"}"#);
    let mut req = test::TestRequest::post()
        .uri("/sixteen/42?number=7")
        .insert_header(ContentType::json())
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "Request error: No token provided");
    assert!(
        !polled.get(),
        "the body of an unauthenticated request was read"
    );
}
