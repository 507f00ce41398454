use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, get};
use stateless_auth::token_required;

/// Another library's extractor that happens to share the name.
mod session {
    pub struct CurrentUser<T>(pub T);
}

use session::CurrentUser;

impl FromRequest for CurrentUser<String> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(CurrentUser(String::from("guest"))))
    }
}

#[get("/")]
#[token_required]
async fn index(user: CurrentUser<String>) -> String {
    user.0
}

fn main() {}
