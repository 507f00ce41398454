//! `#[token_required]` handlers whose `CurrentUser` and `CurrentToken` parameters are
//! built from the authentication instead of extracted: parameter patterns, paths,
//! renamed imports, mismatched models, `OptionalUser` beside them, and custom
//! `FromAuthenticated` types in a hand-written `Guarded`.

// `#[token_required(crate = "my_auth")]` needs the library under another name.
extern crate stateless_auth as my_auth;

mod macro_support;

use std::cell::Cell;
use std::sync::Arc;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::{App, HttpRequest, HttpResponse, get, post, test, web};
use serde::Deserialize;
use stateless_auth::{
    Access, Authenticated, CurrentToken, CurrentUser, FromAuthenticated, Guarded, OptionalUser,
    StatelessAuthError, StatelessAuthManager, TokenMixin, token_required,
};
use stateless_auth_tests::{Calls, count_error_handler, count_listeners};

use crate::macro_support::{
    ALICE_ACCESS, BOB_ACCESS, Store, Token, User, bearer, call, error_field, manager,
    recording_payload,
};

#[derive(Deserialize)]
struct Note {
    text: String,
}

#[derive(Deserialize)]
struct Page {
    number: u32,
}

/// Replaces a `mut` user by a second one and returns both names and the note.
#[post("/mut")]
#[token_required]
async fn mut_patterns(
    mut user: CurrentUser<User>,
    again: CurrentUser<User>,
    web::Json(mut note): web::Json<Note>,
) -> String {
    let previous = std::mem::replace(&mut user, again);
    note.text.push('!');

    format!("{} {} {}", previous.name, user.name, note.text)
}

/// Binds readers with `ref`, `ref mut` and `_` patterns.
#[get("/ref")]
#[token_required]
async fn ref_patterns(
    ref user: CurrentUser<User>,
    ref mut token: CurrentToken<Token>,
    _: CurrentUser<User>,
) -> String {
    let token: &mut CurrentToken<Token> = token;

    format!("{} {}", user.name, token.token_type)
}

/// Interleaves body, path and query extractors with readers.
#[post("/mixed/{id}")]
#[token_required]
async fn mixed_order(
    web::Json(note): web::Json<Note>,
    token: CurrentToken<Token>,
    id: web::Path<u32>,
    user: CurrentUser<User>,
    page: web::Query<Page>,
) -> String {
    format!(
        "{} {} {} {} {}",
        note.text,
        token.token_type,
        id.into_inner(),
        user.name,
        page.number
    )
}

/// Takes readers only, so `Guarded` extracts nothing.
#[get("/readers")]
#[token_required]
async fn readers_only(token: CurrentToken<Token>, user: CurrentUser<User>) -> String {
    format!("{} {}", token.token_type, user.name)
}

/// Names the readers by absolute and relative paths.
#[get("/qualified")]
#[token_required]
async fn qualified(
    user: stateless_auth::CurrentUser<User>,
    token: ::stateless_auth::CurrentToken<macro_support::Token>,
    again: CurrentUser<User>,
) -> String {
    format!("{} {} {}", user.name, token.token_type, again.name)
}

/// Handlers that import `CurrentUser` under another name, which the attribute cannot
/// recognize, so they go through ordinary extraction.
mod renamed {
    use actix_web::{get, post, web};
    use stateless_auth::CurrentUser as Me;
    use stateless_auth::token_required;

    use super::Note;
    use crate::macro_support::User;

    /// Returns the name of the user extracted through the renamed import.
    #[get("/renamed")]
    #[token_required]
    pub async fn renamed(me: Me<User>) -> String {
        me.name.clone()
    }

    /// Names a user model that the user loader does not return, through the renamed
    /// import.
    #[post("/renamed-wrong")]
    #[token_required]
    pub async fn renamed_wrong(_: Me<String>, web::Json(note): web::Json<Note>) -> String {
        note.text
    }
}

/// Names a user model that the user loader does not return, beside a body.
#[post("/wrong-user")]
#[token_required]
async fn wrong_user(web::Json(note): web::Json<Note>, _: CurrentUser<String>) -> String {
    note.text
}

/// Names a token model that the token loader does not return, with no other parameter.
#[get("/wrong-token")]
#[token_required]
async fn wrong_token(_: CurrentToken<u64>) -> &'static str {
    "unreachable"
}

/// Names wrong models for both the user and the token.
#[get("/wrong-both")]
#[token_required]
async fn wrong_both(_: CurrentUser<String>, _: CurrentToken<u64>) -> &'static str {
    "unreachable"
}

