//! `gridwork`: the command-line shell. `demo` runs a generated city's day
//! against a real server with simulated phones;
//! `serve` runs the sync server; `admin` administers a server's data
//! directory; `import` loads an administrator's files into a device store.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI talks on stdout

mod admin;
mod demo;
mod import;
mod push_args;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "gridwork",
    version,
    about = "Gridwork: 网格员的现场工作 / field work for grid workers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A living demo city from one command: a real server on loopback,
    /// every person's phone enrolled, one working day, escalations by push.
    Demo(demo::DemoArgs),
    /// One simulated phone's day in its own process (the demo runs it to
    /// measure a phone's memory): activate, sync, patrol, sync, upload.
    #[command(hide = true)]
    DemoDevice {
        #[arg(long)]
        server: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        store: PathBuf,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 8)]
        visits: u32,
        /// The phone's clock (the server's test clock).
        #[arg(long)]
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Run the sync server.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Data directory (databases; created if missing).
        #[arg(long, default_value = "gridwork-data")]
        data: PathBuf,
        /// How phones reach this server, for activation QR codes.
        #[arg(long)]
        public_url: Option<String>,
        /// Hours an incomplete photo upload lives after its last byte.
        #[arg(long, default_value_t = 7 * 24)]
        upload_expiry_hours: u32,
        /// Refuse photo uploads (507) when the data directory has less
        /// than this many MiB free.
        #[arg(long, default_value_t = 0)]
        min_free_mib: u64,
        /// Milliseconds that photos answered before they are durable (a
        /// phone asking `Prefer: respond-async`) gather before the server
        /// makes them durable in one batch; asking for "stored" (HEAD,
        /// POST /v1/evidence/upload-states) does it at once.
        #[arg(long, default_value_t = 500)]
        upload_batch_ms: u64,
        /// Seconds a chunk in progress holds its upload when uploads are
        /// shared by instances (PostgreSQL and an object store): if the
        /// instance dies mid-chunk, the others take the upload over after
        /// this (answering 423 until then).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        upload_lease_secs: u64,
        /// Where finished photos are kept: `data` (the data directory's
        /// blobs/) or an S3-compatible bucket, s3://bucket/prefix, which
        /// several servers can share. The endpoint and credentials come
        /// from AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        /// AWS_REGION (and AWS_ALLOW_HTTP=true for a plain-HTTP endpoint).
        #[arg(long, env = "GRIDWORK_BLOBS", default_value = "data")]
        blobs: gridwork_server::blob::BlobLocation,
        #[command(flatten)]
        database: DatabaseArg,
        /// Run on a test clock starting at this time (RFC 3339, e.g.
        /// 2026-05-11T00:00:00Z); an administrator moves it forward with
        /// POST /v1/admin/clock. For end-to-end tests and the demo only.
        #[arg(long)]
        test_clock: Option<chrono::DateTime<chrono::Utc>>,
        /// Seconds between runs of the escalation engine (it also runs
        /// right after pushes that carry case operations).
        #[arg(long, default_value_t = 60)]
        escalation_interval_secs: u64,
        #[command(flatten)]
        push: push_args::PushArgs,
        /// A base map under the web console's grids: a tile URL template
        /// with {z}, {x} and {y} (e.g. 天地图 or Amap). Without it the
        /// console draws the grid boundaries alone.
        #[arg(long)]
        map_tiles: Option<String>,
        /// The datum the tiles are drawn in: wgs84 (天地图, CGCS2000),
        /// gcj02 (Amap, Tencent) or bd09 (Baidu).
        #[arg(long, default_value = "wgs84", value_parser = parse_coord_system)]
        map_tiles_system: gridwork_core::coord::CoordSystem,
        /// Words the map shows for the tiles (owner, 审图号).
        #[arg(long, default_value = "")]
        map_tiles_attribution: String,
    },
    /// Administer a server's data directory (as its administrator).
    Admin {
        #[arg(long, default_value = "gridwork-data")]
        data: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        /// Start a new data directory if `--data` does not exist (otherwise
        /// a missing directory is an error: most likely a typo).
        #[arg(long)]
        create: bool,
        /// The administrator acting (a user with the administrator role).
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
        #[command(subcommand)]
        action: admin::AdminAction,
    },
    /// Import an administrator's file into a device store.
    Import {
        /// The store file (created, with `--user` as its administrator, if
        /// it does not exist; removed again if the import fails).
        #[arg(long)]
        db: PathBuf,
        /// The administrator doing the import (user id in the store).
        #[arg(long, default_value = "admin")]
        user: String,
        #[arg(value_enum)]
        kind: ImportKind,
        file: PathBuf,
        /// Save nothing if any row is bad.
        #[arg(long)]
        all_or_nothing: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportKind {
    /// GeoJSON FeatureCollection of regions and grids.
    Regions,
    /// CSV or XLSX household register.
    Households,
    /// CSV or XLSX member register.
    Members,
}

/// `--database`, for `serve` and `admin` alike.
#[derive(clap::Args, Debug)]
struct DatabaseArg {
    /// Where the records live: `data` (gridwork.db in the data directory)
    /// or a PostgreSQL URL, postgres://user:password@host/db, which several
    /// servers can share. Device credentials and upload state stay in the
    /// data directory for now.
    #[arg(
        long,
        env = "GRIDWORK_DATABASE",
        default_value = "data",
        hide_env_values = true
    )]
    database: gridwork_server::storage::database::Database,
}

