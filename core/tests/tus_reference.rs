//! Interoperability with the reference tus server: `@tus/server` with
//! `@tus/file-store` (pinned in tests/tus/reference/package-lock.json), run
//! by node on loopback. It knows nothing of Gridwork (no credential, no
//! metadata rules, no checksum extension): it stores bytes, and the test
//! compares each stored file byte for byte with the photo. Both modes: the
//! core's own uploader (small adaptive chunks) and shell-style whole-file
//! jobs; relative and absolute `Location` answers.
//!
//! Fails, never skips, when `node` is not installed (scripts/test.sh
//! installs it before the Rust tests). With node but without
//! `node_modules`, it runs `npm ci` first (tests/tus/reference.sh does the
//! same).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;
mod upload_fixtures;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::*;
use gridwork_core::evidence::queue::NetworkKind;
use gridwork_core::sync::upload::{carry, job_body, upload_with};
use upload_fixtures::*;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tus/reference")
}

fn node_present() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The node process, killed when the test ends (also on a failed assert).
struct Reference {
    child: Child,
    url: String,
    store_dir: tempfile::TempDir,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(relative: bool) -> Reference {
    assert!(
        node_present(),
        "node is not installed: the tus interoperability test needs node >= 20.19 and npm \
         (scripts/test.sh installs them: apt-get install nodejs npm)"
    );
    let dir = reference_dir();
    // Once per process: the tests run in parallel, and two `npm ci` in one
    // directory at once break each other (seen in CI on a clean clone).
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    {
        let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
        if !dir.join("node_modules/@tus/server").exists() {
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "`npm ci` failed in {}", dir.display());
        }
    }
    let store_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg("server.mjs").arg(store_dir.path());
    if relative {
        cmd.arg("relative");
    }
    let mut child = cmd
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the reference server did not start: {line:?}"))
        .to_string();
    Reference {
        child,
        url: format!("http://127.0.0.1:{port}"),
        store_dir,
    }
}

/// The bytes the reference server stored for an evidence item (its file
/// store names the data file after the upload id, the URL's last segment).
fn stored_bytes(r: &Reference, t: &Township, id: &str) -> Vec<u8> {
    let url: String = rusqlite::Connection::open(t.db_path())
        .unwrap()
        .query_row("SELECT upload_url FROM evidence WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(url.starts_with(&r.url), "{url} resolved against {}", r.url);
    let upload_id = url.rsplit('/').next().unwrap();
    std::fs::read(r.store_dir.path().join(upload_id)).unwrap()
}

fn originals(t: &Township, ids: &[&String]) -> Vec<(String, Vec<u8>)> {
    ids.iter()
        .map(|id| {
            let e = t.store.evidence(id).unwrap();
            (
                id.to_string(),
                std::fs::read(e.local_path.unwrap()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_uploader_interoperates_with_the_reference_tus_server() {
    let reference = start(true);
    let t = township();
    // 1.5 MB: many adaptive chunks, past the 1 MiB cap.
    let (visit, normal, critical) = three_photos(&t, 1_500_000);
    let photos = originals(&t, &[&visit, &normal, &critical]);
    outbox_answered(&t);
    let report = upload_with(
        &t.store,
        &reference.url,
        "no-credential-needed",
        NetworkKind::Unmetered,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.stored, 3, "{report:?}");
    // Over the 1 MiB chunk cap: at least two requests carry each photo's
    // bytes (the first with the creation, tus creation-with-upload, which
    // the reference server speaks too), and no byte goes twice.
    assert!(report.requests >= 6, "chunked: {report:?}");
    assert_eq!(report.bytes_sent, 4_500_000, "{report:?}");
    for (id, bytes) in &photos {
        assert_eq!(&stored_bytes(&reference, &t, id), bytes, "{id}");
    }
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!((status.stored, status.bytes_on_device), (3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_style_whole_file_jobs_interoperate_with_the_reference_tus_server() {
    let reference = start(false);
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 700_000);
    let photos = originals(&t, &[&visit, &normal, &critical]);
    outbox_answered(&t);
    let client = reqwest::Client::new();
    let mut jobs = 0;
    while let Some(job) = t
        .store
        .next_upload_job(&reference.url, "token", NetworkKind::Unmetered, None)
        .unwrap()
    {
        jobs += 1;
        assert!(jobs <= 9, "runaway");
        let body = job_body(&job).unwrap();
        let result = carry(&client, &job, body).await;
        t.store.report_upload_result(&job.job_id, &result).unwrap();
    }
    assert_eq!(jobs, 9, "create, HEAD, one PATCH per photo");
    for (id, bytes) in &photos {
        assert_eq!(&stored_bytes(&reference, &t, id), bytes, "{id}");
    }
    assert_eq!(t.store.upload_queue_status().unwrap().stored, 3);
}
