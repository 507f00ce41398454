//! Routes of the example API and the function that registers them.

mod index;
mod protected;
mod tokens;
mod users;

use actix_web::web;
use sqlx::SqlitePool;

use crate::auth::auth_manager;
use crate::json::json_config;

pub use index::index;
pub use protected::{no_current_stateless_user, secret, whoami};
pub use tokens::{create_token, delete_token, refresh_token};
pub use users::{create_user, delete_user};

/// Returns a function that registers the example API on an `App`: the routes,
/// the database pool, the `stateless_auth` manager and the JSON configuration.
///
/// ```no_run
/// # async fn run(pool: sqlx::SqlitePool) -> std::io::Result<()> {
/// use actix_web::{App, HttpServer};
///
/// HttpServer::new(move || App::new().configure(stateless_auth_examples::configure(pool.clone())))
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// # }
/// ```
pub fn configure(pool: SqlitePool) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(auth_manager(pool.clone())))
            .app_data(web::Data::new(pool))
            .app_data(json_config())
            // Resources rather than `route`, so that another method on a known path
            // gets 405 instead of 404.
            .service(web::resource("/").get(index))
            .service(web::resource("/user").post(create_user).delete(delete_user))
            .service(web::resource("/create_token").post(create_token))
            .service(web::resource("/delete_token").delete(delete_token))
            .service(web::resource("/refresh_token").put(refresh_token))
            .service(web::resource("/secret").get(secret))
            .service(web::resource("/whoami").get(whoami))
            .service(web::resource("/no_current_stateless_user").get(no_current_stateless_user));
    }
}
