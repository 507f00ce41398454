#![deny(unused_must_use)]

use stateless_auth::{StatelessAuthConfig, StatelessAuthError, StatelessAuthManager, TokenMixin, UserMixin};

struct Token;
impl TokenMixin for Token {}

struct User;
impl UserMixin for User {}

async fn load_token(_: &str, _: &str, _: &str) -> Result<Option<Token>, StatelessAuthError> {
    Ok(None)
}

async fn load_user(_: &Token) -> Result<Option<User>, StatelessAuthError> {
    Ok(None)
}

fn main() {
    // Each setter consumes the manager, so calling one as a statement drops the
    // manager together with the setting.
    StatelessAuthManager::new(load_token, load_user);
    StatelessAuthManager::new(load_token, load_user).with_config(StatelessAuthConfig::default());
    StatelessAuthManager::new(load_token, load_user).on_authorized(|_, _| {});
    StatelessAuthManager::new(load_token, load_user).on_unauthorized(|_, _| {});
    StatelessAuthManager::new(load_token, load_user).error_handler(|err, _| err.into());
}
