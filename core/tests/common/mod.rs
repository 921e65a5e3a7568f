//! A small township for store tests: one city, one township, one village
//! with a known boundary tiled by two grids, and one person per role.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use geo::{polygon, MultiPolygon};
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::clock::{to_ms, Clock, ManualClock};
use gridwork_core::evidence::PhotoInput;
use gridwork_core::grid::Grid;
use gridwork_core::household::{Household, Member, PlaceKind, Tag};
use gridwork_core::location::LocationFix;
use gridwork_core::region::{Region, RegionLevel};
use gridwork_core::sync::protocol::{PullRequest, PullResponse, PushRequest, PushResponse};
use gridwork_core::sync::{sync_with, SyncReport, Transfer, Transport};
use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
use gridwork_core::Store;

pub const WORKER: &str = "w-zhang";
pub const WORKER2: &str = "w-li";
pub const SECRETARY: &str = "s-wang";
pub const TOWNSHIP: &str = "t-zhao";
pub const CITY: &str = "c-chen";
pub const ADMIN: &str = "a-admin";

pub const G1: &str = "440300-T01-V01-G1";
pub const G2: &str = "440300-T01-V01-G2";

pub fn t0() -> DateTime<Utc> {
    // 09:00 Beijing time.
    Utc.with_ymd_and_hms(2026, 5, 11, 1, 0, 0).unwrap()
}

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

pub struct Township {
    pub store: Store,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
}

impl Township {
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("gridwork.db")
    }
}

