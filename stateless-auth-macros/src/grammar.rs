//! Character classes of the HTTP grammars that route arguments must follow.

/// Returns the first character of `scheme` that an authentication scheme cannot contain.
///
/// A scheme is an RFC 9110 `token`: `1*tchar`, where tchar is an ASCII letter or digit
/// or one of ``!#$%&'*+-.^_`|~`` (RFC 9110, section 5.6.2).
pub(crate) fn invalid_scheme_char(scheme: &str) -> Option<char> {
    scheme.chars().find(|&c| !is_tchar(c))
}

/// Returns the first character of `scope` that an RFC 6750 scope-token cannot contain.
///
/// RFC 6750, section 3 defines `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`: visible
/// ASCII except `"` and `\`, so no space either.
pub(crate) fn invalid_scope_char(scope: &str) -> Option<char> {
    scope.chars().find(|&c| !is_scope_char(c))
}

/// The punctuation that RFC 9110 allows in a token besides letters and digits.
pub(crate) const TCHAR_PUNCTUATION: &str = "!#$%&'*+-.^_`|~";

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || TCHAR_PUNCTUATION.contains(c)
}

fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_schemes_are_valid() {
        for scheme in ["Bearer", "Token", "MAC", "x-api.key_v2", "!#$%&'*+-.^_`|~"] {
            assert_eq!(invalid_scheme_char(scheme), None, "{scheme}");
        }
    }

    #[test]
    fn scheme_rejects_separators_and_non_ascii() {
        for (scheme, bad) in [
            ("Bearer Token", ' '),
            ("Bearer:", ':'),
            ("a/b", '/'),
            ("\"Bearer\"", '"'),
            ("Bé", 'é'),
            ("tab\t", '\t'),
            ("(x)", '('),
        ] {
            assert_eq!(invalid_scheme_char(scheme), Some(bad), "{scheme}");
        }
    }

    #[test]
    fn scope_accepts_visible_ascii_but_quote_and_backslash() {
        let every_allowed: String = ('\x21'..='\x7E')
            .filter(|&c| c != '"' && c != '\\')
            .collect();

        let found = invalid_scope_char(&every_allowed);

        assert_eq!(found, None);
    }

    #[test]
    fn scope_rejects_space_quote_backslash_and_non_ascii() {
        for (scope, bad) in [
            ("read write", ' '),
            ("say\"hi", '"'),
            ("a\\b", '\\'),
            ("läsen", 'ä'),
            ("del\x7F", '\x7F'),
        ] {
            assert_eq!(invalid_scope_char(scope), Some(bad), "{scope}");
        }
    }
}
