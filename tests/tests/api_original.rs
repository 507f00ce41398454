//! The scenarios of Flask-Stateless-Auth's own test suite, run against the
//! SQLite example API.

mod common;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use common::{Api, bearer, username_body};

const SECRET: &str = "Stateless auth is awesome :O";

#[actix_web::test]
async fn index_returns_hello() {
    let api = Api::new().await;

    let reply = api.send(TestRequest::get().uri("/")).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "hello");
}

#[actix_web::test]
async fn user_is_created() {
    let api = Api::new().await;
    let request = TestRequest::post()
        .uri("/user")
        .set_json(username_body("k3v9x2m1qa"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["msg"], "Success!");
    let stored: Option<String> =
        sqlx::query_scalar("SELECT username FROM users WHERE username = ?")
            .bind("k3v9x2m1qa")
            .fetch_optional(&api.pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some("k3v9x2m1qa"));
}

#[actix_web::test]
async fn user_is_deleted() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let request = TestRequest::delete()
        .uri("/user")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["msg"], "Success!");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn token_pair_is_created() {
    let api = Api::new().await;
    api.create_user("alice").await;

    let tokens = api.create_token("alice").await;

    assert!(!tokens.access_token.is_empty());
    assert!(!tokens.refresh_token.is_empty());
    assert_ne!(tokens.access_token, tokens.refresh_token);
    assert_eq!(tokens.expiry, 3600);
    let user_id = api.user_id("alice").await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE user_id = ?")
        .bind(user_id)
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(rows, 2);
}

#[actix_web::test]
async fn token_pair_is_deleted() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let request = TestRequest::delete()
        .uri("/delete_token")
        .set_json(username_body("alice"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["msg"], "Success!");
    let secret = api.get_with_token("/secret", &tokens.access_token).await;
    assert_eq!(secret.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn refresh_rotates_both_tokens() {
    let api = Api::new().await;
    let old = api.user_with_tokens("alice").await;
    let request = TestRequest::put()
        .uri("/refresh_token")
        .insert_header(bearer(&old.refresh_token));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let new: common::Tokens = serde_json::from_slice(&reply.body).unwrap();
    assert_ne!(new.access_token, old.access_token);
    assert_ne!(new.refresh_token, old.refresh_token);
    assert_eq!(new.expiry, 3600);
    let with_new = api.get_with_token("/secret", &new.access_token).await;
    assert_eq!(with_new.status, StatusCode::OK);
    let with_old = api.get_with_token("/secret", &old.access_token).await;
    assert_eq!(with_old.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn secret_accepts_access_token() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;

    let first = api.get_with_token("/secret", &tokens.access_token).await;
    let second = api.get_with_token("/secret", &tokens.access_token).await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json()["secret"], SECRET);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.json()["secret"], SECRET);
}

#[actix_web::test]
async fn unknown_token_is_401() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let bad_token = format!("{}bad_string", tokens.access_token);

    let reply = api.get_with_token("/secret", &bad_token).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: Invalid token");
    assert!(reply.json().get("secret").is_none());
}

#[actix_web::test]
async fn token_with_spaces_is_400() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let bad_token = format!("{}bad string for a bad request", tokens.access_token);

    let reply = api.get_with_token("/secret", &bad_token).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error(),
        "Request error: Invalid number of arguments in token header"
    );
    assert!(reply.json().get("secret").is_none());
}

#[actix_web::test]
async fn wrong_auth_type_is_400() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let request = TestRequest::get().uri("/secret").insert_header((
        header::AUTHORIZATION,
        format!("Snaker {}", tokens.access_token),
    ));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error(), "Request error: Invalid token type");
    assert!(reply.json().get("secret").is_none());
}

#[actix_web::test]
async fn wrong_header_name_is_400() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let request = TestRequest::get().uri("/secret").insert_header((
        "NotAuthorization",
        format!("Bearer {}", tokens.access_token),
    ));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error(), "Request error: No token provided");
    assert!(reply.json().get("secret").is_none());
}

#[actix_web::test]
async fn whoami_returns_username() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("k3v9x2m1qa").await;

    let reply = api.get_with_token("/whoami", &tokens.access_token).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["my_username"], "k3v9x2m1qa");
}

#[actix_web::test]
async fn user_does_not_leak_into_later_request() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let authenticated = api.get_with_token("/secret", &tokens.access_token).await;

    let anonymous = api
        .send(TestRequest::get().uri("/no_current_stateless_user"))
        .await;

    assert_eq!(authenticated.status, StatusCode::OK);
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.json()["current_stateless_username"], "None");
}

#[actix_web::test]
async fn optional_user_route_names_authenticated_user() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;

    let reply = api
        .get_with_token("/no_current_stateless_user", &tokens.access_token)
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["current_stateless_username"], "alice");
}
