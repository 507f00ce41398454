//! A cheaply cloned string: a token type or scheme from a route's spec or the config.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A `&'static str` from a [`TokenSpec`](crate::TokenSpec) constant, or a shared
/// string from the configuration; cloning either never allocates.
#[derive(Clone)]
pub(crate) enum Label {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Label {
    /// Picks the route's value when it sets one, else the configured default.
    pub(crate) fn pick(route: Option<&'static str>, default: &Arc<str>) -> Self {
        match route {
            Some(value) => Label::Static(value),
            None => Label::Shared(Arc::clone(default)),
        }
    }
}

impl Deref for Label {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Label::Static(value) => value,
            Label::Shared(value) => value,
        }
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
