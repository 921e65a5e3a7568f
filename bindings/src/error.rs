//! The one error type that crosses the FFI. Kotlin sees it as the sealed
//! exception class `GridworkException` (`GridworkException.Invalid`, ...), Swift
//! as `enum GridworkError: Error` (`.Invalid(field:reason:)`, ...).
//!
//! Every variant is something a shell can act on: show the reason next to a
//! field, hide an action, refresh, retry later. Core errors map into it in one
//! place ([`From<CoreError>`]); nothing else builds it from internals.

use gridwork_core::CoreError;

/// Why a Gridwork call was refused or failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridworkError {
    /// Input that breaks a rule: show `reason` next to `field` (a dotted path
    /// such as `id_number` or `answers[3].value`).
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },

    /// The person may not do this (role, jurisdiction or case state).
    #[error("not permitted: {reason}")]
    NotPermitted { reason: String },

    /// The thing asked for does not exist or is out of the caller's reach.
    #[error("{entity} not found: {id}")]
    NotFound { entity: String, id: String },

    /// The thing changed under the caller: refresh and try again.
    #[error("conflict: {reason}")]
    Conflict { reason: String },

    /// The device store or its files failed (full disk, corrupt data, I/O).
    #[error("storage error: {reason}")]
    Storage { reason: String },

    /// The server could not be reached or answered badly: retry later.
    #[error("network error: {reason}")]
    Network { reason: String },

    /// A platform capability that the shell implements (a foreign trait such
    /// as secret storage) failed in a way it did not declare.
    #[error("platform error: {reason}")]
    Platform { reason: String },
}

impl From<CoreError> for GridworkError {
    fn from(e: CoreError) -> Self {
        let reason = e.to_string();
        match e {
            CoreError::Invalid { field, reason } => GridworkError::Invalid { field, reason },
            CoreError::TooLarge { what, reason } => GridworkError::Invalid {
                field: what,
                reason,
            },
            CoreError::NotPermitted { reason } => GridworkError::NotPermitted { reason },
            CoreError::NotFound { entity, id } => GridworkError::NotFound {
                entity: entity.to_owned(),
                id,
            },
            CoreError::Conflict { reason } => GridworkError::Conflict { reason },
            CoreError::Platform { reason } => GridworkError::Platform { reason },
            CoreError::Network { reason } => GridworkError::Network { reason },
            CoreError::Revoked { reason } => GridworkError::NotPermitted { reason },
            CoreError::Storage(_)
            | CoreError::Database { .. }
            | CoreError::Migration(_)
            | CoreError::Io { .. }
            | CoreError::Corrupt { .. } => GridworkError::Storage { reason },
        }
    }
}

/// A foreign callback (Kotlin/Swift implementation of a Rust trait) threw an
/// exception that its signature does not declare. Without this conversion
/// UniFFI turns such a throw into a panic.
impl From<uniffi::UnexpectedUniFFICallbackError> for GridworkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        GridworkError::Platform { reason: e.reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_fields() {
        let e = GridworkError::from(CoreError::invalid("id_number", "bad"));
        assert!(
            matches!(e, GridworkError::Invalid { ref field, ref reason } if field == "id_number" && reason == "bad")
        );
        let e = GridworkError::from(CoreError::not_found("household", "h1"));
        assert!(
            matches!(e, GridworkError::NotFound { ref entity, ref id } if entity == "household" && id == "h1")
        );
        let e = GridworkError::from(CoreError::not_permitted("role"));
        assert!(matches!(e, GridworkError::NotPermitted { ref reason } if reason == "role"));
        let e = GridworkError::from(CoreError::conflict("moved on"));
        assert!(matches!(e, GridworkError::Conflict { ref reason } if reason == "moved on"));
    }

    #[test]
    fn internal_failures_become_storage_with_the_whole_message() {
        let e = GridworkError::from(CoreError::corrupt("households.tags", "bad json"));
        assert!(
            matches!(e, GridworkError::Storage { ref reason } if reason.contains("households.tags") && reason.contains("bad json"))
        );
        let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full");
        let e = GridworkError::from(CoreError::io("/evidence/a.jpg", io));
        assert!(matches!(e, GridworkError::Storage { ref reason } if reason.contains("disk full")));
    }

    #[test]
    fn undeclared_callback_errors_are_platform_errors() {
        let e = GridworkError::from(uniffi::UnexpectedUniFFICallbackError::new("boom"));
        assert!(matches!(e, GridworkError::Platform { ref reason } if reason == "boom"));
    }
}
