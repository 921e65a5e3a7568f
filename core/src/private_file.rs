//! Database files hold names, phone and ID numbers (PIPL): they are made
//! readable by their owner only (0600), on the phone and on the server. The
//! file is created with that mode before SQLite opens it, and SQLite gives
//! its write-ahead log and shared-memory files the database file's mode.
//! A file made earlier with a wider mode (0644, SQLite's default) is
//! narrowed when opened, with its -wal and -shm files. The phone's photo
//! directory beside the store is owner-only too (0700).

use std::path::Path;

use crate::error::{CoreError, Result};

/// Make `path` (created empty if missing) and its SQLite companions
/// readable and writable by the owner only. A no-op off Unix.
pub fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| CoreError::io(path, e))?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| CoreError::io(&file, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Make a directory of personal files (the phone's photos) owner-only
/// (0700). A no-op off Unix.
pub fn make_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir).map_err(|e| CoreError::io(dir, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| CoreError::io(dir, e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_and_existing_databases_end_up_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        make_private(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);

        let old = dir.path().join("old.db");
        let wal = dir.path().join("old.db-wal");
        for f in [&old, &wal] {
            std::fs::write(f, b"").unwrap();
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        make_private(&old).unwrap();
        assert_eq!((mode(&old), mode(&wal)), (0o600, 0o600));
    }
}
