//! The HTTP server of the example API.

use std::io;
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer};
use sqlx::SqlitePool;

use crate::routes::configure;

/// Starts serving the example API on `listener`, with actix-web's default
/// number of workers (the available parallelism of the machine).
///
/// The returned [`Server`] runs once awaited or spawned; its
/// [`handle`](Server::handle) stops it. Each request is logged at `info` level
/// by actix-web's [`Logger`], whose default format leaves out the
/// `Authorization` header.
///
/// # Errors
///
/// Returns the I/O error when the listener cannot be handed to actix-web.
pub fn start(pool: SqlitePool, listener: TcpListener) -> io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(Logger::default())
            .configure(configure(pool.clone()))
    })
    .listen(listener)?
    .run();

    Ok(server)
}
