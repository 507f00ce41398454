use actix_web::HttpResponse;
use stateless_auth::token_required;

#[token_required("refresh")]
async fn refresh() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
