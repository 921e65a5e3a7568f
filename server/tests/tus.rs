//! tus uploads of evidence photos against the real router, served on
//! loopback in process: phones (core stores) record visits with photos and
//! push them through the real sync API; the photo bytes then come by tus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use chrono::{NaiveDate, Utc};
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::clock::ManualClock;
use gridwork_core::db::postgres::testing::Cluster;
use gridwork_core::evidence::{EvidenceRecord, PhotoInput, UploadState};
use gridwork_core::household::PlaceKind;
use gridwork_core::import::TableFormat;
use gridwork_core::location::LocationFix;
use gridwork_core::secrets::{MemorySecrets, SecretStore, DEVICE_CREDENTIAL};
use gridwork_core::store::{ImportMode, VisitInput};
use gridwork_core::sync::device;
use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
use gridwork_core::Store;
use gridwork_server::blob::{BlobLocation, GivenObjects};
use gridwork_server::storage::database::Database;
use gridwork_server::storage::sqlite::SqliteStorage;
use gridwork_server::storage::uploads::UploadConfig;
use gridwork_server::storage::ServerStorage;
use object_store::memory::InMemory;
use reqwest::{Method, StatusCode};
use sha1::Digest as _;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/testdata");

struct Town {
    url: String,
    storage: Arc<SqliteStorage>,
    clock: ManualClock,
    data: PathBuf,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    database: Database,
    config: UploadConfig,
    /// On PostgreSQL and an object store (`Town::shared`): the cluster
    /// (stopped when the town goes) and the store, for the tests to look in.
    shared: Option<(Cluster, Arc<InMemory>)>,
}

/// Run `f` on a thread of its own: the PostgreSQL client blocks, which
/// tokio forbids on the test's async threads.
fn off<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

struct Phone {
    store: Store,
    secrets: Arc<MemorySecrets>,
}

impl Phone {
    fn token(&self) -> String {
        self.secrets.get(DEVICE_CREDENTIAL).unwrap().unwrap()
    }
}

impl Town {
    async fn new() -> Town {
        Self::with(UploadConfig::default()).await
    }

    async fn with(config: UploadConfig) -> Town {
        Self::on(Database::DataDir, config, None).await
    }

    /// A town whose records are in PostgreSQL and whose photos are in an
    /// object store (in memory): uploads in progress are shared, and a
    /// second instance can be started beside it (`Town::second_instance`).
    async fn shared() -> Town {
        let cluster = off(|| Cluster::start().unwrap());
        let schema = format!("tus_{}", uuid_like());
        let url = off(|| cluster.url_for(&schema).unwrap());
        let memory = Arc::new(InMemory::new());
        let config = UploadConfig {
            blobs: BlobLocation::Given(GivenObjects {
                store: memory.clone(),
                name: "memory".into(),
            }),
            ..UploadConfig::default()
        };
        Self::on(Database::Postgres(url), config, Some((cluster, memory))).await
    }

    async fn on(
        database: Database,
        config: UploadConfig,
        shared: Option<(Cluster, Arc<InMemory>)>,
    ) -> Town {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("server-data");
        let clock = ManualClock::new(Utc::now());
        let storage = off(|| {
            let storage = Arc::new(
                SqliteStorage::open_on(&database, &data, Arc::new(clock.clone()), config.clone())
                    .unwrap(),
            );
            Town::settle(&storage);
            storage
        });
        let url = serve(storage.clone()).await;
        Town {
            url,
            storage,
            clock,
            data,
            dir,
            http: reqwest::Client::new(),
            database,
            config,
            shared,
        }
    }

    /// Another `gridwork serve` on the same records and photo store, with
    /// a data directory of its own (and the first one's key, as
    /// docs/deployment.md says): its URL.
    async fn second_instance(&self) -> String {
        let data = self.dir.path().join("server-b");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::copy(self.data.join("auth.key"), data.join("auth.key")).unwrap();
        let storage = off(|| {
            Arc::new(
                SqliteStorage::open_on(
                    &self.database,
                    &data,
                    Arc::new(self.clock.clone()),
                    self.config.clone(),
                )
                .unwrap(),
            )
        });
        serve(storage).await
    }

