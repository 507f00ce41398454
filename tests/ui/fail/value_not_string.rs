use actix_web::get;
use stateless_auth::token_required;

#[get("/")]
#[token_required(token_type = refresh, auth_type = 1, scopes(admin), crate = my_auth)]
async fn index() -> &'static str {
    "index"
}

fn main() {}
