//! Rewriting a phone's store in the current page format (HMAC-SHA256,
//! from SQLCipher 4's default HMAC-SHA512) survives a real `kill -9` at
//! any instant: after every kill the store is whole in one format or the
//! other, and the next open finishes the job with everything it held.
//! A mistake here would lock a worker out of a grid's register, so the
//! kills are real (a child process) and counted only when they land in
//! the middle of the copy.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use common::*;
use gridwork_core::clock::ManualClock;
use gridwork_core::store::StoreKey;
use gridwork_core::Store;
use rusqlite::Connection;

const CHILD_ENV: &str = "GRIDWORK_REFORMAT_DB";
const RAW_KEY: [u8; 32] = [42u8; 32];
/// Bounded: each run copies the whole store once.
const RUNS: u32 = 16;
/// Rows of 64 KiB: a store of about 16 MiB, the size of a year of a
/// busy grid's visits, so the copy takes long enough for kills to land
/// in it.
const BALLAST_ROWS: i64 = 256;

/// The victim: opens the store as the app does at launch, which rewrites
/// it, and exits. Runs only when the parent starts this binary with the
/// env var set.
#[test]
fn reformat_child() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open_encrypted_with_clock(
        &db,
        &StoreKey::from_bytes(RAW_KEY),
        Arc::new(ManualClock::new(t0())),
    )
    .unwrap();
    drop(store);
}

fn keyed(path: &Path, hmac: Option<&str>) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = \"x'{}'\";",
        hex::encode(RAW_KEY)
    ))
    .unwrap();
    if let Some(hmac) = hmac {
        conn.execute_batch(&format!("PRAGMA cipher_hmac_algorithm = {hmac};"))
            .unwrap();
    }
    conn
}

fn opens(path: &Path, hmac: Option<&str>) -> bool {
    keyed(path, hmac)
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok()
}

/// A populated store written the way builds before the change wrote it
/// (SQLCipher's defaults), with ballast so the rewrite takes a while.
fn legacy_store(path: &Path) {
    let key = StoreKey::from_bytes(RAW_KEY);
    {
        let store =
            Store::open_encrypted_with_clock(path, &key, Arc::new(ManualClock::new(t0()))).unwrap();
        populate(&store);
    }
    keyed(path, Some("HMAC_SHA256"))
        .execute_batch(
            "CREATE TABLE ballast (n INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
             WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 256)
             INSERT INTO ballast SELECT n, randomblob(65536) FROM k;",
        )
        .unwrap();
    write_in_legacy_format(path, &RAW_KEY);
}

/// What the store holds that must survive: the ballast's digest and the
/// register's households.
fn contents(path: &Path, hmac: Option<&str>) -> (i64, String, i64) {
    let conn = keyed(path, hmac);
    let (rows, digest): (i64, String) = conn
        .query_row(
            "SELECT count(*), group_concat(hex(substr(bytes, 1, 8)), '') FROM ballast",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let households: i64 = conn
        .query_row("SELECT count(*) FROM household", [], |r| r.get(0))
        .unwrap();
    (rows, digest, households)
}

fn copy_exists(path: &Path) -> bool {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(".reformatting");
    path.with_file_name(name).exists()
}

#[test]
fn a_kill_during_the_rewrite_loses_nothing_and_the_next_open_finishes_it() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.db");
    legacy_store(&pristine);
    assert!(opens(&pristine, None) && !opens(&pristine, Some("HMAC_SHA256")));
    let expected = contents(&pristine, None);
    assert_eq!(expected.0, BALLAST_ROWS);
    let db = dir.path().join("phone.db");
    let child = |db: &Path| {
        Command::new(&exe)
            .args(["reformat_child", "--exact", "--test-threads=1"])
            .env(CHILD_ENV, db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // How long a launch that rewrites the store takes here, start-up
    // included: the kills are spread over it.
    std::fs::copy(&pristine, &db).unwrap();
    let started = Instant::now();
    assert!(child(&db).wait().unwrap().success());
    let whole_run = started.elapsed();
    assert!(
        opens(&db, Some("HMAC_SHA256")),
        "an undisturbed launch rewrites it"
    );
    assert_eq!(contents(&db, Some("HMAC_SHA256")), expected);

    let mut mid_copy = 0;
    for run in 0..RUNS {
        std::fs::remove_file(&db).unwrap();
        std::fs::copy(&pristine, &db).unwrap();
        let mut victim = child(&db);
        std::thread::sleep(whole_run.mul_f64(f64::from(run + 1) / f64::from(RUNS + 1)));
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        if copy_exists(&db) {
            mid_copy += 1;
        }
        // Whole in exactly one format, never neither.
        let (old, new) = (opens(&db, None), opens(&db, Some("HMAC_SHA256")));
        assert!(old != new, "run {run}: old format {old}, new format {new}");
        let format = if new { Some("HMAC_SHA256") } else { None };
        assert_eq!(contents(&db, format), expected, "run {run}: after the kill");
        // The next launch finishes the job (and clears a half copy).
        let store = Store::open_encrypted_with_clock(
            &db,
            &StoreKey::from_bytes(RAW_KEY),
            Arc::new(ManualClock::new(t0())),
        )
        .unwrap();
        drop(store);
        assert!(!copy_exists(&db), "run {run}: the half copy is cleared");
        assert_eq!(
            contents(&db, Some("HMAC_SHA256")),
            expected,
            "run {run}: after the next open"
        );
    }
    eprintln!("{mid_copy} of {RUNS} kills landed mid-copy (launch {whole_run:?})");
    assert!(
        mid_copy >= RUNS / 4,
        "only {mid_copy} of {RUNS} kills landed in the copy: the test proves too little"
    );
}
