use actix_web::get;
use stateless_auth::token_required;

#[get("/")]
#[token_required(crate = "stateless-auth")]
async fn index() -> &'static str {
    "index"
}

fn main() {}
