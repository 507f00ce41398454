//! Character classes of the HTTP grammars that schemes and scopes follow, as
//! `const fn`s so that a route's requirements can be checked while it compiles.

/// Reports whether `scheme` is an RFC 9110 `token` (`1*tchar`, section 5.6.2), the
/// syntax of an authentication scheme.
pub(crate) const fn is_scheme(scheme: &str) -> bool {
    let bytes = scheme.as_bytes();
    if bytes.is_empty() {
        return false;
    }

    let mut index = 0;
    while index < bytes.len() {
        if !is_tchar(bytes[index]) {
            return false;
        }
        index += 1;
    }

    true
}

/// Reports whether `scope` is an RFC 6750 `scope-token` (section 3): one or more
/// visible ASCII characters other than `"` and `\`.
pub(crate) const fn is_scope_token(scope: &str) -> bool {
    let bytes = scope.as_bytes();
    if bytes.is_empty() {
        return false;
    }

    let mut index = 0;
    while index < bytes.len() {
        if !matches!(bytes[index], 0x21 | 0x23..=0x5B | 0x5D..=0x7E) {
            return false;
        }
        index += 1;
    }

    true
}

/// Reports whether `byte` is an RFC 9110 `tchar`: an ASCII letter or digit, or one
/// of ``!#$%&'*+-.^_`|~``.
const fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_schemes_are_valid() {
        for scheme in ["Bearer", "Token", "DPoP", "a", "!#$%&'*+-.^_`|~"] {
            assert!(is_scheme(scheme), "{scheme:?}");
        }
    }

    #[test]
    fn scheme_rejects_separators() {
        for scheme in [
            "",
            "Bearer Token",
            "Bearer\t",
            "a,b",
            "\"q\"",
            "a=b",
            "é",
            "a/b",
        ] {
            assert!(!is_scheme(scheme), "{scheme:?}");
        }
    }

    #[test]
    fn scope_token_allows_visible_ascii() {
        for scope in ["admin", "read:items", "a/b", "!#[]~", "x=y,z"] {
            assert!(is_scope_token(scope), "{scope:?}");
        }
    }

    #[test]
    fn scope_token_rejects_separators() {
        for scope in ["", "a b", "a\"b", "a\\b", "tab\t", "é", "\u{7f}"] {
            assert!(!is_scope_token(scope), "{scope:?}");
        }
    }
}
