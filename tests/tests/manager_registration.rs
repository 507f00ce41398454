//! How the extractors find the manager: only as `web::Data<StatelessAuthManager>`,
//! so a manager registered without `web::Data` is not found.

mod log_capture;

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{App, HttpResponse, test, web};
use stateless_auth::CurrentUser;
use stateless_auth_tests::{Store, User, manager, status_and_error};

async fn whoami(user: CurrentUser<User>) -> HttpResponse {
    HttpResponse::Ok().body(user.name.clone())
}

/// Builds a store whose only user, `carol`, has the access token `carol-access`.
fn carol_store() -> Arc<Store> {
    let mut store = Store::default();
    store.add_user("carol", true);
    store.add_token("carol-access", "carol", "access", false, &[]);

    Arc::new(store)
}

fn get_with_token(uri: &str, token: &str) -> actix_http::Request {
    test::TestRequest::get()
        .uri(uri)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request()
}

#[actix_web::test]
async fn unwrapped_app_manager_is_500_with_fix_logged() {
    log_capture::install();
    let store = Store::standard();
    let app = test::init_service(
        App::new()
            .app_data(manager(&store))
            .route("/unwrapped-app", web::get().to(whoami)),
    )
    .await;

    let response = test::call_service(&app, get_with_token("/unwrapped-app", "alice-access")).await;

    assert_eq!(
        status_and_error(response).await,
        (500, "Server error: Internal server error".to_owned())
    );
    let errors = log_capture::lines_at(log::Level::Error, "/unwrapped-app");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("App::app_data(web::Data::new(manager))"),
        "{errors:#?}"
    );
    assert_eq!(store.loads(), (0, 0));
}

#[actix_web::test]
async fn unwrapped_scope_manager_leaves_app_manager_in_use() {
    log_capture::install();
    let app_store = Store::standard();
    let scope_store = carol_store();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(manager(&app_store)))
            .service(
                web::scope("/unwrapped-scope")
                    .app_data(manager(&scope_store))
                    .route("/whoami", web::get().to(whoami)),
            ),
    )
    .await;

    let app_token = get_with_token("/unwrapped-scope/whoami", "alice-access");
    let app_token = test::call_and_read_body(&app, app_token).await;
    let scope_token = get_with_token("/unwrapped-scope/whoami", "carol-access");
    let scope_token = test::call_service(&app, scope_token).await;

    assert_eq!(app_token, "alice");
    assert_eq!(
        status_and_error(scope_token).await,
        (401, "Token error: Invalid token".to_owned())
    );
    assert_eq!(scope_store.loads(), (0, 0));
    let errors = log_capture::lines_at(log::Level::Error, "/unwrapped-scope");
    assert!(errors.is_empty(), "{errors:#?}");
}
