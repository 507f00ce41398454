use stateless_auth::token_required;

#[token_required]
struct Index;

#[token_required(scopes("admin"))]
const LIMIT: u32 = 3;

fn main() {
    let _ = (Index, LIMIT);
}
