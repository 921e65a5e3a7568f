//! A photo upload survives `kill -9` of the real server in the middle of a
//! PATCH: after the restart HEAD reports at least every acknowledged byte
//! (and never bytes that were not made durable), the client resumes from
//! there, and the stored blob is byte-identical to the phone's file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use gridwork_core::evidence::EvidenceRecord;
use gridwork_core::evidence::PhotoInput;
use gridwork_core::household::PlaceKind;
use gridwork_core::store::VisitInput;
use reqwest::Method;
use sha2::Digest as _;
use support::{server_db, Admin, Phone, ServerProcess};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn tus(
    http: &reqwest::Client,
    token: &str,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = http
        .request(method, url)
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.body(body).send().await.unwrap()
}

fn offset(r: &reqwest::Response) -> u64 {
    r.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A real server with a worker's phone that has recorded (and pushed) a
/// visit with one 1 MB photo: the server process, the phone, the photo's
/// bytes and its evidence record.
async fn server_with_a_photo(
    dir: &Path,
    args: &[String],
) -> (ServerProcess, Phone, Vec<u8>, EvidenceRecord) {
    let server = ServerProcess::start_with(&dir.join("server-data"), 0, args);
    let (admin, _console) = Admin::enrol(&server, dir).await;
    admin.village_with_w1().await;
    let code = admin.code_for("w1").await;
    let phone = Phone::enrol(dir, "w1", &server.url, &code).await;
    phone.sync().await;

    // A 1 MB photo recorded with a visit and pushed.
    let bytes: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let photo = dir.join("hazard.jpg");
    std::fs::write(&photo, &bytes).unwrap();
    let t = phone
        .store
        .checklist_for_kind(PlaceKind::Household)
        .unwrap();
    let out = phone
        .store
        .record_visit(
            "w1",
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: t.id,
                template_version: t.version,
                answers: support::safe_answers(),
                notes: String::new(),
                fix: None,
                photos: vec![PhotoInput {
                    item_code: None,
                    path: photo.display().to_string(),
                    media_type: "image/jpeg".into(),
                    taken_at: chrono::Utc::now(),
                    fix: None,
                }],
            },
        )
        .unwrap();
    let e = out.evidence[0].clone();
    assert_eq!(e.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
    phone.sync().await;
    (server, phone, bytes, e)
}

fn blob_of(server: &ServerProcess, e: &EvidenceRecord) -> std::path::PathBuf {
    server
        .data
        .join("blobs")
        .join(&e.sha256[..2])
        .join(&e.sha256)
}

fn server_upload_state(server: &ServerProcess, e: &EvidenceRecord) -> String {
    server_db(&server.data, |db| {
        db.query_row(
            "SELECT upload_state FROM evidence WHERE id = ?1",
            &[&e.id],
            |r| r.get(0),
        )
        .unwrap()
        .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_mid_patch_resumes_from_a_durable_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, phone, bytes, e) = server_with_a_photo(dir.path(), &[]).await;
    let http = reqwest::Client::new();
    let token = phone.token();
    let created = tus(
        &http,
        &token,
        Method::POST,
        &format!("{}/v1/uploads", server.url),
        &[
            ("upload-length", bytes.len().to_string()),
            (
                "upload-metadata",
                format!("evidence_id {},sha256 {}", b64(&e.id), b64(&e.sha256)),
            ),
        ],
        vec![],
    )
    .await;
    assert_eq!(created.status(), 201);
    let loc = created.headers()["location"].to_str().unwrap().to_string();
    let patch_headers = |o: usize| {
        vec![
            (
                "content-type",
                "application/offset+octet-stream".to_string(),
            ),
            ("upload-offset", o.to_string()),
        ]
    };
    let acked = 300_000usize;
    let r = tus(
        &http,
        &token,
        Method::PATCH,
        &loc,
        &patch_headers(0),
        bytes[..acked].to_vec(),
    )
    .await;
    assert_eq!((r.status().as_u16(), offset(&r)), (204, acked as u64));

    // The next PATCH announces 700 kB, sends 200 kB and stalls; the server
    // is killed while it waits for the rest.
    let path = loc.split_once("//").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let mut sock = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        sock,
        "PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: {acked}\r\nContent-Length: {}\r\n\r\n",
        server.port,
        bytes.len() - acked
    )
    .unwrap();
    sock.write_all(&bytes[acked..acked + 200_000]).unwrap();
    sock.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill9();
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest);
    assert!(rest.is_empty(), "no answer came before the kill");

    server.restart();
    let h = tus(&http, &token, Method::HEAD, &loc, &[], vec![]).await;
    assert_eq!(h.status(), 200);
    let durable = offset(&h) as usize;
    assert!(
        durable >= acked,
        "HEAD {durable} lost acknowledged bytes (acked {acked})"
    );
    assert!(
        durable <= acked + 200_000,
        "HEAD {durable} claims bytes never sent"
    );
    let partial = server
        .data
        .join("uploads/partial")
        .join(loc.rsplit('/').next().unwrap());
    assert_eq!(
        std::fs::metadata(&partial).unwrap().len() as usize,
        durable,
        "the file holds exactly the offset HEAD reports"
    );

    // Resume from HEAD's offset, as a tus client does.
    let r = tus(
        &http,
        &token,
        Method::PATCH,
        &loc,
        &patch_headers(durable),
        bytes[durable..].to_vec(),
    )
    .await;
    assert_eq!((r.status().as_u16(), offset(&r)), (204, bytes.len() as u64));
    assert_eq!(
        std::fs::read(blob_of(&server, &e)).unwrap(),
        bytes,
        "byte-identical blob"
    );
    assert_eq!(server_upload_state(&server, &e), "stored");
    // And the phone hears it on its next pull.
    phone.sync().await;
    assert_eq!(
        phone.store.evidence(&e.id).unwrap().upload_state,
        gridwork_core::evidence::UploadState::Stored
    );
}

