use actix_web::HttpResponse;
use stateless_auth::token_required;

struct Api;

impl Api {
    #[token_required]
    async fn index() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
