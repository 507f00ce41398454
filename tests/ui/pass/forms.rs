//! Every accepted form and handler shape of `#[token_required]`, built with warnings
//! and missing docs denied.
#![deny(warnings, missing_docs)]

// The library under another name, for the `crate = "my_auth"` form.
extern crate stateless_auth as my_auth;

use actix_web::{App, HttpRequest, HttpResponse, Responder, get, post, route, web};
use serde::Deserialize;
use stateless_auth::{
    CurrentToken, CurrentUser, OptionalUser, TokenMixin, UserMixin, token_required,
};

/// A token model.
pub struct Token;

impl TokenMixin for Token {}

/// A user model.
pub struct User {
    name: String,
}

impl UserMixin for User {}

/// A request body.
#[derive(Deserialize)]
pub struct Item {
    count: u32,
}

/// Query parameters.
#[derive(Deserialize)]
pub struct Filter {
    verbose: bool,
}

/// Handlers in a public module, where missing docs would be reported.
pub mod api {
    use super::*;

    /// The bare form, under a route macro.
    #[get("/bare")]
    #[token_required]
    pub async fn bare(user: CurrentUser<User>) -> String {
        user.name.clone()
    }

    /// Empty parentheses, above a route macro.
    #[token_required()]
    #[get("/empty")]
    pub async fn empty(user: OptionalUser<User>) -> impl Responder {
        user.user()
            .map(|user| user.name.clone())
            .unwrap_or_default()
    }

    /// Without a route macro, for `web::resource` and `App::route`.
    #[token_required(token_type = "refresh")]
    pub async fn refresh(_token: CurrentToken<Token>) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    /// Both strings written out.
    #[route("/explicit", method = "GET", method = "HEAD")]
    #[token_required(token_type = "access", auth_type = "Bearer")]
    pub(crate) async fn explicit(req: HttpRequest) -> Result<String, actix_web::Error> {
        Ok(req.path().to_owned())
    }
}

/// Scopes and every pattern shape.
#[post("/items/{id}")]
#[token_required(scopes("read:secret", "admin"))]
async fn patterns(
    web::Json(mut item): web::Json<Item>,
    (path, query): (web::Path<u32>, web::Query<Filter>),
    ref mut counter: web::Data<u32>,
    _: HttpRequest,
) -> web::Json<u32> {
    item.count += *counter.get_ref();
    *counter = web::Data::new(item.count);

    web::Json(item.count + path.into_inner() + u32::from(query.verbose))
}

/// The library under another name.
#[get("/renamed")]
#[token_required(crate = "my_auth")]
async fn renamed(user: my_auth::CurrentUser<User>) -> String {
    user.name.clone()
}

/// The library through a module of the application that re-exports all of it.
mod facade {
    pub use stateless_auth::*;
}

/// Returns the user's name, with the library named through the application's module.
#[get("/facade")]
#[token_required(crate = "crate::facade")]
async fn through_facade(user: CurrentUser<User>, _: CurrentToken<Token>) -> String {
    user.name.clone()
}

/// A raw identifier as the handler's name.
#[get("/match")]
#[token_required]
async fn r#match() -> &'static str {
    "match"
}

/// A handler compiled out by `cfg`, together with its requirements.
#[token_required]
#[cfg(any())]
async fn compiled_out() -> &'static str {
    "never"
}

/// Sixteen parameters of the handler's own.
#[get("/sixteen")]
#[token_required(auth_type = "Token")]
async fn sixteen(
    r1: HttpRequest,
    r2: HttpRequest,
    r3: HttpRequest,
    r4: HttpRequest,
    r5: HttpRequest,
    r6: HttpRequest,
    r7: HttpRequest,
    r8: HttpRequest,
    r9: HttpRequest,
    r10: HttpRequest,
    r11: HttpRequest,
    r12: HttpRequest,
    r13: HttpRequest,
    r14: HttpRequest,
    r15: HttpRequest,
    user: CurrentUser<User>,
) -> String {
    let requests = [
        r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15,
    ];

    format!("{} {}", requests.len(), user.name)
}

fn main() {
    let _app = App::new()
        .service(api::bare)
        .service(api::empty)
        .service(api::explicit)
        .service(patterns)
        .service(renamed)
        .service(through_facade)
        .service(r#match)
        .service(sixteen)
        .service(web::resource("/refresh").route(web::post().to(api::refresh)))
        .route("/refresh-too", web::post().to(api::refresh));
}
