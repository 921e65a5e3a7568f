//! Uploads survive `kill -9`: a child process uploads photos to a slow
//! loopback tus server (this process) and is SIGKILLed at seeded random
//! instants, then started again, until everything is stored. At the end
//! every photo is stored exactly once and byte-identical, and the bytes the
//! server received exceed the photos' sizes by at most one chunk per kill
//! (the offset is persisted after every acknowledged chunk and asked again
//! with HEAD after a restart).
//!
//! Kills: `GRIDWORK_UPLOAD_KILL_RUNS` (default 50, about 15 s, mostly
//! sleeping; set it lower on a busy machine), seed `GRIDWORK_UPLOAD_KILL_SEED`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;
mod fake_tus;
mod upload_fixtures;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use fake_tus::{FakeTus, TOKEN};
use gridwork_core::evidence::queue::{ChunkSizer, NetworkKind};
use gridwork_core::sync::upload::upload_with;
use gridwork_core::Store;
use upload_fixtures::*;

const DB_ENV: &str = "GRIDWORK_UPLOAD_KILL_DB";
const URL_ENV: &str = "GRIDWORK_UPLOAD_KILL_URL";

/// The victim: runs only when the parent starts this binary with the env
/// vars set. Uploads until nothing is left, then exits.
#[test]
fn upload_kill_child() {
    let (Ok(db), Ok(url)) = (std::env::var(DB_ENV), std::env::var(URL_ENV)) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open(&db).unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            upload_with(&store, &url, TOKEN, NetworkKind::Unmetered, &|_| {})
                .await
                .unwrap();
            if store.upload_queue_status().unwrap().stored == 4 {
                return;
            }
            // Backoffs are not what this test is about.
            store.retry_uploads_now().unwrap();
        }
    });
}