    /// The test village, its people and their grids.
    fn settle(storage: &SqliteStorage) {
        storage.bootstrap_admin("http://unused").unwrap();
        let read = |f: &str| std::fs::read(Path::new(TESTDATA).join(f)).unwrap();
        let geo = String::from_utf8(read("township.geojson")).unwrap();
        storage
            .import_regions("admin", &geo, ImportMode::AllOrNothing)
            .unwrap();
        storage
            .import_households(
                "admin",
                &read("households.csv"),
                TableFormat::Csv,
                ImportMode::AllOrNothing,
            )
            .unwrap();
        for (id, role, j) in [
            ("w1", Role::GridWorker, vec![]),
            ("w2", Role::GridWorker, vec![]),
            (
                "s1",
                Role::VillageSecretary,
                vec!["440300-T01-V01".to_string()],
            ),
            (
                "t1",
                Role::TownshipSupervisor,
                vec!["440300-T01".to_string()],
            ),
        ] {
            storage
                .upsert_user(
                    "admin",
                    &User {
                        id: id.into(),
                        name: id.into(),
                        role,
                        phone: None,
                        jurisdiction: j,
                    },
                )
                .unwrap();
        }
        for (u, g) in [("w1", "G1"), ("w2", "G2")] {
            storage
                .set_assignment(
                    "admin",
                    &Assignment {
                        user_id: u.into(),
                        grid_code: g.into(),
                        kind: AssignmentKind::Primary,
                        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                        to: None,
                    },
                )
                .unwrap();
        }
    }

    async fn phone(&self, user: &str) -> Phone {
        let code = off(|| {
            self.storage
                .create_activation_code(user, &self.url)
                .unwrap()
        });
        let store = Store::open(self.dir.path().join(format!("{user}.db"))).unwrap();
        let secrets = Arc::new(MemorySecrets::default());
        device::activate(&store, secrets.as_ref(), &self.url, &code.code, user)
            .await
            .unwrap();
        device::sync(&store, secrets.as_ref(), &|_| {})
            .await
            .unwrap();
        Phone { store, secrets }
    }

    fn server_evidence(&self, id: &str) -> EvidenceRecord {
        off(|| self.storage.store().evidence(id).unwrap())
    }

    fn partial_files(&self) -> usize {
        std::fs::read_dir(self.data.join("uploads/partial"))
            .unwrap()
            .count()
    }
}

