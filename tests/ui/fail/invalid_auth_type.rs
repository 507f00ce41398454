use actix_web::get;
use stateless_auth::token_required;

#[get("/space")]
#[token_required(auth_type = "Bearer Token")]
async fn space() -> &'static str {
    "space"
}

#[get("/colon")]
#[token_required(auth_type = "Bearer:")]
async fn colon() -> &'static str {
    "colon"
}

fn main() {}
