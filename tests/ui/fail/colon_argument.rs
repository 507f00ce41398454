use actix_web::get;
use stateless_auth::token_required;

#[get("/")]
#[token_required(token_type: "refresh")]
async fn index() -> &'static str {
    "index"
}

fn main() {}