/// Serve `storage` on a loopback port of its own: its URL.
async fn serve(storage: Arc<SqliteStorage>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = gridwork_server::app(storage, url.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A worker's visit to H001 with one photo of `bytes`, pushed to the server.
async fn visit_with_photo(town: &Town, phone: &Phone, user: &str, bytes: &[u8]) -> EvidenceRecord {
    let path = town.dir.path().join(format!("{}.jpg", uuid_like()));
    std::fs::write(&path, bytes).unwrap();
    let t = phone
        .store
        .checklist_for_kind(PlaceKind::Household)
        .unwrap();
    let fix = LocationFix {
        lat: 22.5016,
        lon: 113.9016,
        accuracy_m: 8.0,
        provider: "gps".into(),
        mock: false,
        at: Utc::now(),
    };
    let out = phone
        .store
        .record_visit(
            user,
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: t.id,
                template_version: t.version,
                answers: vec![
                    Answer {
                        item_code: "ep.symptoms".into(),
                        value: AnswerValue::Choices(vec!["none".into()]),
                    },
                    Answer {
                        item_code: "ws.gas_use".into(),
                        value: AnswerValue::Choice("lpg".into()),
                    },
                    Answer {
                        item_code: "ws.gas_smell".into(),
                        value: AnswerValue::YesNo(false),
                    },
                    Answer {
                        item_code: "rs.house_condition".into(),
                        value: AnswerValue::Choice("sound".into()),
                    },
                ],
                notes: String::new(),
                fix: Some(fix.clone()),
                photos: vec![PhotoInput {
                    item_code: None,
                    path: path.display().to_string(),
                    media_type: "image/jpeg".into(),
                    taken_at: Utc::now(),
                    fix: Some(fix),
                }],
            },
        )
        .unwrap();
    let e = out.evidence[0].clone();
    device::sync(&phone.store, phone.secrets.as_ref(), &|_| {})
        .await
        .unwrap();
    e
}

fn uuid_like() -> String {
    hex::encode(rand_bytes())
}

fn rand_bytes() -> [u8; 8] {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    n.to_le_bytes()
}

fn photo_bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF];
    v.extend((0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

struct Resp {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: serde_json::Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn offset(&self) -> u64 {
        self.header("upload-offset").unwrap().parse().unwrap()
    }
}

async fn call(
    town: &Town,
    token: &str,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Resp {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        format!("{}{url}", town.url)
    };
    let mut req = town
        .http
        .request(method, url)
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.body(body).send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

async fn create(town: &Town, token: &str, e: &EvidenceRecord, length: u64, sha: &str) -> Resp {
    call(
        town,
        token,
        Method::POST,
        "/v1/uploads",
        &[
            ("upload-length", length.to_string()),
            (
                "upload-metadata",
                format!(
                    "evidence_id {},sha256 {},filename {}",
                    b64(&e.id),
                    b64(sha),
                    b64("现场.jpg")
                ),
            ),
        ],
        vec![],
    )
    .await
}

async fn patch(
    town: &Town,
    token: &str,
    loc: &str,
    offset: u64,
    chunk: &[u8],
    checksum: Option<String>,
) -> Resp {
    let mut h = vec![
        (
            "content-type",
            "application/offset+octet-stream".to_string(),
        ),
        ("upload-offset", offset.to_string()),
    ];
    if let Some(c) = checksum {
        h.push(("upload-checksum", c));
    }
    call(town, token, Method::PATCH, loc, &h, chunk.to_vec()).await
}

async fn head(town: &Town, token: &str, loc: &str) -> Resp {
    call(town, token, Method::HEAD, loc, &[], vec![]).await
}

fn sha1_b64(b: &[u8]) -> String {
    format!(
        "sha1 {}",
        base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(b))
    )
}

fn blob_path(town: &Town, sha: &str) -> PathBuf {
    town.data.join("blobs").join(&sha[..2]).join(sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_arrives_in_chunks_is_verified_and_the_secretary_pulls_it_stored() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let bytes = photo_bytes(300_000, 1);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Waiting
    );
    let token = worker.token();

    let opts = call(&town, &token, Method::OPTIONS, "/v1/uploads", &[], vec![]).await;
    assert_eq!(opts.status, StatusCode::NO_CONTENT);
    assert_eq!(opts.header("tus-version"), Some("1.0.0"));
    assert!(opts.header("tus-extension").unwrap().contains("checksum"));
    assert_eq!(opts.header("tus-checksum-algorithm"), Some("sha1,sha256"));

    let c = create(&town, &token, &e, e.size, &e.sha256).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.header("tus-resumable"), Some("1.0.0"));
    assert!(c.header("upload-expires").unwrap().ends_with("GMT"));
    let loc = c.header("location").unwrap().to_string();
    assert!(loc.starts_with(&town.url), "absolute Location: {loc}");

    // Same evidence again: the same upload.
    let again = create(&town, &token, &e, e.size, &e.sha256).await;
    assert_eq!(
        (again.status, again.header("location")),
        (StatusCode::CREATED, Some(loc.as_str()))
    );

    let mut offset = 0u64;
    for (i, chunk) in bytes.chunks(100_000).enumerate() {
        let sum = if i % 2 == 0 {
            Some(sha1_b64(chunk))
        } else {
            None
        };
        let r = patch(&town, &token, &loc, offset, chunk, sum).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        offset += chunk.len() as u64;
        assert_eq!(r.offset(), offset);
        let h = head(&town, &token, &loc).await;
        assert_eq!(h.status, StatusCode::OK);
        assert_eq!(
            (h.offset(), h.header("upload-length")),
            (offset, Some(e.size.to_string().as_str()))
        );
        assert_eq!(h.header("cache-control"), Some("no-store"));
        if offset < e.size {
            assert_eq!(
                town.server_evidence(&e.id).upload_state,
                UploadState::Waiting,
                "not linked before the last byte"
            );
            assert!(!blob_path(&town, &e.sha256).exists());
        }
    }
    assert_eq!(offset, e.size);
    let stored = town.server_evidence(&e.id);
    assert_eq!(
        (stored.upload_state, stored.upload_offset),
        (UploadState::Stored, e.size)
    );
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), bytes);
    assert_eq!(town.partial_files(), 0, "no partial file left");

    // Creating again once stored: the same, complete upload.
    let again = create(&town, &token, &e, e.size, &e.sha256).await;
    assert_eq!(again.header("location"), Some(loc.as_str()));
    assert_eq!(again.offset(), e.size);
    // A stored photo is evidence: termination is refused.
    let d = call(&town, &token, Method::DELETE, &loc, &[], vec![]).await;
    assert_eq!(d.status, StatusCode::CONFLICT);

    // The secretary pulls the stored state and may download the photo.
    let secretary = town.phone("s1").await;
    let seen = secretary.store.evidence(&e.id).unwrap();
    assert_eq!(seen.upload_state, UploadState::Stored, "{seen:?}");
    let got = town
        .http
        .get(format!("{}/v1/evidence/{}/content", town.url, e.id))
        .bearer_auth(secretary.token())
        .header("x-gridwork-protocol", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_offsets_bad_checksums_and_wrong_files_are_refused() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(50_000, 2);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;

    // Creation that does not match the record.
    let r = create(&town, &token, &e, e.size + 1, &e.sha256).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Upload-Length"))
    );
    let r = create(&town, &token, &e, e.size, &"0".repeat(64)).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Upload-Metadata.sha256")
        )
    );

    // No Tus-Resumable: 412 with the version we speak.
    let r = town
        .http
        .post(format!("{}/v1/uploads", town.url))
        .bearer_auth(&token)
        .header("upload-length", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.headers()["tus-version"], "1.0.0");

    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    let (a, b) = bytes.split_at(20_000);
    assert_eq!(
        patch(&town, &token, &loc, 0, a, None).await.status,
        StatusCode::NO_CONTENT
    );
    // Not tus's content type; a checksum algorithm we do not speak.
    let r = call(
        &town,
        &token,
        Method::PATCH,
        &loc,
        &[
            ("content-type", "application/octet-stream".into()),
            ("upload-offset", "20000".into()),
        ],
        b.to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = patch(&town, &token, &loc, 20_000, b, Some("md5 AAAA".into())).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Upload-Checksum"))
    );
    // Offset mismatch.
    let r = patch(&town, &token, &loc, 0, b, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("offset_mismatch"))
    );
    // Bad chunk checksum: 460, discarded, offset unchanged.
    let r = patch(&town, &token, &loc, 20_000, b, Some(sha1_b64(a))).await;
    assert_eq!(r.status.as_u16(), 460, "{}", r.body);
    assert_eq!(head(&town, &token, &loc).await.offset(), 20_000);
    assert_eq!(
        std::fs::metadata(
            town.data
                .join("uploads/partial")
                .join(loc.rsplit('/').next().unwrap())
        )
        .unwrap()
        .len(),
        20_000
    );
    // Clean retry with the right checksum (sha256 this time).
    let sum = format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b))
    );
    let r = patch(&town, &token, &loc, 20_000, b, Some(sum)).await;
    assert_eq!((r.status, r.offset()), (StatusCode::NO_CONTENT, e.size));
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Stored
    );
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_does_not_hash_to_its_record_is_rejected_and_not_linked() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(40_000, 3);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    let mut wrong = bytes.clone();
    wrong[1000] ^= 0xFF;
    let r = patch(&town, &token, &loc, 0, &wrong, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sha256_mismatch"))
    );
    assert!(r.body["reason"].as_str().unwrap().contains("校验值"));
    let h = head(&town, &token, &loc).await;
    assert_eq!(h.status, StatusCode::GONE);
    assert_eq!(
        h.header("gridwork-upload-rejected"),
        Some("sha256_mismatch")
    );
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Waiting
    );
    assert!(!blob_path(&town, &e.sha256).exists());
    assert_eq!(town.partial_files(), 0);

    // A fresh upload of the right bytes is accepted.
    let c = create(&town, &token, &e, e.size, &e.sha256).await;
    let loc2 = c.header("location").unwrap().to_string();
    assert_ne!(loc2, loc);
    assert_eq!(
        patch(&town, &token, &loc2, 0, &bytes, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Stored
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reach_unknown_evidence_termination_and_expiry() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let other = town.phone("w2").await;
    let token = worker.token();
    let bytes = photo_bytes(10_000, 4);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;

    // Evidence the server does not have yet: 409, sync first.
    let mut unknown = e.clone();
    unknown.id = "0190aaaa-0000-7000-8000-000000000000".into();
    let r = create(&town, &token, &unknown, e.size, &e.sha256).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("evidence_not_synced"))
    );
    assert!(r.body["reason"].as_str().unwrap().contains("请先同步"));

    // Another grid's worker: out of reach.
    let r = create(&town, &other.token(), &e, e.size, &e.sha256).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    assert_eq!(
        head(&town, &other.token(), &loc).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        patch(&town, &other.token(), &loc, 0, &bytes, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // No credential at all.
    let r = town
        .http
        .head(&loc)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Termination.
    assert_eq!(
        patch(&town, &token, &loc, 0, &bytes[..100], None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let d = call(&town, &token, Method::DELETE, &loc, &[], vec![]).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);
    assert_eq!(d.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(head(&town, &token, &loc).await.status, StatusCode::GONE);
    assert_eq!(
        patch(&town, &token, &loc, 100, &bytes[100..], None)
            .await
            .status,
        StatusCode::GONE
    );
    assert_eq!(town.partial_files(), 0);

    // Expiry: a new upload, part sent, then eight days pass.
    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    assert_eq!(
        patch(&town, &token, &loc, 0, &bytes[..500], None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(town.partial_files(), 1);
    town.clock.advance(chrono::Duration::days(6));
    assert_eq!(
        town.storage.upload_sweep_expired().unwrap(),
        0,
        "not expired yet"
    );
    town.clock.advance(chrono::Duration::days(2));
    assert_eq!(town.storage.upload_sweep_expired().unwrap(), 1);
    assert_eq!(town.partial_files(), 0, "the partial file is removed");
    assert_eq!(head(&town, &token, &loc).await.status, StatusCode::GONE);
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Waiting
    );
}

/// Sending or cancelling a photo's bytes is for whoever took it: the
/// secretary and the township supervisor may see the record and the upload's
/// state, not create, send or cancel it (403); another grid's worker is
/// told nothing exists (403 on creation, as before; 404 for the upload).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_photographer_may_upload_or_cancel_a_photo() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let bytes = photo_bytes(5_000, 9);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc = create(&town, &worker.token(), &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    for who in ["s1", "t1"] {
        let phone = town.phone(who).await;
        let token = phone.token();
        let r = create(&town, &token, &e, e.size, &e.sha256).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: create");
        assert!(
            r.body["reason"]
                .as_str()
                .unwrap()
                .contains("only the phone of the person who took this photo"),
            "{who}: {}",
            r.body
        );
        let p = patch(&town, &token, &loc, 0, &bytes, None).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}: patch");
        let d = call(&town, &token, Method::DELETE, &loc, &[], vec![]).await;
        assert_eq!(d.status, StatusCode::FORBIDDEN, "{who}: terminate");
        assert_eq!(
            head(&town, &token, &loc).await.status,
            StatusCode::OK,
            "{who}: may read the state"
        );
    }
    let other = town.phone("w2").await;
    assert_eq!(
        create(&town, &other.token(), &e, e.size, &e.sha256)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(&town, &other.token(), &loc, 0, &bytes, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nothing of theirs arrived; the worker's own upload goes through.
    let p = patch(&town, &worker.token(), &loc, 0, &bytes, None).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT);
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Stored
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_with_507_and_links_nothing() {
    let town = Town::with(UploadConfig {
        min_free_bytes: u64::MAX,
        ..UploadConfig::default()
    })
    .await;
    let worker = town.phone("w1").await;
    let bytes = photo_bytes(1_000, 5);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let r = create(&town, &worker.token(), &e, e.size, &e.sha256).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (507, Some("storage_full"))
    );
    assert!(r.body["reason"].as_str().unwrap().contains("存储空间不足"));
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Waiting
    );
    assert_eq!(town.partial_files(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_start_unacknowledged_bytes_are_cut_and_the_offset_kept() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(5_000, 6);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    assert_eq!(
        patch(&town, &token, &loc, 0, &bytes[..1_000], None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // Bytes written after the last acknowledgement (a kill mid-PATCH).
    let partial = town
        .data
        .join("uploads/partial")
        .join(loc.rsplit('/').next().unwrap());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .unwrap();
    std::io::Write::write_all(&mut f, &[0u8; 700]).unwrap();
    drop(f);
    // And a partial file no upload names (a kill before its row).
    let orphan = town.data.join("uploads/partial").join("ab".repeat(16));
    std::fs::write(&orphan, b"junk").unwrap();
    // The server starts again on the same data directory.
    let again = SqliteStorage::open(&town.data, Arc::new(town.clock.clone())).unwrap();
    assert_eq!(std::fs::metadata(&partial).unwrap().len(), 1_000);
    assert!(!orphan.exists(), "orphan partial file removed at start");
    let auth = again.authenticate(&token).unwrap();
    let status = again
        .upload_status(&auth, loc.rsplit('/').next().unwrap())
        .unwrap();
    assert_eq!((status.offset, status.length), (1_000, e.size));
    // And the upload completes from there.
    let r = patch(&town, &token, &loc, 1_000, &bytes[1_000..], None).await;
    assert_eq!((r.status, r.offset()), (StatusCode::NO_CONTENT, e.size));
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_in_progress_locks_its_upload_and_a_broken_body_keeps_what_arrived() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(200_000, 7);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    // A PATCH that announces the whole file, sends 50 kB and stalls (2G).
    let sock = stalled_patch(&token, &loc, &bytes).await;
    let r = patch(&town, &token, &loc, 0, &bytes, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (423, Some("upload_busy"))
    );
    let d = call(&town, &token, Method::DELETE, &loc, &[], vec![]).await;
    assert_eq!(d.status.as_u16(), 423);
    assert_eq!(
        head(&town, &token, &loc).await.offset(),
        0,
        "nothing acknowledged yet"
    );
    // The connection breaks: without a checksum, what arrived counts.
    drop(sock);
    assert_eq!(offset_once_moved(&town, &token, &loc).await, 50_000);
    let r = patch(&town, &token, &loc, 50_000, &bytes[50_000..], None).await;
    assert_eq!((r.status, r.offset()), (StatusCode::NO_CONTENT, e.size));
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), bytes);
}

/// A PATCH of the whole photo at offset 0 that sends 50 kB and stalls (a
/// phone on 2G): the connection, held open until dropped.
async fn stalled_patch(token: &str, loc: &str, bytes: &[u8]) -> std::net::TcpStream {
    use std::io::Write as _;
    let base = loc.split("/v1/").next().unwrap();
    let path = &loc[base.len()..];
    let addr = base.trim_start_matches("http://").to_string();
    let mut sock = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        sock,
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    sock.write_all(&bytes[..50_000]).unwrap();
    sock.flush().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sock
}

/// The upload's offset once it is no longer 0 (bounded wait: the server
/// takes what a broken body brought when it notices the break).
async fn offset_once_moved(town: &Town, token: &str, loc: &str) -> u64 {
    let mut offset = 0;
    for _ in 0..50 {
        offset = head(town, token, loc).await.offset();
        if offset > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    offset
}

/// `POST /v1/uploads` with the first bytes (tus creation-with-upload).
async fn create_with(
    town: &Town,
    token: &str,
    e: &EvidenceRecord,
    bytes: &[u8],
    checksum: Option<String>,
) -> Resp {
    let mut h = vec![
        ("upload-length", e.size.to_string()),
        (
            "upload-metadata",
            format!("evidence_id {},sha256 {}", b64(&e.id), b64(&e.sha256)),
        ),
        (
            "content-type",
            "application/offset+octet-stream".to_string(),
        ),
    ];
    if let Some(c) = checksum {
        h.push(("upload-checksum", c));
    }
    call(town, token, Method::POST, "/v1/uploads", &h, bytes.to_vec()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_with_upload_takes_the_first_bytes_in_the_same_request() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let opts = call(&town, &token, Method::OPTIONS, "/v1/uploads", &[], vec![]).await;
    assert!(opts
        .header("tus-extension")
        .unwrap()
        .split(',')
        .any(|x| x == "creation-with-upload"));

    // The whole photo in the creation: stored, verified, one request.
    let whole = photo_bytes(120_000, 7);
    let e = visit_with_photo(&town, &worker, "w1", &whole).await;
    let c = create_with(&town, &token, &e, &whole, Some(sha1_b64(&whole))).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.offset(), e.size);
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Stored
    );
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), whole);

    // Part of a photo: created at that offset, the rest by PATCH.
    let big = photo_bytes(200_000, 8);
    let e2 = visit_with_photo(&town, &worker, "w1", &big).await;
    let c = create_with(&town, &token, &e2, &big[..50_000], None).await;
    assert_eq!((c.status, c.offset()), (StatusCode::CREATED, 50_000));
    let loc = c.header("location").unwrap().to_string();
    // Created again with bytes: the upload stands where it is, the bytes
    // are not appended twice.
    let again = create_with(&town, &token, &e2, &big[..50_000], None).await;
    assert_eq!(
        (again.header("location"), again.offset()),
        (Some(loc.as_str()), 50_000)
    );
    let r = patch(&town, &token, &loc, 50_000, &big[50_000..], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(std::fs::read(blob_path(&town, &e2.sha256)).unwrap(), big);

    // A bad checksum on the bytes: the upload exists at offset 0.
    let third = photo_bytes(30_000, 9);
    let e3 = visit_with_photo(&town, &worker, "w1", &third).await;
    let c = create_with(&town, &token, &e3, &third, Some(sha1_b64(b"other"))).await;
    assert_eq!(
        (c.status, c.offset()),
        (StatusCode::CREATED, 0),
        "{}",
        c.body
    );
    assert_eq!(
        town.server_evidence(&e3.id).upload_state,
        UploadState::Waiting
    );

    // Bytes that complete a file that does not match its record: rejected.
    let fourth = photo_bytes(30_000, 10);
    let e4 = visit_with_photo(&town, &worker, "w1", &fourth).await;
    let mut wrong = fourth.clone();
    wrong[10] ^= 0xFF;
    let c = create_with(&town, &token, &e4, &wrong, None).await;
    assert_eq!(
        (c.status, c.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sha256_mismatch"))
    );
    assert_eq!(
        town.server_evidence(&e4.id).upload_state,
        UploadState::Waiting
    );
    assert!(!blob_path(&town, &e4.sha256).exists());
}

/// A photo taken whole in its creation request is hashed once (its sha256
/// chunk checksum is the whole-file digest). Its upload row is committed
/// relaxed: if a power cut takes the row's last commits back (here: set
/// back by hand to active at offset 0), the start links it again from the
/// blob, and HEAD says complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_photo_whose_upload_row_lags_is_linked_again_at_start() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let token = worker.token();
    let whole = photo_bytes(90_000, 11);
    let e = visit_with_photo(&town, &worker, "w1", &whole).await;
    let sum = format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&whole))
    );
    // A wrong sha256 chunk checksum is still caught on the shared digest.
    let bad = create_with(
        &town,
        &token,
        &e,
        &whole,
        Some("sha256 ".to_string() + &base64::engine::general_purpose::STANDARD.encode([0u8; 32])),
    )
    .await;
    assert_eq!(
        (bad.status, bad.offset()),
        (StatusCode::CREATED, 0),
        "{}",
        bad.body
    );
    let loc = bad.header("location").unwrap().to_string();
    let id = loc.rsplit('/').next().unwrap().to_string();
    let r = patch(&town, &token, &loc, 0, &whole, Some(sum)).await;
    assert_eq!(
        (r.status, r.offset()),
        (StatusCode::NO_CONTENT, e.size),
        "{}",
        r.body
    );
    assert_eq!(std::fs::read(blob_path(&town, &e.sha256)).unwrap(), whole);

    rusqlite::Connection::open(town.data.join("uploads.db"))
        .unwrap()
        .execute(
            "UPDATE upload SET state = 'active', received = 0 WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let again = SqliteStorage::open(&town.data, Arc::new(town.clock.clone())).unwrap();
    let auth = again.authenticate(&token).unwrap();
    let status = again.upload_status(&auth, &id).unwrap();
    assert_eq!((status.offset, status.length), (e.size, e.size));
    assert_eq!(
        status.phase,
        gridwork_server::storage::UploadPhase::Complete
    );
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Stored
    );
}

