//! The traits that the library's public types implement: checked at compile time,
//! and through a real `App` where the behaviour matters.

use std::error::Error;
use std::sync::Arc;

use actix_web::test::{TestRequest, call_and_read_body, init_service};
use actix_web::{App, HttpResponse, HttpServer, web};
use stateless_auth::header::HeaderError;
use stateless_auth::{
    Access, ConfigDefaults, ConfigError, CurrentToken, CurrentUser, ErrorKind, Refresh,
    StatelessAuthConfig, StatelessAuthError, StatelessAuthManager,
};
use stateless_auth_tests::{Store, Token, User, manager};

fn assert_shareable<T: Send + Sync + 'static>() {}

fn assert_error<T: Error + Send + Sync + 'static>() {}

#[test]
fn shared_types_are_send_and_sync() {
    assert_shareable::<StatelessAuthManager>();
    assert_shareable::<StatelessAuthConfig>();
    assert_shareable::<StatelessAuthError>();
    assert_shareable::<ErrorKind>();
    assert_shareable::<ConfigError>();
    assert_shareable::<HeaderError>();
    assert_shareable::<ConfigDefaults>();
    assert_shareable::<Access>();
    assert_shareable::<Refresh>();
}

#[test]
fn errors_box_as_send_sync_errors() {
    assert_error::<StatelessAuthError>();
    assert_error::<ConfigError>();
    assert_error::<HeaderError>();

    let boxed: Box<dyn Error + Send + Sync> = StatelessAuthError::token("Invalid token").into();

    assert_eq!(boxed.to_string(), "Token error: Invalid token");
    assert!(boxed.source().is_none());
}

#[test]
fn manager_data_moves_into_server_factory() {
    let manager = web::Data::new(manager(&Store::standard()));

    // `HttpServer::new` requires a `Send` factory, so this builds only when
    // `web::Data<StatelessAuthManager>` is `Send`. The server is never bound.
    let server = HttpServer::new(move || App::new().app_data(manager.clone())).workers(1);

    drop(server);
}

async fn cloned_name(user: CurrentUser<User>) -> HttpResponse {
    // `CurrentUser` is not `Clone`, so this clones the model through `Deref`.
    let model: User = user.clone();

    HttpResponse::Ok().body(model.name)
}

#[actix_web::test]
async fn current_user_clone_copies_model() {
    let app = App::new()
        .app_data(web::Data::new(manager(&Store::standard())))
        .route("/", web::get().to(cloned_name));
    let app = init_service(app).await;
    let req = TestRequest::get()
        .insert_header(("Authorization", "Bearer alice-access"))
        .to_request();

    let body = call_and_read_body(&app, req).await;

    assert_eq!(body, "alice");
}

async fn debug_token(token: CurrentToken<Token>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{token:?}"))
}

#[actix_web::test]
async fn current_token_debug_hides_model() {
    let store = Arc::new({
        let mut store = Store::default();
        store.add_user("alice", true);
        store.add_token("alice-access", "alice", "access", false, &["secret-scope"]);
        store
    });
    let app = App::new()
        .app_data(web::Data::new(manager(&store)))
        .route("/", web::get().to(debug_token));
    let app = init_service(app).await;
    let req = TestRequest::get()
        .insert_header(("Authorization", "Bearer alice-access"))
        .to_request();

    let body = call_and_read_body(&app, req).await;

    assert_eq!(body, "CurrentToken(<stateless_auth_tests::Token>)");
}
