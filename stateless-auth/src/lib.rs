#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authenticated;
mod challenge;
mod config;
mod const_message;
mod current_token;
mod current_user;
mod error;
mod extract;
mod from_authenticated;
mod grammar;
mod guarded;
pub mod header;
mod label;
mod loaders;
mod manager;
mod mixin;
mod optional_user;
mod readers;
mod rejection;
mod slot;
mod spec;
mod token_required;

pub use crate::authenticated::Authenticated;
pub use crate::config::{ConfigError, DEFAULT_MAX_TOKEN_LENGTH, StatelessAuthConfig};
pub use crate::current_token::CurrentToken;
pub use crate::current_user::CurrentUser;
pub use crate::error::{ErrorKind, StatelessAuthError};
pub use crate::extract::ExtractFuture;
pub use crate::from_authenticated::FromAuthenticated;
pub use crate::guarded::{Guarded, GuardedFuture};
pub use crate::manager::StatelessAuthManager;
pub use crate::mixin::{TokenMixin, UserMixin};
pub use crate::optional_user::{OptionalUser, OptionalUserFuture};
pub use crate::spec::{Access, ConfigDefaults, Refresh, TokenSpec};
pub use crate::token_required::TokenRequired;
pub use stateless_auth_macros::token_required;

#[doc(hidden)]
pub mod __private {
    //! Items that the expansion of `#[token_required]` names. They are not a public API.

    pub use crate::readers::{Reader, Readers};
}
