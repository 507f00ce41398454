//! `#[token_required]` in each of its forms, under each route registration style,
//! through a real actix-web `App`.

// The library under another name, as `my_auth = { package = "stateless-auth" }` in
// Cargo.toml would give it, for the `crate = "my_auth"` form.
extern crate stateless_auth as my_auth;

mod macro_support;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, Responder, get, post, route, test, web};
use serde::Deserialize;
use stateless_auth::{CurrentToken, CurrentUser, token_required};

use crate::macro_support::{
    ALICE_ACCESS, ALICE_REFRESH, BOB_ACCESS, Store, Token, User, bearer, call, error_field, manager,
};

/// Greets the user through the bare form, which takes the token type and scheme from
/// the config.
#[get("/default")]
#[token_required]
async fn default_form(user: CurrentUser<User>) -> String {
    format!("default form for {}", user.name)
}

/// Greets the user through empty parentheses, the same as the bare form.
#[get("/empty-parentheses")]
#[token_required()]
async fn empty_parentheses(user: CurrentUser<User>) -> String {
    format!("empty parentheses for {}", user.name)
}

/// Reports the refresh token's owner. The route macro is below the attribute here,
/// unlike the other routes.
#[token_required(token_type = "refresh")]
#[post("/refresh")]
async fn refresh(token: CurrentToken<Token>) -> HttpResponse {
    HttpResponse::Created().body(format!(
        "{} token of user {}",
        token.token_type, token.user_id
    ))
}

/// Greets the user with both the token type and the scheme written out.
#[get("/explicit")]
#[token_required(token_type = "access", auth_type = "Bearer")]
async fn explicit(user: CurrentUser<User>) -> impl Responder {
    format!("explicit for {}", user.name)
}

/// Greets the user under the `Token` scheme rather than the config's `Bearer`.
#[token_required(auth_type = "Token")]
#[get("/custom-scheme")]
async fn custom_scheme(user: CurrentUser<User>) -> impl Responder {
    format!("custom scheme for {}", user.name)
}

/// Shows a secret to a token that grants both required scopes.
#[get("/secret")]
#[token_required(scopes("read:secret", "admin"))]
async fn secret(user: CurrentUser<User>) -> Result<String, actix_web::Error> {
    Ok(format!("secret for {}", user.name))
}

/// Greets the user through the library's other name, given by `crate`.
#[get("/renamed")]
#[token_required(crate = "my_auth")]
async fn renamed(user: my_auth::CurrentUser<User>) -> String {
    format!("renamed crate for {}", user.name)
}

/// Echoes the method, as a `pub` handler under a route macro with two methods.
#[route("/any-method", method = "GET", method = "PUT")]
#[token_required]
pub async fn any_method(req: HttpRequest, user: CurrentUser<User>) -> String {
    format!("{} by {}", req.method(), user.name)
}

/// Returns the user's name. It has no route macro and is registered through
/// `web::resource` and `App::route`.
#[token_required(scopes("admin"))]
async fn unrouted(user: CurrentUser<User>) -> web::Json<String> {
    web::Json(user.name.clone())
}

#[derive(Deserialize)]
struct Item {
    name: String,
    count: u32,
}

#[derive(Deserialize)]
struct Filter {
    verbose: bool,
}

/// Echoes a body, path and query bound by destructuring and `mut` patterns, beside a
/// parameter ignored with `_`.
#[post("/items/{id}")]
#[token_required]
async fn patterns(
    web::Json(mut item): web::Json<Item>,
    (path, query): (web::Path<u32>, web::Query<Filter>),
    _: HttpRequest,
    user: CurrentUser<User>,
) -> HttpResponse {
    item.count += 1;

    HttpResponse::Ok().body(format!(
        "{} x{} at {} verbose={} for {}",
        item.name,
        item.count,
        path.into_inner(),
        query.verbose,
        user.name
    ))
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
        .service(default_form)
        .service(empty_parentheses)
        .service(refresh)
        .service(explicit)
        .service(custom_scheme)
        .service(secret)
        .service(renamed)
        .service(any_method)
        .service(patterns)
        .service(web::resource("/resource").route(web::get().to(unrouted)))
        .route("/app-route", web::get().to(unrouted))
}

#[actix_web::test]
async fn bare_attribute_uses_config_defaults() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/default")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "default form for alice");
    assert_eq!(
        store.token_loader_requests(),
        [("access".to_owned(), "Bearer".to_owned())]
    );
}

#[actix_web::test]
async fn bare_attribute_rejects_refresh_token() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/default")
        .insert_header(bearer(ALICE_REFRESH))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
}

#[actix_web::test]
async fn empty_parentheses_use_config_defaults() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/empty-parentheses")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "empty parentheses for alice");
    assert_eq!(
        store.token_loader_requests(),
        [("access".to_owned(), "Bearer".to_owned())]
    );
}

