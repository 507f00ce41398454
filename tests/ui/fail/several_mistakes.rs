use actix_web::get;
use stateless_auth::token_required;

// Every mistake is reported in one build, and the route macros on either side add
// no error of their own.
#[get("/")]
#[token_required(tokn_type = "access", auth_type = "", scopes())]
fn index() -> &'static str {
    "index"
}

#[token_required(scopes("a b"), scopes("c"))]
#[get("/other")]
async fn other() -> &'static str {
    "other"
}

fn main() {}
