//! The `#[token_required]` attribute of stateless-auth.
//!
//! Use it through the `stateless-auth` crate, which re-exports it as
//! `stateless_auth::token_required` and defines the types that its expansion names.

mod args;
mod errors;
mod expand;
mod grammar;
mod handler;
mod suggest;

#[cfg(test)]
mod robustness_tests;

use proc_macro::TokenStream;

/// Requires a valid token before a request handler runs.
///
/// Put `#[token_required]` on an `async fn` handler. Before any of the handler's own
/// parameters is extracted, whatever their order, the whole authentication runs. It
/// parses the credentials header, runs the token and user loaders of the registered
/// `StatelessAuthManager`, checks the token's expiry, the
/// user's `is_active` and the route's scopes, and calls the `on_authorized` or
/// `on_unauthorized` listeners. A request that fails gets the authentication error
/// response, and its body is never read. A request that passes has its parameters
/// extracted as usual, so a valid token with a broken JSON body still gets the usual
/// `web::Json` error.
///
/// `CurrentUser<U>`, `CurrentToken<T>` and
/// `OptionalUser<U>` parameters read that same authentication, so
/// the loaders run once per request.
///
/// # Arguments
///
/// | argument | what the route requires | when omitted |
/// |---|---|---|
/// | `token_type = "refresh"` | the token type that the token loader receives | the config's `default_token_type`, `"access"` unless changed |
/// | `auth_type = "Bearer"` | the scheme before the token in the header, compared ignoring ASCII case | the config's `default_auth_type`, `"Bearer"` unless changed |
/// | `scopes("read:secret", "admin")` | every listed scope, each checked with `TokenMixin::has_scope`; a missing one is rejected with 403 | no scope |
/// | `crate = "my_auth"` | nothing; it names this library when Cargo.toml renames it | `::stateless_auth` |
///
/// Each argument may be given once, in any order. Values are string literals. A bare
/// crate name such as `"my_auth"` is used as `::my_auth`, and a path that starts with
/// `crate`, `self` or `super` is used as written. That path must name the library
/// itself or a module that re-exports all of it with a glob
/// (`pub use stateless_auth::*;`), because the expansion also names items that the
/// library hides from its docs.
///
/// A token type is any string that the token loader understands, so a misspelled
/// one compiles, and a loader that checks the type then rejects every token with
/// 401. The debug log line of each rejection names the token type and scheme that
/// the route requires.
///
/// # Examples
///
/// ## `#[token_required]` and `#[token_required()]`
///
/// Both take the token type and the scheme from the config. A complete application:
///
/// ```rust
/// use actix_web::http::StatusCode;
/// use actix_web::{App, get, test, web};
/// use stateless_auth::{
///     CurrentUser, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin, token_required,
/// };
///
/// struct Token {
///     user_id: u32,
/// }
/// impl TokenMixin for Token {}
///
/// struct User {
///     name: String,
/// }
/// impl UserMixin for User {}
///
/// async fn load_token(
///     token: &str,
///     token_type: &str,
///     _auth_type: &str,
/// ) -> Result<Option<Token>, StatelessAuthError> {
///     // A real application looks the token up in its database.
///     Ok((token == "alice-token" && token_type == "access").then_some(Token { user_id: 1 }))
/// }
///
/// async fn load_user(token: &Token) -> Result<Option<User>, StatelessAuthError> {
///     Ok(Some(User { name: format!("user {}", token.user_id) }))
/// }
///
/// #[get("/hello")]
/// #[token_required]
/// async fn hello(user: CurrentUser<User>) -> String {
///     format!("hello, {}", user.name)
/// }
///
/// #[get("/bye")]
/// #[token_required()]
/// async fn bye(user: CurrentUser<User>) -> String {
///     format!("bye, {}", user.name)
/// }
///
/// #[actix_web::main]
/// async fn main() {
///     let manager = StatelessAuthManager::new(load_token, load_user);
///     let app = App::new().app_data(web::Data::new(manager)).service(hello).service(bye);
///     let app = test::init_service(app).await;
///
///     let req = test::TestRequest::get()
///         .uri("/hello")
///         .insert_header(("Authorization", "Bearer alice-token"))
///         .to_request();
///     let body = test::call_and_read_body(&app, req).await;
///     assert_eq!(body, "hello, user 1");
///
///     // Without the header: 400 `No token provided`.
///     let req = test::TestRequest::get().uri("/bye").to_request();
///     let res = test::call_service(&app, req).await;
///     assert_eq!(res.status(), StatusCode::BAD_REQUEST);
/// }
/// ```
///
/// ## `token_type`
///
/// The token loader receives `"refresh"` as the token type. A loader that looks tokens
/// up by token and type rejects an access token sent here with 401 `Invalid token`.
///
/// ```rust
/// use actix_web::{HttpResponse, post};
/// use stateless_auth::{CurrentToken, token_required};
/// # struct Token;
/// # impl stateless_auth::TokenMixin for Token {}
///
/// #[post("/refresh_token")]
/// #[token_required(token_type = "refresh")]
/// async fn refresh(token: CurrentToken<Token>) -> HttpResponse {
///     // Revoke `token` and issue a new pair here.
///     HttpResponse::Created().finish()
/// }
/// ```
///
/// ## `token_type` and `auth_type`
///
/// Here the header must read `Authorization: Bearer <token>`, with the scheme in any
/// letter case. A token of another scheme, such as `Basic dXNlcg==`, is rejected with
/// 400 `Invalid token type`, or with 401 when the config sets `strict_rfc6750`. With
/// `auth_type = "Token"`, the header would read `Authorization: Token <token>` instead.
///
/// ```rust
/// use actix_web::{HttpResponse, get};
/// use stateless_auth::{CurrentUser, token_required};
/// # struct User { name: String }
/// # impl stateless_auth::UserMixin for User {}
///
/// #[get("/profile")]
/// #[token_required(token_type = "access", auth_type = "Bearer")]
/// async fn profile(user: CurrentUser<User>) -> HttpResponse {
///     HttpResponse::Ok().body(user.name.clone())
/// }
/// ```
///
/// ## `scopes`
///
/// The request is answered with 403 `Insufficient scope` unless the token grants every
/// listed scope. Each scope must be an RFC 6750 scope token: visible ASCII other than
/// `"` and `\`, so no space.
///
/// ```rust
/// use actix_web::{HttpResponse, delete, web};
/// use stateless_auth::{CurrentUser, TokenMixin, token_required};
/// # struct User { name: String }
/// # impl stateless_auth::UserMixin for User {}
///
/// struct Token {
///     scopes: Vec<String>,
/// }
///
/// impl TokenMixin for Token {
///     fn has_scope(&self, scope: &str) -> bool {
///         self.scopes.iter().any(|granted| granted == scope)
///     }
/// }
///
/// #[delete("/secrets/{id}")]
/// #[token_required(scopes("read:secret", "admin"))]
/// async fn delete_secret(id: web::Path<u32>, admin: CurrentUser<User>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("secret {} deleted by {}", id.into_inner(), admin.name))
/// }
/// ```
///
/// ## `crate`
///
/// For a Cargo.toml that renames the library, such as
/// `my_auth = { package = "stateless-auth", version = "0.1" }`:
///
/// ```rust
/// # extern crate stateless_auth as my_auth;
/// use actix_web::get;
/// use my_auth::{CurrentUser, token_required};
/// # struct User { name: String }
/// # impl my_auth::UserMixin for User {}
///
/// #[get("/me")]
/// #[token_required(crate = "my_auth")]
/// async fn me(user: CurrentUser<User>) -> String {
///     user.name.clone()
/// }
/// # fn main() {}
/// ```
///
/// ## Handler shapes
///
/// A route macro may be written above or below the attribute, and a handler without
/// one can be registered with `web::resource(..).route(..)` or `App::route`.
/// Parameters may use `mut` and destructuring patterns, and the return type may be any
/// responder. Here the body extractor comes first and is still extracted only after
/// authentication.
///
/// ```rust
/// use actix_web::{App, HttpResponse, Responder, post, web};
/// use serde::Deserialize;
/// use stateless_auth::{CurrentUser, token_required};
/// # struct User { name: String }
/// # impl stateless_auth::UserMixin for User {}
///
/// #[derive(Deserialize)]
/// struct Note {
///     text: String,
/// }
///
/// #[derive(Deserialize)]
/// struct Filter {
///     draft: bool,
/// }
///
/// #[token_required]
/// #[post("/notes")]
/// async fn add_note(web::Json(mut note): web::Json<Note>, user: CurrentUser<User>) -> impl Responder {
///     note.text.push_str(" (signed)");
///     HttpResponse::Created().body(format!("{}: {}", user.name, note.text))
/// }
///
/// #[token_required(scopes("notes:write"))]
/// async fn move_note(
///     (id, filter): (web::Path<u32>, web::Query<Filter>),
///     user: CurrentUser<User>,
/// ) -> Result<String, actix_web::Error> {
///     Ok(format!("{} moved note {} (draft: {})", user.name, id.into_inner(), filter.draft))
/// }
///
/// let app = App::new()
///     .service(add_note)
///     .service(web::resource("/notes/{id}/move").route(web::post().to(move_note)))
///     .route("/notes/{id}/move-again", web::post().to(move_note));
/// ```
///
/// # Compile errors
///
/// Each mistake is a compile error that points at the offending token, and all of them
/// are reported in one build:
///
/// - an unknown argument, with the nearest accepted name when it looks like a typo;
/// - a duplicate argument, or a value that is not a string literal;
/// - an empty or blank `token_type`, an empty `auth_type`, or an `auth_type` with a
///   character that an authentication scheme cannot have (RFC 9110 token characters
///   only);
/// - an empty `scopes()`, or a scope that is not an RFC 6750 scope token;
/// - a `crate` value that is not a module path, such as one with generic arguments,
///   `Self`, `crate` or `self` after its start, or `super` after another name;
/// - an item that is not a function, a function that is not `async`, or a method with
///   a `self` receiver;
/// - attributes on parameters, the attribute given twice, or more than 16 parameters.
///
/// The item is still emitted, a plain `fn` as an `async fn`, so a route macro on it
/// reports no error of its own. The exception is a handler with more than 16
/// parameters, which actix-web cannot call.
///
/// # Expansion
///
/// Beside the handler the attribute defines a hidden unit type named
/// `__stateless_auth_spec_<handler>` that implements `TokenSpec`
/// with the route's requirements. The handler's parameters become one
/// `Guarded<Spec, (P1, P2, ..), Readers<(R1, R2, ..)>>` parameter, and the original patterns
/// are bound from it at the top of the body. Because the type is defined beside the
/// function, the attribute cannot be used on a function inside an `impl` or `trait`
/// block. A method with a `self` receiver gets an error of the attribute's own, but
/// the attribute cannot tell an associated function without one from a free
/// function. For such a function rustc 1.95 reports ``struct is not supported in
/// `trait`s or `impl`s`` at the attribute and `cannot find type
/// __stateless_auth_spec_<handler>` at the function's name. Write `Guarded` in its
/// signature instead.
///
/// `Guarded`'s second type parameter, the tuple `(P1, P2, ..)`, lists the
/// parameters that actix-web extracts. A handler has at most 16 of them, because
/// actix-web extracts tuples of up to 16 elements. A handler that needs more can
/// group some into one tuple parameter, such as
/// `(path, query): (web::Path<u32>, web::Query<Filter>)`.
///
/// The third type parameter wraps the tuple `(R1, R2, ..)` of the parameters whose
/// type is written `CurrentUser<..>` or `CurrentToken<..>`, alone or after the
/// library's path, in a hidden `Readers` type. `Guarded` checks their model types
/// while it extracts the request, and the handler builds them from its
/// authentication when it starts, which costs less than extracting them. When no
/// parameter is written that way, the third type parameter is left out. The
/// attribute reads names, not types:
///
/// - a type of another library named `CurrentUser<T>` and imported under that name
///   is rejected at compile time, with an error that explains this, even when it
///   implements `FromAuthenticated`. Write it with its path
///   (`session::CurrentUser<T>`) or import it under another name;
/// - a renamed import of this library's types (`use stateless_auth::CurrentUser as
///   Me`) is extracted like any other parameter. The handler behaves the same,
///   except that a model type mismatch is found after the parameters before it are
///   extracted, so a body extractor before it reads the body first;
/// - a type of your own that implements `FromAuthenticated`, such as an `Admin`, is
///   extracted like any other parameter too, so rustc reports that it does not
///   implement `FromRequest` where the handler is registered. Write such a handler
///   without the attribute, with `Guarded<S, Args, (Admin,)>` in its signature, as the
///   docs of `FromAuthenticated` show.
#[proc_macro_attribute]
pub fn token_required(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::token_required(args.into(), item.into()).into()
}
