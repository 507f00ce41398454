//! Token lifetimes, token types, revocation and storage of the example API.

mod common;

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use common::{Api, bearer, username_body};
use stateless_auth_examples::clock::unix_now;
use stateless_auth_examples::token::hash_token;

/// Inserts a token row for `user_id` directly, as the API would store it.
async fn insert_token(api: &Api, user_id: i64, token_type: &str, token: &str, expires_at: i64) {
    let hash = hash_token(token).to_vec();

    sqlx::query(
        "INSERT INTO api_tokens (user_id, token_type, token_hash, expires_at, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(token_type)
    .bind(hash)
    .bind(expires_at)
    .bind(expires_at - 3600)
    .execute(&api.pool)
    .await
    .unwrap();
}

#[actix_web::test]
async fn expired_access_token_is_401() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let user_id = api.user_id("alice").await;
    insert_token(
        &api,
        user_id,
        "access",
        "expired-access-token",
        unix_now() - 1,
    )
    .await;

    let reply = api.get_with_token("/secret", "expired-access-token").await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: access token expired");
    assert!(reply.json().get("secret").is_none());
}

#[actix_web::test]
async fn unexpired_inserted_token_is_accepted() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let user_id = api.user_id("alice").await;
    insert_token(
        &api,
        user_id,
        "access",
        "fresh-access-token",
        unix_now() + 60,
    )
    .await;

    let reply = api.get_with_token("/whoami", "fresh-access-token").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["my_username"], "alice");
}

#[actix_web::test]
async fn expired_refresh_token_cannot_refresh() {
    let api = Api::new().await;
    api.create_user("alice").await;
    let user_id = api.user_id("alice").await;
    insert_token(
        &api,
        user_id,
        "refresh",
        "expired-refresh-token",
        unix_now() - 1,
    )
    .await;
    let request = TestRequest::put()
        .uri("/refresh_token")
        .insert_header(bearer("expired-refresh-token"));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: refresh token expired");
}

#[actix_web::test]
async fn refresh_token_on_access_route_is_401() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;

    let secret = api.get_with_token("/secret", &tokens.refresh_token).await;
    let whoami = api.get_with_token("/whoami", &tokens.refresh_token).await;

    assert_eq!(secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(secret.error(), "Token error: Invalid token");
    assert_eq!(whoami.status, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami.error(), "Token error: Invalid token");
}

#[actix_web::test]
async fn access_token_on_refresh_route_is_401() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let request = TestRequest::put()
        .uri("/refresh_token")
        .insert_header(bearer(&tokens.access_token));

    let reply = api.send(request).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: Invalid token");
    let still_valid = api.get_with_token("/secret", &tokens.access_token).await;
    assert_eq!(still_valid.status, StatusCode::OK);
}

#[actix_web::test]
async fn issued_tokens_expire_after_their_lifetimes() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let user_id = api.user_id("alice").await;

    let lifetimes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT token_type, expires_at - created_at FROM api_tokens \
         WHERE user_id = ? ORDER BY token_type",
    )
    .bind(user_id)
    .fetch_all(&api.pool)
    .await
    .unwrap();

    assert_eq!(tokens.expiry, 3600);
    assert_eq!(
        lifetimes,
        [
            ("access".to_owned(), 3600),
            ("refresh".to_owned(), 365 * 24 * 3600)
        ]
    );
}

#[actix_web::test]
async fn refresh_token_works_once() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let refresh = || {
        TestRequest::put()
            .uri("/refresh_token")
            .insert_header(bearer(&tokens.refresh_token))
    };

    let first = api.send(refresh()).await;
    let second = api.send(refresh()).await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::UNAUTHORIZED);
    assert_eq!(second.error(), "Token error: Invalid token");
}

