//! The device store: one SQLite file (WAL, one writer, synchronous=FULL), an
//! evidence directory beside it, and the outbox. Every mutation runs in one
//! IMMEDIATE transaction that also writes its outbox rows, so a kill at any
//! instant leaves the whole change or none of it.
//!
//! Queries are shaped like screens (`screens.rs`); each concern has its own
//! file.

mod apply;
mod audit;
mod case_board;
mod cases;
mod changes;
mod checklists;
mod coverage;
mod day;
#[cfg(feature = "encryption")]
mod encryption;
mod escalations;
mod evidence;
mod evidence_server;
mod grid_map;
mod handlers;
mod households;
mod import;
mod inbox;
#[cfg(all(test, feature = "postgres"))]
mod on_postgres;
#[cfg(all(test, feature = "postgres"))]
mod on_postgres_writes;
mod outbox;
mod overview;
mod patrols;
mod push_jobs;
mod regions;
mod report;
mod roster;
pub mod schema;
mod screens;
mod sync;
mod today;
mod uploads;
mod users;
mod visit_drafts;
mod visits;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use tracing::debug;

use crate::clock::{to_ms, Clock, SystemClock};
use crate::error::{CoreError, Result};
use crate::hlc::HlcClock;
use crate::outbox::Operation;

pub use audit::{AuditEntry, AuditFilter};
pub use case_board::{CaseBoard, CaseFilter};
pub use cases::{CaseRow, CaseScope, OnSpotResolution, ReportOutcome};
pub use changes::Reach;
pub use coverage::{CoverageReport, GridOverlap, VillageGap};
pub use day::{DaySummary, VerdictCount};
#[cfg(feature = "encryption")]
pub use encryption::{StoreKey, STORE_KEY};
pub use escalations::{EscalationPass, RecordedEscalation};
pub use evidence_server::EvidenceAccess;
pub use grid_map::{GridMap, MapPlace};
pub use households::{
    HouseholdDetail, HouseholdFilter, HouseholdPage, HouseholdRow, MemberView, RevealRecord,
    VisitRef,
};
pub use import::{ImportError, ImportMode, ImportReport};
pub use inbox::InboxPage;
pub use overview::{DayCount, GridOnMap, Overview, RegionCrumb, RegionFigures, REPORT_DAYS};
pub use push_jobs::{PushAddress, PushDelivery, PushJob, PushJobUpdate};
pub use report::{Count, ServerFigures};
pub use roster::{GridRoster, GridWorker, PersonRow, Roster};
pub use screens::{CaseDetail, GridSummary, TimelineEntry};
pub use sync::{case_exists, AnswerSummary, ConflictRecord, PullSummary};
pub use today::{TodayScreen, TODAY_CASES};
pub use uploads::{range_checksum, TUS_VERSION, UPLOADS_PATH};
pub use visit_drafts::UnfinishedVisit;
pub use visits::{VisitAnswerView, VisitDetail, VisitInput, VisitOutcome};

/// Which side of sync a store is on. A device keeps an outbox of its own
/// operations; the server keeps a change log (what devices pull) and the
/// answers to the operations it applied. The domain tables are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreRole {
    Device,
    Server,
}

impl StoreRole {
    fn as_str(self) -> &'static str {
        match self {
            StoreRole::Device => "device",
            StoreRole::Server => "server",
        }
    }
}

/// The device store. `Send + Sync`: one connection behind a mutex (SQLite
/// allows one writer anyway; reads are short and indexed), or on the server
/// at scale a pool of PostgreSQL sessions.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    evidence_dir: PathBuf,
    clock: Arc<dyn Clock>,
    device_id: String,
    role: StoreRole,
}

/// The engine a store runs on.
#[derive(Debug)]
enum Backend {
    Sqlite(Mutex<Connection>),
    #[cfg(feature = "postgres")]
    Postgres(crate::db::pool::PgPool),
}

/// A write in progress: the transaction, the instant it happens at, and the
/// HLC used to stamp outbox rows.
pub(crate) struct Writer<'c> {
    tx: WriterTx<'c>,
    pub now: DateTime<Utc>,
    hlc: HlcClock,
    hlc_dirty: bool,
    pub role: StoreRole,
    /// Applying what the server sent: nothing goes to the outbox.
    pub silent: bool,
    /// The device whose push is being applied (server role).
    pub origin: Option<String>,
    /// Lookups repeated within one transaction (a push applies hundreds of
    /// visits against the same templates, policy and grids).
    pub cache: TxCache,
    /// Evidence files copied in this transaction: removed if it fails.
    pub created_files: Vec<PathBuf>,
    pub evidence_dir: PathBuf,
    /// Inbox items and push jobs this transaction created (server).
    pub(crate) notified: inbox::NotifyCount,
    /// Cases a push touched: assessed for escalation once it is applied.
    pub(crate) touched_cases: Vec<String>,
    /// Roll back instead of committing (an import's preview).
    pub(crate) discard: bool,
    /// Changes for devices to pull, written as the transaction ends.
    pub(crate) changes: Vec<changes::LoggedChange>,
}

