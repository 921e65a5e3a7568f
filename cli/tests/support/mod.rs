//! A real server process on loopback, real phones (core stores with the
//! HTTP transport), and an administrator speaking the admin API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::evidence::PhotoInput;
use gridwork_core::location::LocationFix;
use gridwork_core::secrets::{MemorySecrets, SecretStore, DEVICE_CREDENTIAL};
use gridwork_core::sync::device;
use gridwork_core::sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use gridwork_core::sync::SyncReport;
use gridwork_core::Store;
use reqwest::Method;

/// The PostgreSQL URL of the records of a server on `data` when the suite
/// runs on PostgreSQL (`GRIDWORK_TEST_BACKEND=postgres`, the cluster in
/// `GRIDWORK_PG_URL`): a schema named after the data directory, so a
/// restart on the same data finds the same records. `None` on SQLite.
pub fn test_database_url(data: &Path) -> Option<String> {
    use std::hash::{Hash, Hasher};
    if std::env::var("GRIDWORK_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    let url = std::env::var("GRIDWORK_PG_URL").expect("GRIDWORK_PG_URL names the test cluster");
    // SipHash with fixed keys: the same name for the same path.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    let schema = format!("cli_{:016x}", h.finish());
    off_runtime(|| {
        let session = gridwork_core::db::postgres::PgSession::connect(&url).unwrap();
        gridwork_core::db::Sql::Postgres(&session)
            .execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .unwrap();
    });
    let join = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{join}options=-c%20search_path%3D{schema}"))
}

/// A count from a PostgreSQL database several instances share.
pub fn pg_count(url: &str, sql: &str) -> i64 {
    off_runtime(|| {
        let session = gridwork_core::db::postgres::PgSession::connect(url).unwrap();
        gridwork_core::db::Sql::Postgres(&session)
            .query_row(sql, &[], |r| r.get::<i64>(0))
            .unwrap()
            .unwrap()
    })
}

/// `--database` for a server on `data`: nothing on SQLite.
pub fn test_database(data: &Path) -> Vec<String> {
    test_database_url(data)
        .map(|url| vec!["--database".to_string(), url])
        .unwrap_or_default()
}

/// Run `f` on the records of the server on `data`, whichever engine they
/// are on (tests that count or plant rows).
pub fn server_db<T: Send>(
    data: &Path,
    f: impl FnOnce(gridwork_core::db::Sql<'_>) -> T + Send,
) -> T {
    match test_database_url(data) {
        Some(url) => off_runtime(move || {
            let session = gridwork_core::db::postgres::PgSession::connect(&url).unwrap();
            f(gridwork_core::db::Sql::Postgres(&session))
        }),
        None => {
            let conn = rusqlite::Connection::open(data.join("gridwork.db")).unwrap();
            f(gridwork_core::db::Sql::from(&conn))
        }
    }
}

/// Run `f` on the server's own records (devices, codes, console
/// accounts): `auth.db` on SQLite, the same database as the rest on
/// PostgreSQL.
pub fn auth_db<T: Send>(data: &Path, f: impl FnOnce(gridwork_core::db::Sql<'_>) -> T + Send) -> T {
    match test_database_url(data) {
        Some(_) => server_db(data, f),
        None => {
            let conn = rusqlite::Connection::open(data.join("auth.db")).unwrap();
            f(gridwork_core::db::Sql::from(&conn))
        }
    }
}

/// A count from the records of the server on `data`; 0 while the
/// database cannot answer yet (polled while a server starts or dies).
pub fn count_rows(data: &Path, sql: &str) -> i64 {
    server_db(data, |db| {
        db.query_row(sql, &[], |r| r.get::<i64>(0))
            .ok()
            .flatten()
            .unwrap_or(0)
    })
}

/// On a thread of its own: the PostgreSQL client blocks on a runtime of
/// its own, which cannot start inside an async test's.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// `gridwork serve` as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub url: String,
    pub admin_code: Option<String>,
    pub data: PathBuf,
    pub port: u16,
    /// Extra `serve` arguments (kept for a restart).
    pub args: Vec<String>,
}

impl ServerProcess {
    pub fn start(data: &Path) -> Self {
        Self::start_on(data, 0)
    }

    /// Start on a given port (0: any); waits until it listens.
    pub fn start_on(data: &Path, port: u16) -> Self {
        Self::start_with(data, port, &[])
    }

    /// Start with extra `serve` arguments.
    pub fn start_with(data: &Path, port: u16, args: &[String]) -> Self {
        Self::spawn(data, port, args, "warn", Stdio::inherit())
    }

    /// Start with every log line down to `debug` written to `log`.
    pub fn start_logging_to(data: &Path, log: &Path) -> Self {
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(data, 0, &[], "debug", Stdio::from(file))
    }

    fn spawn(data: &Path, port: u16, args: &[String], rust_log: &str, stderr: Stdio) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .args(args)
            // A test naming its own database (instances sharing one) keeps it.
            .args(if args.iter().any(|a| a == "--database") {
                vec![]
            } else {
                test_database(data)
            })
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut url = None;
        let mut admin_code = None;
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("gridwork server listening on ") {
                url = Some(rest.split_whitespace().next().unwrap().to_string());
            }
            if let Some((_, code)) = line.split_once("activation code: ") {
                admin_code = Some(code.trim().to_string());
            }
            if line.starts_with("OpenAPI:") {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("server did not report its address");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        ServerProcess {
            child,
            url,
            admin_code,
            data: data.to_path_buf(),
            port,
            args: args.to_vec(),
        }
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start again on the same data and port.
    pub fn restart(&mut self) {
        self.kill9();
        let again = Self::start_with(&self.data.clone(), self.port, &self.args.clone());
        *self = again;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `POST /v1/activate` as any client would send it (no store behind it).
pub async fn activate_raw(url: &str, code: &str, device_id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/v1/activate"))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .json(&serde_json::json!({"code": code, "device_id": device_id, "device_name": "x"}))
        .send()
        .await
        .unwrap()
}

/// A phone: a device store, secrets in memory.
pub struct Phone {
    pub store: Store,
    pub secrets: Arc<MemorySecrets>,
    pub user: String,
}

impl Phone {
    pub async fn enrol(dir: &Path, name: &str, server: &str, code: &str) -> Phone {
        let store = Store::open(dir.join(format!("{name}.db"))).unwrap();
        let secrets = Arc::new(MemorySecrets::default());
        let user = device::activate(&store, secrets.as_ref(), server, code, name)
            .await
            .unwrap();
        Phone {
            store,
            secrets,
            user: user.id,
        }
    }

    pub async fn sync(&self) -> SyncReport {
        device::sync(&self.store, self.secrets.as_ref(), &|_| {})
            .await
            .unwrap()
    }

    pub async fn try_sync(&self) -> gridwork_core::Result<SyncReport> {
        device::sync(&self.store, self.secrets.as_ref(), &|_| {}).await
    }

    /// The core's own photo uploader, on Wi-Fi.
    #[allow(dead_code)]
    pub async fn upload(&self) -> gridwork_core::sync::upload::UploadReport {
        gridwork_core::sync::upload::upload_evidence(
            &self.store,
            self.secrets.as_ref(),
            Some(gridwork_core::evidence::queue::NetworkKind::Unmetered),
            &|_| {},
        )
        .await
        .unwrap()
    }

    pub fn token(&self) -> String {
        self.secrets.get(DEVICE_CREDENTIAL).unwrap().unwrap()
    }
}

/// The administrator's HTTP client.
pub struct Admin {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Admin {
    pub async fn enrol(server: &ServerProcess, dir: &Path) -> (Admin, Phone) {
        let phone = Phone::enrol(
            dir,
            "admin-console",
            &server.url,
            server.admin_code.as_deref().unwrap(),
        )
        .await;
        let admin = Admin {
            url: server.url.clone(),
            token: phone.token(),
            http: reqwest::Client::new(),
        };
        (admin, phone)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .request(method, format!("{}/v1{path}", self.url))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> serde_json::Value {
        let (status, v) = self.call(method, path, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    pub async fn code_for(&self, user: &str) -> String {
        let v = self
            .ok(
                reqwest::Method::POST,
                "/admin/activation-codes",
                serde_json::json!({ "user_id": user })
                    .to_string()
                    .into_bytes(),
            )
            .await;
        v["code"].as_str().unwrap().to_string()
    }

    pub async fn put_json(&self, path: &str, value: serde_json::Value) {
        self.ok(reqwest::Method::PUT, path, value.to_string().into_bytes())
            .await;
    }

    /// The test village (bindings/testdata: regions and households) and
    /// one grid worker, `w1`, assigned to grid G1.
    pub async fn village_with_w1(&self) {
        let read = |f: &str| std::fs::read(Path::new(TESTDATA).join(f)).unwrap();
        self.ok(
            Method::POST,
            "/admin/import/regions?mode=all_or_nothing",
            read("township.geojson"),
        )
        .await;
        self.ok(
            Method::POST,
            "/admin/import/households",
            read("households.csv"),
        )
        .await;
        self.put_json("/admin/users", serde_json::json!({"id": "w1", "name": "张网格", "role": "grid_worker", "phone": null, "jurisdiction": []}))
            .await;
        self.put_json("/admin/assignments", serde_json::json!({"user_id": "w1", "grid_code": "G1", "kind": "primary", "from": "2026-01-01", "to": null}))
            .await;
    }
}

/// A good GPS fix in grid G1, now.
pub fn fix() -> LocationFix {
    LocationFix {
        lat: 22.5016,
        lon: 113.9016,
        accuracy_m: 8.0,
        provider: "gps".into(),
        mock: false,
        at: chrono::Utc::now(),
    }
}

/// A small fake JPEG named `name` in `dir`, as a photo input.
pub fn photo(dir: &Path, name: &str) -> PhotoInput {
    let path = dir.join(name);
    std::fs::write(
        &path,
        [&[0xFF, 0xD8, 0xFF][..], name.as_bytes(), &[7u8; 1024][..]].concat(),
    )
    .unwrap();
    PhotoInput {
        item_code: None,
        path: path.display().to_string(),
        media_type: "image/jpeg".into(),
        taken_at: chrono::Utc::now(),
        fix: Some(fix()),
    }
}

/// `w1` records a safe visit to `household` with the photo at `path` (no
/// fix), saved on the phone.
pub fn visit_with_photo(
    phone: &Phone,
    household: &str,
    path: &Path,
) -> gridwork_core::store::VisitOutcome {
    let template = phone
        .store
        .checklist_for_kind(gridwork_core::household::PlaceKind::Household)
        .unwrap();
    phone
        .store
        .record_visit(
            "w1",
            &gridwork_core::store::VisitInput {
                household_code: household.into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers: safe_answers(),
                notes: String::new(),
                fix: None,
                photos: vec![PhotoInput {
                    item_code: None,
                    path: path.display().to_string(),
                    media_type: "image/jpeg".into(),
                    taken_at: chrono::Utc::now(),
                    fix: None,
                }],
            },
        )
        .unwrap()
}

/// Answers to the household checklist's required items that find nothing
/// (no hazard, no case draft).
pub fn safe_answers() -> Vec<Answer> {
    vec![
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
    ]
}

pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/testdata");

/// A person the town has: id, name, role, jurisdiction, phone.
pub type Person<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], Option<&'a str>);

/// The village of bindings/testdata, its people and their phones.
pub struct Town {
    pub server: ServerProcess,
    pub admin: Admin,
    pub dir: tempfile::TempDir,
}

impl Town {
    /// Two workers, the secretary and a township supervisor.
    pub async fn new() -> Town {
        Self::with(&[], &[]).await
    }

    /// With extra `serve` arguments and extra people (id, name, role,
    /// jurisdiction, phone).
    pub async fn with(args: &[String], people: &[Person<'_>]) -> Town {
        let dir = tempfile::tempdir().unwrap();
        let server = ServerProcess::start_with(&dir.path().join("server-data"), 0, args);
        let (admin, _console) = Admin::enrol(&server, dir.path()).await;
        let read = |f: &str| std::fs::read(Path::new(TESTDATA).join(f)).unwrap();
        let r = admin
            .ok(
                Method::POST,
                "/admin/import/regions?mode=all_or_nothing",
                read("township.geojson"),
            )
            .await;
        assert_eq!(r["imported"], 5, "{r}");
        let r = admin
            .ok(
                Method::POST,
                "/admin/import/households",
                read("households.csv"),
            )
            .await;
        assert_eq!(r["imported"], 4, "{r}");
        admin
            .ok(Method::POST, "/admin/import/members", read("members.csv"))
            .await;
        let base: [Person<'_>; 4] = [
            ("w1", "张网格", "grid_worker", &[], None),
            ("w2", "李网格", "grid_worker", &[], None),
            (
                "s1",
                "王书记",
                "village_secretary",
                &["440300-T01-V01"],
                None,
            ),
            ("t1", "赵督导", "township_supervisor", &["440300-T01"], None),
        ];
        for (id, name, role, j, phone) in base.iter().chain(people) {
            admin
                .put_json("/admin/users", serde_json::json!({"id": id, "name": name, "role": role, "phone": phone, "jurisdiction": j}))
                .await;
        }
        for (u, g) in [("w1", "G1"), ("w2", "G2")] {
            admin
                .put_json("/admin/assignments", serde_json::json!({"user_id": u, "grid_code": g, "kind": "primary", "from": "2026-01-01", "to": null}))
                .await;
        }
        Town { server, admin, dir }
    }

    /// A phone for `user`, enrolled and synced once.
    pub async fn phone(&self, user: &str) -> Phone {
        self.device(user, user).await
    }

    /// Another device of `user`, its store named `name`.
    pub async fn device(&self, user: &str, name: &str) -> Phone {
        let code = self.admin.code_for(user).await;
        let phone = Phone::enrol(self.dir.path(), name, &self.server.url, &code).await;
        phone.sync().await;
        phone
    }
}
