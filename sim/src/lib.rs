//! gridwork-sim: deterministic demo areas and simulated days of grid work,
//! driven only through the core's public API. Used by `gridwork demo`, the
//! end-to-end tests and the benchmarks; never shipped to phones.

pub mod area;
pub mod day;
pub mod load;
pub mod names;
pub mod photo;

use thiserror::Error;

/// Anything that stops a simulation.
#[derive(Debug, Error)]
pub enum SimError {
    #[error(transparent)]
    Core(#[from] gridwork_core::CoreError),
    #[error("file error on {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("setup: {0}")]
    Setup(String),
}
