//! A real full file system (a small tmpfs the test mounts; needs root, as
//! CI runs): sync, activation and photo uploads answer 507 with nothing
//! half-applied and no evidence corrupted, the phone keeps its work, and
//! once space returns everything arrives exactly once, the photo
//! byte-identical.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use gridwork_core::store::VisitInput;
use support::{activate_raw, photo, safe_answers, visit_with_photo, Admin, Phone, ServerProcess};

/// A tmpfs of `mib` MiB, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, mib: u32) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(at)
            .status()
            .unwrap()
            .success();
        assert!(
            ok,
            "cannot mount a tmpfs at {} (the test needs root)",
            at.display()
        );
        Tmpfs(at.to_path_buf())
    }

    /// Fill what is left with a file; returns it (remove it to free space).
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        // Bounded: at most the whole file system in 64 KiB blocks.
        for _ in 0..(1 << 16) {
            if f.write_all(&block).is_err() {
                break;
            }
        }
        let _ = f.flush();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Empty the databases' write-ahead logs so that the next write must grow
/// a file (a WAL that was written before reuses its space).
fn truncate_wals(data: &Path) {
    for db in ["gridwork.db", "auth.db"] {
        let conn = rusqlite::Connection::open(data.join(db)).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_507_and_nothing_is_half_applied() {
    let dir = tempfile::tempdir().unwrap();
    let fs = Tmpfs::mount(&dir.path().join("mnt"), 48);
    let data = fs.0.join("server");
    let mut server = ServerProcess::start(&data);
    let (admin, _console) = Admin::enrol(&server, dir.path()).await;
    admin.village_with_w1().await;
    let code = admin.code_for("w1").await;
    let spare_code = admin.code_for("w1").await;
    let phone = Phone::enrol(dir.path(), "w1", &server.url, &code).await;
    phone.sync().await;

    let template = phone
        .store
        .checklist_for_kind(gridwork_core::household::PlaceKind::Household)
        .unwrap();
    // A visit with a photo whose record reached the server before the disk
    // filled (its bytes have not).
    let shot = photo(dir.path(), "满盘.jpg");
    let shot_bytes = std::fs::read(&shot.path).unwrap();
    let with_photo = visit_with_photo(&phone, "H002", Path::new(&shot.path));
    phone.sync().await;
    // The worker's visit, saved on the phone.
    phone
        .store
        .record_visit(
            "w1",
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers: safe_answers(),
                notes: "满盘时记录".into(),
                fix: None,
                photos: vec![],
            },
        )
        .unwrap();

    truncate_wals(&server.data);
    let filler = fs.fill();

    // Sync: refused whole, the phone keeps the visit.
    let err = phone.try_sync().await.unwrap_err();
    assert!(err.to_string().contains("out of storage"), "{err}");
    assert!(
        !phone.store.outbox(100).unwrap().is_empty(),
        "the phone kept its work"
    );
    // Activation: 507 too, and the code is not spent.
    let resp = activate_raw(&server.url, &spare_code, "second-phone").await;
    assert_eq!(resp.status().as_u16(), 507);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "storage_full", "{body}");
    // The photo: refused for now, kept on the phone with the reason.
    let up = phone.upload().await;
    assert_eq!(up.stored, 0, "{up:?}");
    let e = phone.store.evidence(&with_photo.evidence[0].id).unwrap();
    assert_ne!(e.upload_state, gridwork_core::evidence::UploadState::Stored);
    assert!(
        e.last_error
            .as_deref()
            .unwrap_or("")
            .contains("out of storage"),
        "the reason is shown: {e:?}"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server is still up"
    );

    // Space returns: everything arrives once.
    std::fs::remove_file(filler).unwrap();
    let report = phone.sync().await;
    assert_eq!(report.pushed.applied, 1, "{report:?}");
    assert!(phone.store.outbox(100).unwrap().is_empty());
    let again = phone.sync().await;
    assert_eq!(
        again.pushed.applied + again.pushed.duplicate,
        0,
        "{again:?}"
    );
    let db = rusqlite::Connection::open(server.data.join("gridwork.db")).unwrap();
    let visits: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM visit WHERE notes = '满盘时记录'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(visits, 1);
    // The photo waits out its backoff; the person taps "retry now".
    phone.store.retry_uploads_now().unwrap();
    let up = phone.upload().await;
    assert_eq!(up.stored, 1, "{up:?}");
    let sha = with_photo.evidence[0].sha256.clone();
    let blob = std::fs::read(server.data.join("blobs").join(&sha[..2]).join(&sha)).unwrap();
    assert_eq!(blob, shot_bytes, "the photo is stored byte-identical");
    let resp = activate_raw(&server.url, &spare_code, "second-phone").await;
    assert_eq!(resp.status().as_u16(), 200, "the unspent code works now");
    server.kill9();
}
