//! gridwork-core: every rule of grid work, the device store and the sync
//! client. No FFI, no UI, no platform code: shells call this through
//! `gridwork-ffi`, the server links it directly.

#![forbid(unsafe_code)]

pub mod checklist;
pub mod coord;
pub mod error;
pub mod grid;
pub mod household;
pub mod pii;
pub mod priority;
pub mod region;
pub mod user;

pub use error::{CoreError, Result};