fn main() -> ExitCode {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // The PostgreSQL client logs every statement's parameters at debug
    // level, ID and phone numbers among them: never below info, whatever
    // RUST_LOG asks (the log must hold no personal number).
    for quiet in ["tokio_postgres=info", "postgres=info"] {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: a log file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::demo(args).map_err(|e| -> Box<dyn std::error::Error> { e }),
        Command::DemoDevice {
            server,
            code,
            store,
            seed,
            visits,
            at,
        } => demo::device_day(&server, &code, &store, seed, visits, at)
            .map_err(|e| -> Box<dyn std::error::Error> { e }),
        Command::Serve {
            listen,
            data,
            public_url,
            upload_expiry_hours,
            min_free_mib,
            upload_batch_ms,
            upload_lease_secs,
            blobs,
            database,
            test_clock,
            escalation_interval_secs,
            push,
            map_tiles,
            map_tiles_system,
            map_tiles_attribution,
        } => push.settings().map_err(Into::into).and_then(|push| {
            let map_tiles = map_tiles
                .map(|url| {
                    gridwork_server::console::tiles::MapTiles::new(
                        &url,
                        map_tiles_system,
                        &map_tiles_attribution,
                    )
                })
                .transpose()?;
            serve(gridwork_server::ServerConfig {
                map_tiles,
                listen,
                data_dir: data,
                public_url,
                uploads: gridwork_server::storage::uploads::UploadConfig {
                    expiry: chrono::Duration::hours(i64::from(upload_expiry_hours)),
                    min_free_bytes: min_free_mib.saturating_mul(1024 * 1024),
                    batch_delay: std::time::Duration::from_millis(upload_batch_ms),
                    lease: std::time::Duration::from_secs(upload_lease_secs),
                    blobs,
                },
                test_clock,
                push,
                escalation_every: std::time::Duration::from_secs(escalation_interval_secs.max(1)),
                database: database.database,
            })
        }),
        Command::Admin {
            data,
            database,
            create,
            as_user,
            action,
        } => admin::run(&data, &database.database, create, &as_user, action),
        Command::Import {
            db,
            user,
            kind,
            file,
            all_or_nothing,
        } => import::import(&db, &user, kind, &file, all_or_nothing),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `wgs84`, `gcj02` or `bd09`.
fn parse_coord_system(s: &str) -> Result<gridwork_core::coord::CoordSystem, String> {
    use gridwork_core::coord::CoordSystem;
    match s {
        "wgs84" => Ok(CoordSystem::Wgs84),
        "gcj02" => Ok(CoordSystem::Gcj02),
        "bd09" => Ok(CoordSystem::Bd09),
        other => Err(format!("wgs84, gcj02 or bd09, not '{other}'")),
    }
}

fn serve(config: gridwork_server::ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let data = config.data_dir.clone();
    runtime.block_on(gridwork_server::serve(config, |addr, code| {
        println!(
            "gridwork server listening on http://{addr} (data in {})",
            data.display()
        );
        if let Some(code) = code {
            println!(
                "管理员激活码 / administrator activation code: {}",
                code.code
            );
            println!("  QR: {}", code.qr);
            println!(
                "  有效至 / valid until {}",
                code.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        println!("OpenAPI: http://{addr}/openapi.json   health: http://{addr}/healthz");
    }))?;
    Ok(())
}
