//! `gridwork demo`: a generated township and a grid worker's day on a
//! device store.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use gridwork_core::clock::ManualClock;
use gridwork_core::Store;
use gridwork_sim::area::{generate, AreaSpec};
use gridwork_sim::day::{local, worker_day, DayPlan};
use gridwork_sim::load::load_area;
use gridwork_sim::summary::summarize;

use crate::import::print_import;

pub fn demo(
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