/// Returns the optional user beside readers of the same authentication.
#[get("/optional")]
#[token_required]
async fn optional_beside_readers(
    user: CurrentUser<User>,
    optional: OptionalUser<User>,
    token: CurrentToken<Token>,
) -> String {
    let optional_name = optional.user().map_or("nobody", |user| user.name.as_str());

    format!("{} {} {}", user.name, optional_name, token.token_type)
}

/// Alternates eight readers and eight extracted parameters, the most a handler may
/// take.
#[post("/sixteen/{id}")]
#[token_required]
async fn sixteen_mixed(
    first_user: CurrentUser<User>,
    req: HttpRequest,
    first_token: CurrentToken<Token>,
    id: web::Path<u32>,
    second_user: CurrentUser<User>,
    page: web::Query<Page>,
    second_token: CurrentToken<Token>,
    web::Json(note): web::Json<Note>,
    third_user: CurrentUser<User>,
    method: Method,
    third_token: CurrentToken<Token>,
    optional: OptionalUser<User>,
    fourth_user: CurrentUser<User>,
    authenticated: Authenticated,
    fourth_token: CurrentToken<Token>,
    uri: Uri,
) -> String {
    let values = [
        first_user.name.clone(),
        req.path().to_owned(),
        first_token.token_type.clone(),
        id.into_inner().to_string(),
        second_user.name.clone(),
        page.number.to_string(),
        second_token.token_type.clone(),
        note.text,
        third_user.name.clone(),
        method.to_string(),
        third_token.token_type.clone(),
        optional
            .user()
            .map_or("nobody", |user| user.name.as_str())
            .to_owned(),
        fourth_user.name.clone(),
        authenticated.token_type().to_owned(),
        fourth_token.token_type.clone(),
        uri.query().unwrap_or_default().to_owned(),
    ];

    values.join(" | ")
}

/// Is compiled only in tests. The attribute sits above `#[cfg]`, so it must copy the
/// condition to the spec type it defines.
#[get("/cfg")]
#[token_required]
#[cfg(test)]
async fn cfg_enabled(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Would not compile if the attribute dropped its `#[cfg]`, because `Missing` does not
/// exist.
#[get("/cfg-off")]
#[token_required]
#[cfg(not(test))]
async fn cfg_disabled(user: CurrentUser<Missing>) -> String {
    user.name.clone()
}

/// Names the library by the alias declared at the top of this file.
#[get("/renamed-crate")]
#[token_required(crate = "my_auth")]
async fn renamed_crate(user: my_auth::CurrentUser<User>, token: CurrentToken<Token>) -> String {
    format!("{} {}", user.name, token.token_type)
}

thread_local! {
    /// How many times `Admin::from_authenticated` ran on this thread. Tests compare
    /// it before and after their request, because the test harness may run several
    /// tests on one thread.
    static ADMIN_BUILDS: Cell<usize> = const { Cell::new(0) };
}

/// A user whose token grants the `admin` scope.
struct Admin {
    name: String,
}

impl FromAuthenticated for Admin {
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        ADMIN_BUILDS.with(|builds| builds.set(builds.get() + 1));

        let granted = authenticated
            .token::<Token>()
            .is_some_and(|token| token.has_scope("admin"));
        if !granted {
            return Err(StatelessAuthError::scope("Administrators only"));
        }

        match authenticated.user::<User>() {
            Some(user) => Ok(Admin {
                name: user.name.clone(),
            }),
            None => Err(StatelessAuthError::server("Internal server error")),
        }
    }
}

/// Posts a note as an administrator, with a hand-written `Guarded`.
async fn admin_note(
    guarded: Guarded<Access, (web::Json<Note>,), (Admin, CurrentUser<User>)>,
) -> HttpResponse {
    let ((web::Json(note),), (admin, user)) = guarded.into_parts();

    HttpResponse::Created().body(format!("{} {} {}", admin.name, user.name, note.text))
}

/// Returns the administrator's name, with one `FromAuthenticated` value in place of a
/// tuple.
async fn admin_name(guarded: Guarded<Access, (), Admin>) -> String {
    let ((), admin) = guarded.into_parts();

    admin.name
}

/// Creates a manager over `store` that counts its listener calls.
fn counting_manager(store: &Arc<Store>, calls: &Calls) -> StatelessAuthManager {
    count_listeners(manager(store), calls)
}

