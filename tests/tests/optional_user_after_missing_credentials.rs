//! `OptionalUser` extracted by a middleware after a `#[token_required]` handler
//! rejected a request without credentials is `None`, and the rejection reaches
//! the listeners and the error handler once.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, FromRequest, test, web};
use stateless_auth::{CurrentUser, OptionalUser, token_required};
use stateless_auth_tests::{Calls, Store, User, count_error_handler, counting_manager};

/// Returns the user's name.
#[token_required]
async fn whoami(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Extracts `OptionalUser` once the handler responded, and copies the outcome
/// into an `x-later-user` header: the user's name, `none`, or `err` and the
/// rejection's status.
async fn read_user_after(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;

    let described = match OptionalUser::<User>::extract(response.request()).await {
        Ok(user) => user
            .user()
            .map_or_else(|| "none".to_owned(), |user| user.name.clone()),
        Err(err) => format!("err {}", err.as_response_error().status_code().as_u16()),
    };
    response.headers_mut().insert(
        HeaderName::from_static("x-later-user"),
        HeaderValue::from_str(&described).unwrap(),
    );
    Ok(response)
}

/// Sends `authorization`, if any, to the handler behind [`read_user_after`], and
/// returns the status, the `x-later-user` header, the loads and the calls of the
/// listeners and the error handler.
async fn send(
    authorization: Option<&str>,
    handle_errors: bool,
) -> (u16, String, (usize, usize), (usize, usize, usize)) {
    let store = Store::standard();
    let calls = Calls::default();
    let mut manager = counting_manager(&store, &calls);
    if handle_errors {
        manager = count_error_handler(manager, &calls);
    }
    let app = test::init_service(
        App::new().app_data(web::Data::new(manager)).service(
            web::resource("/whoami")
                .wrap(from_fn(read_user_after))
                .route(web::get().to(whoami)),
        ),
    )
    .await;
    let mut request = test::TestRequest::get().uri("/whoami");
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value));
    }

    let response = test::call_service(&app, request.to_request()).await;

    let later = response.headers().get("x-later-user").unwrap();
    let later = later.to_str().unwrap().to_owned();
    (
        response.status().as_u16(),
        later,
        store.loads(),
        calls.counts(),
    )
}

#[actix_web::test]
async fn later_optional_user_without_credentials_is_none() {
    for authorization in [None, Some(""), Some("   ")] {
        let (status, later, loads, counts) = send(authorization, false).await;

        assert_eq!(status, 400, "{authorization:?}");
        assert_eq!(later, "none", "{authorization:?}");
        assert_eq!(loads, (0, 0), "{authorization:?}");
        assert_eq!(counts, (0, 1, 0), "{authorization:?}");
    }
}

#[actix_web::test]
async fn later_optional_user_skips_error_handler() {
    for authorization in [None, Some(""), Some("   ")] {
        let (status, later, loads, counts) = send(authorization, true).await;

        assert_eq!(status, 418, "{authorization:?}");
        assert_eq!(later, "none", "{authorization:?}");
        assert_eq!(loads, (0, 0), "{authorization:?}");
        assert_eq!(
            counts,
            (0, 1, 1),
            "{authorization:?}: the error handler ran for the later reader"
        );
    }
}

#[actix_web::test]
async fn later_optional_user_keeps_malformed_rejection() {
    let (status, later, loads, counts) = send(Some("Bearer a b"), false).await;

    assert_eq!(status, 400);
    assert_eq!(later, "err 400");
    assert_eq!(loads, (0, 0));
    assert_eq!(counts, (0, 1, 0));
}
