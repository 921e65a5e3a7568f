//! Secret storage, implemented by the shell (Android Keystore-backed
//! storage, iOS Keychain) and called by the core. A callback that throws
//! becomes a `GridworkError`, never a crash.

use std::sync::Arc;

use gridwork_core::CoreError;

use crate::GridworkError;

/// Implemented in Kotlin/Swift. Every method may fail; return
/// `GridworkError.Platform` (or throw anything: UniFFI turns an undeclared
/// exception into `Platform` too).
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    fn get(&self, key: String) -> Result<Option<String>, GridworkError>;
    fn put(&self, key: String, value: String) -> Result<(), GridworkError>;
    fn delete(&self, key: String) -> Result<(), GridworkError>;
}

/// Adapts the foreign implementation to the core's trait.
pub(crate) struct ForeignSecrets(pub Arc<dyn SecretStore>);

impl std::fmt::Debug for ForeignSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignSecrets")
    }
}

fn to_core(e: GridworkError) -> CoreError {
    CoreError::Platform {
        reason: format!("密钥存储失败 / secret storage failed: {e}"),
    }
}

impl gridwork_core::secrets::SecretStore for ForeignSecrets {
    fn get(&self, key: &str) -> gridwork_core::Result<Option<String>> {
        self.0.get(key.to_string()).map_err(to_core)
    }

    fn put(&self, key: &str, value: &str) -> gridwork_core::Result<()> {
        self.0
            .put(key.to_string(), value.to_string())
            .map_err(to_core)
    }

    fn delete(&self, key: &str) -> gridwork_core::Result<()> {
        self.0.delete(key.to_string()).map_err(to_core)
    }
}
