//! Arguments of `#[token_required(...)]`, parsed as written and then checked into
//! [`RouteArgs`].

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, LitStr, MacroDelimiter, Meta, MetaList, Path, Token};

use crate::errors::Errors;
use crate::grammar::{TCHAR_PUNCTUATION, invalid_scheme_char, invalid_scope_char};
use crate::suggest::nearest;

/// The names the attribute accepts, in the order error messages list them.
const ARGUMENT_NAMES: [&str; 4] = ["token_type", "auth_type", "scopes", "crate"];

/// The route requirements of one handler, checked and ready to expand.
pub(crate) struct RouteArgs {
    /// The token type to require, or `None` for the configured default.
    pub(crate) token_type: Option<LitStr>,
    /// The authentication scheme to require, or `None` for the configured default.
    pub(crate) auth_type: Option<LitStr>,
    /// Scopes that the token must all grant.
    pub(crate) scopes: Vec<LitStr>,
    /// Path of the stateless-auth library in the user's crate.
    pub(crate) crate_path: Path,
}

/// Parses and checks the attribute's arguments.
///
/// Returns `None` when the arguments are not even `name = value` syntax. Otherwise it
/// returns the arguments that passed their checks, and every failed check is in `errors`.
pub(crate) fn parse_route_args(args: TokenStream, errors: &mut Errors) -> Option<RouteArgs> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args.clone()) {
        Ok(metas) => metas,
        Err(err) => {
            let err = colon_for_equals(&args)
                .unwrap_or_else(|| syn::Error::new(err.span(), syntax_message(&err)));
            errors.push(err);
            return None;
        }
    };

    let mut checker = Checker::default();
    for meta in &metas {
        checker.check(meta, errors);
    }

    Some(checker.finish())
}

/// The arguments checked so far, and the names already seen, so that a repeated name is
/// reported.
#[derive(Default)]
struct Checker {
    seen: Vec<String>,
    token_type: Option<LitStr>,
    auth_type: Option<LitStr>,
    scopes: Vec<LitStr>,
    crate_path: Option<Path>,
}

impl Checker {
    fn check(&mut self, meta: &Meta, errors: &mut Errors) {
        let path = meta.path();
        let name = path_to_string(path);
        if !ARGUMENT_NAMES.contains(&name.as_str()) {
            errors.spanned(path, unknown_argument_message(&name));
            return;
        }

        if self.seen.contains(&name) {
            errors.spanned(path, format!("duplicate argument `{name}`, keep only one"));
            return;
        }
        self.seen.push(name.clone());

        match name.as_str() {
            "token_type" => self.token_type = check_token_type(meta, errors),
            "auth_type" => self.auth_type = check_auth_type(meta, errors),
            "scopes" => self.scopes = check_scopes(meta, errors),
            _ => self.crate_path = check_crate_path(meta, errors),
        }
    }

    fn finish(self) -> RouteArgs {
        let default_crate_path = syn::parse_quote!(::stateless_auth);

        RouteArgs {
            token_type: self.token_type,
            auth_type: self.auth_type,
            scopes: self.scopes,
            crate_path: self.crate_path.unwrap_or(default_crate_path),
        }
    }
}

/// Finds an argument written `name: value`, a slip for `name = value`, and returns
/// the error for its colon. syn's own message there is "expected `,`".
fn colon_for_equals(args: &TokenStream) -> Option<syn::Error> {
    let tokens: Vec<TokenTree> = args.clone().into_iter().collect();

    tokens.windows(2).find_map(|pair| {
        let [TokenTree::Ident(name), TokenTree::Punct(colon)] = pair else {
            return None;
        };
        // A path such as `a::b` has a joint colon after its first segment.
        if colon.as_char() != ':' || colon.spacing() != Spacing::Alone {
            return None;
        }

        let message = match name.to_string().as_str() {
            "scopes" => "`scopes` takes its scopes in parentheses, such as \
                         `scopes(\"read:secret\", \"admin\")`"
                .to_owned(),
            _ => format!("expected `=` after `{name}`, such as `{name} = \"value\"`"),
        };
        Some(syn::Error::new(colon.span(), message))
    })
}

