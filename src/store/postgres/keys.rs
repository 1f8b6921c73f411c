//! PostgreSQL: the token signing key kept in `settings`.

use anyhow::Result;

use crate::store::PgStore;
use crate::store::keys::{TOKEN_KEY_SETTING, decode_token_key, fresh_token_key};

impl PgStore {
    pub fn token_key(&mut self) -> Result<Vec<u8>> {
        let stored: String = self.with(|client| {
            // Whoever inserts first wins; everyone then reads the winner's key.
            client.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&TOKEN_KEY_SETTING, &fresh_token_key()],
            )?;
            let row = client.query_one(
                "SELECT value FROM settings WHERE key = $1",
                &[&TOKEN_KEY_SETTING],
            )?;
            Ok(row.get(0))
        })?;
        decode_token_key(&stored)
    }
}
