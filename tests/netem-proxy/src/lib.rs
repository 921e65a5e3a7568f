//! `gridwork-netem`: a loopback TCP proxy that makes a link behave like a bad
//! mobile network, for Gridwork's end-to-end fault tests.
//!
//! A test starts a [`Proxy`] in front of a real server on loopback, points
//! the client at [`Proxy::addr`], and shapes the link per direction
//! (rate, latency, jitter) with a [`Profile`]. While traffic flows it can
//! change the profile, cut the link after an exact number of bytes,
//! blackhole it and restore it, or drop every connection, then read the
//! byte counters to see how much crossed (and how much was sent again).
//!
//! ```no_run
//! # async fn demo(server: std::net::SocketAddr) -> Result<(), gridwork_netem::ProxyError> {
//! use gridwork_netem::{Direction, Profile, Proxy, ProxyConfig};
//!
//! let proxy = Proxy::start(ProxyConfig::new(server).with_profile(Profile::Edge2G)).await?;
//! let client_target = proxy.addr(); // connect the client here
//! proxy.cut_after_bytes(Direction::Up, 64 * 1024); // the link dies mid-upload
//! // ... run the sync, let it fail and resume ...
//! let stats = proxy.stats();
//! assert!(stats.bytes_up >= 64 * 1024);
//! # let _ = client_target;
//! # Ok(())
//! # }
//! ```

mod profile;
mod proxy;
mod shaping;

pub use profile::{Direction, LinkShape, Profile, UnknownProfile, MAX_CHUNK, SEGMENT_BYTES};
pub use proxy::{Proxy, ProxyConfig, ProxyError, ProxyHandle, Stats};