/// Adds to syn's message, such as "expected identifier", the form that the
/// arguments take.
fn syntax_message(err: &syn::Error) -> String {
    format!(
        "{err}. `#[token_required]` takes arguments written `name = \"value\"` and \
         separated by commas, such as `token_type = \"refresh\", auth_type = \"Bearer\"`, \
         and `scopes(\"read\", \"write\")`"
    )
}

fn unknown_argument_message(name: &str) -> String {
    let accepted = "The accepted arguments are `token_type`, `auth_type`, `scopes` and `crate`";

    match nearest(name, &ARGUMENT_NAMES) {
        Some(suggestion) => {
            format!("unknown argument `{name}`, did you mean `{suggestion}`? {accepted}")
        }
        None => format!("unknown argument `{name}`. {accepted}"),
    }
}

fn check_token_type(meta: &Meta, errors: &mut Errors) -> Option<LitStr> {
    let lit = string_value(meta, "token_type = \"refresh\"", errors)?;

    if lit.value().trim().is_empty() {
        errors.spanned(
            &lit,
            "`token_type` must not be empty or blank. Remove the argument to use the default from the config",
        );
        return None;
    }

    Some(lit)
}

fn check_auth_type(meta: &Meta, errors: &mut Errors) -> Option<LitStr> {
    let lit = string_value(meta, "auth_type = \"Bearer\"", errors)?;
    let scheme = lit.value();

    if scheme.is_empty() {
        errors.spanned(
            &lit,
            "`auth_type` must not be empty. Remove the argument to use the default from the config",
        );
        return None;
    }
    if let Some(bad) = invalid_scheme_char(&scheme) {
        errors.spanned(
            &lit,
            format!(
                "`auth_type` contains {bad:?}, which an authentication scheme cannot contain. \
                 A scheme is an RFC 9110 token: ASCII letters, digits and {TCHAR_PUNCTUATION}"
            ),
        );
        return None;
    }

    Some(lit)
}

fn check_scopes(meta: &Meta, errors: &mut Errors) -> Vec<LitStr> {
    let example = "scopes(\"read:secret\", \"admin\")";
    let Meta::List(
        list @ MetaList {
            delimiter: MacroDelimiter::Paren(_),
            ..
        },
    ) = meta
    else {
        errors.spanned(
            meta,
            format!("`scopes` expects strings in parentheses, such as `{example}`"),
        );
        return Vec::new();
    };

    let items = match list.parse_args_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
        Ok(items) => items,
        Err(err) => {
            let message =
                format!("{err}. `scopes` expects strings in parentheses, such as `{example}`");
            errors.push(syn::Error::new(err.span(), message));
            return Vec::new();
        }
    };
    if items.is_empty() {
        errors.spanned(
            meta,
            "`scopes()` needs at least one scope. Remove it to require none",
        );
        return Vec::new();
    }

    items
        .iter()
        .filter_map(|item| check_scope(item, errors))
        .collect()
}

fn check_scope(item: &Expr, errors: &mut Errors) -> Option<LitStr> {
    let Some(lit) = as_string_literal(item) else {
        errors.spanned(
            item,
            "each scope must be a string literal, such as `\"read:secret\"`",
        );
        return None;
    };
    let scope = lit.value();

    if scope.is_empty() {
        errors.spanned(lit, "a scope must not be empty");
        return None;
    }
    if let Some(bad) = invalid_scope_char(&scope) {
        let hint = if bad == ' ' {
            "Give each scope as its own string"
        } else {
            "A scope token is visible ASCII other than '\"' and '\\'"
        };
        errors.spanned(
            lit,
            format!("scope {scope:?} contains {bad:?}, which an RFC 6750 scope token cannot contain. {hint}"),
        );
        return None;
    }

    Some(lit.clone())
}

fn check_crate_path(meta: &Meta, errors: &mut Errors) -> Option<Path> {
    let lit = string_value(meta, "crate = \"my_auth\"", errors)?;

    // Only a module path, because the expansion appends `::TokenSpec` and other item
    // names to it.
    let parsed = lit.parse_with(Path::parse_mod_style);
    let Ok(path) = parsed.ok().filter(keywords_in_place).ok_or(()) else {
        errors.spanned(
            &lit,
            "`crate` expects the name of the stateless-auth library as your Cargo.toml \
             names it, such as `crate = \"my_auth\"`",
        );
        return None;
    };

    Some(absolute_crate_path(path))
}