/// Like [`counting_manager`], with an error handler that responds with 418 and the
/// message, and counts its calls.
fn handling_manager(store: &Arc<Store>, calls: &Calls) -> StatelessAuthManager {
    count_error_handler(counting_manager(store, calls), calls)
}

fn app(
    manager: StatelessAuthManager,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    App::new()
        .app_data(web::Data::new(manager))
        .service(mut_patterns)
        .service(ref_patterns)
        .service(mixed_order)
        .service(readers_only)
        .service(qualified)
        .service(renamed::renamed)
        .service(renamed::renamed_wrong)
        .service(wrong_user)
        .service(wrong_token)
        .service(wrong_both)
        .service(optional_beside_readers)
        .service(sixteen_mixed)
        .service(cfg_enabled)
        .service(renamed_crate)
        .route("/admin/notes", web::post().to(admin_note))
        .route("/admin/name", web::get().to(admin_name))
}

/// Sends a GET for `path` with `token` to an app over `store` and returns the status
/// and body.
async fn get_with(store: &Arc<Store>, path: &str, token: &str) -> (StatusCode, String) {
    let app = test::init_service(app(manager(store))).await;
    let req = test::TestRequest::get()
        .uri(path)
        .insert_header(bearer(token))
        .to_request();

    call(&app, req).await
}

/// Sends a POST for `path` with `token` and a JSON `body` that records whether it was
/// read, and returns the status, the body and that flag.
async fn post_recorded(
    manager: StatelessAuthManager,
    path: &str,
    token: &str,
    body: &'static str,
) -> (StatusCode, String, bool) {
    let app = test::init_service(app(manager)).await;
    let (payload, polled) = recording_payload(body);
    let mut req = test::TestRequest::post()
        .uri(path)
        .insert_header(ContentType::json())
        .insert_header(bearer(token))
        .to_request();
    *req.payload() = payload;

    let (status, body) = call(&app, req).await;

    (status, body, polled.get())
}

#[actix_web::test]
async fn mut_reader_patterns_bind_each_value() {
    let store = Store::new();

    let (status, body, _) = post_recorded(
        manager(&store),
        "/mut",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "alice alice hello!");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn ref_and_wildcard_reader_patterns_bind() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/ref", BOB_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "bob access");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn interleaved_readers_keep_their_bindings() {
    let store = Store::new();

    let (status, body, body_read) = post_recorded(
        manager(&store),
        "/mixed/42?number=7",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello access 42 alice 7");
    assert!(
        body_read,
        "the body of an authenticated request was not read"
    );
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn interleaved_rejection_leaves_body_unread() {
    let store = Store::new();

    let (status, body, body_read) = post_recorded(
        manager(&store),
        "/mixed/42?number=7",
        "unknown-token",
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
    assert!(
        !body_read,
        "the body of an unauthenticated request was read"
    );
}

#[actix_web::test]
async fn readers_only_handler_loads_once() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/readers", BOB_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "access bob");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn readers_only_handler_rejects_missing_header() {
    let store = Store::new();
    let app = test::init_service(app(manager(&store))).await;
    let req = test::TestRequest::get().uri("/readers").to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "Request error: No token provided");
    assert_eq!(store.token_loads(), 0);
}

#[actix_web::test]
async fn qualified_reader_paths_are_built() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/qualified", ALICE_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "alice access alice");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn renamed_import_is_extracted_once() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/renamed", BOB_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "bob");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn renamed_crate_reader_is_built() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/renamed-crate", ALICE_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "alice access");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn cfg_below_attribute_keeps_handler() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/cfg", BOB_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "bob");
}

