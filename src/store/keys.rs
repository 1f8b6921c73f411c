//! The token signing key kept in `settings`, for installations that do not set `VERDICTS_SECRET`.

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub(crate) const TOKEN_KEY_SETTING: &str = "token_key";
pub(crate) const TOKEN_KEY_LEN: usize = 32;

/// A fresh random key, as stored (base64).
pub(crate) fn fresh_token_key() -> String {
    let mut fresh = [0u8; TOKEN_KEY_LEN];
    rand::fill(&mut fresh[..]);
    STANDARD.encode(fresh)
}

/// The key from its stored form, or an error saying how to recover.
pub(crate) fn decode_token_key(stored: &str) -> Result<Vec<u8>> {
    let key = STANDARD.decode(stored.trim()).with_context(|| {
        format!("the {TOKEN_KEY_SETTING} setting in the store is not base64; delete it to generate a new key")
    })?;
    anyhow::ensure!(
        key.len() >= TOKEN_KEY_LEN,
        "the {TOKEN_KEY_SETTING} setting in the store is {} bytes, expected {TOKEN_KEY_LEN}; \
         delete it to generate a new key",
        key.len()
    );
    Ok(key)
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn the_token_key_is_generated_once_and_then_returned_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        let key = Store::open_sqlite(&path).unwrap().token_key().unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(key, vec![0u8; 32]);
        let again = Store::open_sqlite(&path).unwrap().token_key().unwrap();
        assert_eq!(again, key);
    }

    #[test]
    fn two_stores_get_different_keys() {
        let a = Store::open_in_memory().unwrap().token_key().unwrap();
        let b = Store::open_in_memory().unwrap().token_key().unwrap();
        assert_ne!(a, b);
    }
}
