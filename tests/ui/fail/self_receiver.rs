use stateless_auth::token_required;

struct Api;

impl Api {
    #[token_required]
    async fn index(&self) -> &'static str {
        "index"
    }
}

fn main() {
    let _ = Api.index();
}
