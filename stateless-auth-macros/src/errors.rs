//! One place that collects every error of an expansion, so that a user sees all their
//! mistakes in one build.

use std::fmt::Display;

use quote::ToTokens;

/// Errors found so far, combined into one `syn::Error` that reports each of them.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Adds an error to the collection.
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(err),
            None => self.combined = Some(err),
        }
    }

    /// Adds an error that points at `tokens`.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Returns the combined error, or `Ok` when nothing was reported.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.combined {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;

    use super::*;

    #[test]
    fn empty_collection_finishes_ok() {
        let errors = Errors::default();

        let result = errors.finish();

        assert!(result.is_ok());
    }

    #[test]
    fn every_pushed_error_is_reported() {
        let mut errors = Errors::default();

        errors.push(syn::Error::new(Span::call_site(), "first"));
        errors.spanned(quote::quote!(second_token), "second");
        let err = errors.finish().unwrap_err();

        let messages: Vec<String> = err.into_iter().map(|err| err.to_string()).collect();
        assert_eq!(messages, ["first", "second"]);
    }
}
