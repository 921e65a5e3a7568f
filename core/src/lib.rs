//! gridwork-core: every rule of grid work, the device store and the sync
//! client. No FFI, no UI, no platform code: shells call this through
//! `gridwork-ffi`, the server links it directly.

#![forbid(unsafe_code)]

pub mod case;
pub mod checklist;
pub mod clock;
pub mod coord;
pub mod coverage;
pub mod db;
pub mod error;
pub mod escalation;
pub mod evidence;
mod gb2260;
pub mod geofence;
pub mod grid;
pub mod hlc;
pub mod household;
pub mod import;
pub mod inbox;
pub mod limits;
pub mod location;
pub mod outbox;
pub mod patrol;
pub mod pii;
pub mod priority;
pub mod private_file;
pub mod region;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod user;
pub mod visit;

pub use error::{CoreError, Result};
pub use store::Store;