/// A small deterministic generator for kill instants.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn uploads_killed_at_random_instants_store_every_photo_once_and_resend_little() {
    let runs: u64 = std::env::var("GRIDWORK_UPLOAD_KILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let seed: u64 = std::env::var("GRIDWORK_UPLOAD_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tus = rt.block_on(FakeTus::start());
    // A slow link: each PATCH takes a while, so kills land mid-chunk too.
    {
        let mut s = tus.state.lock().unwrap();
        s.patch_delay = Duration::from_millis(10);
        s.patch_rate = 2_000_000;
    }

    let t = township();
    let (a, b, c) = three_photos(&t, 600_000);
    let d = t
        .store
        .attach_case_photo(
            WORKER,
            t.store.evidence(&c).unwrap().owner.owner_id(),
            &big_photo(t.dir.path(), "more.jpg", 900_000, 9),
        )
        .unwrap()
        .id;
    let ids = [a, b, c, d];
    let originals: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| std::fs::read(t.store.evidence(id).unwrap().local_path.unwrap()).unwrap())
        .collect();
    let total: u64 = originals.iter().map(|o| o.len() as u64).sum();
    outbox_answered(&t);
    // An operation still waiting to sync that cites the photos keeps their
    // files on the phone after upload, so the test can upload them again
    // (and it checks that rule: the files must survive).
    rusqlite::Connection::open(t.db_path())
        .unwrap()
        .execute(
            "INSERT INTO outbox (op_id, hlc, kind, entity_id, payload, created_at)
             VALUES ('op-cites', '0', 'case_acted', 'case', ?1, 0)",
            [ids.join(",")],
        )
        .unwrap();
    let db = t.db_path();
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args(["upload_kill_child", "--exact", "--test-threads=1"])
            .env(DB_ENV, &db)
            .env(URL_ENV, tus.url())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut rng = Lcg(seed);
    let mut kills = 0u64;
    let mut finished_early = 0u64;
    let mut worst_run = 0u64;
    // Until `runs` kills have landed (a run that finishes before its kill
    // does not count), bounded.
    for _ in 0..runs * 3 {
        if kills == runs {
            break;
        }
        if stored_count(&tus, &ids) == ids.len() {
            // Everything is up: start over with the same photos on the
            // server forgetting them, so every run has something to kill.
            let mut s = tus.state.lock().unwrap();
            s.uploads.clear();
            s.by_evidence.clear();
            s.high_water.clear();
            drop(s);
            reset_queue(&db);
        }
        let resent_before = tus.state.lock().unwrap().resent;
        let mut child = spawn();
        // Start-up (exec, open the store) takes ~20-60 ms; spread the kill
        // over the upload that follows.
        std::thread::sleep(Duration::from_millis(20 + rng.next(400)));
        if child.try_wait().unwrap().is_some() {
            finished_early += 1;
            continue;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        kills += 1;
        // This run re-sent at most the one chunk the previous kill cut off.
        let resent = tus.state.lock().unwrap().resent - resent_before;
        worst_run = worst_run.max(resent);
        assert!(
            resent <= ChunkSizer::MAX,
            "a run re-sent {resent} bytes, more than one chunk"
        );
    }
    // The last run goes to the end.
    reset_if_done(&tus, &ids, &db);
    let resent_before = tus.state.lock().unwrap().resent;
    let status = spawn().wait().unwrap();
    assert!(status.success());
    let resent_last = tus.state.lock().unwrap().resent - resent_before;
    assert!(
        resent_last <= ChunkSizer::MAX,
        "the last run re-sent {resent_last} bytes"
    );

    for (id, bytes) in ids.iter().zip(&originals) {
        let stored = tus.stored(id);
        assert!(
            stored.as_ref() == Some(bytes),
            "{id}: not stored or not byte-identical"
        );
        let e = t.store.evidence(id).unwrap();
        assert!(
            std::path::Path::new(&e.local_path.unwrap()).exists(),
            "a file an unsynced operation cites stays on the phone"
        );
    }
    let s = tus.state.lock().unwrap();
    assert_eq!(s.uploads.len(), ids.len(), "one upload per photo");
    drop(s);
    let received: u64 = ids.iter().map(|id| tus.received(id)).sum();
    let cycles = cycles(&tus);
    // Each completed cycle sent every photo once; each kill may cost the
    // chunk in flight.
    let allowed = total * cycles + kills * ChunkSizer::MAX;
    eprintln!(
        "kill -9: {kills} kills, {finished_early} runs finished before their kill, \
         {cycles} upload cycles of {total} bytes; server received {received} bytes, \
         {} beyond the photos (allowed {}); re-sent in total {} bytes, at most {} in one run",
        received.saturating_sub(total * cycles),
        kills * ChunkSizer::MAX,
        tus.state.lock().unwrap().resent,
        worst_run.max(resent_last)
    );
    assert!(received <= allowed, "{received} > {allowed}");
    assert_eq!(
        kills, runs,
        "too few runs were killed for the test to mean anything"
    );
}

fn stored_count(tus: &FakeTus, ids: &[String]) -> usize {
    ids.iter().filter(|id| tus.stored(id).is_some()).count()
}

/// Upload cycles the server saw: one plus the resets.
fn cycles(tus: &FakeTus) -> u64 {
    tus.state.lock().unwrap().next_id.div_ceil(4)
}

fn reset_if_done(tus: &FakeTus, ids: &[String], db: &std::path::Path) {
    if stored_count(tus, ids) == ids.len() {
        let mut s = tus.state.lock().unwrap();
        s.uploads.clear();
        s.by_evidence.clear();
        s.high_water.clear();
        drop(s);
        reset_queue(db);
    }
}

/// Put the photos back in the queue (their files stayed: the outbox still
/// cites them): the next cycle uploads them again from the start.
fn reset_queue(db: &std::path::Path) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "UPDATE evidence SET upload_state = 'waiting', upload_url = NULL, upload_offset = 0,
             offset_known = 0, next_attempt_at = 0, job_id = NULL, job_step = NULL
             WHERE queued_at IS NOT NULL",
            [],
        )
        .unwrap();
}
