//! A hand-written spec with valid values in every constant builds, with warnings
//! and missing docs denied.
#![deny(warnings, missing_docs)]

use actix_web::{App, HttpResponse, web};
use stateless_auth::{Guarded, TokenRequired, TokenSpec};

/// Every constant set, each to a valid value.
pub struct Custom;

impl TokenSpec for Custom {
    const TOKEN_TYPE: Option<&'static str> = Some("api-key");
    const AUTH_TYPE: Option<&'static str> = Some("X-Key!");
    const SCOPES: &'static [&'static str] = &["read:items", "a/b", "[x]"];
}

async fn guard(_guard: TokenRequired<Custom>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn guarded(guarded: Guarded<Custom, (web::Path<u32>,)>) -> HttpResponse {
    let (path,) = guarded.into_inner();

    HttpResponse::Ok().body(path.to_string())
}

fn main() {
    let _ = App::new()
        .route("/guard", web::get().to(guard))
        .route("/guarded/{id}", web::get().to(guarded));
}