#[actix_web::test]
async fn mismatched_user_rejected_before_body() {
    let store = Store::new();
    let calls = Calls::default();

    let (status, body, body_read) = post_recorded(
        counting_manager(&store, &calls),
        "/wrong-user",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_field(&body), "Server error: Internal server error");
    assert!(!body_read, "the body was read after a rejection");
    assert_eq!(calls.unauthorized(), 1);
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn mismatched_token_alone_is_server_error() {
    let store = Store::new();
    let calls = Calls::default();
    let app = test::init_service(app(counting_manager(&store, &calls))).await;
    let req = test::TestRequest::get()
        .uri("/wrong-token")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_field(&body), "Server error: Internal server error");
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn two_mismatched_readers_report_once() {
    let store = Store::new();
    let calls = Calls::default();
    let app = test::init_service(app(counting_manager(&store, &calls))).await;
    let req = test::TestRequest::get()
        .uri("/wrong-both")
        .insert_header(bearer(ALICE_ACCESS))
        .to_request();

    let (status, body) = call(&app, req).await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_field(&body), "Server error: Internal server error");
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn mismatched_reader_uses_error_handler() {
    let store = Store::new();
    let calls = Calls::default();

    let (status, body, body_read) = post_recorded(
        handling_manager(&store, &calls),
        "/wrong-user",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::IM_A_TEAPOT);
    assert_eq!(body, "Internal server error");
    assert!(!body_read, "the body was read after a rejection");
    assert_eq!(calls.unauthorized(), 1);
    assert_eq!(calls.error_handler(), 1);
}

#[actix_web::test]
async fn mismatched_renamed_import_gets_same_response() {
    let store = Store::new();
    let calls = Calls::default();

    let (status, body, _) = post_recorded(
        counting_manager(&store, &calls),
        "/renamed-wrong",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_field(&body), "Server error: Internal server error");
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn optional_user_beside_readers_loads_once() {
    let store = Store::new();

    let (status, body) = get_with(&store, "/optional", BOB_ACCESS).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "bob bob access");
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn sixteen_mixed_parameters_share_one_load() {
    let store = Store::new();

    let (status, body, body_read) = post_recorded(
        manager(&store),
        "/sixteen/42?number=7",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        "alice | /sixteen/42 | access | 42 | alice | 7 | access | hello | alice | POST | \
         access | alice | alice | access | access | number=7"
    );
    assert!(
        body_read,
        "the body of an authenticated request was not read"
    );
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn sixteen_mixed_rejection_leaves_body_unread() {
    let store = Store::new();

    let (status, body, body_read) = post_recorded(
        manager(&store),
        "/sixteen/42?number=7",
        "unknown-token",
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
    assert!(
        !body_read,
        "the body of an unauthenticated request was read"
    );
}

#[actix_web::test]
async fn custom_reader_is_built_for_admin() {
    let store = Store::new();
    let builds_before = ADMIN_BUILDS.with(Cell::get);

    let (status, body, body_read) = post_recorded(
        manager(&store),
        "/admin/notes",
        ALICE_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, "alice alice hello");
    assert!(body_read, "the body of an accepted request was not read");
    assert_eq!(ADMIN_BUILDS.with(Cell::get) - builds_before, 1);
    assert_eq!(store.token_loads(), 1);
    assert_eq!(store.user_loads(), 1);
}

#[actix_web::test]
async fn custom_reader_rejection_leaves_body_unread() {
    let store = Store::new();
    let calls = Calls::default();

    let (status, body, body_read) = post_recorded(
        counting_manager(&store, &calls),
        "/admin/notes",
        BOB_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_field(&body), "Scope error: Administrators only");
    assert!(!body_read, "the body was read after a rejection");
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn custom_rejection_uses_error_handler() {
    let store = Store::new();
    let calls = Calls::default();

    let (status, body, body_read) = post_recorded(
        handling_manager(&store, &calls),
        "/admin/notes",
        BOB_ACCESS,
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::IM_A_TEAPOT);
    assert_eq!(body, "Administrators only");
    assert!(!body_read, "the body was read after a rejection");
    assert_eq!(calls.unauthorized(), 1);
    assert_eq!(calls.error_handler(), 1);
}

#[actix_web::test]
async fn custom_reader_skipped_without_authentication() {
    let store = Store::new();
    let calls = Calls::default();
    let builds_before = ADMIN_BUILDS.with(Cell::get);

    let (status, body, body_read) = post_recorded(
        counting_manager(&store, &calls),
        "/admin/notes",
        "unknown-token",
        r#"{"text": "hello"}"#,
    )
    .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_field(&body), "Token error: Invalid token");
    assert!(
        !body_read,
        "the body of an unauthenticated request was read"
    );
    assert_eq!(ADMIN_BUILDS.with(Cell::get) - builds_before, 0);
    assert_eq!(calls.unauthorized(), 1);
}

#[actix_web::test]
async fn single_custom_reader_needs_no_tuple() {
    let store = Store::new();

    let (admin_status, admin_body) = get_with(&store, "/admin/name", ALICE_ACCESS).await;
    let (other_status, other_body) = get_with(&store, "/admin/name", BOB_ACCESS).await;

    assert_eq!(admin_status, StatusCode::OK);
    assert_eq!(admin_body, "alice");
    assert_eq!(other_status, StatusCode::FORBIDDEN);
    assert_eq!(error_field(&other_body), "Scope error: Administrators only");
}
