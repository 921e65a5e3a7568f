//! The server's own key for activation codes. Codes are short (about 49
//! bits, typed by people), so a plain hash of one in a leaked database
//! could be brute-forced offline; they are stored as HMAC-SHA256 under a
//! random 256-bit key kept in its own file (`auth.key`, mode 0600) beside the
//! databases: a copy of `auth.db` alone (a backup, a support dump) reveals
//! nothing usable. Device credentials are 256-bit random tokens, for which a
//! plain SHA-256 is already out of reach.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiResult, ServerError};

/// Keyed digests start with this, so a code stored before keys existed (a
/// bare SHA-256) is told apart and still found until it expires.
const PREFIX: &str = "k1:";

#[derive(Clone)]
pub(crate) struct CodeKey([u8; 32]);

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

impl CodeKey {
    /// Read `auth.key` from the data directory, or make one (0600).
    pub(crate) fn load_or_create(data_dir: &Path) -> ApiResult<Self> {
        let path = data_dir.join("auth.key");
        let bad = |why: String| ServerError::Internal(format!("{}: {why}", path.display()));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|e| bad(e.to_string()))?;
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| bad("expected 64 hex digits".into()))?;
                Ok(CodeKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(|e| bad(e.to_string()))?;
                file.write_all(hex::encode(key).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| bad(e.to_string()))?;
                Ok(CodeKey(key))
            }
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// How a (normalised) code is stored and looked up.
    pub(crate) fn digest(&self, code: &str) -> ApiResult<String> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .map_err(|e| ServerError::Internal(format!("activation code key: {e}")))?;
        mac.update(code.trim().as_bytes());
        Ok(format!(
            "{PREFIX}{}",
            hex::encode(mac.finalize().into_bytes())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_kept_private_and_digests_are_keyed() {
        let dir = tempfile::tempdir().unwrap();
        let first = CodeKey::load_or_create(dir.path()).unwrap();
        let again = CodeKey::load_or_create(dir.path()).unwrap();
        assert_eq!(
            first.digest("ABCDE-FGHJK").unwrap(),
            again.digest("ABCDE-FGHJK").unwrap()
        );
        assert!(first.digest("ABCDE-FGHJK").unwrap().starts_with("k1:"));
        let other = CodeKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert_ne!(
            first.digest("ABCDE-FGHJK").unwrap(),
            other.digest("ABCDE-FGHJK").unwrap()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("auth.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
