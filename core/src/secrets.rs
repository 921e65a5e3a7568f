//! Secret storage is a platform capability (Android Keystore-backed
//! storage, the iOS Keychain): the shell implements it, the core calls it.
//! Secrets never go into the SQLite file.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::Result;

/// Where the device credential lives.
pub const DEVICE_CREDENTIAL: &str = "gridwork.device_credential";

/// A key–value store for secrets, implemented by the platform.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn get(&self, key: &str) -> Result<Option<String>>;
    fn put(&self, key: &str, value: &str) -> Result<()>;
    fn delete(&self, key: &str) -> Result<()>;
}

/// In-memory secrets for tests and the command line (nothing persists).
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned())
    }

    fn put(&self, key: &str, value: &str) -> Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        Ok(())
    }
}
