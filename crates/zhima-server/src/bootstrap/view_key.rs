//! The view-token key (PRODUCT §13): 32 bytes from the OS CSPRNG, generated the first time a
//! process needs it and kept (hex) in `platform_secrets`, so every process sharing the database
//! mints and accepts the same links. Concurrent first uses race on `INSERT … ON CONFLICT DO
//! NOTHING`; everyone then reads back the one the database kept.

use crate::domain::view_token::{parse_key, KEY_LEN};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// The `platform_secrets` row holding the key.
pub const VIEW_TOKEN_SECRET: &str = "view_token_key";

/// The key in force, created if there is none yet.
pub async fn view_token_key(storage: &Storage) -> Result<[u8; KEY_LEN]> {
    if let Some(stored) = storage.secret(VIEW_TOKEN_SECRET).await? {
        return decode(&stored);
    }
    let mut fresh = [0u8; KEY_LEN];
    aws_lc_rs::rand::fill(&mut fresh)
        .map_err(|_| Error::Config("the OS random generator failed".to_owned()))?;
    storage
        .insert_secret_if_absent(VIEW_TOKEN_SECRET, &hex::encode(fresh))
        .await?;
    let stored = storage
        .secret(VIEW_TOKEN_SECRET)
        .await?
        .ok_or_else(|| Error::Config("the view token key vanished after insert".to_owned()))?;
    decode(&stored)
}

fn decode(stored: &str) -> Result<[u8; KEY_LEN]> {
    parse_key(stored).ok_or_else(|| {
        Error::Config(format!(
            "platform secret {VIEW_TOKEN_SECRET} is not {} hex digits",
            KEY_LEN * 2
        ))
    })
}
