//! The design floor: an extractor that does only the work that the API of
//! `stateless-auth` requires of every guarded request, and nothing to share it.
//!
//! It looks the app data up, parses the header with the crate's public parser,
//! boxes a future that runs the same lookups under `catch_unwind` and builds an
//! `Rc` record, then stores that record in the request's extensions. It keeps no
//! state for other extractors, runs no listeners and has no error handler. It is
//! the benchmark's reference for the cost of the required work alone.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use stateless_auth::header::parse_credentials;

use super::{Store, Token, User};

/// The record that the floor keeps in the request's extensions.
pub struct FloorRecord {
    pub token_type: &'static str,
    pub auth_type: &'static str,
    pub token: Token,
    pub user: User,
}

type Outcome = std::thread::Result<Option<Rc<FloorRecord>>>;

/// The extractor of the design floor.
pub struct Floor(pub Rc<FloorRecord>);

/// The future of [`Floor`]: the boxed lookups, then the insertion into the extensions.
pub struct FloorFuture {
    req: HttpRequest,
    lookups: Option<LocalBoxFuture<'static, Outcome>>,
}

impl FromRequest for Floor {
    type Error = actix_web::Error;
    type Future = FloorFuture;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(store) = req.app_data::<web::Data<Store>>() else {
            return FloorFuture::rejected(req);
        };
        let mut values = req.headers().get_all(AUTHORIZATION);
        let (Some(value), None) = (values.next(), values.next()) else {
            return FloorFuture::rejected(req);
        };
        let Ok(token) = parse_credentials(value.as_bytes(), "Bearer", 4096) else {
            return FloorFuture::rejected(req);
        };

        let start = token.as_ptr() as usize - value.as_bytes().as_ptr() as usize;
        let range = start..start + token.len();
        let header = value.clone();
        let store = store.clone();
        let lookups = async move {
            let token = std::str::from_utf8(&header.as_bytes()[range]).ok()?;
            let token = store.token(token)?;
            let user = store.user(&token)?;

            Some(Rc::new(FloorRecord {
                token_type: "access",
                auth_type: "Bearer",
                token,
                user,
            }))
        };

        FloorFuture {
            req: req.clone(),
            lookups: Some(Box::pin(AssertUnwindSafe(lookups).catch_unwind())),
        }
    }
}

impl FloorFuture {
    fn rejected(req: &HttpRequest) -> Self {
        FloorFuture {
            req: req.clone(),
            lookups: None,
        }
    }
}

impl Future for FloorFuture {
    type Output = Result<Floor, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(lookups) = this.lookups.as_mut() else {
            return Poll::Ready(Err(actix_web::error::ErrorUnauthorized("rejected")));
        };

        let outcome = ready!(lookups.as_mut().poll(cx));
        this.lookups = None;

        match outcome {
            Ok(Some(record)) => {
                this.req.extensions_mut().insert(Rc::clone(&record));
                Poll::Ready(Ok(Floor(record)))
            }
            _ => Poll::Ready(Err(actix_web::error::ErrorUnauthorized("rejected"))),
        }
    }
}
