//! The uploading phone is `kill -9`ed in the middle of its uploads, against a
//! real `gridwork serve`: at least 50 kills that land while a photo's bytes
//! are on the wire (only those are counted; a kill that lands before the
//! first byte or after the last does not count), each followed by a new
//! phone process on the same store. Every run re-sends at most the chunk
//! that was in flight, and in the end every photo is stored once and
//! byte-identical.
//!
//! The phone is this test binary started again with the store and the
//! server in its environment (`phone_kill9_child`); the link between them
//! is the netem proxy, shaped so that a chunk takes long enough to be cut.
//! Kills: `GRIDWORK_PHONE_KILLS` (default 50), seed `GRIDWORK_PHONE_KILL_SEED`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gridwork_core::evidence::queue::{ChunkSizer, NetworkKind};
use gridwork_core::sync::upload::upload_with;
use gridwork_core::Store;
use gridwork_netem::{LinkShape, Profile, Proxy, ProxyConfig};
use support::{count_rows, server_db, visit_with_photo, Admin, Phone, ServerProcess};

const DB_ENV: &str = "GRIDWORK_PHONE_KILL_DB";
const URL_ENV: &str = "GRIDWORK_PHONE_KILL_URL";
const TOKEN_ENV: &str = "GRIDWORK_PHONE_KILL_TOKEN";
const PHOTOS: usize = 12;
const PHOTO_BYTES: usize = 2_500_000;

/// The phone: runs only when started by the parent with its environment.
/// Uploads until every photo is stored.
#[test]
fn phone_kill9_child() {
    let (Ok(db), Ok(url), Ok(token)) = (
        std::env::var(DB_ENV),
        std::env::var(URL_ENV),
        std::env::var(TOKEN_ENV),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open(&db).unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            let _ = upload_with(&store, &url, &token, NetworkKind::Unmetered, &|_| {}).await;
            if store.upload_queue_status().unwrap().stored as usize == PHOTOS {
                return;
            }
            // Backoffs are not what this test is about.
            store.retry_uploads_now().unwrap();
        }
    });
}

