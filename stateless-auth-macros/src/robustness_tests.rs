//! Expansion of generated and hostile input. The tests check that the macro does not
//! panic, that its output parses as items whenever the item does, and that every
//! error comes with the item.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::select;
use quote::{ToTokens, quote};
use syn::{Item, ItemFn};

use crate::expand::token_required;

/// Argument names: accepted, misspelled, differently cased, raw, Unicode and path-shaped.
const NAMES: &[&str] = &[
    "token_type",
    "auth_type",
    "scopes",
    "crate",
    "tokn_type",
    "AUTH_TYPE",
    "scope",
    "r#type",
    "r#scopes",
    "jeton_é",
    "日本",
    "_",
    "self",
    "Self",
    "stateless_auth::token_type",
    "::scopes",
];

/// Argument values: string literals of every kind, other literals, paths and groups.
const VALUES: &[&str] = &[
    r#""refresh""#,
    r#""""#,
    r#""  ""#,
    r#""Bearer Token""#,
    r#""read:secret""#,
    r#""é""#,
    r#""日本""#,
    r#""\u{e9}\x41\n\t\0""#,
    r#""\"""#,
    r#""\\""#,
    r###"r#"raw "quoted""#"###,
    r#"r"raw""#,
    r#""refresh"suffix"#,
    r#"b"bytes""#,
    r#"br"raw bytes""#,
    r#"c"c string""#,
    "'c'",
    "b'c'",
    "1",
    "-1",
    "1.5e3",
    "0xFF_u8",
    "true",
    "my_auth",
    "a::b",
    "_",
    r#""my_auth""#,
    r#""crate::auth""#,
    r#""self""#,
    r#""Self""#,
    r#""super::super""#,
    r#""::""#,
    r#""a::""#,
    r#""a<T>""#,
    r#""a::<T>""#,
    r#""a<T = u8>::b""#,
    r#""a<'b>""#,
    r#""a<{ 1 }>""#,
    r#""r#type""#,
    r#""r#crate""#,
    r#""try""#,
    r#""a b""#,
    r#""my-auth""#,
    r#""(""#,
    r#""/*""#,
    r#""// comment""#,
    r#""/// doc""#,
    r#""Fn(u8) -> u8""#,
    "()",
    "[]",
    "{}",
    r#"("a")"#,
    r#"(("a"))"#,
    r#"["a", "b"]"#,
    r#"{ "a" }"#,
];

/// Ways to write one argument, where `{n}` is a name and `{a}` and `{b}` are values.
const ARGUMENT_SHAPES: &[&str] = &[
    "{n} = {a}",
    "{n}({a}, {b})",
    "{n}({a})",
    "{n}({a},)",
    "{n}()",
    "{n}(({a}))",
    "{n}[{a}]",
    "{n} {{a}}",
    "{n}",
    "{n} =",
    "{n}: {a}",
    "{n} = {a} {b}",
    "{n} == {a}",
    "{n} = {n}({a})",
    "{a}",
];

const SEPARATORS: &[&str] = &[",", ", ", ";", "", " ", ":", "=", ",,", "::"];

/// Tokens without meaning here, every one of them balanced so that any sequence lexes.
const SOUP: &[&str] = &[
    "=",
    ",",
    ";",
    ":",
    "::",
    "#",
    "!",
    "?",
    "->",
    "=>",
    "..",
    "...",
    "'a",
    "_",
    "r#type",
    "é",
    "\"x\"",
    "1",
    "()",
    "[]",
    "{}",
    "(,)",
    "[=]",
    "{;}",
    "async",
    "fn",
    "struct",
    "impl",
    "pub",
    "self",
    "crate",
    "#[get(\"/\")]",
];

const ATTRIBUTES: &[&str] = &[
    "#[get(\"/\")]",
    "#[cfg(test)]",
    "#[cfg(feature = \"admin\")]",
    "#[token_required]",
    "#[stateless_auth::token_required(scopes(\"a\"))]",
    "/// Doc comment with é.",
    "#[doc = \"x\"]",
    "#[allow(unused)]",
    "#[cfg_attr(test, allow(unused))]",
];

const VISIBILITIES: &[&str] = &["", "pub", "pub(crate)", "pub(super)", "pub(in crate::a)"];

const QUALIFIERS: &[&str] = &[
    "",
    "async",
    "const",
    "unsafe",
    "async unsafe",
    "const async",
    "extern \"C\"",
    "async extern \"C\"",
    "async unsafe extern \"C\"",
];

const FUNCTION_NAMES: &[&str] = &["index", "r#match", "r#type", "é", "日本", "_private", "f2"];

const GENERICS: &[&str] = &[
    "",
    "<T>",
    "<'a, T: FromRequest + 'a>",
    "<const N: usize>",
    "<T = u8>",
    "<'a, 'b: 'a>",
];

