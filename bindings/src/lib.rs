//! gridwork-ffi: the one UniFFI library that the Android (Kotlin) and iOS
//! (Swift) shells link. A thin facade: every rule lives in `gridwork-core`;
//! this crate only converts types and errors at the boundary.
//!
//! Proc-macros only (no UDL). Generated Kotlin/Swift are build output; see
//! `bindings/README.md` and `scripts/test-bindings.sh`.
//!
//! Rules for what goes here:
//! - records and enums cross by value; one entry object per area (the store
//!   object comes later) with whole-screen calls;
//! - fallible calls return [`GridworkError`], built from `CoreError` in one
//!   place (`error.rs`);
//! - no `panic`/`unwrap` (workspace lints): UniFFI catches a panic and raises
//!   it as an internal error on the foreign side, but that is a bug, not API.

// Hand-written code here needs no `unsafe`; the C ABI scaffolding that the
// UniFFI macros generate does, and rustc's `unsafe_code` lint does not look
// inside expansions of external proc-macros, so this holds with them.
#![forbid(unsafe_code)]

mod clock;
mod error;
mod inbox;
mod pii;
mod secrets;
mod store;
mod sync;
mod types;
mod uploads;

pub use error::GridworkError;
pub use pii::{PiiField, PiiMasker};
pub use secrets::SecretStore;
pub use store::GridworkStore;
pub use sync::SyncListener;
pub use uploads::UploadListener;

uniffi::setup_scaffolding!();

/// The version of the Gridwork core behind this library (the workspace
/// version, shared by every crate), e.g. for an "about" screen and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_version_is_the_workspace_version() {
        assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
        assert!(!core_version().is_empty());
    }
}
