//! Code generation: a `TokenSpec` type for the route and a handler that authenticates
//! through `Guarded` before it extracts its own parameters.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{ItemFn, LitStr, Path, PathArguments, Stmt, Type, TypePath};

use crate::args::{RouteArgs, parse_route_args};
use crate::errors::Errors;
use crate::handler::{Handler, parse_handler};

/// Expands `#[token_required(args)]` on `item`.
///
/// On any mistake it returns every error together with the item as written (see
/// [`fallback_item`]), so that the handler still exists and a route macro such as
/// `#[get]` reports no error of its own.
pub(crate) fn token_required(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();

    let route_args = parse_route_args(args, &mut errors);
    let handler = parse_handler(item.clone(), &mut errors);

    match (route_args, handler, errors.finish()) {
        (Some(route_args), Some(handler), Ok(())) => generate(&route_args, handler),
        (_, _, result) => {
            let mut output = TokenStream::new();
            if let Err(err) = result {
                output.extend(err.to_compile_error());
            }
            output.extend(fallback_item(item));
            output
        }
    }
}

/// Returns the item to emit beside the errors: unchanged, except that a plain `fn`
/// becomes an `async fn`, which actix-web accepts as a handler.
///
/// NOTE: a handler with more than 16 parameters stays as written, so a route macro on
/// it still reports that it is not a `Handler`.
fn fallback_item(item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return item;
    };
    if function.sig.asyncness.is_some() || function.sig.constness.is_some() {
        return item;
    }

    function.sig.asyncness = Some(syn::Token![async](function.sig.fn_token.span));

    function.into_token_stream()
}

/// Generates the route's `TokenSpec` type and the wrapped handler.
fn generate(route_args: &RouteArgs, handler: Handler) -> TokenStream {
    let spec = format_ident!("__stateless_auth_spec_{}", handler.function.sig.ident);

    let spec_item = spec_item(route_args, &spec, &handler.function);
    let wrapped = wrap_handler(&route_args.crate_path, &spec, handler);

    quote!(#spec_item #wrapped)
}

/// Generates the unit type named `spec` whose `TokenSpec` constants carry the route's
/// requirements. It takes the handler's visibility and `#[cfg]` attributes, and
/// sets `SOLE_PARAMETER`, since the wrapped handler takes one `Guarded` and nothing
/// else.
fn spec_item(route_args: &RouteArgs, spec: &Ident, function: &ItemFn) -> TokenStream {
    let krate = &route_args.crate_path;
    let vis = &function.vis;
    let cfgs: Vec<_> = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect();
    let token_type = optional_str(route_args.token_type.as_ref());
    let auth_type = optional_str(route_args.auth_type.as_ref());
    let scopes = &route_args.scopes;

    quote! {
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #spec;

        #(#cfgs)*
        impl #krate::TokenSpec for #spec {
            const TOKEN_TYPE: ::core::option::Option<&'static str> = #token_type;
            const AUTH_TYPE: ::core::option::Option<&'static str> = #auth_type;
            const SCOPES: &'static [&'static str] = &[#(#scopes),*];
            const SOLE_PARAMETER: bool = true;
        }
    }
}