/// The transaction a [`Writer`] runs in: on the SQLite file, or (the
/// server at scale, issue 21) on a PostgreSQL session whose transaction
/// the session itself begins, commits and runs again on a conflict.
pub(crate) enum WriterTx<'c> {
    Sqlite(Transaction<'c>),
    #[cfg(feature = "postgres")]
    Postgres(&'c crate::db::postgres::PgSession),
}

impl WriterTx<'_> {
    fn commit(self) -> Result<()> {
        match self {
            WriterTx::Sqlite(tx) => Ok(tx.commit()?),
            // The session commits when the write's closure returns
            // (`PgSession::transaction_or_discard`).
            #[cfg(feature = "postgres")]
            WriterTx::Postgres(_) => Ok(()),
        }
    }
}

impl<'c> Writer<'c> {
    /// Where this write's statements run, on either engine.
    pub(crate) fn sql(&self) -> crate::db::Sql<'_> {
        match &self.tx {
            WriterTx::Sqlite(tx) => crate::db::Sql::from(tx),
            #[cfg(feature = "postgres")]
            WriterTx::Postgres(session) => crate::db::Sql::Postgres(session),
        }
    }

    /// The SQLite transaction, for what runs only on the phone's store
    /// (the outbox, upload bookkeeping, drafts) or is not yet written for
    /// both engines: on PostgreSQL it is a clear error, never a silent
    /// no-op.
    pub(crate) fn sqlite(&self) -> Result<&Transaction<'c>> {
        match &self.tx {
            WriterTx::Sqlite(tx) => Ok(tx),
            #[cfg(feature = "postgres")]
            WriterTx::Postgres(_) => Err(sqlite_only()),
        }
    }
}

impl Writer<'_> {
    /// Record an operation: in a device's outbox (to be pushed), or in the
    /// server's change log (to be pulled), inside this transaction.
    pub fn emit(&mut self, op: &Operation) -> Result<()> {
        match self.role {
            StoreRole::Server => return self.record_change_for(op),
            StoreRole::Device if self.silent => return Ok(()),
            StoreRole::Device => {}
        }
        let stamp = self.hlc.tick(to_ms(self.now));
        self.hlc_dirty = true;
        self.sqlite()?
            .prepare_cached(
                "INSERT INTO outbox (op_id, hlc, kind, entity_id, payload, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(rusqlite::params![
                new_id(),
                stamp.to_string(),
                op.kind(),
                op.entity_id(),
                serde_json::to_string(op)?,
                to_ms(self.now)
            ])?;
        Ok(())
    }
}

/// Per-transaction cache of parsed templates, the visit policy and grid
/// paths. Cleared where those change.
#[derive(Debug, Default)]
pub(crate) struct TxCache {
    templates: std::collections::HashMap<(String, u32), Arc<crate::checklist::ChecklistTemplate>>,
    visit_policy: Option<crate::visit::VisitPolicy>,
    paths: std::collections::HashMap<String, crate::region::RegionPath>,
    pub(crate) deadline_policy: Option<crate::case::DeadlinePolicy>,
    /// Recipients of notifications, by role.
    pub(crate) users_by_role: std::collections::HashMap<crate::user::Role, Vec<crate::user::User>>,
}

impl Writer<'_> {
    pub(crate) fn template(
        &mut self,
        id: &str,
        version: u32,
    ) -> Result<Option<Arc<crate::checklist::ChecklistTemplate>>> {
        let key = (id.to_string(), version);
        if let Some(t) = self.cache.templates.get(&key) {
            return Ok(Some(t.clone()));
        }
        let t = checklists::load_template(self.sql(), id, version)?.map(Arc::new);
        if let Some(t) = &t {
            self.cache.templates.insert(key, t.clone());
        }
        Ok(t)
    }

    pub(crate) fn visit_policy(&mut self) -> Result<crate::visit::VisitPolicy> {
        if let Some(p) = &self.cache.visit_policy {
            return Ok(p.clone());
        }
        let p = households::visit_policy(self.sql())?;
        self.cache.visit_policy = Some(p.clone());
        Ok(p)
    }

    pub(crate) fn path(&mut self, grid: &str) -> Result<crate::region::RegionPath> {
        if let Some(p) = self.cache.paths.get(grid) {
            return Ok(p.clone());
        }
        let p = regions::region_path(self.sql(), grid)?;
        self.cache.paths.insert(grid.to_string(), p.clone());
        Ok(p)
    }

    /// Regions, grids or policies changed: forget what was cached.
    pub(crate) fn forget_cached(&mut self) {
        self.cache = TxCache::default();
    }
}

