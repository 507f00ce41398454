use actix_web::{HttpRequest, get};
use stateless_auth::token_required;

#[get("/")]
#[token_required]
async fn index(#[allow(unused_variables)] req: HttpRequest) -> &'static str {
    "index"
}

fn main() {}