/// Reports whether the path keywords of `path` stand where Rust allows them: `crate`
/// and `self` only first, `super` only after `super`, and `Self` nowhere, since it
/// names a type rather than a module. None of them may follow a leading `::`.
fn keywords_in_place(path: &Path) -> bool {
    let absolute = path.leading_colon.is_some();

    path.segments.iter().enumerate().all(|(index, segment)| {
        let earlier_all_super = path
            .segments
            .iter()
            .take(index)
            .all(|earlier| earlier.ident == "super");
        match segment.ident.to_string().as_str() {
            "Self" => false,
            "crate" | "self" => index == 0 && !absolute,
            "super" => earlier_all_super && !absolute,
            _ => true,
        }
    })
}

/// Makes a bare crate name such as `my_auth` absolute (`::my_auth`), so that a local
/// module of the same name cannot shadow it. Paths that start with `::`, `crate`, `self`
/// or `super` stay as written, which lets a crate re-export the library and name it.
fn absolute_crate_path(mut path: Path) -> Path {
    let first = path
        .segments
        .first()
        .map(|segment| segment.ident.to_string());
    let relative = matches!(first.as_deref(), Some("crate" | "self" | "super"));

    if path.leading_colon.is_none() && !relative {
        path.leading_colon = Some(Token![::](Span::call_site()));
    }

    path
}

/// Returns the string literal of a `name = "value"` argument, reporting every other shape.
fn string_value(meta: &Meta, example: &str, errors: &mut Errors) -> Option<LitStr> {
    let name = path_to_string(meta.path());

    let Meta::NameValue(name_value) = meta else {
        errors.spanned(
            meta,
            format!("`{name}` expects a value, such as `{example}`"),
        );
        return None;
    };
    let Some(lit) = as_string_literal(&name_value.value) else {
        errors.spanned(
            &name_value.value,
            format!("`{name}` expects a string literal, such as `{example}`"),
        );
        return None;
    };

    Some(lit.clone())
}

/// Returns the string literal that `expr` is, looking through the invisible groups that
/// `macro_rules!` puts around a `$value:literal`.
fn as_string_literal(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        Expr::Group(group) => as_string_literal(&group.expr),
        _ => None,
    }
}