/// The store's key: a SQLCipher key with the `encryption` feature, nothing
/// without it (only unkeyed stores can be opened then).
#[cfg(feature = "encryption")]
type Key = StoreKey;
#[cfg(not(feature = "encryption"))]
type Key = std::convert::Infallible;

/// A new UUIDv7 as text: time-ordered, so ids sort by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Open (creating if needed) the store at `path` with the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Open with a given clock (tests, the demo's fast day).
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::open_as(path, clock, StoreRole::Device)
    }

    /// Open the phone's store encrypted with `key` (SQLCipher, raw key). A
    /// store from before encryption is encrypted in place first.
    #[cfg(feature = "encryption")]
    pub fn open_encrypted(path: impl AsRef<Path>, key: &StoreKey) -> Result<Self> {
        Self::open_encrypted_with_clock(path, key, Arc::new(SystemClock))
    }

    #[cfg(feature = "encryption")]
    pub fn open_encrypted_with_clock(
        path: impl AsRef<Path>,
        key: &StoreKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        Self::open_keyed(path, clock, StoreRole::Device, Some(key))
    }

    /// Open the server's store (the same domain, with a change log instead
    /// of an outbox).
    pub fn open_server(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::open_as(path, clock, StoreRole::Server)
    }

    fn open_as(path: impl AsRef<Path>, clock: Arc<dyn Clock>, role: StoreRole) -> Result<Self> {
        Self::open_keyed(path, clock, role, None)
    }

    fn open_keyed(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
        role: StoreRole,
        key: Option<&Key>,
    ) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
        }
        #[cfg(feature = "encryption")]
        let mut conn = match key {
            Some(key) => encryption::open_keyed(path, key)?,
            None => {
                crate::private_file::make_private(path)?;
                Connection::open(path)?
            }
        };
        #[cfg(not(feature = "encryption"))]
        let mut conn = {
            let _ = key;
            crate::private_file::make_private(path)?;
            Connection::open(path)?
        };
        configure(&conn)?;
        schema::migrations().to_latest(&mut conn)?;
        let device_id = match conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'device_id'")?
            .query_row([], |r| r.get::<_, String>(0))
            .optional()?
        {
            Some(id) => id,
            None => {
                let id = new_id();
                conn.prepare_cached("INSERT INTO meta (key, value) VALUES ('device_id', ?1)")?
                    .execute([&id])?;
                id
            }
        };
        let stored_role: Option<String> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'role'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        match stored_role {
            None => {
                conn.prepare_cached("INSERT INTO meta (key, value) VALUES ('role', ?1)")?
                    .execute([role.as_str()])?;
            }
            Some(r) if r == role.as_str() => {}
            Some(r) => {
                return Err(CoreError::invalid(
                    "path",
                    format!(
                        "该数据库属于{r}，不能作为{}打开 / this is a {r} database, not a {} one",
                        role.as_str(),
                        role.as_str()
                    ),
                ))
            }
        }
        let evidence_dir = evidence_dir_for(path);
        std::fs::create_dir_all(&evidence_dir).map_err(|e| CoreError::io(&evidence_dir, e))?;
        crate::private_file::make_private_dir(&evidence_dir)?;
        let store = Store {
            backend: Backend::Sqlite(Mutex::new(conn)),
            evidence_dir,
            clock,
            device_id,
            role,
        };
        store.sweep_orphan_files()?;
        debug!(device = %store.device_id, "store opened");
        Ok(store)
    }

    /// Open the server's store on PostgreSQL (`postgres://user@host/db`),
    /// with at most `pool_size` sessions, bringing its schema up to date
    /// first. Several instances may open the same database at once: the
    /// migrations run once (an advisory lock) and they share one server
    /// identity. Photos live in the server's blob store, so there is no
    /// evidence directory.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str, pool_size: u32, clock: Arc<dyn Clock>) -> Result<Self> {
        let pool = crate::db::pool::PgPool::connect(url, pool_size, None)?;
        let session = pool.session()?;
        let version = session.migrate(&schema::postgres_migrations())?;
        let role = StoreRole::Server;
        let device_id = session.transaction(|sql| {
            sql.execute(
                "INSERT INTO meta (key, value) VALUES ('device_id', ?1), ('role', ?2)
                 ON CONFLICT (key) DO NOTHING",
                &[&new_id(), &role.as_str()],
            )?;
            let stored = |key: &str| {
                sql.query_row("SELECT value FROM meta WHERE key = ?1", &[&key], |r| {
                    r.get::<String>(0)
                })?
                .ok_or_else(|| CoreError::corrupt("meta", key))
            };
            let stored_role = stored("role")?;
            if stored_role != role.as_str() {
                return Err(CoreError::invalid(
                    "database",
                    format!("该数据库属于{stored_role} / this is a {stored_role} database"),
                ));
            }
            stored("device_id")
        })?;
        drop(session);
        debug!(device = %device_id, version, "store opened on PostgreSQL");
        Ok(Store {
            backend: Backend::Postgres(pool),
            evidence_dir: PathBuf::new(),
            clock,
            device_id,
            role,
        })
    }

    /// This installation's id (the HLC node id).
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn evidence_dir(&self) -> &Path {
        &self.evidence_dir
    }

    /// The SQLite connection; on PostgreSQL a clear error (what calls
    /// this is not yet written for both engines, or is the phone's only).
    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        match &self.backend {
            // A panic while holding the lock cannot leave a half
            // transaction: rusqlite rolls back on drop. So a poisoned lock
            // is safe to reuse.
            Backend::Sqlite(conn) => Ok(conn.lock().unwrap_or_else(|p| p.into_inner())),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Err(sqlite_only()),
        }
    }

    /// Run a read on the SQLite connection (phone-only reads, and those
    /// not yet written for both engines).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.lock()?;
        f(&conn)
    }

    /// Run a read on either engine; on PostgreSQL its statements see one
    /// snapshot, as they do on SQLite.
    pub(crate) fn read_sql<T>(&self, f: impl FnOnce(crate::db::Sql<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let conn = self.lock()?;
                f(crate::db::Sql::from(&*conn))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.session()?.snapshot(f),
        }
    }

    pub fn role(&self) -> StoreRole {
        self.role
    }

    /// Run a write in one IMMEDIATE transaction with its outbox rows.
    pub(crate) fn write<T>(&self, f: impl Fn(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        self.write_with(false, f)
    }

    /// Apply what the server sent: no outbox rows.
    pub(crate) fn write_silent<T>(&self, f: impl Fn(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        self.write_with(true, f)
    }

    /// Upload bookkeeping (leases, offsets, outcomes), committed without an
    /// fsync (synchronous=NORMAL under WAL): safe against an app kill, and
    /// after a power loss the phone asks the server (HEAD), which holds the
    /// truth. The next ordinary commit makes these durable as well; files
    /// are only deleted after one (`release_uploaded_files`).
    pub(crate) fn write_relaxed<T>(&self, f: impl Fn(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        #[cfg(feature = "postgres")]
        if let Backend::Postgres(_) = self.backend {
            // The server's bookkeeping: an ordinary transaction there.
            return self.write_with(true, f);
        }
        let mut conn = self.lock()?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let out = self.write_locked(&mut conn, true, f);
        // Back to FULL, under the same lock, whatever happened: every other
        // write must stay durable.
        conn.pragma_update(None, "synchronous", "FULL")?;
        out
    }

    fn write_with<T>(&self, silent: bool, f: impl Fn(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let mut conn = self.lock()?;
                self.write_locked(&mut conn, silent, f)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let session = pool.session()?;
                self.write_postgres(&session, silent, f)
            }
        }
    }

    fn write_locked<T>(
        &self,
        conn: &mut Connection,
        silent: bool,
        f: impl Fn(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = self.writer(WriterTx::Sqlite(tx), now, silent)?;
        let out = w.run(&f)?;
        if w.discard {
            // Dropping the transaction rolls it back.
            w.remove_created_files();
            return Ok(out);
        }
        w.finish()?;
        let files = std::mem::take(&mut w.created_files);
        if let Err(e) = w.tx.commit() {
            for file in &files {
                let _ = std::fs::remove_file(file);
            }
            return Err(e);
        }
        Ok(out)
    }

    fn writer<'c>(&self, tx: WriterTx<'c>, now: DateTime<Utc>, silent: bool) -> Result<Writer<'c>> {
        let mut w = Writer {
            tx,
            now,
            hlc: HlcClock::new(&self.device_id),
            hlc_dirty: false,
            role: self.role,
            silent,
            origin: None,
            cache: TxCache::default(),
            created_files: Vec::new(),
            evidence_dir: self.evidence_dir.clone(),
            notified: inbox::NotifyCount::default(),
            touched_cases: Vec::new(),
            discard: false,
            changes: Vec::new(),
        };
        // Only a device stamps operations with its HLC (the server's
        // change log is ordered by its own sequence).
        if self.role == StoreRole::Device {
            w.hlc = load_hlc(w.sql(), &self.device_id)?;
        }
        Ok(w)
    }

    /// A write on PostgreSQL: one transaction on one snapshot, run again from
    /// the start when it loses a race (so `f` is `Fn`: it cannot consume
    /// what it captured on the first run).
    #[cfg(feature = "postgres")]
    fn write_postgres<T>(
        &self,
        session: &crate::db::postgres::PgSession,
        silent: bool,
        f: impl Fn(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        session.transaction_or_discard(|_| {
            let mut w = self.writer(WriterTx::Postgres(session), self.clock.now(), silent)?;
            let out = w.run(&f)?;
            w.finish()?;
            Ok((out, !w.discard))
        })
    }

    /// Remove files in the evidence directory that no row names: left by a
    /// kill between copying a photo and committing its row.
    fn sweep_orphan_files(&self) -> Result<()> {
        let entries = match std::fs::read_dir(&self.evidence_dir) {
            Ok(e) => e,
            Err(e) => return Err(CoreError::io(&self.evidence_dir, e)),
        };
        let conn = self.lock()?;
        let mut known = conn.prepare("SELECT 1 FROM evidence WHERE local_path = ?1")?;
        for entry in entries.flatten() {
            let path = entry.path();
            let text = path.display().to_string();
            let is_part = path.extension().is_some_and(|e| e == "part");
            if is_part || !known.exists([&text])? {
                debug!(file = %text, "removing orphan evidence file");
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    // WAL: readers never block the writer. FULL: a returned save survives
    // power loss, not only a process kill (cheap phones lose power).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The apply and screen paths reuse a few dozen statements.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

impl Writer<'_> {
    /// The write's body; if it fails, the files it copied are removed (the
    /// rows naming them roll back).
    fn run<T>(&mut self, f: &impl Fn(&mut Self) -> Result<T>) -> Result<T> {
        f(self).inspect_err(|_| self.remove_created_files())
    }

    fn remove_created_files(&self) {
        for file in &self.created_files {
            let _ = std::fs::remove_file(file);
        }
    }

    /// The last statements before commit: the change log, then the HLC.
    fn finish(&mut self) -> Result<()> {
        self.flush_changes()?;
        self.save_hlc()
    }

    /// Keep the HLC's state if this write stamped anything with it.
    fn save_hlc(&self) -> Result<()> {
        if self.hlc_dirty {
            let state = format!("{}:{}", self.hlc.last_wall_ms, self.hlc.last_counter);
            self.sql().execute(
                "INSERT INTO meta (key, value) VALUES ('hlc', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                &[&state],
            )?;
        }
        Ok(())
    }
}

/// What runs only on SQLite, asked of a store on PostgreSQL.
#[cfg(feature = "postgres")]
fn sqlite_only() -> CoreError {
    CoreError::Database {
        reason: "这项操作只在 SQLite 上可用 / this operation runs on SQLite only".into(),
        retry: false,
    }
}

fn load_hlc(sql: crate::db::Sql<'_>, node: &str) -> Result<HlcClock> {
    let mut clock = HlcClock::new(node);
    let stored: Option<String> =
        sql.query_row("SELECT value FROM meta WHERE key = 'hlc'", &[], |r| {
            r.get(0)
        })?;
    if let Some(text) = stored {
        let parsed = text
            .split_once(':')
            .and_then(|(w, c)| Some((w.parse::<i64>().ok()?, c.parse::<u32>().ok()?)));
        let (wall, counter) = parsed.ok_or_else(|| CoreError::corrupt("meta.hlc", &text))?;
        clock.last_wall_ms = wall;
        clock.last_counter = counter;
    }
    Ok(clock)
}

/// `<db file>.evidence/` beside the database.
fn evidence_dir_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".evidence");
    db.with_file_name(name)
}

/// Read a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| CoreError::corrupt(what, e))
}
