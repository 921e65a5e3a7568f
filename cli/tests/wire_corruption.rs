//! Bytes corrupted on the wire between real processes: the phone (this
//! process, the core's uploader) talks to `gridwork serve` through the netem
//! proxy, which inverts one byte in the middle of a photo's upload. The
//! chunk fails its checksum (460), the phone asks where to go on and sends
//! that chunk again, and the photo is stored byte-identical: nothing but
//! the corrupted chunk crosses the link twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use gridwork_core::evidence::queue::ChunkSizer;
use gridwork_core::household::PlaceKind;
use gridwork_core::store::VisitInput;
use gridwork_netem::{Direction, Profile, Proxy, ProxyConfig};
use reqwest::Method;
use support::{safe_answers, Admin, Phone, ServerProcess, TESTDATA};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_chunk_is_refused_460_and_sent_again_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start_logging_to(&dir.path().join("data"), &log);
    let (admin, _console) = Admin::enrol(&server, dir.path()).await;
    let read = |f: &str| std::fs::read(Path::new(TESTDATA).join(f)).unwrap();
    admin
        .ok(
            Method::POST,
            "/admin/import/regions",
            read("township.geojson"),
        )
        .await;
    admin
        .ok(
            Method::POST,
            "/admin/import/households",
            read("households.csv"),
        )
        .await;
    admin
        .put_json("/admin/users", serde_json::json!({"id": "w1", "name": "张网格", "role": "grid_worker", "phone": null, "jurisdiction": []}))
        .await;
    admin
        .put_json("/admin/assignments", serde_json::json!({"user_id": "w1", "grid_code": "G1", "kind": "primary", "from": "2026-01-01", "to": null}))
        .await;
    let target = server.url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(ProxyConfig::new(target).with_profile(Profile::Wifi))
        .await
        .unwrap();
    let via = format!("http://{}", proxy.addr());
    let code = admin.code_for("w1").await;
    let phone = Phone::enrol(dir.path(), "w1", &via, &code).await;
    phone.sync().await;

    // A 1.2 MB photo: several chunks.
    let path = dir.path().join("hose.jpg");
    let bytes: Vec<u8> = [0xFF, 0xD8, 0xFF]
        .into_iter()
        .chain((0..1_200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8))
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    let template = phone
        .store
        .checklist_for_kind(PlaceKind::Household)
        .unwrap();
    let visit = phone
        .store
        .record_visit(
            "w1",
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers: safe_answers(),
                notes: String::new(),
                fix: None,
                photos: vec![gridwork_core::evidence::PhotoInput {
                    item_code: None,
                    path: path.display().to_string(),
                    media_type: "image/jpeg".into(),
                    taken_at: chrono::Utc::now(),
                    fix: None,
                }],
            },
        )
        .unwrap();
    phone.sync().await;

    // One byte, well inside the photo's bytes, inverted on the way up.
    let before = proxy.stats();
    proxy.flip_byte_after(Direction::Up, 700_000);
    let report = phone.upload().await;
    let crossed = proxy.stats().since(&before);
    assert_eq!(crossed.bytes_flipped, 1, "the corruption happened");
    assert_eq!(report.stored, 1, "{report:?}");
    let size = bytes.len() as u64;
    assert!(
        report.bytes_sent > size && report.bytes_sent <= size + ChunkSizer::MAX,
        "only the corrupted chunk went twice: {report:?}"
    );
    let sha = visit.evidence[0].sha256.clone();
    let blob = std::fs::read(server.data.join("blobs").join(&sha[..2]).join(&sha)).unwrap();
    assert_eq!(blob, bytes, "stored byte-identical");
    server.kill9();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("status=460"),
        "the server answered the corrupted chunk 460"
    );
}
