//! API tokens: HS256 JWTs whose `jti` names a row of `api_tokens`, and argon2 password hashes.

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::{ActionError, ActionResult};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    jti: String,
    iat: i64,
}

/// Signs and checks API tokens with the site's secret.
#[derive(Clone)]
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(HS256, secret hidden)")
    }
}

impl TokenSigner {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A new token id: URL-safe base64 of 32 random bytes, as CKAN makes them.
    pub fn new_token_id() -> String {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn encode(&self, jti: &str, issued_at: i64) -> ActionResult<String> {
        let claims = Claims { jti: jti.to_owned(), iat: issued_at };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ActionError::Internal(format!("token signing failed: {e}")))
    }

    /// The `jti` of a token whose signature (and expiry, if it has one) checks out.
    pub fn decode(&self, token: &str) -> Option<String> {
        jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims.jti)
    }
}

/// A random secret for signing tokens, as hex text.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An argon2id hash in PHC form.
pub fn hash_password(password: &str) -> ActionResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ActionError::Internal(format!("password hashing failed: {e}")))
}

/// Whether a password matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_the_secret() {
        let signer = TokenSigner::new(b"one secret");
        let jti = TokenSigner::new_token_id();
        assert_eq!(jti.len(), 43);
        let token = signer.encode(&jti, 1_700_000_000).unwrap_or_default();
        assert_eq!(signer.decode(&token), Some(jti));
        assert_eq!(TokenSigner::new(b"another secret").decode(&token), None);
        assert_eq!(signer.decode("not-a-token"), None);
    }

    #[test]
    fn tokens_signed_with_another_algorithm_are_refused() {
        let signer = TokenSigner::new(b"s");
        let claims = Claims { jti: "x".into(), iat: 0 };
        let other =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(b"s"))
                .unwrap_or_default();
        assert_eq!(signer.decode(&other), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
    }
}
