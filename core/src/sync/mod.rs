//! Sync between devices and the server: the protocol's messages (shared by
//! both sides) and the device's client.

pub mod activation_link;
pub mod client;
pub mod device;
pub mod http;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod protocol;
pub mod upload;

pub use client::{sync_with, SyncPhase, SyncProgress, SyncReport, Transfer, Transport};
pub use http::HttpTransport;
