//! The token signing key kept in `settings`, for installations that do not set `VERDICTS_SECRET`.

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rusqlite::params;

use crate::store::Store;

const TOKEN_KEY_SETTING: &str = "token_key";
const TOKEN_KEY_LEN: usize = 32;

impl Store {
    /// The key that signs link tokens: 32 random bytes generated on first use and the same bytes ever after,
    /// shared by every process that opens this store.
    pub fn token_key(&mut self) -> Result<Vec<u8>> {
        let tx = self.write_transaction()?;
        let mut fresh = [0u8; TOKEN_KEY_LEN];
        rand::fill(&mut fresh[..]);
        // Whoever inserts first wins; everyone then reads the winner's key.
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![TOKEN_KEY_SETTING, STANDARD.encode(fresh)],
        )?;
        let stored: String = tx.query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [TOKEN_KEY_SETTING],
            |row| row.get(0),
        )?;
        tx.commit()?;
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
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn the_token_key_is_generated_once_and_then_returned_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        let key = Store::open(&path).unwrap().token_key().unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(key, vec![0u8; 32]);
        let again = Store::open(&path).unwrap().token_key().unwrap();
        assert_eq!(again, key);
    }

    #[test]
    fn two_stores_get_different_keys() {
        let a = Store::open_in_memory().unwrap().token_key().unwrap();
        let b = Store::open_in_memory().unwrap().token_key().unwrap();
        assert_ne!(a, b);
    }
}