/// A small deterministic generator for kill points.
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

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Photo bytes the server holds: what its uploads have received (read
/// from its database).
fn received_on_server(data: &Path) -> u64 {
    let db = rusqlite::Connection::open(data.join("uploads.db")).unwrap();
    db.query_row(
        "SELECT COALESCE(SUM(CASE WHEN state IN ('verified', 'complete') THEN length ELSE received END), 0)
         FROM upload WHERE state IN ('active', 'verified', 'complete')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

/// The server's upload rows, for a failure's message.
fn uploads_on_server(data: &Path) -> String {
    let db = rusqlite::Connection::open(data.join("uploads.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT evidence_id, state, received, length, reason FROM upload ORDER BY created_at",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} {} {}/{} {:?}",
                &r.get::<_, String>(0)?[..8],
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>();
    rows.join("\n")
}

/// Bytes of a run that were not photo bytes the server kept: request lines,
/// headers and the small JSON bodies (a few hundred bytes a request), with
/// room for many requests.
const REQUEST_ALLOWANCE: u64 = 64 * 1024;

/// Photos the server holds as stored (read from its database).
fn stored_on_server(data: &Path, ids: &[String]) -> usize {
    server_db(data, |db| {
        ids.iter()
            .filter(|id| {
                db.query_row(
                    "SELECT upload_state FROM evidence WHERE id = ?1",
                    &[id],
                    |r| r.get::<String>(0),
                )
                .is_ok_and(|s| s.as_deref() == Some("stored"))
            })
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_killed_mid_upload_50_times_stores_every_photo_once() {
    let kills_wanted = env_or("GRIDWORK_PHONE_KILLS", 50);
    let mut rng = Lcg(env_or("GRIDWORK_PHONE_KILL_SEED", 7));
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&dir.path().join("data"));
    let (admin, _console) = Admin::enrol(&server, dir.path()).await;
    admin.village_with_w1().await;
    // 8 MB/s up: a 1 MiB chunk takes about 130 ms on the wire.
    let target = server.url.trim_start_matches("http://").parse().unwrap();
    let shape = LinkShape::bytes_per_sec(8_000_000).with_latency(Duration::from_millis(2));
    let proxy = Proxy::start(ProxyConfig::new(target).with_profile(Profile::Custom {
        up: shape,
        down: LinkShape::UNSHAPED,
    }))
    .await
    .unwrap();
    let via = format!("http://{}", proxy.addr());
    let code = admin.code_for("w1").await;
    let phone = Phone::enrol(dir.path(), "w1", &via, &code).await;
    phone.sync().await;

    // Twelve visits, one 2.5 MB photo each, their records on the server.
    let mut originals = Vec::new();
    let mut ids = Vec::new();
    for k in 0..PHOTOS {
        let path = dir.path().join(format!("photo-{k}.jpg"));
        let bytes: Vec<u8> = [0xFF, 0xD8, 0xFF]
            .into_iter()
            .chain(
                (0..PHOTO_BYTES as u32)
                    .map(|i| ((i ^ (k as u32 * 7_919)).wrapping_mul(2_654_435_761) >> 11) as u8),
            )
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let out = visit_with_photo(&phone, "H001", &path);
        ids.push(out.evidence[0].id.clone());
        originals.push(bytes);
    }
    phone.sync().await;
    let token = phone.token();
    let db = dir.path().join("w1.db");
    drop(phone);
    let total: u64 = originals.iter().map(|o| o.len() as u64).sum();

    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args(["phone_kill9_child", "--exact", "--test-threads=1"])
            .env(DB_ENV, &db)
            .env(URL_ENV, &via)
            .env(TOKEN_ENV, &token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kills = 0u64;
    let mut missed = 0u64;
    let mut worst = 0u64;
    let mut total_resent = 0u64;
    // Bytes that crossed in a run beyond what the server kept from it: the
    // chunk cut off by the kill before it, sent again (at most one chunk).
    // `kept` may be negative: bytes the server had counted and let go.
    let data = server.data.clone();
    let data = data.as_path();
    let mut resent_in = |crossed: u64, kept: i64| {
        let resent = (crossed as i64 - kept - REQUEST_ALLOWANCE as i64).max(0) as u64;
        worst = worst.max(resent);
        total_resent += resent;
        assert!(
            resent <= ChunkSizer::MAX,
            "a run re-sent {resent} bytes ({crossed} crossed, {kept} kept), more than one chunk; uploads now:\n{}",
            uploads_on_server(data)
        );
    };
    // Bounded: each run either lands its kill mid-upload or is not counted.
    for _ in 0..kills_wanted * 4 {
        if kills == kills_wanted || stored_on_server(&server.data, &ids) == PHOTOS {
            break;
        }
        let base = proxy.stats().bytes_up;
        let kept_before = received_on_server(&server.data);
        // Kill once this many photo bytes have crossed in this run.
        let cut_at = 16 * 1024 + rng.next(600 * 1024);
        let mut child = spawn();
        let started = Instant::now();
        let mut last = base;
        let mut flowing = false;
        while started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(2));
            let now = proxy.stats().bytes_up;
            flowing = now > last;
            last = now;
            if now - base >= cut_at || child.try_wait().unwrap().is_some() {
                break;
            }
        }
        if child.try_wait().unwrap().is_some() {
            missed += 1; // finished on its own: not a kill at all
            continue;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Counted only if bytes were crossing the link when it died.
        if flowing {
            kills += 1;
        } else {
            missed += 1;
        }
        // Let the server finish with the cut request, then account.
        tokio::time::sleep(Duration::from_millis(100)).await;
        resent_in(
            proxy.stats().bytes_up - base,
            received_on_server(&server.data) as i64 - kept_before as i64,
        );
    }
    let base = proxy.stats().bytes_up;
    let kept_before = received_on_server(&server.data);
    let status = spawn().wait().unwrap();
    assert!(status.success(), "the last phone run finishes");
    resent_in(
        proxy.stats().bytes_up - base,
        received_on_server(&server.data) as i64 - kept_before as i64,
    );
    eprintln!(
        "phone kill -9: {kills} kills landed mid-upload, {missed} runs not counted; {} bytes crossed for {total} bytes of photos; \
         re-sent {total_resent} bytes in all, at most {worst} in one run (a chunk is at most {})",
        proxy.stats().bytes_up,
        ChunkSizer::MAX
    );
    assert!(
        kills >= kills_wanted,
        "only {kills} kills landed mid-upload ({missed} missed)"
    );
    for (id, bytes) in ids.iter().zip(&originals) {
        let e = Store::open(&db).unwrap().evidence(id).unwrap();
        let blob = std::fs::read(
            server
                .data
                .join("blobs")
                .join(&e.sha256[..2])
                .join(&e.sha256),
        )
        .unwrap();
        assert_eq!(&blob, bytes, "{id}: stored byte-identical");
    }
    assert_eq!(stored_on_server(&server.data, &ids), PHOTOS);
    let evidence_rows = count_rows(&server.data, "SELECT COUNT(*) FROM evidence");
    assert_eq!(evidence_rows, PHOTOS as i64, "each photo once");
    server.kill9();
}
