//! The example API: users, access and refresh tokens on SQLite.
//!
//! ```sh
//! RUST_LOG=info cargo run --example api
//! ```
//!
//! `DATABASE_URL` names the SQLite database (default
//! `sqlite://stateless-auth-example.db` in the working directory) and
//! `BIND_ADDR` the address to serve (default `127.0.0.1:8080`). The routes are
//! listed in the README.

use std::io;
use std::net::TcpListener;

use stateless_auth_examples::settings::Settings;
use stateless_auth_examples::{db, server};

#[actix_web::main]
async fn main() -> io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = Settings::from_env();
    log::info!("starting the example API");
    log::warn!(
        "this example issues tokens for any username without a password, so keep it on \
         127.0.0.1 and do not serve it as it is"
    );

    let pool = db::open(&settings.database_url).await.map_err(|err| {
        log::error!("opening database {} failed: {err}", settings.database_url);
        io::Error::other(err)
    })?;
    log::info!("database {} is ready", settings.database_url);

    let listener = TcpListener::bind(&settings.bind_addr).inspect_err(|err| {
        log::error!("binding {} failed: {err}", settings.bind_addr);
    })?;
    log::info!("listening on http://{}", listener.local_addr()?);

    server::start(pool.clone(), listener)?.await?;

    pool.close().await;
    log::info!("stopped");
    Ok(())
}
