//! The core's one error type. Every refusal says what was wrong and why, in
//! words a person can act on; the FFI maps these variants into its own small
//! public enum in one place.

use thiserror::Error;

/// Errors returned by every fallible core call.
#[derive(Debug, Error)]
pub enum CoreError {
    /// Input that breaks a rule. `field` names the offending field (dotted
    /// path, e.g. `answers[3].value`), `reason` says why in Chinese and English.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },

    /// The person may not do this (role, jurisdiction or case state).
    #[error("not permitted: {reason}")]
    NotPermitted { reason: String },

    /// The thing asked for does not exist (or is outside the caller's reach,
    /// which we do not distinguish, so nothing leaks).
    #[error("{entity} not found: {id}")]
    NotFound { entity: &'static str, id: String },

    /// The thing changed under the caller (e.g. a case already moved on).
    #[error("conflict: {reason}")]
    Conflict { reason: String },

    /// Input beyond one of the limits in [`crate::limits`] (a file, a
    /// table, a boundary, a text): refused before it is read whole.
    #[error("too large: {what}: {reason}")]
    TooLarge { what: String, reason: String },

    /// SQLite failed underneath us.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),

    /// PostgreSQL failed underneath the server (ADR 0018), or a value read
    /// back was not what the statement promised. `retry`: the transaction
    /// lost a race (a serialization failure or a deadlock) and running it
    /// again may succeed.
    #[error("database error: {reason}")]
    Database { reason: String, retry: bool },

    /// A schema migration failed.
    #[error("migration error: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    /// File-system failure (evidence files, import files).
    #[error("file error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The server could not be reached, or answered in a way that is worth
    /// retrying later.
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The server no longer accepts this device: its data must be wiped.
    #[error("device revoked: {reason}")]
    Revoked { reason: String },

    /// A platform capability the shell provides (secret storage, …) failed.
    #[error("platform error: {reason}")]
    Platform { reason: String },

    /// A stored value could not be decoded: the database was written by a
    /// newer or broken build.
    #[error("corrupt stored data in {what}: {reason}")]
    Corrupt { what: String, reason: String },
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CoreError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_permitted(reason: impl Into<String>) -> Self {
        CoreError::NotPermitted {
            reason: reason.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        CoreError::NotFound {
            entity,
            id: id.into(),
        }
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        CoreError::Conflict {
            reason: reason.into(),
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub fn corrupt(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        CoreError::Corrupt {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(e: serde_json::Error) -> Self {
        CoreError::corrupt("json", e)
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
