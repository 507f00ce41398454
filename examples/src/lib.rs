//! The example API of stateless-auth: users, access and refresh tokens on
//! SQLite, and routes protected by `stateless_auth`.
//!
//! `cargo run --example api` serves it; the tests in the `stateless-auth-tests`
//! package drive the same code through `actix_web::test` and a real server.
//!
//! Like the original, it is a demonstration and not a template. `POST
//! /create_token`, `DELETE /delete_token` and `DELETE /user` act on the username
//! in the request body without asking for a password, so anyone who can reach the
//! server can act as any user. A service built from this code must authenticate
//! the user first, with a password or single sign-on, and take the user from that
//! step rather than from the body.

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
