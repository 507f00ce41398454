//! The user and token parameters of a `#[token_required]` handler: checked while
//! the request is extracted, built in the handler.

use std::marker::PhantomData;

use crate::authenticated::Authenticated;
use crate::current_token::CurrentToken;
use crate::current_user::CurrentUser;
use crate::error::StatelessAuthError;
use crate::from_authenticated::FromAuthenticated;
use crate::guarded::Guarded;
use crate::spec::TokenSpec;

/// A parameter that can be built from any authentication that [`check`](Self::check)
/// accepted, without failing: [`CurrentUser`], [`CurrentToken`] and tuples of them.
///
/// The expansion of `#[token_required]` uses it. It is not a public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be built from the authentication",
    label = "not this library's `CurrentUser` or `CurrentToken`",
    note = "`#[token_required]` takes every parameter whose type is written `CurrentUser<..>` or \
            `CurrentToken<..>` for this library's type, so another type with that name, even one \
            that implements `FromAuthenticated`, must be written with its path \
            (`session::CurrentUser<T>`) or under another name"
)]
pub trait Reader: Sized {
    /// Rejects an authentication whose models do not have the types that `Self` reads.
    fn check(authenticated: &Authenticated) -> Result<(), StatelessAuthError>;

    /// Builds the value from an authentication that [`check`](Self::check) accepted.
    fn take(authenticated: Authenticated) -> Self;
}

impl<U: 'static> Reader for CurrentUser<U> {
    #[inline]
    fn check(authenticated: &Authenticated) -> Result<(), StatelessAuthError> {
        Self::check_type(authenticated)
    }

    #[inline]
    fn take(authenticated: Authenticated) -> Self {
        Self::unchecked(authenticated)
    }
}

impl<T: 'static> Reader for CurrentToken<T> {
    #[inline]
    fn check(authenticated: &Authenticated) -> Result<(), StatelessAuthError> {
        Self::check_type(authenticated)
    }

    #[inline]
    fn take(authenticated: Authenticated) -> Self {
        Self::unchecked(authenticated)
    }
}

/// Implements [`Reader`] for a tuple of readers. Every element but the last gets a
/// clone of the authentication, and the last one takes it.
macro_rules! tuple_reader {
    ($($init:ident)* ; $last:ident) => {
        impl<$($init: Reader,)* $last: Reader> Reader for ($($init,)* $last,) {
            #[inline]
            fn check(authenticated: &Authenticated) -> Result<(), StatelessAuthError> {
                $($init::check(authenticated)?;)*
                $last::check(authenticated)
            }

            #[inline]
            fn take(authenticated: Authenticated) -> Self {
                ($($init::take(authenticated.clone()),)* $last::take(authenticated),)
            }
        }
    };
}

tuple_reader!(; A);
tuple_reader!(A; B);
tuple_reader!(A B; C);
tuple_reader!(A B C; D);
tuple_reader!(A B C D; E);
tuple_reader!(A B C D E; F);
tuple_reader!(A B C D E F; G);
tuple_reader!(A B C D E F G; H);
tuple_reader!(A B C D E F G H; I);
tuple_reader!(A B C D E F G H I; J);
tuple_reader!(A B C D E F G H I J; K);
tuple_reader!(A B C D E F G H I J K; L);
tuple_reader!(A B C D E F G H I J K L; M);
tuple_reader!(A B C D E F G H I J K L M; N);
tuple_reader!(A B C D E F G H I J K L M N; O);
tuple_reader!(A B C D E F G H I J K L M N O; P);

/// The third type parameter of the `Guarded` that `#[token_required]` writes for
/// a handler with user or token parameters.
///
/// Extraction only checks the model types that `R` reads, so the value that
/// actix-web moves into the handler is no larger than without them. The handler
/// then builds `R` from the authentication with `Guarded::__into_readers`, which
/// clones the shared record once for each reader but the last.
///
/// The expansion of `#[token_required]` uses it. It is not a public API.
#[doc(hidden)]
pub struct Readers<R>(PhantomData<fn() -> R>);

impl<R: Reader> FromAuthenticated for Readers<R> {
    #[inline]
    fn from_authenticated(authenticated: &Authenticated) -> Result<Self, StatelessAuthError> {
        R::check(authenticated)?;

        Ok(Readers(PhantomData))
    }
}

impl<S: TokenSpec, Args, R> Guarded<S, Args, Readers<R>> {
    /// Returns the extracted parameters and the readers, built from the
    /// authentication that extraction checked.
    ///
    /// The expansion of `#[token_required]` uses it. It is not a public API.
    #[doc(hidden)]
    #[inline]
    pub fn __into_readers(self) -> (Args, R)
    where
        // With the bound here rather than on the `impl`, a type that is not a reader
        // gets the trait's own error message at the call.
        R: Reader,
    {
        let (args, authenticated) = self.into_args_and_authenticated();

        (args, R::take(authenticated))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;
    use crate::label::Label;
    use crate::mixin::TokenMixin;

    struct Token(&'static str);

    impl TokenMixin for Token {}

    fn authenticated() -> Authenticated {
        Authenticated::new(
            Label::Static("access"),
            Label::Static("Bearer"),
            Token("t-1"),
            String::from("alice"),
        )
    }

    #[test]
    fn tuple_take_builds_every_reader() {
        let authenticated = authenticated();
        type Three = (
            CurrentUser<String>,
            CurrentToken<Token>,
            CurrentUser<String>,
        );

        let checked = <Three as Reader>::check(&authenticated);
        let (first, token, last) = <Three as Reader>::take(authenticated);

        assert!(checked.is_ok());
        assert_eq!(first.as_str(), "alice");
        assert_eq!(token.0, "t-1");
        assert_eq!(last.as_str(), "alice");
    }

    #[test]
    fn tuple_check_rejects_mismatched_model() {
        let authenticated = authenticated();
        type Mismatched = (CurrentUser<String>, CurrentToken<u64>);

        let Err(err) = <Mismatched as Reader>::check(&authenticated) else {
            panic!("a token model of another type passed the check");
        };

        assert_eq!(err.code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
