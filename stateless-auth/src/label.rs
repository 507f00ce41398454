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
    /// Creates the label of a configured value. The built-in defaults and the usual
    /// token types become static labels, so that cloning them on every request
    /// costs no atomic reference count update.
    pub(crate) fn configured(value: &str) -> Self {
        match ["access", "refresh", "Bearer"]
            .into_iter()
            .find(|known| *known == value)
        {
            Some(known) => Label::Static(known),
            None => Label::Shared(Arc::from(value)),
        }
    }

    /// Picks the route's value when it sets one, else the configured default.
    pub(crate) fn pick(route: Option<&'static str>, default: &Label) -> Self {
        match route {
            Some(value) => Label::Static(value),
            None => default.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_defaults_are_static() {
        for value in ["access", "refresh", "Bearer"] {
            let label = Label::configured(value);

            assert!(matches!(label, Label::Static(_)), "{value} is not static");
            assert_eq!(&*label, value);
        }
    }

    #[test]
    fn configured_other_value_is_shared() {
        let label = Label::configured("Token");

        assert!(matches!(label, Label::Shared(_)));
        assert_eq!(&*label, "Token");
    }
}
