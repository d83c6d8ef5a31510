//! The admin bearer token (PRODUCT §14): generated at first start from the OS CSPRNG, only its
//! SHA-256 kept in the database (`platform_secrets`), so every process sharing the database
//! accepts it; the token itself is written to a 0600 file for the CLI. With several processes
//! starting together on one PostgreSQL database the database picks one winner
//! (`INSERT … ON CONFLICT DO NOTHING`): the winner writes the file, the others leave files
//! alone. A token file named in `[server] admin_token_file` that exists is the token: its
//! hash replaces the stored one (that is also how an operator sets a new token).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::storage::Storage;

/// The `platform_secrets` row holding the admin token's SHA-256 (hex).
pub const ADMIN_TOKEN_SECRET: &str = "admin_token_sha256";
/// Default token file name inside the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";
/// Prefix of generated tokens (recognisable in a leaked-secret scan).
pub const TOKEN_PREFIX: &str = "zmadm_";

/// How the admin token came to be in force at this start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminTokenStatus {
    /// This process generated it and wrote it to the file.
    Generated(PathBuf),
    /// The file holds the token the database knows (a previous start, or `admin_token_file`).
    InFile(PathBuf),
    /// The database has a token whose file is not here (another process generated it, or the
    /// file was deleted): the message says where to obtain it.
    Elsewhere(PathBuf),
}

impl AdminTokenStatus {
    /// The token file this process uses.
    pub fn path(&self) -> &Path {
        match self {
            AdminTokenStatus::Generated(p)
            | AdminTokenStatus::InFile(p)
            | AdminTokenStatus::Elsewhere(p) => p,
        }
    }
}

/// SHA-256 of a token, lowercase hex (what is stored and compared).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equality of two hashes in time independent of where they differ.
pub fn hashes_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new token: 244 random bits (two v4 UUIDs, drawn from the OS CSPRNG by `getrandom`).
pub fn generate_token() -> String {
    format!(
        "{TOKEN_PREFIX}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Reads a token file: its first line, trimmed; `None` when the file does not exist.
pub fn read_token_file(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.len() < 16 {
                return Err(Error::Config(format!(
                    "admin token file {}: the token must be at least 16 characters",
                    path.display()
                )));
            }
            Ok(Some(token))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Config(format!(
            "cannot read admin token file {}: {e}",
            path.display()
        ))),
    }
}

/// Makes sure an admin token is in force; `path` is the token file (`[server]
/// admin_token_file`, else `<data_dir>/admin.token`), `configured` whether the operator named
/// it (then an existing file's token replaces the stored hash).
pub async fn ensure_admin_token(
    storage: &Storage,
    path: &Path,
    configured: bool,
) -> Result<AdminTokenStatus> {
    let existing_file = read_token_file(path)?;
    if let (true, Some(token)) = (configured, &existing_file) {
        storage
            .set_secret(ADMIN_TOKEN_SECRET, &token_hash(token))
            .await?;
        return Ok(AdminTokenStatus::InFile(path.to_owned()));
    }
    let stored = storage.secret(ADMIN_TOKEN_SECRET).await?;
    if let Some(stored) = stored {
        return Ok(match existing_file {
            Some(t) if hashes_match(&token_hash(&t), &stored) => {
                AdminTokenStatus::InFile(path.to_owned())
            }
            _ => AdminTokenStatus::Elsewhere(path.to_owned()),
        });
    }
    // Written to a temporary file first: only the process whose hash the database kept
    // renames it into place.
    let token = generate_token();
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    write_private(&tmp, &token)?;
    let won = storage
        .insert_secret_if_absent(ADMIN_TOKEN_SECRET, &token_hash(&token))
        .await;
    match won {
        Ok(true) => {
            std::fs::rename(&tmp, path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::Config(format!("cannot write {}: {e}", path.display()))
            })?;
            Ok(AdminTokenStatus::Generated(path.to_owned()))
        }
        Ok(false) => {
            let _ = std::fs::remove_file(&tmp);
            // Another process won; its file may be this one (a shared data directory).
            let stored = storage
                .secret(ADMIN_TOKEN_SECRET)
                .await?
                .unwrap_or_default();
            Ok(match read_token_file(path)? {
                Some(t) if hashes_match(&token_hash(&t), &stored) => {
                    AdminTokenStatus::InFile(path.to_owned())
                }
                _ => AdminTokenStatus::Elsewhere(path.to_owned()),
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `token` to a new file only its owner can read (0600 on Unix).
fn write_private(path: &Path, token: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(format!("{token}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_compare_by_value() {
        let t = generate_token();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(t, generate_token());
        assert!(hashes_match(&token_hash(&t), &token_hash(&t)));
        assert!(!hashes_match(&token_hash(&t), &token_hash("other")));
        assert!(!hashes_match("ab", "abc"));
        assert_eq!(token_hash("abc").len(), 64);
    }
}