pub fn user(id: &str, name: &str, role: Role, jurisdiction: &[&str]) -> User {
    User {
        id: id.into(),
        name: name.into(),
        role,
        phone: Some("13800138000".into()),
        jurisdiction: jurisdiction.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn household(code: &str, grid: &str, lon: f64, lat: f64, tags: Vec<Tag>) -> Household {
    Household {
        code: code.into(),
        grid_code: grid.into(),
        kind: PlaceKind::Household,
        name: format!("{code}户"),
        address: format!("石岩村{code}号"),
        lat,
        lon,
        tags,
    }
}

/// Fill a store with the township.
pub fn populate(store: &Store) {
    store
        .upsert_region(&Region {
            code: "440300".into(),
            name: "示范市".into(),
            level: RegionLevel::City,
            parent_code: None,
            boundary: None,
        })
        .unwrap();
    store
        .upsert_region(&Region {
            code: "440300-T01".into(),
            name: "石岩街道".into(),
            level: RegionLevel::Township,
            parent_code: Some("440300".into()),
            boundary: None,
        })
        .unwrap();
    store
        .upsert_region(&Region {
            code: "440300-T01-V01".into(),
            name: "石岩村".into(),
            level: RegionLevel::Village,
            parent_code: Some("440300-T01".into()),
            boundary: Some(rect(113.90, 22.50, 113.92, 22.51)),
        })
        .unwrap();
    for (code, x0, x1) in [(G1, 113.90, 113.91), (G2, 113.91, 113.92)] {
        store
            .upsert_grid(&Grid {
                code: code.into(),
                name: format!("第{}网格", &code[code.len() - 1..]),
                village_code: "440300-T01-V01".into(),
                boundary: rect(x0, 22.50, x1, 22.51),
            })
            .unwrap();
    }
    store
        .upsert_user(&user(WORKER, "张网格", Role::GridWorker, &[]))
        .unwrap();
    store
        .upsert_user(&user(WORKER2, "李网格", Role::GridWorker, &[]))
        .unwrap();
    store
        .upsert_user(&user(
            SECRETARY,
            "王书记",
            Role::VillageSecretary,
            &["440300-T01-V01"],
        ))
        .unwrap();
    store
        .upsert_user(&user(
            TOWNSHIP,
            "赵督导",
            Role::TownshipSupervisor,
            &["440300-T01"],
        ))
        .unwrap();
    store
        .upsert_user(&user(CITY, "陈督导", Role::CitySupervisor, &["440300"]))
        .unwrap();
    store
        .upsert_user(&user(ADMIN, "管理员", Role::Administrator, &[]))
        .unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for (u, g) in [(WORKER, G1), (WORKER2, G2)] {
        store
            .set_assignment(&Assignment {
                user_id: u.into(),
                grid_code: g.into(),
                kind: AssignmentKind::Primary,
                from,
                to: None,
            })
            .unwrap();
    }
    store
        .upsert_household(&household(
            "H001",
            G1,
            113.9015,
            22.5015,
            vec![Tag::ElderlyAlone],
        ))
        .unwrap();
    store
        .upsert_household(&household("H002", G1, 113.9050, 22.5050, vec![]))
        .unwrap();
    store
        .upsert_household(&household(
            "H003",
            G1,
            113.9080,
            22.5080,
            vec![Tag::LeftBehindChild],
        ))
        .unwrap();
    store
        .upsert_household(&household("H101", G2, 113.9150, 22.5050, vec![]))
        .unwrap();
    store
        .upsert_member(&Member {
            id: "M001".into(),
            household_code: "H001".into(),
            name: "刘奶奶".into(),
            relation: "户主".into(),
            phone: Some("13912345678".into()),
            id_number: Some("11010519491231002X".into()),
            pii_masked: false,
        })
        .unwrap();
    store.install_default_templates().unwrap();
}

/// A populated township in a temporary directory, on a manual clock.
pub fn township() -> Township {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let store =
        Store::open_with_clock(dir.path().join("gridwork.db"), Arc::new(clock.clone())).unwrap();
    populate(&store);
    Township { store, clock, dir }
}

pub fn fix_at(lat: f64, lon: f64) -> LocationFix {
    LocationFix {
        lat,
        lon,
        accuracy_m: 8.0,
        provider: "gps".into(),
        mock: false,
        at: t0(),
    }
}

/// Safe answers to every required household item.
pub fn safe_household_answers() -> Vec<Answer> {
    vec![
        Answer {
            item_code: "ep.symptoms".into(),
            value: AnswerValue::Choices(vec!["none".into()]),
        },
        Answer {
            item_code: "ws.gas_use".into(),
            value: AnswerValue::Choice("piped".into()),
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

/// Write a small fake JPEG and describe it as a photo input.
pub fn photo(dir: &Path, name: &str, item: Option<&str>) -> PhotoInput {
    let path = dir.join(name);
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(name.as_bytes().iter().cycle().take(4096));
    std::fs::write(&path, bytes).unwrap();
    PhotoInput {
        item_code: item.map(str::to_string),
        path: path.display().to_string(),
        media_type: "image/jpeg".into(),
        taken_at: t0(),
        fix: Some(fix_at(22.5015, 113.9015)),
    }
}

/// A transport that calls the server's store directly (the HTTP layer is
/// tested end to end in server/ and cli/ tests).
pub struct Loopback<'a> {
    pub server: &'a Store,
    pub user: String,
    /// The device's id, as the server's credential check would give it.
    pub device_id: Option<String>,
    /// The device's clock (may be skewed).
    pub device_clock: Arc<dyn Clock>,
}

impl Transport for Loopback<'_> {
    async fn push(&self, req: &PushRequest) -> gridwork_core::Result<(PushResponse, Transfer)> {
        let answers = off_runtime(|| {
            self.server.apply_push(
                &self.user,
                &req.device_id,
                Some(to_ms(self.device_clock.now())),
                req.acked_through,
                &req.ops,
            )
        })?;
        Ok((PushResponse { answers }, Transfer::default()))
    }

    async fn pull(&self, req: &PullRequest) -> gridwork_core::Result<(PullResponse, Transfer)> {
        Ok((
            off_runtime(|| {
                self.server.pull(
                    &self.user,
                    self.device_id.as_deref(),
                    req.cursor.as_deref(),
                    req.limit,
                )
            })?,
            Transfer::default(),
        ))
    }
}

/// Run a server store call on a thread of its own, as the server runs it
/// off its async workers (`spawn_blocking`): the PostgreSQL client blocks
/// on a runtime of its own, which cannot start inside the transport's.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// The server's store and devices in one process, on one manual clock.
pub struct World {
    pub server: Store,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL the server's store is on, kept while the world is.
    #[cfg(feature = "postgres")]
    _postgres: Option<gridwork_core::db::postgres::testing::Cluster>,
    /// The server store's database on PostgreSQL, for tests that look
    /// at rows directly.
    #[cfg(feature = "postgres")]
    postgres_url: Option<String>,
}

impl World {
    /// A world whose server store is on SQLite, or on PostgreSQL when
    /// `GRIDWORK_TEST_BACKEND=postgres` (the suite's second run, issue 21:
    /// the same tests, the other engine), each world in a schema of its own.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(t0());
        #[cfg(feature = "postgres")]
        if std::env::var("GRIDWORK_TEST_BACKEND").as_deref() == Ok("postgres") {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static WORLDS: AtomicUsize = AtomicUsize::new(0);
            let cluster = gridwork_core::db::postgres::testing::Cluster::start().unwrap();
            let schema = format!(
                "world_{}_{}",
                std::process::id(),
                WORLDS.fetch_add(1, Ordering::SeqCst)
            );
            let url = cluster.url_for(&schema).unwrap();
            let server = Store::open_postgres(&url, 4, Arc::new(clock.clone())).unwrap();
            populate(&server);
            return World {
                server,
                clock,
                dir,
                _postgres: Some(cluster),
                postgres_url: Some(url),
            };
        }
        let server =
            Store::open_server(dir.path().join("server.db"), Arc::new(clock.clone())).unwrap();
        populate(&server);
        World {
            server,
            clock,
            dir,
            #[cfg(feature = "postgres")]
            _postgres: None,
            #[cfg(feature = "postgres")]
            postgres_url: None,
        }
    }

    /// Run `f` on the server store's database directly, whichever engine
    /// it is on (tests that plant or inspect rows).
    pub fn server_db<T>(&self, f: impl FnOnce(gridwork_core::db::Sql<'_>) -> T) -> T {
        #[cfg(feature = "postgres")]
        if let Some(url) = &self.postgres_url {
            let session = gridwork_core::db::postgres::PgSession::connect(url).unwrap();
            return f(gridwork_core::db::Sql::Postgres(&session));
        }
        let conn = rusqlite::Connection::open(self.dir.path().join("server.db")).unwrap();
        f(gridwork_core::db::Sql::from(&conn))
    }

    pub fn device(&self, name: &str) -> Store {
        Store::open_with_clock(
            self.dir.path().join(format!("{name}.db")),
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    pub fn sync(&self, device: &Store, user: &str) -> SyncReport {
        self.sync_with_clock(device, user, Arc::new(self.clock.clone()))
    }

    pub fn sync_with_clock(
        &self,
        device: &Store,
        user: &str,
        device_clock: Arc<dyn Clock>,
    ) -> SyncReport {
        let t = Loopback {
            server: &self.server,
            user: user.into(),
            device_id: Some(device.device_id().to_string()),
            device_clock,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(sync_with(device, &t, &|_| {})).unwrap()
    }
}

/// Rewrite a store the way builds before the page-format change wrote
/// it: SQLCipher 4's defaults (HMAC-SHA512), same key, same contents.
pub fn write_in_legacy_format(path: &Path, key: &[u8; 32]) {
    let legacy = path.with_extension("legacy");
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        let hex_key = hex::encode(key);
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{hex_key}'\"; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;"
        ))
        .unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS legacy KEY \"x'{hex_key}'\";",
            legacy.display()
        ))
        .unwrap();
        conn.query_row("SELECT sqlcipher_export('legacy')", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch(&format!(
            "PRAGMA legacy.user_version = {version}; DETACH DATABASE legacy;"
        ))
        .unwrap();
    }
    std::fs::rename(&legacy, path).unwrap();
}

/// Any value, as text: for dumping rows whatever their columns.
pub struct AnyCell(pub String);

impl gridwork_core::db::FromColumn for AnyCell {
    fn from_column(c: gridwork_core::db::Column<'_>) -> Result<Self, String> {
        Ok(AnyCell(format!("{c:?}")))
    }
}

/// Every row of every table but `skip`, as "table: a | b | …" lines,
/// sorted: what a write changed, compared before and after it, on either
/// engine.
pub fn dump_tables(sql: gridwork_core::db::Sql<'_>, skip: &[&str]) -> Vec<String> {
    use gridwork_core::db::Dialect;
    let (tables, columns) = match sql.dialect() {
        Dialect::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        ),
        Dialect::Postgres => (
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name <> 'gridwork_schema' ORDER BY 1",
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
        ),
    };
    let tables: Vec<String> = sql.query_map(tables, &[], |r| r.get(0)).unwrap();
    let mut rows = Vec::new();
    for t in tables.iter().filter(|t| !skip.contains(&t.as_str())) {
        let names: Vec<String> = sql.query_map(columns, &[t], |r| r.get(0)).unwrap();
        let list = names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let lines: Vec<String> = sql
            .query_map(&format!("SELECT {list} FROM \"{t}\""), &[], |r| {
                let cells = (0..names.len())
                    .map(|i| r.get::<AnyCell>(i).map(|c| c.0))
                    .collect::<gridwork_core::Result<Vec<_>>>()?;
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap();
        rows.extend(lines);
    }
    rows.sort();
    rows
}