/// The part objects (uploads in progress) in a town's object store.
async fn parts_in(memory: &InMemory) -> Vec<String> {
    use futures_util::TryStreamExt as _;
    use object_store::ObjectStore as _;
    memory
        .list(Some(&object_store::path::Path::from("partial")))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap()
}

/// A stored photo in a town's object store.
async fn blob_in(memory: &InMemory, sha: &str) -> Option<Vec<u8>> {
    use object_store::ObjectStore as _;
    let key = object_store::path::Path::from(format!("{}/{sha}", &sha[..2]));
    Some(memory.get(&key).await.ok()?.bytes().await.ok()?.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_begun_on_one_instance_is_finished_on_another() {
    let town = Town::shared().await;
    let b = town.second_instance().await;
    let memory = town.shared.as_ref().unwrap().1.clone();
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(300_000, 3);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc_a = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    let loc_b = loc_a.replacen(&town.url, &b, 1);

    // The first 100 kB through A, checksummed; B knows where it stands.
    let r = patch(
        &town,
        &token,
        &loc_a,
        0,
        &bytes[..100_000],
        Some(sha1_b64(&bytes[..100_000])),
    )
    .await;
    assert_eq!(
        (r.status, r.offset()),
        (StatusCode::NO_CONTENT, 100_000),
        "{}",
        r.body
    );
    assert_eq!(head(&town, &token, &loc_b).await.offset(), 100_000);
    // The next 100 kB through B.
    let r = patch(
        &town,
        &token,
        &loc_b,
        100_000,
        &bytes[100_000..200_000],
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.offset()),
        (StatusCode::NO_CONTENT, 200_000),
        "{}",
        r.body
    );
    assert_eq!(
        parts_in(&memory).await.len(),
        2,
        "one object per acknowledged chunk"
    );
    assert_eq!(
        town.server_evidence(&e.id).upload_state,
        UploadState::Waiting
    );
    assert!(
        blob_in(&memory, &e.sha256).await.is_none(),
        "no photo before the last byte"
    );
    // A stale offset sent to A is refused with the offset B moved to.
    let stale = patch(
        &town,
        &token,
        &loc_a,
        100_000,
        &bytes[100_000..200_000],
        None,
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body["reason"].as_str().unwrap().contains("200000"),
        "{}",
        stale.body
    );

    // A takes the rest: the photo is stored whole, once, and the parts go.
    let r = patch(&town, &token, &loc_a, 200_000, &bytes[200_000..], None).await;
    assert_eq!(
        (r.status, r.offset()),
        (StatusCode::NO_CONTENT, e.size),
        "{}",
        r.body
    );
    let stored = town.server_evidence(&e.id);
    assert_eq!(stored.upload_state, UploadState::Stored);
    assert_eq!(blob_in(&memory, &e.sha256).await.unwrap(), bytes);
    assert_eq!(parts_in(&memory).await, Vec::<String>::new());
    assert_eq!(head(&town, &token, &loc_b).await.offset(), e.size);
    // Both instances give the photo back, byte for byte.
    for base in [&town.url, &b] {
        let got = town
            .http
            .get(format!("{base}/v1/evidence/{}/content", e.id))
            .bearer_auth(&token)
            .header("x-gridwork-protocol", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_in_progress_on_one_instance_locks_the_upload_on_the_other() {
    let town = Town::shared().await;
    let b = town.second_instance().await;
    let memory = town.shared.as_ref().unwrap().1.clone();
    let worker = town.phone("w1").await;
    let token = worker.token();
    let bytes = photo_bytes(200_000, 9);
    let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
    let loc_a = create(&town, &token, &e, e.size, &e.sha256)
        .await
        .header("location")
        .unwrap()
        .to_string();
    let loc_b = loc_a.replacen(&town.url, &b, 1);
    // A PATCH to A that announces the whole file, sends 50 kB and stalls.
    let sock = stalled_patch(&token, &loc_a, &bytes).await;
    // B will not interleave bytes with it, nor cancel under it.
    let r = patch(&town, &token, &loc_b, 0, &bytes, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (423, Some("upload_busy")),
        "{}",
        r.body
    );
    let d = call(&town, &token, Method::DELETE, &loc_b, &[], vec![]).await;
    assert_eq!(d.status.as_u16(), 423);
    assert_eq!(
        head(&town, &token, &loc_b).await.offset(),
        0,
        "nothing acknowledged yet"
    );
    // The connection breaks: without a checksum, what arrived counts, and
    // the lease goes with the request.
    drop(sock);
    assert_eq!(offset_once_moved(&town, &token, &loc_b).await, 50_000);
    let r = patch(&town, &token, &loc_b, 50_000, &bytes[50_000..], None).await;
    assert_eq!(
        (r.status, r.offset()),
        (StatusCode::NO_CONTENT, e.size),
        "{}",
        r.body
    );
    assert_eq!(blob_in(&memory, &e.sha256).await.unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_uploads_that_end_early_leave_no_parts_behind() {
    use object_store::ObjectStore as _;
    let town = Town::shared().await;
    let b = town.second_instance().await;
    let memory = town.shared.as_ref().unwrap().1.clone();
    let worker = town.phone("w1").await;
    let token = worker.token();
    let mut uploads = Vec::new();
    for seed in [11, 12, 13] {
        let bytes = photo_bytes(150_000, seed);
        let e = visit_with_photo(&town, &worker, "w1", &bytes).await;
        let loc = create(&town, &token, &e, e.size, &e.sha256)
            .await
            .header("location")
            .unwrap()
            .to_string();
        let r = patch(&town, &token, &loc, 0, &bytes[..100_000], None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        uploads.push((e, loc.replacen(&town.url, &b, 1), bytes));
    }
    assert_eq!(parts_in(&memory).await.len(), 3);

    // Cancelled on B: its part goes, and it is gone for good.
    let (_, cancelled, _) = &uploads[0];
    let d = call(&town, &token, Method::DELETE, cancelled, &[], vec![]).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.body);
    assert_eq!(
        head(&town, &token, cancelled).await.status,
        StatusCode::GONE
    );
    assert_eq!(parts_in(&memory).await.len(), 2);

    // Finished on B with the wrong bytes: rejected, nothing stored.
    let (wrong, rejected, bytes) = &uploads[1];
    let mut other = bytes[100_000..].to_vec();
    other[0] ^= 1;
    let r = patch(&town, &token, rejected, 100_000, &other, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (422, Some("sha256_mismatch")),
        "{}",
        r.body
    );
    assert!(blob_in(&memory, &wrong.sha256).await.is_none());
    assert_eq!(
        town.server_evidence(&wrong.id).upload_state,
        UploadState::Waiting
    );
    assert_eq!(parts_in(&memory).await.len(), 1);

    // A part no row refers to (an instance killed between its PUT and its
    // commit) is kept while it may still be committed, then removed; the
    // third upload expires after a week without bytes, with its part.
    let stray =
        object_store::path::Path::from(format!("partial/{}/000000000000-dead", "ab".repeat(16)));
    memory.put(&stray, b"stray".to_vec().into()).await.unwrap();
    assert_eq!(off(|| town.storage.upload_sweep_expired().unwrap()), 0);
    assert_eq!(parts_in(&memory).await.len(), 2, "a young stray part stays");
    town.clock.advance(chrono::Duration::days(8));
    assert_eq!(off(|| town.storage.upload_sweep_expired().unwrap()), 1);
    assert_eq!(parts_in(&memory).await, Vec::<String>::new());
    let (_, expired, _) = &uploads[2];
    assert_eq!(head(&town, &token, expired).await.status, StatusCode::GONE);
}
