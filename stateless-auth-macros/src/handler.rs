//! The annotated item: checked to be an `async fn` request handler that the macro can
//! wrap.

use proc_macro2::TokenStream;
use syn::{FnArg, Item, ItemFn, PatType};

use crate::errors::Errors;

/// Most parameters a handler may take, because actix-web implements `FromRequest` for
/// tuples of up to 16 extractors and the macro extracts the parameters as one tuple.
pub(crate) const MAX_PARAMS: usize = 16;

/// An `async fn` request handler that passed every check.
pub(crate) struct Handler {
    /// The function as written.
    pub(crate) function: ItemFn,
    /// Its parameters, each a pattern and a type.
    pub(crate) params: Vec<PatType>,
}

/// Parses the annotated item and checks that the macro can wrap it.
///
/// Returns `None` when a check failed, with each failure in `errors`.
pub(crate) fn parse_handler(item: TokenStream, errors: &mut Errors) -> Option<Handler> {
    let function = match syn::parse2::<Item>(item) {
        Ok(Item::Fn(function)) => function,
        Ok(other) => {
            errors.spanned(
                item_head(&other),
                "`#[token_required]` can only be applied to an `async fn` request handler",
            );
            return None;
        }
        Err(err) => {
            errors.push(err);
            return None;
        }
    };

    let mut handler_errors = Errors::default();
    check_signature(&function, &mut handler_errors);
    let params = collect_params(&function, &mut handler_errors);

    if let Err(err) = handler_errors.finish() {
        errors.push(err);
        return None;
    }
    Some(Handler { function, params })
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let signature = &function.sig;

    if signature.asyncness.is_none() {
        errors.spanned(
            signature.fn_token,
            "`#[token_required]` needs an `async fn` handler. Add `async` before `fn`",
        );
    }
    if let Some(attr) = function.attrs.iter().find(|attr| is_token_required(attr)) {
        errors.spanned(
            attr,
            "duplicate `#[token_required]`, merge the arguments into one attribute",
        );
    }
}

fn collect_params(function: &ItemFn, errors: &mut Errors) -> Vec<PatType> {
    let mut params = Vec::new();

    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.spanned(
                receiver,
                "`#[token_required]` cannot wrap a method. Move the handler out of the \
                 `impl` block into a free `async fn`",
            ),
            FnArg::Typed(param) => {
                for attr in &param.attrs {
                    errors.spanned(
                        attr,
                        "`#[token_required]` does not support attributes on handler parameters",
                    );
                }
                params.push(param.clone());
            }
        }
    }

    if params.len() > MAX_PARAMS {
        let extra: Vec<&PatType> = params[MAX_PARAMS..].iter().collect();
        errors.spanned(
            quote::quote!(#(#extra),*),
            format!(
                "`#[token_required]` handlers take at most {MAX_PARAMS} parameters, the \
                 largest extractor tuple of actix-web, but this one takes {}. Group some \
                 into a tuple parameter, such as `(path, query): (web::Path<u32>, \
                 web::Query<Filter>)`",
                params.len()
            ),
        );
    }

    params
}

/// Returns whether `attr` is another `#[token_required]`, under any path.
fn is_token_required(attr: &syn::Attribute) -> bool {
    let last = attr.path().segments.last();

    last.is_some_and(|segment| segment.ident == "token_required")
}

