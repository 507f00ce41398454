use actix_web::{App, HttpResponse, web};
use stateless_auth::{Guarded, TokenRequired, TokenSpec};

struct BlankTokenType;

impl TokenSpec for BlankTokenType {
    const TOKEN_TYPE: Option<&'static str> = Some(" ");
}

struct SpacedScheme;

impl TokenSpec for SpacedScheme {
    const AUTH_TYPE: Option<&'static str> = Some("Bearer Token");
}

struct QuotedScope;

impl TokenSpec for QuotedScope {
    const SCOPES: &'static [&'static str] = &["read", "say \"hi\""];
}

async fn blank_token_type(_guard: TokenRequired<BlankTokenType>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn spaced_scheme(_guard: TokenRequired<SpacedScheme>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn quoted_scope(_guarded: Guarded<QuotedScope, ()>) -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = App::new()
        .route("/a", web::get().to(blank_token_type))
        .route("/b", web::get().to(spaced_scheme))
        .route("/c", web::get().to(quoted_scope));
}
