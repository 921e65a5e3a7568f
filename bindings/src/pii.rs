//! Personal information (PIPL): masking and validation of ID and phone
//! numbers, straight from `gridwork_core::pii`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gridwork_core::pii;
pub use gridwork_core::pii::PiiField;

use crate::GridworkError;

// The core's enum crosses by value as it is; UniFFI needs its shape repeated
// here (the compiler checks it matches the core's definition).
#[uniffi::remote(Enum)]
pub enum PiiField {
    IdNumber,
    Phone,
}

/// Mask a resident ID number for display: `440308********1234`.
#[uniffi::export]
pub fn mask_id_number(id: String) -> String {
    pii::mask_id_number(&id)
}

/// Mask a phone number for display: `138****5678`.
#[uniffi::export]
pub fn mask_phone(phone: String) -> String {
    pii::mask_phone(&phone)
}

/// Check a resident ID number (length, digits, GB 11643 check character).
/// Fails with `GridworkError::Invalid { field: "id_number", .. }`.
#[uniffi::export]
pub fn validate_id_number(id: String) -> Result<(), GridworkError> {
    Ok(pii::validate_id_number(&id)?)
}

/// Check a phone number. Fails with `GridworkError::Invalid { field: "phone", .. }`.
#[uniffi::export]
pub fn validate_phone(phone: String) -> Result<(), GridworkError> {
    Ok(pii::validate_phone(&phone)?)
}

/// A small handle that masks personal fields and counts what it masked.
///
/// It exists to prove the object lifecycle across the FFI (construct, call
/// from several threads, close in Kotlin / release in Swift) until the real
/// store object replaces it as the entry point. Kotlin objects are
/// `AutoCloseable`: close them (`use {}`), or they hold native memory until
/// the JVM's cleaner runs. Note that a Rust method must not be called `close`:
/// that name is taken by Kotlin's `AutoCloseable.close()`, which frees the handle.
#[derive(Debug, Default, uniffi::Object)]
pub struct PiiMasker {
    masked: AtomicU64,
}

#[uniffi::export]
impl PiiMasker {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Mask `value` as the given kind of personal field.
    pub fn mask(&self, field: PiiField, value: String) -> String {
        self.masked.fetch_add(1, Ordering::Relaxed);
        match field {
            PiiField::IdNumber => pii::mask_id_number(&value),
            PiiField::Phone => pii::mask_phone(&value),
        }
    }

    /// How many values this masker has masked.
    pub fn masked_count(&self) -> u64 {
        self.masked.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_the_core_does() {
        assert_eq!(
            mask_id_number("440308199001011234".into()),
            "440308********1234"
        );
        assert_eq!(mask_phone("13812345678".into()), "138****5678");
        let m = PiiMasker::new();
        assert_eq!(m.mask(PiiField::Phone, "13812345678".into()), "138****5678");
        assert_eq!(
            m.mask(PiiField::IdNumber, "440308199001011234".into()),
            "440308********1234"
        );
        assert_eq!(m.masked_count(), 2);
    }

    #[test]
    fn invalid_id_numbers_name_the_field() {
        assert!(validate_id_number("11010519491231002X".into()).is_ok());
        let e = validate_id_number("110105194912310021".into()).unwrap_err();
        assert!(
            matches!(e, GridworkError::Invalid { ref field, ref reason } if field == "id_number" && reason.contains("check digit"))
        );
        let e = validate_phone("abc".into()).unwrap_err();
        assert!(matches!(e, GridworkError::Invalid { ref field, .. } if field == "phone"));
    }
}
