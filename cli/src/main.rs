//! `gridwork`: the command-line shell. `demo` builds a township on an
//! embedded device store and runs a grid worker's day through the core;
//! `import` loads an administrator's files into a store.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI talks on stdout

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use gridwork_core::clock::ManualClock;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, ImportReport};
use gridwork_core::Store;
use gridwork_sim::area::{generate, AreaSpec};
use gridwork_sim::day::{local, worker_day, DayPlan};
use gridwork_sim::load::load_area;
use gridwork_sim::summary::summarize;

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
    /// Build a demo township on a device store and run a grid worker's day.
    Demo {
        /// Seed for the generated township and day (same seed, same day).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to keep the store (default: a new temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Villages in the township.
        #[arg(long, default_value_t = 4)]
        villages: u32,
        /// Grids per village.
        #[arg(long, default_value_t = 3)]
        grids_per_village: u32,
        /// Households per grid.
        #[arg(long, default_value_t = 60)]
        households_per_grid: u32,
    },
    /// Import an administrator's file into a device store.
    Import {
        /// The store file.
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

#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    /// GeoJSON FeatureCollection of regions and grids.
    Regions,
    /// CSV or XLSX household register.
    Households,
    /// CSV or XLSX member register.
    Members,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo {
            seed,
            dir,
            villages,
            grids_per_village,
            households_per_grid,
        } => demo(seed, dir, villages, grids_per_village, households_per_grid),
        Command::Import {
            db,
            user,
            kind,
            file,
            all_or_nothing,
        } => import(&db, &user, kind, &file, all_or_nothing),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo(
    seed: u64,
    dir: Option<PathBuf>,
    villages: u32,
    grids_per_village: u32,
    households_per_grid: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => tempdir()?,
    };
    let db = dir.join("gridwork-device.db");
    if db.exists() {
        return Err(format!("{} already exists: choose another --dir", db.display()).into());
    }
    let day = NaiveDate::from_ymd_opt(2026, 5, 11).ok_or("bad date")?;
    let clock = ManualClock::new(local(day, 8, 0));
    let store = Store::open_with_clock(&db, Arc::new(clock.clone()))?;
    let spec = AreaSpec {
        villages_per_township: villages,
        grids_per_village,
        households_per_grid,
        ..AreaSpec::township(seed)
    };
    println!("生成示范街道 / generating the demo township (seed {seed}) …");
    let area = generate(&spec);
    let load = load_area(&store, &area)?;
    for (what, r) in [
        ("区域 regions", &load.regions),
        ("住户 households", &load.households),
        ("成员 members", &load.members),
    ] {
        print_import(what, r);
    }
    let worker = area
        .assignments
        .first()
        .map(|a| a.user_id.clone())
        .ok_or("no worker generated")?;
    let grid = area
        .assignments
        .first()
        .map(|a| a.grid_code.clone())
        .unwrap_or_default();
    let village = grid
        .rsplit_once('-')
        .map(|(v, _)| v.to_string())
        .unwrap_or_default();
    let township = village
        .rsplit_once('-')
        .map(|(t, _)| t.to_string())
        .unwrap_or_default();
    println!("模拟一天的工作 / simulating the day …");
    let plan = DayPlan::new(seed, day);
    worker_day(
        &store,
        &clock,
        &worker,
        &format!("s-{village}"),
        &format!("t-{township}"),
        &dir.join("camera"),
        &plan,
    )?;
    println!();
    print!("{}", summarize(&store, &db, &load, "admin", &worker, day)?);
    println!();
    println!("数据保存在 / the store is kept at {}", db.display());
    Ok(())
}

fn print_import(what: &str, r: &ImportReport) {
    println!(
        "  导入{what}: {} 条成功，{} 条错误 ({}) / imported {}, {} errors",
        r.imported,
        r.errors.len(),
        r.encoding,
        r.imported,
        r.errors.len()
    );
    for e in r.errors.iter().take(10) {
        println!("    第{}行 {}: {}", e.line, e.field, e.reason);
    }
}

fn import(
    db: &PathBuf,
    user: &str,
    kind: ImportKind,
    file: &PathBuf,
    all_or_nothing: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(db)?;
    let mode = if all_or_nothing {
        ImportMode::AllOrNothing
    } else {
        ImportMode::BestEffort
    };
    let bytes = std::fs::read(file)?;
    let report = match kind {
        ImportKind::Regions => {
            store.import_regions_geojson(user, &String::from_utf8(bytes)?, mode)?
        }
        ImportKind::Households => {
            store.import_households(user, &bytes, format_of(file, &bytes), mode)?
        }
        ImportKind::Members => store.import_members(user, &bytes, format_of(file, &bytes), mode)?,
    };
    print_import("", &report);
    if report.errors.len() > 10 {
        println!(
            "    … 另有 {} 条 / {} more",
            report.errors.len() - 10,
            report.errors.len() - 10
        );
    }
    Ok(())
}

fn format_of(file: &std::path::Path, bytes: &[u8]) -> TableFormat {
    file.file_name()
        .and_then(|n| n.to_str())
        .and_then(TableFormat::from_file_name)
        .unwrap_or_else(|| TableFormat::detect(bytes))
}

/// A fresh directory under the system temp dir that outlives the process
/// (the demo leaves its store for the reader to inspect).
fn tempdir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..1000u32 {
        let p = base.join(format!("gridwork-demo-{}-{n}", std::process::id()));
        if std::fs::create_dir(&p).is_ok() {
            return Ok(p);
        }
    }
    Err(std::io::Error::other(
        "could not create a temporary directory",
    ))
}
