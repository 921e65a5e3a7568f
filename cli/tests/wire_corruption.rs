//! Bytes corrupted on the wire between real processes: the phone (this
//! process, the core's uploader) talks to `gridwork serve` through the netem
//! proxy, which inverts one byte in the middle of a photo's upload. The
//! chunk fails its checksum (460), the phone asks where to go on and sends
//! that chunk again, and the photo is stored byte-identical: nothing but
//! the corrupted chunk crosses the link twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use gridwork_core::evidence::queue::ChunkSizer;
use gridwork_netem::{Direction, Profile, Proxy, ProxyConfig};
use support::{visit_with_photo, Admin, Phone, ServerProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_chunk_is_refused_460_and_sent_again_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start_logging_to(&dir.path().join("data"), &log);
    let (admin, _console) = Admin::enrol(&server, dir.path()).await;
    admin.village_with_w1().await;
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
    let visit = visit_with_photo(&phone, "H001", &path);
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