/// Parameters: patterns of every kind, the library's reader types in several
/// spellings, and attributes.
const PARAMETERS: &[&str] = &[
    "x: u8",
    "mut x: u8",
    "_: u8",
    "ref x: u8",
    "ref mut x: u8",
    "x @ _: u8",
    "(a, b): (u8, u8)",
    "(a, b, ..): (u8, u8, u8)",
    "[a, b]: [u8; 2]",
    "S { a, .. }: S",
    "S(a): S",
    "&x: &u8",
    "&mut x: &mut u8",
    "web::Path((a, b)): web::Path<(u8, u8)>",
    "web::Json(mut item): web::Json<Item>",
    "1..=2: u8",
    "-1: i8",
    "\"lit\": &str",
    "user: CurrentUser<User>",
    "user: Option<CurrentUser<User>>",
    "user: &CurrentUser<User>",
    "user: (CurrentUser<User>)",
    "user: CurrentUser",
    "user: CurrentUser<User, Extra>",
    "user: CurrentUser<'a>",
    "user: CurrentUser<impl UserMixin>",
    "token: stateless_auth::CurrentToken<T>",
    "token: ::stateless_auth::CurrentToken<T>",
    "token: my_auth::CurrentToken<T>",
    "token: <S as Tr>::CurrentToken<T>",
    "x: impl FromRequest",
    "x: impl Fn(u8) -> u8 + Send",
    "x: Box<dyn Fn(u8) + Send>",
    "x: &'a dyn Trait",
    "x: _",
    "x: !",
    "x: [u8; N]",
    "x: fn(u8, ...)",
    "x: <T as Trait>::Assoc",
    "r#type: u8",
    "r#type: r#type",
    "é: Ü",
    "#[allow(unused)] x: u8",
    "#[cfg(test)] x: u8",
];

/// Receivers, which syn accepts only as the first parameter.
const RECEIVERS: &[&str] = &[
    "",
    "",
    "",
    "self,",
    "&self,",
    "&'a mut self,",
    "mut self: Box<Self>,",
];

/// C-variadic parameters, which syn accepts only as the last parameter.
const VARIADICS: &[&str] = &["", "", "", ", ...", ", args: ..."];

const RETURN_TYPES: &[&str] = &[
    "",
    "-> impl Responder",
    "-> Result<String, actix_web::Error>",
    "-> !",
    "-> &'static str",
    "-> Self",
];

const WHERE_CLAUSES: &[&str] = &["", "where T: Clone", "where for<'b> &'b T: Debug,"];

const BODIES: &[&str] = &[
    "{}",
    "{ x }",
    "{ let _ = 1; x }",
    "{ return; }",
    "{ async {}.await }",
    "{ fn inner(x: u8) {} }",
];

/// Items other than a function, and shapes that rustc would never pass to an
/// attribute macro, such as an empty stream or two items.
const OTHER_ITEMS: &[&str] = &[
    "",
    "struct S;",
    "struct S { a: u8 }",
    "enum E { A }",
    "union U { a: u8 }",
    "impl S { async fn f(&self) {} }",
    "impl<T> Trait for S<T> {}",
    "const X: u8 = 1;",
    "static X: u8 = 1;",
    "type T = u8;",
    "trait T { async fn f(); }",
    "mod m {}",
    "use a::b;",
    "extern crate alloc;",
    "extern \"C\" { fn f(); }",
    "macro_rules! m { () => {} }",
    "m!();",
    "fn f();",
    "async fn f(x: u8);",
    "async fn a() {} async fn b() {}",
    "async fn",
    "async fn f",
    "async fn f() -> {}",
    "1 2 3",
    "'a",
    "é",
    "#[get(\"/\")]",
];

fn lex(source: &str) -> TokenStream {
    TokenStream::from_str(source)
        .unwrap_or_else(|err| panic!("test input does not lex: {source:?}: {err}"))
}

fn argument() -> impl Strategy<Value = String> {
    (
        select(ARGUMENT_SHAPES),
        select(NAMES),
        select(VALUES),
        select(VALUES),
        select(SEPARATORS),
    )
        .prop_map(|(shape, name, first, second, separator)| {
            let argument = shape
                .replace("{n}", name)
                .replace("{a}", first)
                .replace("{b}", second);

            // The space keeps `a::b` and `r#type` apart, which would lex as `a::br#type`.
            format!("{argument}{separator} ")
        })
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(select(SOUP), 0..10).prop_map(|tokens| tokens.join(" "))
}

fn arguments() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(argument(), 0..5).prop_map(|arguments| arguments.concat()),
        1 => soup(),
    ]
}

