//! Sync benchmarks against a real `gridwork serve` process on loopback.
//!
//! - `sync`: the initial sync of ~10,000 records to one phone and the push
//!   of 10,000 operations from it (seconds, bytes, requests), writing the
//!   same records as JSON for the PouchDB baseline to replicate.
//! - `morning`: 1,890 phones each pushing a morning's 50 operations
//!   concurrently (throughput, latency percentiles).
//! - `escalation`: the engine with 10,000 open cases, deadline-to-push
//!   latency on a test clock (in process, the server's own engine code).
//! - `uploads`: 200 photos of 300 KB over tus beside a raw HTTP PUT of the
//!   same bytes, and the bytes re-sent when the link is cut mid-upload.
//! - `ingest`: 32 phones uploading at once to one server, beside raw HTTP
//!   PUT + fsync at the same concurrency.
//!
//! Each prints one JSON object on stdout; progress goes to stderr.
//! `scripts/bench.sh` runs both and the PouchDB harness, and writes
//! docs/benchmarks.md.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports

mod admin;
mod escalation;
mod ingest;
mod morning;
mod sync_bench;
mod uploads;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gridwork-bench", about = "Gridwork sync benchmarks")]
struct Cli {
    /// The `gridwork` binary to start as the server (build it with --release).
    #[arg(long, default_value = "target/release/gridwork")]
    server_bin: PathBuf,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Initial sync of N records and a push of N operations.
    Sync {
        #[arg(long, default_value_t = 10_000)]
        n: usize,
        /// Where to write the records for the PouchDB run.
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
    },
    /// Many phones pushing a morning's work at once.
    Morning {
        #[arg(long, default_value_t = 1_890)]
        devices: usize,
        #[arg(long, default_value_t = 50)]
        ops: usize,
        #[arg(long, default_value_t = 678)]
        grids: usize,
        /// Requests in flight at once (phones waking up together).
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        /// `gridwork serve` processes sharing the database that
        /// `GRIDWORK_DATABASE` names; phones take them in turn.
        #[arg(long, default_value_t = 1)]
        instances: usize,
    },
    /// The escalation engine with many open cases: an idle pass beside a
    /// full scan, deadline-to-push latency on the one-minute schedule, and
    /// everything due at once.
    Escalation {
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
        /// Cases whose deadlines fall in the timed hour.
        #[arg(long, default_value_t = 300)]
        timed: usize,
    },
    /// Many phones uploading photos at once to one server (its photo
    /// store and records from GRIDWORK_BLOBS and GRIDWORK_DATABASE) beside
    /// raw HTTP PUT + fsync at the same concurrency.
    Ingest {
        #[arg(long, default_value_t = 32)]
        phones: usize,
        #[arg(long, default_value_t = 10)]
        photos: usize,
        #[arg(long, default_value_t = 300_000)]
        size: usize,
    },
    /// Photo uploads over tus beside raw HTTP PUT; bytes re-sent after cuts.
    Uploads {
        #[arg(long, default_value_t = 200)]
        photos: usize,
        #[arg(long, default_value_t = 300_000)]
        size: usize,
        /// Times the link is cut mid-upload in the interrupted run.
        #[arg(long, default_value_t = 10)]
        cuts: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.what {
            What::Sync { n, out } => sync_bench::run(&cli.server_bin, n, &out).await,
            What::Morning {
                devices,
                ops,
                grids,
                concurrency,
                instances,
            } => morning::run(&cli.server_bin, devices, ops, grids, concurrency, instances).await,
            What::Escalation { cases, timed } => escalation::run(cases, timed).await,
            What::Ingest {
                phones,
                photos,
                size,
            } => ingest::run(&cli.server_bin, phones, photos, size).await,
            What::Uploads { photos, size, cuts } => {
                uploads::run(&cli.server_bin, photos, size, cuts).await
            }
        }
    });
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
