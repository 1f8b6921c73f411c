//! SQLite: The token signing key kept in `settings`, for installations that do not set `VERDICTS_SECRET`.

use anyhow::Result;
use rusqlite::params;

use crate::store::keys::{TOKEN_KEY_SETTING, decode_token_key, fresh_token_key};
use crate::store::sqlite::SqliteStore;

impl SqliteStore {
    pub fn token_key(&mut self) -> Result<Vec<u8>> {
        let tx = self.write_transaction()?;
        // Whoever inserts first wins; everyone then reads the winner's key.
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![TOKEN_KEY_SETTING, fresh_token_key()],
        )?;
        let stored: String = tx.query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [TOKEN_KEY_SETTING],
            |row| row.get(0),
        )?;
        tx.commit()?;
        decode_token_key(&stored)
    }
}