/// Returns the leading tokens of an item up to its name, so that an error underlines
/// `struct Config` rather than the whole item.
fn item_head(item: &Item) -> TokenStream {
    use quote::quote;

    match item {
        Item::Const(item) => {
            let (token, ident) = (&item.const_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Enum(item) => {
            let (token, ident) = (&item.enum_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Impl(item) => {
            let (token, ty) = (&item.impl_token, &item.self_ty);
            quote!(#token #ty)
        }
        Item::Mod(item) => {
            let (token, ident) = (&item.mod_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Static(item) => {
            let (token, ident) = (&item.static_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Struct(item) => {
            let (token, ident) = (&item.struct_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Trait(item) => {
            let (token, ident) = (&item.trait_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Type(item) => {
            let (token, ident) = (&item.type_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Union(item) => {
            let (token, ident) = (&item.union_token, &item.ident);
            quote!(#token #ident)
        }
        other => quote!(#other),
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    fn error_messages(item: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();

        let handler = parse_handler(item, &mut errors);

        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(err) => {
                assert!(handler.is_none(), "a handler was returned despite errors");
                err.into_iter().map(|err| err.to_string()).collect()
            }
        }
    }

    #[test]
    fn async_fn_with_patterns_is_accepted() {
        let mut errors = Errors::default();

        let handler = parse_handler(
            quote! {
                pub async fn create(web::Json(item): web::Json<Item>, mut user: CurrentUser<User>) -> impl Responder {
                    item
                }
            },
            &mut errors,
        );

        assert!(errors.finish().is_ok());
        let handler = handler.expect("handler accepted");
        let patterns: Vec<String> = handler
            .params
            .iter()
            .map(|param| param.pat.to_token_stream().to_string())
            .collect();
        assert_eq!(patterns, ["web :: Json (item)", "mut user"]);
    }

    #[test]
    fn struct_is_rejected_at_its_name() {
        let messages = error_messages(quote!(
            struct Config {
                field: u8,
            }
        ));

        assert_eq!(
            messages,
            ["`#[token_required]` can only be applied to an `async fn` request handler"]
        );
    }

    #[test]
    fn non_async_fn_is_rejected() {
        let messages = error_messages(quote!(
            fn index() -> &'static str {
                "hi"
            }
        ));

        assert_eq!(
            messages,
            ["`#[token_required]` needs an `async fn` handler. Add `async` before `fn`"]
        );
    }

    #[test]
    fn self_receiver_is_rejected() {
        let messages = error_messages(quote!(
            async fn index(&self) -> String {
                String::new()
            }
        ));

        assert_eq!(
            messages,
            [
                "`#[token_required]` cannot wrap a method. Move the handler out of the `impl` \
              block into a free `async fn`"
            ]
        );
    }

    #[test]
    fn parameter_attribute_is_rejected() {
        let messages = error_messages(quote!(
            async fn index(#[allow(unused)] req: HttpRequest) {}
        ));

        assert_eq!(
            messages,
            ["`#[token_required]` does not support attributes on handler parameters"]
        );
    }

    #[test]
    fn second_token_required_is_rejected() {
        let messages = error_messages(quote! {
            #[stateless_auth::token_required(scopes("admin"))]
            async fn index() {}
        });

        assert_eq!(
            messages,
            ["duplicate `#[token_required]`, merge the arguments into one attribute"]
        );
    }

    #[test]
    fn sixteen_parameters_are_accepted() {
        let params = (0..MAX_PARAMS).map(|i| quote::format_ident!("p{i}"));
        let mut errors = Errors::default();

        let handler = parse_handler(
            quote!(async fn index(#(#params: HttpRequest),*) {}),
            &mut errors,
        );

        assert!(errors.finish().is_ok());
        assert_eq!(handler.expect("handler accepted").params.len(), MAX_PARAMS);
    }

    #[test]
    fn seventeen_parameters_are_rejected() {
        let params = (0..=MAX_PARAMS).map(|i| quote::format_ident!("p{i}"));

        let messages = error_messages(quote!(async fn index(#(#params: HttpRequest),*) {}));

        assert_eq!(messages.len(), 1);
        assert!(
            messages[0].starts_with(
                "`#[token_required]` handlers take at most 16 parameters, the largest \
                 extractor tuple of actix-web, but this one takes 17."
            ),
            "{messages:?}"
        );
    }

    #[test]
    fn every_mistake_in_a_signature_is_reported() {
        let messages = error_messages(quote!(
            fn index(self, #[cfg(test)] req: HttpRequest) {}
        ));

        assert_eq!(messages.len(), 3, "{messages:?}");
    }
}
