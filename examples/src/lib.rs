//! The example API of stateless-auth: users, access and refresh tokens on
//! SQLite, and routes protected by `stateless_auth`.
//!
//! `cargo run --example api` serves it; the tests in the `stateless-auth-tests`
//! package drive the same code through `actix_web::test` and a real server.

pub mod api_token;
pub mod auth;
pub mod clock;
pub mod db;
pub mod error;
pub mod json;
pub mod routes;
pub mod server;
pub mod settings;
pub mod token;
pub mod user;

pub use routes::configure;