#[actix_web::test]
async fn token_responses_are_not_stored() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let create = TestRequest::post()
        .uri("/create_token")
        .set_json(username_body("alice"));
    let refresh = TestRequest::put()
        .uri("/refresh_token")
        .insert_header(bearer(&tokens.refresh_token));

    let refreshed = api.send(refresh).await;
    let created = api.send(create).await;

    for (route, reply) in [
        ("PUT /refresh_token", refreshed),
        ("POST /create_token", created),
    ] {
        assert_eq!(reply.status, StatusCode::CREATED, "{route}");
        let cache_control = reply.headers.get(header::CACHE_CONTROL);
        assert_eq!(
            cache_control.and_then(|value| value.to_str().ok()),
            Some("no-store"),
            "{route}"
        );
    }
}

#[actix_web::test]
async fn creating_token_again_revokes_old_pair() {
    let api = Api::new().await;
    let old = api.user_with_tokens("alice").await;

    let new = api.create_token("alice").await;

    let with_old = api.get_with_token("/secret", &old.access_token).await;
    let with_new = api.get_with_token("/secret", &new.access_token).await;
    assert_eq!(with_old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(with_new.status, StatusCode::OK);
}

#[actix_web::test]
async fn deleted_users_token_is_401() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let delete = TestRequest::delete()
        .uri("/user")
        .set_json(username_body("alice"));
    let deleted = api.send(delete).await;

    let reply = api.get_with_token("/whoami", &tokens.access_token).await;

    assert_eq!(deleted.status, StatusCode::CREATED);
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: Invalid token");
}

#[actix_web::test]
async fn token_outliving_its_user_is_401() {
    // A concurrent `DELETE /user` can remove the user after the token loader
    // found the token but before the user loader runs. Deleting the user row
    // alone, with foreign keys off, leaves the database in that state.
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;
    let mut connection = api.pool.acquire().await.unwrap();
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await
        .unwrap();
    sqlx::query("DELETE FROM users WHERE username = 'alice'")
        .execute(&mut *connection)
        .await
        .unwrap();
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await
        .unwrap();
    drop(connection);

    let whoami = api.get_with_token("/whoami", &tokens.access_token).await;
    let refresh = api
        .send(
            TestRequest::put()
                .uri("/refresh_token")
                .insert_header(bearer(&tokens.refresh_token)),
        )
        .await;

    assert_eq!(whoami.status, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami.error(), "Token error: Invalid token");
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn stored_rows_hold_no_plain_token() {
    let api = Api::new().await;
    let tokens = api.user_with_tokens("alice").await;

    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT token_type, token_hash FROM api_tokens ORDER BY token_type")
            .fetch_all(&api.pool)
            .await
            .unwrap();
    let dump: Vec<u8> = sqlx::query_scalar(
        "SELECT CAST(group_concat(quote(id) || quote(user_id) || quote(token_type) || \
         quote(token_hash) || quote(expires_at) || quote(created_at)) AS BLOB) FROM api_tokens",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();

    let access_hash = hash_token(&tokens.access_token).to_vec();
    let refresh_hash = hash_token(&tokens.refresh_token).to_vec();
    assert_eq!(
        rows,
        [
            ("access".to_owned(), access_hash),
            ("refresh".to_owned(), refresh_hash)
        ]
    );
    let dump = String::from_utf8(dump).unwrap();
    assert!(!dump.contains(&tokens.access_token));
    assert!(!dump.contains(&tokens.refresh_token));
}

#[actix_web::test]
async fn issued_tokens_are_43_char_b64tokens() {
    let api = Api::new().await;

    let tokens = api.user_with_tokens("alice").await;

    for token in [&tokens.access_token, &tokens.refresh_token] {
        assert_eq!(token.len(), 43, "{token}");
        let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        assert!(token.chars().all(url_safe), "{token}");
    }
}

#[actix_web::test]
async fn unknown_token_gets_bearer_challenge() {
    let api = Api::new().await;

    let reply = api.get_with_token("/secret", "no-such-token").await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let challenge = reply.challenge().unwrap();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[actix_web::test]
async fn optional_user_route_rejects_invalid_token() {
    let api = Api::new().await;

    let reply = api
        .get_with_token("/no_current_stateless_user", "no-such-token")
        .await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error(), "Token error: Invalid token");
}
