use actix_web::get;
use stateless_auth::token_required;

#[get("/typo")]
#[token_required(tokn_type = "refresh")]
async fn typo() -> &'static str {
    "typo"
}

#[get("/unrelated")]
#[token_required(timeout = "5")]
async fn unrelated() -> &'static str {
    "unrelated"
}

fn main() {}