/// Arguments that pass every check, including unusual `crate` paths and literals, each
/// name at most once and in any order.
fn valid_arguments() -> impl Strategy<Value = String> {
    let token_types = [
        "token_type = \"refresh\"",
        "token_type = r#\"x y\"#",
        "token_type = \"é\"",
    ];
    let auth_types = ["auth_type = \"Token\"", "auth_type = \"x-api.key_v2\""];
    let scopes = [
        "scopes(\"a\", \"b:c\",)",
        "scopes(\"https://api.example.com/read!#$%&'()*+,-./;<=>?@[]^_`{|}~\")",
    ];
    let crate_paths = [
        "crate = \"my_auth\"",
        "crate = \"crate::auth\"",
        "crate = \"::a::b\"",
        "crate = \"super::super\"",
        "crate = \"self\"",
        "crate = \"Self\"",
        "crate = \"r#type\"",
    ];

    (
        prop::option::of(select(token_types.to_vec())),
        prop::option::of(select(auth_types.to_vec())),
        prop::option::of(select(scopes.to_vec())),
        prop::option::of(select(crate_paths.to_vec())),
    )
        .prop_map(|(token_type, auth_type, scopes, crate_path)| {
            [token_type, auth_type, scopes, crate_path]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
        .prop_map(|arguments| arguments.join(", "))
}

fn parameters() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        6 => prop::collection::vec(select(PARAMETERS), 0..6),
        2 => prop::collection::vec(select(PARAMETERS), 14..19),
        1 => prop::collection::vec(select(PARAMETERS), 40..=40),
    ]
}

fn function() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(select(ATTRIBUTES), 0..3),
        select(VISIBILITIES),
        select(QUALIFIERS),
        select(FUNCTION_NAMES),
        select(GENERICS),
        (select(RECEIVERS), parameters(), select(VARIADICS)),
        select(RETURN_TYPES),
        select(WHERE_CLAUSES),
        select(BODIES),
    )
        .prop_map(
            |(attributes, vis, qualifiers, name, generics, params, ret, where_clause, body)| {
                let attributes = attributes.join("\n");
                let (receiver, params, variadic) = params;
                let params = params.join(", ");

                format!(
                    "{attributes} {vis} {qualifiers} fn {name}{generics}({receiver} {params} \
                     {variadic}) {ret} {where_clause} {body}"
                )
            },
        )
}

/// A handler that the attribute accepts: `async`, without receiver or parameter
/// attributes, and with at most 16 parameters.
fn handler() -> impl Strategy<Value = String> {
    let accepted: Vec<&str> = PARAMETERS
        .iter()
        .copied()
        .filter(|param| !param.starts_with('#'))
        .collect();

    (
        select(FUNCTION_NAMES),
        select(GENERICS),
        prop::collection::vec(select(accepted), 0..=16),
        select(RETURN_TYPES),
        select(BODIES),
    )
        .prop_map(|(name, generics, params, ret, body)| {
            let params = params.join(", ");

            format!("#[get(\"/\")] pub async fn {name}{generics}({params}) {ret} {body}")
        })
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => function(),
        2 => select(OTHER_ITEMS).prop_map(str::to_owned),
        1 => soup(),
    ]
}

/// Returns the expansion, or the panic message when it panicked.
fn expand(args: &TokenStream, item: &TokenStream) -> Result<TokenStream, String> {
    let expansion = catch_unwind(AssertUnwindSafe(|| {
        token_required(args.clone(), item.clone())
    }));

    expansion.map_err(|payload| {
        let message = payload.downcast_ref::<String>().cloned().or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        });
        message.unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

fn is_compile_error(item: &Item) -> bool {
    let Item::Macro(item) = item else {
        return false;
    };

    item.mac
        .path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "compile_error")
}

/// Returns the item as tokens, with `async` removed from a function, because the
/// fallback turns a plain `fn` into an `async fn`.
fn without_async(item: &Item) -> String {
    let Item::Fn(function) = item else {
        return item.to_token_stream().to_string();
    };
    let mut function: ItemFn = function.clone();
    function.sig.asyncness = None;

    function.to_token_stream().to_string()
}

