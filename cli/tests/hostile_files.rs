//! Hostile import files sent to a real `gridwork serve` process: each is
//! answered 413 with a clear reason, the process stays up, and an ordinary
//! import right after works.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/hostile/files.rs"]
mod hostile;
mod support;

use reqwest::Method;
use support::{Admin, ServerProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_refused_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&dir.path().join("server"));
    let (admin, _phone) = Admin::enrol(&server, dir.path()).await;

    let header = [("A1", "户编码"), ("B1", "网格编码"), ("C1", "类型")];
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "a 1 KB sheet declaring the whole of Excel",
            "/admin/import/households?format=xlsx",
            hostile::xlsx(Some("A1:XFD1048576"), &header),
            "1048576 rows × 16384 columns",
        ),
        (
            "two cells a million rows apart",
            "/admin/import/members?format=xlsx",
            hostile::xlsx(None, &[("A1", "姓名"), ("XFD1048576", "x")]),
            "cell XFD1048576 is beyond the limit",
        ),
        (
            "a zip bomb",
            "/admin/import/households?format=xlsx",
            hostile::xlsx_with(None, &header, 300 << 20),
            "unpacks to more than 256 MiB",
        ),
    ];
    for (what, path, body, says) in cases {
        let (status, answer) = admin.call(Method::POST, path, body).await;
        assert_eq!(status, 413, "{what}: {answer}");
        assert_eq!(answer["code"], "too_large", "{what}: {answer}");
        let reason = answer["reason"].as_str().unwrap();
        assert!(reason.contains(says), "{what}: {reason}");
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "{what}: the server died"
        );
    }

    // A boundary past the vertex limit is that feature's own error; the
    // rest of the file imports.
    let (status, report) = admin
        .call(
            Method::POST,
            "/admin/import/regions?mode=best_effort",
            hostile::geojson_grid_ring(30_000).into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(
        report["errors"][0]["field"],
        "features[3].geometry.coordinates"
    );

    // Still serving, and an ordinary boundary imports.
    let health = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (status, report) = admin
        .call(
            Method::POST,
            "/admin/import/regions",
            hostile::geojson_grid_ring(2_000).into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 4, "{report}");
    server.kill9();
}
