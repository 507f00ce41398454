use actix_web::get;
use stateless_auth::token_required;

#[get("/")]
#[token_required(scopes("read write", "", "say\"hi", "ok"))]
async fn index() -> &'static str {
    "index"
}

fn main() {}
