use actix_web::get;
use stateless_auth::{Authenticated, FromAuthenticated, StatelessAuthError, token_required};

/// A type of the application's own that happens to share the name, built from the
/// authentication. `#[token_required]` takes the name for this library's
/// `CurrentUser`, so it rejects this type.
mod session {
    pub struct CurrentUser<T>(pub T);
}

use session::CurrentUser;

impl FromAuthenticated for CurrentUser<String> {
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        Ok(CurrentUser(authenticated.token_type().to_owned()))
    }
}

#[get("/")]
#[token_required]
async fn index(user: CurrentUser<String>) -> String {
    user.0
}

fn main() {}
