//! Client and server errors of the example API: each is a JSON body naming
//! the problem, never a panic.

mod common;

use actix_web::App;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use common::{Api, username_body};
use serde_json::Value;
use stateless_auth_examples::db;

fn post_raw(uri: &str, body: &'static str) -> TestRequest {
    TestRequest::post().uri(uri).set_payload(body)
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let api = Api::new().await;

    let reply = api.send(post_raw("/user", "{\"username\": ")).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().starts_with("Invalid JSON body: "),
        "{}",
        reply.error()
    );
}

#[actix_web::test]
async fn missing_username_field_is_400() {
    let api = Api::new().await;

    let reply = api
        .send(post_raw("/create_token", "{\"name\": \"alice\"}"))
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().contains("missing field `username`"),
        "{}",
        reply.error()
    );
}

#[actix_web::test]
async fn non_string_username_is_400() {
    let api = Api::new().await;

    let reply = api.send(post_raw("/user", "{\"username\": 42}")).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().starts_with("Invalid JSON body: "),
        "{}",
        reply.error()
    );
}

#[actix_web::test]
async fn json_without_content_type_is_accepted() {
    let api = Api::new().await;

    let reply = api
        .send(post_raw("/user", "{\"username\": \"alice\"}"))
        .await;

    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[actix_web::test]
async fn json_with_text_content_type_is_accepted() {
    let api = Api::new().await;
    let request = post_raw("/user", "{\"username\": \"alice\"}")
        .insert_header((header::CONTENT_TYPE, "text/plain"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[actix_web::test]
async fn oversized_body_is_413() {
    let api = Api::new().await;
    let request = TestRequest::post()
        .uri("/user")
        .set_json(username_body(&"a".repeat(10_000)));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.error(),
        "Request body is larger than the limit of 4096 bytes"
    );
}

#[actix_web::test]
async fn oversized_body_without_length_is_413() {
    // Without `Content-Length`, the JSON extractor finds the overflow while it
    // reads the body rather than from the header.
    let pool = stateless_auth_examples::db::open_in_memory().await.unwrap();
    let app = App::new().configure(stateless_auth_examples::configure(pool));
    let app = test::init_service(app).await;
    let body = serde_json::to_vec(&username_body(&"a".repeat(10_000))).unwrap();
    let mut request = TestRequest::post()
        .uri("/user")
        .set_payload(body)
        .to_request();
    request.headers_mut().remove(header::CONTENT_LENGTH);

    let response = test::call_service(&app, request).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(
        body["error"],
        "Request body is larger than the limit of 4096 bytes"
    );
}

#[actix_web::test]
async fn empty_username_is_400() {
    let api = Api::new().await;
    let request = TestRequest::post().uri("/user").set_json(username_body(""));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error(),
        "Invalid username: must not be empty or blank"
    );
}

#[actix_web::test]
async fn lookalike_username_is_400() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let padded = "Invalid username: must not start or end with whitespace";
    let invisible = "Invalid username: must not contain invisible characters, such as \
                     zero-width spaces and joiners, bidirectional controls or variation selectors";
    let cases = [
        (" alice", padded),
        ("alice ", padded),
        ("al\u{200B}ice", invisible),
        ("\u{200B}", invisible),
        ("\u{202E}ecila", invisible),
    ];

    for (username, expected) in cases {
        let request = TestRequest::post()
            .uri("/user")
            .set_json(username_body(username));

        let reply = api.send(request).await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{username:?}");
        assert_eq!(reply.error(), expected, "{username:?}");
    }
}

#[actix_web::test]
async fn duplicate_username_is_409() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let request = TestRequest::post()
        .uri("/user")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.error(), "Username \"alice\" is already taken");
}

#[actix_web::test]
async fn unknown_user_is_404_on_every_route() {
    let api = Api::new().await;
    let requests = [
        TestRequest::delete().uri("/user"),
        TestRequest::post().uri("/create_token"),
        TestRequest::delete().uri("/delete_token"),
    ];

    for request in requests {
        let reply = api.send(request.set_json(username_body("nobody"))).await;

        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(
            reply.error(),
            "User \"nobody\" not found; create it with POST /user"
        );
    }
}

#[actix_web::test]
async fn user_deleted_while_issuing_tokens_is_404() {
    // A concurrent `DELETE /user` can remove the user after `POST /create_token`
    // found it and before the token rows are inserted. A trigger that deletes the
    // user just before the first insert puts the database in that state.
    let api = Api::new().await;
    api.create_user("alice").await;
    sqlx::query(
        "CREATE TRIGGER delete_owner BEFORE INSERT ON api_tokens \
         BEGIN DELETE FROM users WHERE id = NEW.user_id; END",
    )
    .execute(&api.pool)
    .await
    .unwrap();
    let request = TestRequest::post()
        .uri("/create_token")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text());
    assert_eq!(
        reply.error(),
        "User \"alice\" not found; create it with POST /user"
    );
}

#[actix_web::test]
async fn wrong_method_on_known_path_is_405() {
    let api = Api::new().await;
    let requests = [
        TestRequest::post().uri("/secret"),
        TestRequest::put().uri("/whoami"),
        TestRequest::get().uri("/create_token"),
        TestRequest::get().uri("/refresh_token"),
        TestRequest::put().uri("/user"),
    ];

    for request in requests {
        let reply = api.send(request).await;

        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(reply.body.is_empty(), "{}", reply.text());
    }
}

#[actix_web::test]
async fn deleting_missing_token_pair_is_404() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let request = TestRequest::delete()
        .uri("/delete_token")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.error(),
        "User \"alice\" has no token pair; create one with POST /create_token"
    );
}

#[actix_web::test]
async fn database_error_is_500_without_details() {
    let api = Api::new().await;
    api.create_user("alice").await;
    sqlx::query("DROP TABLE api_tokens")
        .execute(&api.pool)
        .await
        .unwrap();
    let request = TestRequest::post()
        .uri("/create_token")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.error(), "Server error: Internal server error");
    assert!(!reply.text().contains("api_tokens"), "{}", reply.text());
}

#[actix_web::test]
async fn token_loader_database_error_is_500() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    sqlx::query("DROP TABLE api_tokens")
        .execute(&api.pool)
        .await
        .unwrap();

    let reply = api.get_with_token("/secret", &tokens.access_token).await;

    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.error(), "Server error: Internal server error");
    assert!(reply.challenge().is_none());
}

#[actix_web::test]
async fn read_only_database_fails_only_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.db");
    let writable = Api::on_pool(
        db::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    )
    .await;
    let tokens = writable.user_with_tokens("alice").await;
    writable.pool.close().await;
    let read_only = db::open(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    let api = Api::on_pool(read_only).await;
    let create_user = TestRequest::post()
        .uri("/user")
        .set_json(username_body("bob"));

    let whoami = api.get_with_token("/whoami", &tokens.access_token).await;
    let created = api.send(create_user).await;

    assert_eq!(whoami.status, StatusCode::OK, "{}", whoami.text());
    assert_eq!(whoami.json()["my_username"], "alice");
    assert_eq!(created.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(created.error(), "Server error: Internal server error");
}

#[actix_web::test]
async fn protected_route_without_token_is_400() {
    let api = Api::new().await;

    let reply = api.send(TestRequest::put().uri("/refresh_token")).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error(), "Request error: No token provided");
}