/// Replaces the handler's parameters by one `Guarded` extractor and binds the original
/// patterns from it at the top of the body.
///
/// Parameters written `CurrentUser<..>` or `CurrentToken<..>` go in the tuple of the
/// hidden `Readers` type, `Guarded`'s third type parameter: extraction checks their
/// model types, and the handler builds them from the authentication. Every other
/// parameter goes in the tuple of the second, which actix-web extracts. The tuples are
/// bound to a variable before they are destructured, so that a `_` parameter is
/// still dropped when the handler returns, as it would be without the macro.
fn wrap_handler(krate: &Path, spec: &Ident, handler: Handler) -> TokenStream {
    let Handler {
        mut function,
        params,
    } = handler;
    let guarded = Ident::new("__stateless_auth_guarded", Span::mixed_site());
    let args = Ident::new("__stateless_auth_args", Span::mixed_site());
    let (readers, extracted): (Vec<_>, Vec<_>) =
        params.iter().partition(|param| is_reader(&param.ty, krate));
    let extracted_types = extracted.iter().map(|param| &param.ty);
    let extracted_patterns = extracted.iter().map(|param| &param.pat);

    if readers.is_empty() {
        let guarded_type = quote!(#krate::Guarded<#spec, (#(#extracted_types,)*)>);
        if params.is_empty() {
            function.sig.inputs = syn::parse_quote!(_: #guarded_type);
            return function.into_token_stream();
        }

        function.sig.inputs = syn::parse_quote!(#guarded: #guarded_type);
        // The tuple is `mut` so that a `ref mut` parameter pattern can borrow from it.
        let stmts: Vec<Stmt> = syn::parse_quote! {
            #[allow(unused_mut)]
            let mut #args = #guarded.into_inner();
            let (#(#extracted_patterns,)*) = #args;
        };
        return prepend(function, stmts);
    }

    let reader_types = readers.iter().map(|param| &param.ty);
    let reader_patterns = readers.iter().map(|param| &param.pat);
    let guarded_type = quote!(#krate::Guarded<
        #spec,
        (#(#extracted_types,)*),
        #krate::__private::Readers<(#(#reader_types,)*)>
    >);
    function.sig.inputs = syn::parse_quote!(#guarded: #guarded_type);
    let stmts: Vec<Stmt> = syn::parse_quote! {
        #[allow(unused_mut)]
        let mut #args = #guarded.__into_readers();
        let ((#(#extracted_patterns,)*), (#(#reader_patterns,)*)) = #args;
    };

    prepend(function, stmts)
}

/// Puts `stmts` before the body of `function`.
fn prepend(mut function: ItemFn, mut stmts: Vec<Stmt>) -> TokenStream {
    stmts.append(&mut function.block.stmts);
    function.block.stmts = stmts;

    function.into_token_stream()
}

/// Reports whether `ty` is written `CurrentUser<..>` or `CurrentToken<..>`, alone or
/// after the library's path (`stateless_auth::`, or the `crate` argument).
///
/// NOTE: a macro reads names, not types. A bare `CurrentUser<..>` imported from
/// another crate is taken for this library's, and the compiler rejects it with an
/// error that explains the cause. A renamed import (`use CurrentUser as Me`) is extracted like
/// any other parameter.
fn is_reader(ty: &Type, krate: &Path) -> bool {
    let path = match ty {
        Type::Group(group) => return is_reader(&group.elem, krate),
        Type::Paren(paren) => return is_reader(&paren.elem, krate),
        Type::Path(TypePath { qself: None, path }) => path,
        _ => return false,
    };
    let Some(last) = path.segments.last() else {
        return false;
    };

    let named = last.ident == "CurrentUser" || last.ident == "CurrentToken";
    let generic =
        matches!(&last.arguments, PathArguments::AngleBracketed(args) if args.args.len() == 1);
    named && generic && (path.segments.len() == 1 || is_library_path(path, krate))
}

/// Reports whether `path` without its last segment is the library's path `krate`,
/// with or without the leading `::`.
fn is_library_path(path: &Path, krate: &Path) -> bool {
    let segments = path.segments.len();
    let prefix = path.segments.iter().take(segments.saturating_sub(1));

    prefix
        .map(|segment| &segment.ident)
        .eq(krate.segments.iter().map(|segment| &segment.ident))
}

fn optional_str(value: Option<&LitStr>) -> TokenStream {
    match value {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(tokens: TokenStream) -> String {
        let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");

        file.into_token_stream().to_string()
    }

    #[test]
    fn expansion_follows_contract() {
        let expanded = token_required(
            quote!(token_type = "refresh", scopes("a", "b")),
            quote! {
                /// Creates an item.
                #[post("/items")]
                pub async fn handler(web::Json(item): web::Json<Item>, user: CurrentUser<User>) -> impl Responder {
                    body
                }
            },
        );

        let expected = quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            pub struct __stateless_auth_spec_handler;

            impl ::stateless_auth::TokenSpec for __stateless_auth_spec_handler {
                const TOKEN_TYPE: ::core::option::Option<&'static str> = ::core::option::Option::Some("refresh");
                const AUTH_TYPE: ::core::option::Option<&'static str> = ::core::option::Option::None;
                const SCOPES: &'static [&'static str] = &["a", "b"];
                const SOLE_PARAMETER: bool = true;
            }

            /// Creates an item.
            #[post("/items")]
            pub async fn handler(
                __stateless_auth_guarded: ::stateless_auth::Guarded<
                    __stateless_auth_spec_handler,
                    (web::Json<Item>,),
                    ::stateless_auth::__private::Readers<(CurrentUser<User>,)>
                >
            ) -> impl Responder {
                #[allow(unused_mut)]
                let mut __stateless_auth_args = __stateless_auth_guarded.__into_readers();
                let ((web::Json(item),), (user,)) = __stateless_auth_args;
                body
            }
        };
        assert_eq!(normalized(expanded), normalized(expected));
    }

    #[test]
    fn reader_type_matches_name_and_path() {
        let library: Path = syn::parse_quote!(::stateless_auth);
        let readers: [Type; 5] = [
            syn::parse_quote!(CurrentUser<User>),
            syn::parse_quote!(stateless_auth::CurrentToken<Token>),
            syn::parse_quote!(::stateless_auth::CurrentUser<crate::models::User>),
            syn::parse_quote!((CurrentUser<User>)),
            Type::Group(syn::TypeGroup {
                group_token: Default::default(),
                elem: Box::new(syn::parse_quote!(CurrentToken<Token>)),
            }),
        ];
        let others: [Type; 7] = [
            syn::parse_quote!(CurrentUser),
            syn::parse_quote!(CurrentUsers<User>),
            syn::parse_quote!(CurrentUser<User, Extra>),
            syn::parse_quote!(Authenticated),
            syn::parse_quote!(OptionalUser<User>),
            syn::parse_quote!(session::CurrentUser<User>),
            syn::parse_quote!(<Me as Trait>::CurrentUser<User>),
        ];

        for ty in &readers {
            assert!(is_reader(ty, &library), "{}", ty.to_token_stream());
        }
        for ty in &others {
            assert!(!is_reader(ty, &library), "{}", ty.to_token_stream());
        }
    }

    #[test]
    fn renamed_library_path_is_recognized() {
        let library: Path = syn::parse_quote!(crate::auth);
        let reader: Type = syn::parse_quote!(crate::auth::CurrentUser<User>);
        let other: Type = syn::parse_quote!(stateless_auth::CurrentUser<User>);

        assert!(is_reader(&reader, &library));
        assert!(!is_reader(&other, &library));
    }

    #[test]
    fn handler_with_readers_only_extracts_nothing() {
        let expanded = token_required(
            quote!(),
            quote!(
                async fn index(token: CurrentToken<Token>, _: CurrentUser<User>) {}
            ),
        );

        let text = expanded.to_string();
        assert!(
            text.contains(
                "Guarded < __stateless_auth_spec_index , () , :: stateless_auth :: __private :: \
                 Readers < (CurrentToken < Token > , CurrentUser < User > ,) > >"
            ),
            "{text}"
        );
        assert!(
            text.contains("let (() , (token , _ ,)) = __stateless_auth_args ;"),
            "{text}"
        );
    }

    #[test]
    fn handler_without_parameters_ignores_the_guard_value() {
        let expanded = token_required(
            quote!(),
            quote!(
                async fn index() -> &'static str {
                    "hi"
                }
            ),
        );

        let expected = quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            struct __stateless_auth_spec_index;

            impl ::stateless_auth::TokenSpec for __stateless_auth_spec_index {
                const TOKEN_TYPE: ::core::option::Option<&'static str> = ::core::option::Option::None;
                const AUTH_TYPE: ::core::option::Option<&'static str> = ::core::option::Option::None;
                const SCOPES: &'static [&'static str] = &[];
                const SOLE_PARAMETER: bool = true;
            }

            async fn index(_: ::stateless_auth::Guarded<__stateless_auth_spec_index, ()>) -> &'static str {
                "hi"
            }
        };
        assert_eq!(normalized(expanded), normalized(expected));
    }

    #[test]
    fn renamed_crate_replaces_every_library_path() {
        let expanded = token_required(
            quote!(crate = "my_auth"),
            quote!(
                async fn index(req: HttpRequest) {}
            ),
        );

        let text = expanded.to_string();
        assert!(text.contains("impl :: my_auth :: TokenSpec for"), "{text}");
        assert!(text.contains(":: my_auth :: Guarded <"), "{text}");
        assert!(!text.contains("stateless_auth ::"), "{text}");
    }

    #[test]
    fn renamed_crate_path_marks_readers() {
        let expanded = token_required(
            quote!(crate = "my_auth"),
            quote!(
                async fn index(user: my_auth::CurrentUser<User>) {}
            ),
        );

        let text = expanded.to_string();
        assert!(
            text.contains(
                ":: my_auth :: __private :: Readers < (my_auth :: CurrentUser < User > ,) >"
            ),
            "{text}"
        );
    }

    #[test]
    fn raw_identifier_gives_plain_spec_name() {
        let expanded = token_required(
            quote!(),
            quote!(
                async fn r#match() {}
            ),
        );

        let text = expanded.to_string();
        assert!(
            text.contains("struct __stateless_auth_spec_match ;"),
            "{text}"
        );
    }

    #[test]
    fn cfg_of_handler_applies_to_spec() {
        let expanded = token_required(
            quote!(),
            quote!(
                #[cfg(feature = "admin")]
                async fn index() {}
            ),
        );

        let text = expanded.to_string();
        assert_eq!(
            text.matches("# [cfg (feature = \"admin\")]").count(),
            3,
            "{text}"
        );
    }

    #[test]
    fn mistakes_come_with_the_original_item() {
        let item = quote!(
            #[get("/")]
            async fn index(req: HttpRequest) -> String {
                String::new()
            }
        );

        let expanded = token_required(quote!(tokn_type = "access", scopes()), item.clone());

        let text = expanded.to_string();
        assert_eq!(text.matches("compile_error").count(), 2, "{text}");
        assert!(text.ends_with(&item.to_string()), "{text}");
    }

    #[test]
    fn const_fn_falls_back_unchanged() {
        let item = quote!(
            #[get("/")]
            const fn index() -> u8 {
                1
            }
        );

        let expanded = token_required(quote!(), item.clone());

        let text = expanded.to_string();
        assert_eq!(text.matches("compile_error").count(), 1, "{text}");
        assert!(text.ends_with(&item.to_string()), "{text}");
    }

    #[test]
    fn plain_fn_falls_back_to_async() {
        let expanded = token_required(
            quote!(),
            quote!(
                #[get("/")]
                fn index() -> String {
                    String::new()
                }
            ),
        );

        let text = expanded.to_string();
        assert_eq!(text.matches("compile_error").count(), 1, "{text}");
        assert!(
            text.ends_with("# [get (\"/\")] async fn index () -> String { String :: new () }"),
            "{text}"
        );
    }
}
