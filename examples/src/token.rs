//! Token generation and hashing.
//!
//! A token is 32 bytes from the operating system's random number generator,
//! encoded as URL-safe base64 without padding (43 characters). The database
//! stores only the SHA-256 hash of a token and looks tokens up by that hash,
//! so a copy of the database contains no token that a client could present.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Number of random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// SHA-256 hash of a token, the only form in which a token is stored.
pub type TokenHash = [u8; 32];

/// Plain token handed to a client once, when it is issued.
///
/// `Debug` prints `IssuedToken(<redacted>)` so that a token cannot reach a log
/// through a `{:?}`. Serialization writes the plain token, because the response
/// that issues it is the one place where the client must see it.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IssuedToken(String);

impl IssuedToken {
    /// Generates a token from [`TOKEN_BYTES`] bytes of the operating system's
    /// random number generator.
    ///
    /// # Errors
    ///
    /// Returns the error of the operating system's random number generator.
    pub fn generate() -> Result<Self, rand::rand_core::OsError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.try_fill_bytes(&mut bytes)?;

        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Returns the plain token, to send to the client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the hash under which the token is stored.
    pub fn hash(&self) -> TokenHash {
        hash_token(&self.0)
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuedToken(<redacted>)")
    }
}

/// Hashes a token as presented by a client, to look it up in the database.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_b64token(token: &str) -> bool {
        let body = token.trim_end_matches('=');
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);

        !body.is_empty() && body.chars().all(allowed)
    }

    #[test]
    fn generated_token_is_43_url_safe_characters() {
        let token = IssuedToken::generate().unwrap();

        assert_eq!(token.as_str().len(), 43);
        assert!(is_b64token(token.as_str()), "{}", token.as_str());
        assert!(!token.as_str().contains('='));
    }

    #[test]
    fn generated_tokens_differ() {
        let first = IssuedToken::generate().unwrap();
        let second = IssuedToken::generate().unwrap();

        assert_ne!(first, second);
    }

    #[test]
    fn token_decodes_to_32_bytes() {
        let token = IssuedToken::generate().unwrap();

        let bytes = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();

        assert_eq!(bytes.len(), TOKEN_BYTES);
    }

    #[test]
    fn hash_is_sha256_of_token_text() {
        let expected_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

        let hash = hash_token("abc");

        let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, expected_hex);
    }

    #[test]
    fn issued_token_hash_matches_presented_token_hash() {
        let token = IssuedToken::generate().unwrap();

        let stored = token.hash();

        assert_eq!(stored, hash_token(token.as_str()));
    }

    #[test]
    fn debug_output_hides_token() {
        let token = IssuedToken::generate().unwrap();

        let debug = format!("{token:?}");

        assert!(!debug.contains(token.as_str()));
        assert_eq!(debug, "IssuedToken(<redacted>)");
    }

    #[test]
    fn serialization_writes_plain_token() {
        let token = IssuedToken::generate().unwrap();

        let json = serde_json::to_string(&token).unwrap();

        assert_eq!(json, format!("\"{}\"", token.as_str()));
    }
}