/// The whole photo in one creation, answered early (`Prefer:
/// respond-async`): the server says where it stands on the upload row.
async fn create_answered_early(
    http: &reqwest::Client,
    server: &ServerProcess,
    token: &str,
    e: &EvidenceRecord,
    bytes: &[u8],
) -> String {
    let sum = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes));
    let r = tus(
        http,
        token,
        Method::POST,
        &format!("{}/v1/uploads", server.url),
        &[
            ("upload-length", bytes.len().to_string()),
            (
                "upload-metadata",
                format!("evidence_id {},sha256 {}", b64(&e.id), b64(&e.sha256)),
            ),
            (
                "content-type",
                "application/offset+octet-stream".to_string(),
            ),
            ("upload-checksum", format!("sha256 {sum}")),
            ("prefer", "respond-async".to_string()),
        ],
        bytes.to_vec(),
    )
    .await;
    assert_eq!((r.status().as_u16(), offset(&r)), (201, bytes.len() as u64));
    assert_eq!(r.headers()["preference-applied"], "respond-async");
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    // Verified, not yet durable: no blob, the record not stored, the row
    // says so.
    let id = loc.rsplit('/').next().unwrap().to_string();
    let row: String = rusqlite::Connection::open(server.data.join("uploads.db"))
        .unwrap()
        .query_row("SELECT state FROM upload WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(row, "verified");
    assert!(!blob_of(server, e).exists());
    assert_ne!(server_upload_state(server, e), "stored");
    loc
}

async fn upload_states(
    http: &reqwest::Client,
    server: &ServerProcess,
    token: &str,
    ids: &[&str],
) -> (u16, serde_json::Value) {
    let r = http
        .post(format!("{}/v1/evidence/upload-states", server.url))
        .bearer_auth(token)
        .header("x-gridwork-protocol", "1")
        .json(&serde_json::json!({ "evidence_ids": ids }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Batches far apart, so the kill lands before the photo's batch.
fn slow_batches() -> Vec<String> {
    vec!["--upload-batch-ms".into(), "600000".into()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_answered_before_its_batch_is_stored_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, phone, bytes, e) = server_with_a_photo(dir.path(), &slow_batches()).await;
    let http = reqwest::Client::new();
    let token = phone.token();
    let loc = create_answered_early(&http, &server, &token, &e, &bytes).await;

    server.kill9();
    server.restart();
    // The restart checked the bytes again and made them durable.
    assert_eq!(
        std::fs::read(blob_of(&server, &e)).unwrap(),
        bytes,
        "byte-identical blob"
    );
    assert_eq!(server_upload_state(&server, &e), "stored");
    let h = tus(&http, &token, Method::HEAD, &loc, &[], vec![]).await;
    assert_eq!((h.status().as_u16(), offset(&h)), (200, bytes.len() as u64));
    let (status, body) = upload_states(&http, &server, &token, &[&e.id, "no-such-photo"]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["states"],
        serde_json::json!([
            {"evidence_id": e.id, "state": "stored"},
            {"evidence_id": "no-such-photo", "state": "unknown"},
        ])
    );
    // Asking about nothing, or too much, says so.
    let (status, body) = upload_states(&http, &server, &token, &[]).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("evidence_ids"))
    );
    let many: Vec<String> = (0..501).map(|i| format!("e{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, _) = upload_states(&http, &server, &token, &many).await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_whose_early_answered_bytes_were_lost_is_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, phone, bytes, e) = server_with_a_photo(dir.path(), &slow_batches()).await;
    let http = reqwest::Client::new();
    let token = phone.token();
    let loc = create_answered_early(&http, &server, &token, &e, &bytes).await;

    // A power cut takes the bytes that were not yet durable (the page
    // cache), not the row: as if, cut the partial file short.
    server.kill9();
    let id = loc.rsplit('/').next().unwrap();
    let partial = server.data.join("uploads/partial").join(id);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap()
        .set_len(4096)
        .unwrap();
    server.restart();
    let (status, body) = upload_states(&http, &server, &token, &[&e.id]).await;
    assert_eq!(
        (status, body["states"][0]["state"].as_str()),
        (200, Some("not_stored"))
    );
    let h = tus(&http, &token, Method::HEAD, &loc, &[], vec![]).await;
    assert_eq!((h.status().as_u16(), offset(&h)), (200, 0), "back to 0");
    assert!(!blob_of(&server, &e).exists());

    // The phone, which kept its copy, uploads it with its own uploader:
    // answered early, then confirmed stored in the same run.
    let report = phone.upload().await;
    assert_eq!(report.stored, 1, "{report:?}");
    assert_eq!(
        std::fs::read(blob_of(&server, &e)).unwrap(),
        bytes,
        "byte-identical blob"
    );
    assert_eq!(server_upload_state(&server, &e), "stored");
    let status = phone.store.upload_queue_status().unwrap();
    assert_eq!(status.stored, 1);
}