fn path_to_string(path: &Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let prefix = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };

    format!("{prefix}{}", segments.join("::"))
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    fn parse_ok(args: TokenStream) -> RouteArgs {
        let mut errors = Errors::default();

        let route_args = parse_route_args(args, &mut errors);

        if let Err(err) = errors.finish() {
            panic!("unexpected error: {err}");
        }
        route_args.expect("arguments parsed")
    }

    fn error_messages(args: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();

        parse_route_args(args, &mut errors);

        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(err) => err.into_iter().map(|err| err.to_string()).collect(),
        }
    }

    fn values(lits: &[LitStr]) -> Vec<String> {
        lits.iter().map(LitStr::value).collect()
    }

    #[test]
    fn no_arguments_use_config_defaults() {
        let route_args = parse_ok(quote!());

        assert!(route_args.token_type.is_none());
        assert!(route_args.auth_type.is_none());
        assert!(route_args.scopes.is_empty());
        assert_eq!(
            route_args.crate_path.to_token_stream().to_string(),
            ":: stateless_auth"
        );
    }

    #[test]
    fn every_argument_is_read() {
        let route_args = parse_ok(quote!(
            token_type = "refresh",
            auth_type = "Token",
            scopes("read:secret", "admin"),
            crate = "my_auth",
        ));

        assert_eq!(route_args.token_type.unwrap().value(), "refresh");
        assert_eq!(route_args.auth_type.unwrap().value(), "Token");
        assert_eq!(values(&route_args.scopes), ["read:secret", "admin"]);
        assert_eq!(
            route_args.crate_path.to_token_stream().to_string(),
            ":: my_auth"
        );
    }

    #[test]
    fn crate_path_relative_to_own_crate_stays_relative() {
        let route_args = parse_ok(quote!(crate = "crate::auth"));

        assert_eq!(
            route_args.crate_path.to_token_stream().to_string(),
            "crate :: auth"
        );
    }

    #[test]
    fn crate_path_relative_to_module_stays_relative() {
        for (args, expected) in [
            (quote!(crate = "self::auth"), "self :: auth"),
            (quote!(crate = "super::auth"), "super :: auth"),
            (
                quote!(crate = "super::super::auth"),
                "super :: super :: auth",
            ),
        ] {
            let route_args = parse_ok(args);

            assert_eq!(
                route_args.crate_path.to_token_stream().to_string(),
                expected
            );
        }
    }

    #[test]
    fn crate_path_with_leading_colons_stays_as_written() {
        let route_args = parse_ok(quote!(crate = "::my_auth"));

        assert_eq!(
            route_args.crate_path.to_token_stream().to_string(),
            ":: my_auth"
        );
    }

    #[test]
    fn scope_with_every_allowed_punctuation_is_accepted() {
        let route_args = parse_ok(quote!(scopes(
            "https://api.example.com/read!#$%&'()*+,-./;<=>?@[]^_`{|}~"
        )));

        assert_eq!(route_args.scopes.len(), 1);
    }

    #[test]
    fn typo_gets_nearest_suggestion() {
        let messages = error_messages(quote!(tokn_type = "refresh"));

        assert_eq!(
            messages,
            [
                "unknown argument `tokn_type`, did you mean `token_type`? The accepted arguments \
              are `token_type`, `auth_type`, `scopes` and `crate`"
            ]
        );
    }

    #[test]
    fn unrelated_name_lists_accepted_arguments() {
        let messages = error_messages(quote!(timeout = "5"));

        assert_eq!(
            messages,
            [
                "unknown argument `timeout`. The accepted arguments are `token_type`, \
              `auth_type`, `scopes` and `crate`"
            ]
        );
    }

    #[test]
    fn path_shaped_name_is_unknown() {
        let messages = error_messages(quote!(stateless_auth::token_type = "refresh"));

        assert!(
            messages[0].starts_with("unknown argument `stateless_auth::token_type`"),
            "{messages:?}"
        );
    }

    #[test]
    fn duplicate_argument_is_rejected() {
        let messages = error_messages(quote!(token_type = "access", token_type = "refresh"));

        assert_eq!(messages, ["duplicate argument `token_type`, keep only one"]);
    }

    #[test]
    fn non_string_values_are_rejected() {
        let messages = error_messages(quote!(token_type = refresh, auth_type = 1, crate = my_auth));

        assert_eq!(
            messages,
            [
                "`token_type` expects a string literal, such as `token_type = \"refresh\"`",
                "`auth_type` expects a string literal, such as `auth_type = \"Bearer\"`",
                "`crate` expects a string literal, such as `crate = \"my_auth\"`",
            ]
        );
    }

    #[test]
    fn syntax_errors_show_argument_form() {
        let form = "`#[token_required]` takes arguments written `name = \"value\"` and \
                    separated by commas, such as `token_type = \"refresh\", auth_type = \"Bearer\"`, \
                    and `scopes(\"read\", \"write\")`";

        let bare_literal = error_messages(quote!("refresh"));
        let semicolon = error_messages(quote!(token_type = "refresh"; auth_type = "Bearer"));

        assert_eq!(bare_literal, [format!("expected identifier. {form}")]);
        assert_eq!(semicolon, [format!("expected `,`. {form}")]);
    }

    #[test]
    fn colon_for_equals_sign_is_named() {
        let colon = error_messages(quote!(auth_type = "Bearer", token_type: "refresh"));
        let scopes = error_messages(quote!(scopes: ["read"]));
        let path = error_messages(quote!(crate = ::my_auth::x: "a"));

        assert_eq!(
            colon,
            ["expected `=` after `token_type`, such as `token_type = \"value\"`"]
        );
        assert_eq!(
            scopes,
            ["`scopes` takes its scopes in parentheses, such as \
              `scopes(\"read:secret\", \"admin\")`"]
        );
        assert_eq!(path, ["expected `=` after `x`, such as `x = \"value\"`"]);
    }

    #[test]
    fn scopes_syntax_error_shows_form() {
        let messages = error_messages(quote!(scopes("a" "b")));

        assert_eq!(
            messages,
            [
                "expected `,`. `scopes` expects strings in parentheses, such as \
              `scopes(\"read:secret\", \"admin\")`"
            ]
        );
    }

    #[test]
    fn value_without_equals_sign_is_rejected() {
        let messages = error_messages(quote!(token_type, auth_type("Bearer")));

        assert_eq!(
            messages,
            [
                "`token_type` expects a value, such as `token_type = \"refresh\"`",
                "`auth_type` expects a value, such as `auth_type = \"Bearer\"`",
            ]
        );
    }

    #[test]
    fn empty_and_blank_token_type_are_rejected() {
        for args in [quote!(token_type = ""), quote!(token_type = "  ")] {
            let messages = error_messages(args);

            assert_eq!(
                messages,
                [
                    "`token_type` must not be empty or blank. Remove the argument to use the default from the config"
                ]
            );
        }
    }

    #[test]
    fn empty_auth_type_is_rejected() {
        let messages = error_messages(quote!(auth_type = ""));

        assert_eq!(
            messages,
            [
                "`auth_type` must not be empty. Remove the argument to use the default from the config"
            ]
        );
    }

    #[test]
    fn auth_type_with_space_names_the_character() {
        let messages = error_messages(quote!(auth_type = "Bearer Token"));

        assert_eq!(
            messages,
            [
                "`auth_type` contains ' ', which an authentication scheme cannot contain. A scheme \
              is an RFC 9110 token: ASCII letters, digits and !#$%&'*+-.^_`|~"
            ]
        );
    }

    #[test]
    fn empty_scope_list_is_rejected() {
        let messages = error_messages(quote!(scopes()));

        assert_eq!(
            messages,
            ["`scopes()` needs at least one scope. Remove it to require none"]
        );
    }

    #[test]
    fn scopes_in_other_shapes_are_rejected() {
        for args in [
            quote!(scopes = "read"),
            quote!(scopes),
            quote!(scopes["read"]),
        ] {
            let messages = error_messages(args);

            assert_eq!(
                messages,
                [
                    "`scopes` expects strings in parentheses, such as `scopes(\"read:secret\", \"admin\")`"
                ]
            );
        }
    }

    #[test]
    fn invalid_scopes_are_each_reported() {
        let messages = error_messages(quote!(scopes("read write", "", "a\\b", admin, "ok")));

        assert_eq!(
            messages,
            [
                "scope \"read write\" contains ' ', which an RFC 6750 scope token cannot contain. \
                 Give each scope as its own string",
                "a scope must not be empty",
                "scope \"a\\\\b\" contains '\\\\', which an RFC 6750 scope token cannot contain. \
                 A scope token is visible ASCII other than '\"' and '\\'",
                "each scope must be a string literal, such as `\"read:secret\"`",
            ]
        );
    }

    /// Checks that each of `cases` gets the one error of an invalid `crate` value.
    fn assert_crate_rejected(cases: &[TokenStream]) {
        for args in cases {
            let messages = error_messages(args.clone());

            assert_eq!(
                messages,
                [
                    "`crate` expects the name of the stateless-auth library as your Cargo.toml \
                  names it, such as `crate = \"my_auth\"`"
                ],
                "{args}"
            );
        }
    }

    #[test]
    fn crate_that_is_not_a_path_is_rejected() {
        assert_crate_rejected(&[
            quote!(crate = ""),
            quote!(crate = "my-auth"),
            quote!(crate = "my auth"),
        ]);
    }

    #[test]
    fn non_module_crate_path_is_rejected() {
        assert_crate_rejected(&[
            quote!(crate = "my_auth<T>"),
            quote!(crate = "my_auth::<T>::auth"),
            quote!(crate = "my_auth<T = u8>"),
            quote!(crate = "try"),
            quote!(crate = "Self"),
            quote!(crate = "a::crate"),
            quote!(crate = "::crate::auth"),
            quote!(crate = "a::super::b"),
            quote!(crate = "self::self"),
        ]);
    }

    #[test]
    fn several_mistakes_are_reported_together() {
        let messages = error_messages(quote!(
            tokn_type = "refresh",
            auth_type = "",
            scopes(),
            auth_type = "Bearer",
        ));

        assert_eq!(messages.len(), 4, "{messages:?}");
    }

    #[test]
    fn invalid_syntax_returns_no_arguments() {
        let mut errors = Errors::default();

        let route_args = parse_route_args(quote!(token_type = ), &mut errors);

        assert!(route_args.is_none());
        assert!(errors.finish().is_err());
    }
}