#[actix_web::test]
async fn refresh_route_accepts_refresh_token() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::post()
        .uri("/refresh")
        .insert_header(bearer(ALICE_REFRESH))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, "refresh token of user 1");
    assert_eq!(
        store.token_loader_requests(),
        [("refresh".to_owned(), "Bearer".to_owned())]
    );
}

#[actix_web::test]
async fn refresh_route_rejects_access_token() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::post()
        .uri("/refresh")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
    assert_eq!(
        store.token_loader_requests(),
        [("refresh".to_owned(), "Bearer".to_owned())]
    );
}

#[actix_web::test]
async fn explicit_token_and_auth_type_accept_matching_token() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/explicit")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "explicit for alice");
}

#[actix_web::test]
async fn explicit_auth_type_rejects_other_scheme() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/explicit")
        .insert_header(("Authorization", format!("Token {ALICE_ACCESS}")))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "Request error: Invalid token type");
    assert_eq!(store.token_loads(), 0);
}

#[actix_web::test]
async fn custom_auth_type_accepts_its_scheme() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/custom-scheme")
        .insert_header(("Authorization", format!("Token {ALICE_ACCESS}")))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "custom scheme for alice");
    assert_eq!(
        store.token_loader_requests(),
        [("access".to_owned(), "Token".to_owned())]
    );
}

#[actix_web::test]
async fn custom_auth_type_rejects_bearer() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/custom-scheme")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "Request error: Invalid token type");
}

#[actix_web::test]
async fn all_scopes_granted_reach_handler() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/secret")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "secret for alice");
}

#[actix_web::test]
async fn one_missing_scope_is_forbidden() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::get()
        .uri("/secret")
        .insert_header(bearer(BOB_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_field(&body), "Scope error: Insufficient scope");
}

#[actix_web::test]
async fn renamed_crate_guards_route() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let accepted = test::TestRequest::get()
        .uri("/renamed")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();
    let rejected = test::TestRequest::get().uri("/renamed").to_request();

    let (accepted_status, accepted_body) = call(&app, accepted).await;
    let (rejected_status, rejected_body) = call(&app, rejected).await;

    assert_eq!(accepted_status, StatusCode::OK);
    assert_eq!(accepted_body, "renamed crate for alice");
    assert_eq!(rejected_status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_field(&rejected_body),
        "Request error: No token provided"
    );
}

#[actix_web::test]
async fn route_macro_above_and_below_both_guard() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let above = test::TestRequest::get().uri("/default").to_request();
    let below = test::TestRequest::post().uri("/refresh").to_request();

    let (above_status, above_body) = call(&app, above).await;
    let (below_status, below_body) = call(&app, below).await;

    assert_eq!(above_status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&above_body), "Request error: No token provided");
    assert_eq!(below_status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&below_body), "Request error: No token provided");
}

#[actix_web::test]
async fn route_macro_with_two_methods_guards_both() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;

    for method in [actix_web::http::Method::GET, actix_web::http::Method::PUT] {
        let accepted = test::TestRequest::default()
            .method(method.clone())
            .uri("/any-method")
            .insert_header(bearer(ALICE_ACCESS))
            .to_request();
        let rejected = test::TestRequest::default()
            .method(method.clone())
            .uri("/any-method")
            .to_request();

        let (accepted_status, accepted_body) = call(&app, accepted).await;
        let (rejected_status, _) = call(&app, rejected).await;

        assert_eq!(accepted_status, StatusCode::OK, "{method}");
        assert_eq!(accepted_body, format!("{method} by alice"));
        assert_eq!(rejected_status, StatusCode::BAD_REQUEST, "{method}");
    }
}

#[actix_web::test]
async fn resource_and_app_routes_are_guarded() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;

    for uri in ["/resource", "/app-route"] {
        let granted = test::TestRequest::get()
            .uri(uri)
            .insert_header(bearer(ALICE_ACCESS))
            .to_request();
        let forbidden = test::TestRequest::get()
            .uri(uri)
            .insert_header(bearer(BOB_ACCESS))
            .to_request();

        let (granted_status, granted_body) = call(&app, granted).await;
        let (forbidden_status, forbidden_body) = call(&app, forbidden).await;

        assert_eq!(granted_status, StatusCode::OK, "{uri}");
        assert_eq!(granted_body, "\"alice\"", "{uri}");
        assert_eq!(forbidden_status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(
            error_field(&forbidden_body),
            "Scope error: Insufficient scope",
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn destructuring_and_mut_patterns_bind_parameters() {
    let store = Store::new();
    let app = test::init_service(app(&store)).await;
    let req = test::TestRequest::post()
        .uri("/items/7?verbose=true")
        .insert_header(bearer(ALICE_ACCESS))
        .set_json(serde_json::json!({ "name": "lamp", "count": 2 }))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "lamp x3 at 7 verbose=true for alice");
}
