//! The server that `scripts/load.sh` drives with `wrk`: a bare route and a guarded
//! route in one process, over an in-memory token map.
//!
//! ```sh
//! cargo run --release --example bench_server -- 127.0.0.1:18089
//! curl http://127.0.0.1:18089/item
//! curl -H 'Authorization: Bearer bench-access-token' http://127.0.0.1:18090/item
//! ```
//!
//! The bare route listens on the given address and the guarded route on the next
//! port. Each is the only route of its own app, with one worker thread, and both
//! have the path `/item`, so that neither pays for the router trying the other
//! route first or for a longer path. The address must be on the loopback
//! interface. No log lines are written per request, so that logging does not
//! dominate what is measured.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use stateless_auth::{
    StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin, token_required,
};

/// The token that `scripts/load.sh` sends to the guarded route.
const TOKEN: &str = "bench-access-token";

/// The bare route's address when none is given. The guarded route takes the next port.
const DEFAULT_ADDRESS: &str = "127.0.0.1:18089";

/// A token model: the user it belongs to.
#[derive(Clone, Copy)]
struct Token {
    user_id: u32,
}

impl TokenMixin for Token {}

/// A small user value, copied out of the user map.
#[derive(Clone, Copy)]
struct User {
    active: bool,
}

impl UserMixin for User {
    fn is_active(&self) -> bool {
        self.active
    }
}

/// Tokens and users in memory, as a cache in front of a database would hold them.
struct Store {
    tokens: HashMap<String, Token>,
    users: HashMap<u32, User>,
}

impl Store {
    /// Creates a store with 1,000 users, each with one token; [`TOKEN`] belongs to user 1.
    fn new() -> Self {
        let mut tokens = HashMap::new();
        let mut users = HashMap::new();
        for id in 0..1_000u32 {
            let token = if id == 1 {
                TOKEN.to_owned()
            } else {
                format!("token-{id:08}")
            };
            tokens.insert(token, Token { user_id: id });
            users.insert(id, User { active: true });
        }

        Store { tokens, users }
    }
}

/// Builds the response of both routes: a static body.
fn ok() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn bare() -> HttpResponse {
    ok()
}

#[token_required]
async fn guarded() -> HttpResponse {
    ok()
}

/// Reads the bare route's address from the first argument and checks that it and
/// the next port are on the loopback interface.
fn addresses() -> Result<(SocketAddr, SocketAddr), String> {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDRESS.to_owned());
    let bare_address: SocketAddr = text.parse().map_err(|err| {
        format!("invalid address {text:?}: {err}; give one such as {DEFAULT_ADDRESS}")
    })?;

    if !bare_address.ip().is_loopback() {
        return Err(format!(
            "address {bare_address} is not on the loopback interface; use 127.0.0.1 or [::1]"
        ));
    }
    let Some(next_port) = bare_address.port().checked_add(1) else {
        return Err(format!(
            "port {} leaves no next port for the guarded route; give a lower one",
            bare_address.port()
        ));
    };
    Ok((bare_address, SocketAddr::new(bare_address.ip(), next_port)))
}

/// The path of both routes.
const PATH: &str = "/item";

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let (bare_address, guarded_address) = addresses().map_err(std::io::Error::other)?;

    let store = Arc::new(Store::new());
    let user_store = Arc::clone(&store);
    let manager = web::Data::new(StatelessAuthManager::new(
        async move |token: &str, _: &str, _: &str| -> Result<Option<Token>, StatelessAuthError> {
            Ok(store.tokens.get(token).copied())
        },
        async move |token: &Token| Ok(user_store.users.get(&token.user_id).copied()),
    ));
    let bare_manager = manager.clone();

    // Both apps carry the manager, so that they differ only in their handler.
    let bare_server = HttpServer::new(move || {
        App::new()
            .app_data(bare_manager.clone())
            .route(PATH, web::get().to(bare))
    })
    .workers(1)
    .bind(bare_address)?
    .run();
    let guarded_server = HttpServer::new(move || {
        App::new()
            .app_data(manager.clone())
            .route(PATH, web::get().to(guarded))
    })
    .workers(1)
    .bind(guarded_address)?
    .run();

    eprintln!(
        "bench_server listening on http://{bare_address}{PATH} (bare) and \
         http://{guarded_address}{PATH} (guarded)"
    );
    // Each server stops on Ctrl-C or SIGTERM, and the process ends once the
    // guarded one has stopped.
    actix_web::rt::spawn(bare_server);
    guarded_server.await
}