/// Checks the expansion of `#[token_required(args)]` on `item`.
///
/// The output must parse as items whenever `item` parses as an item, because rustc
/// passes an attribute macro only an item that it has parsed. With errors, the item
/// must follow them unchanged but for `async`. Without errors, the output must contain
/// an `async fn` of the same name.
fn check_expansion(args: &TokenStream, item: &TokenStream) -> Result<(), TestCaseError> {
    let context = format!("\nargs: {args}\nitem: {item}");

    let output = expand(args, item)
        .map_err(|message| TestCaseError::fail(format!("panicked: {message}{context}")))?;

    let Ok(original) = syn::parse2::<Item>(item.clone()) else {
        let text = output.to_string();
        prop_assert!(
            text.contains("compile_error"),
            "no error for a non-item{}",
            context
        );
        prop_assert!(text.ends_with(&item.to_string()), "item dropped{}", context);
        return Ok(());
    };
    let file: syn::File = syn::parse2(output.clone()).map_err(|err| {
        TestCaseError::fail(format!("output does not parse: {err}: {output}{context}"))
    })?;
    let (errors, items): (Vec<&Item>, Vec<&Item>) =
        file.items.iter().partition(|item| is_compile_error(item));

    if !errors.is_empty() {
        prop_assert_eq!(
            items.len(),
            1,
            "item not emitted once: {}{}",
            output,
            context
        );
        prop_assert_eq!(
            without_async(items[0]),
            without_async(&original),
            "{}",
            context
        );
        return Ok(());
    }
    let Item::Fn(original) = original else {
        return Err(TestCaseError::fail(format!(
            "non-function accepted: {output}{context}"
        )));
    };
    let handler = items.iter().find_map(|item| match item {
        Item::Fn(function) => Some(function),
        _ => None,
    });
    let handler = handler
        .ok_or_else(|| TestCaseError::fail(format!("no handler in output: {output}{context}")))?;
    prop_assert_eq!(&handler.sig.ident, &original.sig.ident, "{}", context);
    prop_assert!(
        handler.sig.asyncness.is_some(),
        "handler not async{}",
        context
    );

    Ok(())
}

fn check_source(args: &str, item: &str) -> Result<(), TestCaseError> {
    check_expansion(&lex(args), &lex(item))
}

/// Wraps `tokens` in the invisible group that `macro_rules!` puts around a fragment
/// such as `$value:literal` or `$ty:ty`.
fn invisible_group(tokens: TokenStream) -> TokenStream {
    TokenTree::Group(Group::new(Delimiter::None, tokens)).into()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_arguments_on_any_item_never_panic(args in arguments(), item in item()) {
        check_source(&args, &item)?;
    }

    #[test]
    fn valid_arguments_on_handler_expand_to_items(args in valid_arguments(), item in handler()) {
        check_source(&args, &item)?;
    }

    #[test]
    fn any_arguments_on_handler_never_panic(args in arguments(), item in handler()) {
        check_source(&args, &item)?;
    }
}

#[test]
fn hostile_inputs_expand_to_items() {
    let forty_params: Vec<String> = (0..40).map(|i| format!("p{i}: u8")).collect();
    let forty_param_method = format!(
        "#[get(\"/\")] fn index(&self, {}) {{}}",
        forty_params.join(", ")
    );
    let deep_type = format!(
        "async fn index(user: {}CurrentUser<User>{}) {{}}",
        "(".repeat(64),
        ")".repeat(64)
    );
    let cases = [
        ("", ""),
        (
            r#"scopes(((((((((((((((("a"))))))))))))))))"#,
            "async fn index() {}",
        ),
        (
            r###"tokén_type = "é", 日本 = r#""#, r#type = c"x""###,
            "async fn index() {}",
        ),
        (r#"crate = "my_auth<T>""#, "async fn index() {}"),
        (r#"crate = "/*""#, "async fn index() {}"),
        (r#"token_type = "refresh"suffix"#, "async fn index() {}"),
        (
            r###"scopes(r#"a"b"#, b"c", "\u{e9}")"###,
            "async fn index() {}",
        ),
        ("", forty_param_method.as_str()),
        ("", deep_type.as_str()),
        ("", r#"async unsafe extern "C" fn index(x: u8, ...) {}"#),
        (
            "",
            "async fn r#type(r#type: CurrentUser<User>, r#match: u8) {}",
        ),
        ("", "impl S { async fn index(&self) {} }"),
        ("", "async fn a() {} async fn b() {}"),
    ];

    for (args, item) in cases {
        let checked = check_source(args, item);

        if let Err(err) = checked {
            panic!("{err}");
        }
    }
}

#[test]
fn invisible_groups_are_looked_through() {
    let literal = invisible_group(quote!("refresh"));
    let pattern = invisible_group(quote!(mut user));
    let ty = invisible_group(quote!(CurrentUser<User>));
    let args = quote!(token_type = #literal);
    let item = invisible_group(quote!(async fn index(#pattern: #ty) {}));

    let output = expand(&args, &item).expect("expansion does not panic");

    let text = output.to_string();
    assert!(!text.contains("compile_error"), "{text}");
    assert!(
        text.contains("Readers < (CurrentUser < User > ,) >"),
        "{text}"
    );
    if let Err(err) = check_expansion(&args, &item) {
        panic!("{err}");
    }
}
