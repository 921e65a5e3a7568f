//! The PostgreSQL side of [`Sql`]: one session (a connection) with its
//! prepared statements, and transactions on one snapshot (REPEATABLE READ)
//! that run again when they lose a race, so concurrent server instances
//! apply each operation exactly once: a second writer of the same row, or
//! of the same key (an operation's answer, an escalation's level), loses
//! and runs again on what won. Why not SERIALIZABLE: see ADR 0018.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{placeholders_to_dollar, Column, Param, Sql};
use crate::error::{CoreError, Result};

/// How many times a transaction that lost a serialization race is run
/// again before the caller hears about it (bounded: a hot row under a
/// storm of writers must not spin forever).
const ATTEMPTS: u32 = 20;

/// A pause before running again, growing with the attempt (1, 2, 4 … up
/// to 64 ms) and jittered, so writers that collided do not collide again
/// in lockstep.
fn backoff(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let ceiling = 1u64 << attempt.min(6);
    // RandomState is seeded afresh each time: jitter without a dependency.
    let jitter = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    std::time::Duration::from_micros(ceiling * 500 + jitter % (ceiling * 500))
}

/// The advisory lock key instances take while migrating ("gridwork"
/// spelled on a phone keypad).
const MIGRATION_LOCK: i64 = 47_439_675;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// Where a schema's version is kept: the store's own row, or a named part.
enum VersionRow<'a> {
    Store,
    Part(&'a str),
}

/// One connection to PostgreSQL. Not shared between threads: a pool
/// hands each request its own.
pub struct PgSession {
    /// `None` only once dropped (see `Drop`).
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<String, Statement>>,
    /// The first statement that failed in the open transaction. PostgreSQL
    /// refuses everything after it and turns the COMMIT into a rollback
    /// without an error, so a failure the caller turned into an answer
    /// (a refused operation) must still fail the transaction.
    failed: RefCell<Option<(String, bool)>>,
}

/// postgres::Client closes its connection with a blocking call, which
/// tokio refuses (a panic) on a thread that drives async tasks, and a
/// server's storage can be dropped there (a router's state when its
/// runtime ends). There the client is closed on a thread of its own.
impl Drop for PgSession {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            if let Some(client) = self.client.get_mut().take() {
                std::thread::spawn(move || drop(client));
            }
        }
    }
}

impl std::fmt::Debug for PgSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSession").finish_non_exhaustive()
    }
}

fn db_error(e: postgres::Error) -> CoreError {
    // A lost race: a concurrent update of the same row, a deadlock, or a
    // key another transaction inserted after this one's snapshot (under
    // snapshot isolation that is a unique violation, not a serialization
    // failure). Run again, the transaction sees what won.
    let retry = matches!(
        e.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    );
    let reason = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        // "error connecting to server" says nothing without its cause
        // (connection refused, no such host, bad password).
        None => match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    CoreError::Database { reason, retry }
}

/// PostgreSQL's text cannot hold a NUL character (SQLite's can), and a
/// statement carrying one fails, taking its transaction with it: a NUL
/// from a request (an id in a query string, an operation's field) is
/// refused here, before it is sent, with a reason, never a server error.
/// Nothing stored holds one (the core's limits refuse control characters
/// in what it keeps), so a look-up with one could not have matched.
fn refuse_nul(columns: &[Column<'_>]) -> Result<()> {
    if columns
        .iter()
        .any(|c| matches!(c, Column::Text(t) if t.contains('\0')))
    {
        return Err(CoreError::invalid(
            "text",
            "文本含有 NUL 字符，无法保存或查找 / the text contains a NUL character, which is never stored or matched",
        ));
    }
    Ok(())
}

impl PgSession {
    /// Connect to `url` (`postgres://user@host:port/db`).
    pub fn connect(url: &str) -> Result<Self> {
        let client = Client::connect(url, NoTls).map_err(db_error)?;
        Ok(PgSession {
            client: RefCell::new(Some(client)),
            statements: RefCell::new(HashMap::new()),
            failed: RefCell::new(None),
        })
    }

    /// The connection is gone (the server ended it, or the network).
    pub fn is_closed(&self) -> bool {
        self.client.borrow().as_ref().is_none_or(Client::is_closed)
    }

    /// Run `work` in one REPEATABLE READ, READ ONLY transaction: a read
    /// of several statements sees one snapshot, as on SQLite.
    pub fn snapshot<T>(&self, work: impl FnOnce(Sql<'_>) -> Result<T>) -> Result<T> {
        self.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let outcome = work(Sql::Postgres(self));
        let end = self.execute_batch(if outcome.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        });
        let out = outcome?;
        end?;
        Ok(out)
    }

    /// Run `work` in one REPEATABLE READ transaction, committed if it
    /// returns `Ok`, rolled back otherwise; run again (up to a bound) when
    /// it loses a race (a concurrent update, a deadlock, a key inserted
    /// since its snapshot), so `work` must not have effects outside the
    /// database.
    pub fn transaction<T>(&self, mut work: impl FnMut(Sql<'_>) -> Result<T>) -> Result<T> {
        self.transaction_or_discard(|sql| Ok((work(sql)?, true)))
    }

    /// As [`PgSession::transaction`], but `work` also says whether to
    /// keep what it did: `false` rolls back and still returns its value
    /// (an import's preview).
    pub fn transaction_or_discard<T>(
        &self,
        mut work: impl FnMut(Sql<'_>) -> Result<(T, bool)>,
    ) -> Result<T> {
        let mut attempt = 1;
        loop {
            self.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ")?;
            self.failed.replace(None);
            let outcome = work(Sql::Postgres(self)).and_then(|(out, keep)| {
                if let Some((reason, retry)) = self.failed.take() {
                    return Err(CoreError::Database { reason, retry });
                }
                self.execute_batch(if keep { "COMMIT" } else { "ROLLBACK" })?;
                Ok(out)
            });
            match outcome {
                Ok(out) => return Ok(out),
                Err(e) => {
                    // After a failed COMMIT the transaction is already
                    // over; ROLLBACK then only warns.
                    let _ = self.execute_batch("ROLLBACK");
                    match e {
                        CoreError::Database { retry: true, .. } if attempt < ATTEMPTS => {
                            tracing::debug!(attempt, "serialization conflict: running again");
                            std::thread::sleep(backoff(attempt));
                            attempt += 1;
                        }
                        e => return Err(e),
                    }
                }
            }
        }
    }

    /// Bring the database's schema to the last of `migrations` (oldest
    /// first), each in its own transaction with the version it reaches, so
    /// a failure leaves the last whole version. Instances starting together
    /// take turns (an advisory lock held for the whole run), so each
    /// migration runs once. Returns the version reached.
    pub fn migrate(&self, migrations: &[String]) -> Result<usize> {
        self.migrate_with(&VersionRow::Store, migrations)
    }

    /// As [`PgSession::migrate`], for tables the store does not own (the
    /// server's credentials): their own version, kept under `part`, so
    /// each side adds migrations without renumbering the other's.
    pub fn migrate_part(&self, part: &str, migrations: &[String]) -> Result<usize> {
        self.migrate_with(&VersionRow::Part(part), migrations)
    }

    fn migrate_with(&self, row: &VersionRow<'_>, migrations: &[String]) -> Result<usize> {
        self.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        let outcome = self.migrate_locked(row, migrations);
        // Released with the session anyway if this fails.
        let _ = self.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        outcome
    }

    fn migrate_locked(&self, row: &VersionRow<'_>, migrations: &[String]) -> Result<usize> {
        // "already exists, skipping" is no news to the log.
        self.execute_batch(
            "SET client_min_messages TO warning;
             CREATE TABLE IF NOT EXISTS gridwork_schema (
                 id BIGINT PRIMARY KEY CHECK (id = 1),
                 version BIGINT NOT NULL);
             INSERT INTO gridwork_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        )?;
        if let VersionRow::Part(_) = row {
            self.execute_batch(
                "CREATE TABLE IF NOT EXISTS gridwork_schema_part (
                     part TEXT PRIMARY KEY,
                     version BIGINT NOT NULL)",
            )?;
        }
        let part = match row {
            VersionRow::Store => "",
            VersionRow::Part(part) => part,
        };
        let (read, write) = match row {
            VersionRow::Store => (
                "SELECT version FROM gridwork_schema WHERE ?1 = ?1",
                "UPDATE gridwork_schema SET version = ?2 WHERE ?1 = ?1",
            ),
            VersionRow::Part(_) => (
                "SELECT version FROM gridwork_schema_part WHERE part = ?1",
                "INSERT INTO gridwork_schema_part (part, version) VALUES (?1, ?2)
                 ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            ),
        };
        loop {
            let reached = self.transaction(|sql| {
                let version = sql
                    .query_row(read, &[&part], |r| r.get::<u64>(0))?
                    .unwrap_or_default();
                let version = usize::try_from(version).unwrap_or(usize::MAX);
                let Some(step) = migrations.get(version) else {
                    return Ok(Some(version));
                };
                sql.execute_batch(step)?;
                sql.execute(
                    write,
                    &[&part, &i64::try_from(version + 1).unwrap_or(i64::MAX)],
                )?;
                tracing::info!(part, version = version + 1, "PostgreSQL schema migrated");
                Ok(None)
            })?;
            if let Some(version) = reached {
                return Ok(version);
            }
        }
    }

    /// The statement prepared with its parameters typed from the values
    /// bound (INTEGER → BIGINT, REAL → DOUBLE PRECISION, TEXT, BLOB →
    /// BYTEA; NULL as `unknown`, for PostgreSQL to resolve), so a
    /// parameter the statement does not use is no error, as on SQLite. A
    /// parameter that may be NULL still needs a cast where it is first met
    /// (`CAST(?2 AS TEXT) IS NULL`). Cached per statement and types.
    fn prepared(&self, sql: &str, columns: &[Column<'_>]) -> Result<Statement> {
        let types: Vec<Type> = columns.iter().map(param_type).collect();
        let mut key = String::with_capacity(sql.len() + types.len() + 1);
        key.push_str(sql);
        key.push('\u{0}');
        key.extend(columns.iter().map(|c| match c {
            Column::Null => 'n',
            Column::Integer(_) => 'i',
            Column::Real(_) => 'r',
            Column::Text(_) => 't',
            Column::Blob(_) => 'b',
        }));
        if let Some(stmt) = self.statements.borrow().get(&key) {
            return Ok(stmt.clone());
        }
        let stmt = self
            .client()?
            .prepare_typed(&placeholders_to_dollar(sql), &types)
            .map_err(|e| self.note(e))?;
        self.statements.borrow_mut().insert(key, stmt.clone());
        Ok(stmt)
    }

    pub(super) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        let columns: Vec<Column<'_>> = params.iter().map(|p| p.column()).collect();
        refuse_nul(&columns)?;
        let stmt = self.prepared(sql, &columns)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        let n = self
            .client()?
            .execute(&stmt, &refs)
            .map_err(|e| self.note(e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let columns: Vec<Column<'_>> = params.iter().map(|p| p.column()).collect();
        refuse_nul(&columns)?;
        let stmt = self.prepared(sql, &columns)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        self.client()?.query(&stmt, &refs).map_err(|e| self.note(e))
    }

    pub(super) fn execute_batch(&self, sql: &str) -> Result<()> {
        self.client()?.batch_execute(sql).map_err(|e| self.note(e))
    }

    fn client(&self) -> Result<std::cell::RefMut<'_, Client>> {
        std::cell::RefMut::filter_map(self.client.borrow_mut(), Option::as_mut).map_err(|_| {
            CoreError::Database {
                reason: "the PostgreSQL session is closed".into(),
                retry: true,
            }
        })
    }

    /// The error, remembered if it is the transaction's first.
    fn note(&self, e: postgres::Error) -> CoreError {
        let e = db_error(e);
        if let CoreError::Database { reason, retry } = &e {
            self.failed
                .borrow_mut()
                .get_or_insert_with(|| (reason.clone(), *retry));
        }
        e
    }
}

/// Column `index` of a PostgreSQL row, as a storage class.
pub(super) fn column(row: &postgres::Row, index: usize) -> Result<Column<'_>> {
    row.try_get::<_, Column<'_>>(index)
        .map_err(|e| CoreError::Database {
            reason: format!("column {index}: {e}"),
            retry: false,
        })
}

/// The type a parameter is declared with, from the value bound.
fn param_type(c: &Column<'_>) -> Type {
    match c {
        Column::Null => Type::UNKNOWN,
        Column::Integer(_) => Type::INT8,
        Column::Real(_) => Type::FLOAT8,
        Column::Text(_) => Type::TEXT,
        Column::Blob(_) => Type::BYTEA,
    }
}

fn is_text(ty: &Type) -> bool {
    [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::UNKNOWN,
    ]
    .contains(ty)
}

impl ToSql for Column<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match *self {
            Column::Null => Ok(IsNull::Yes),
            Column::Integer(i) if *ty == Type::INT8 => i.to_sql(ty, out),
            Column::Integer(i) if *ty == Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
            Column::Integer(i) if *ty == Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
            Column::Integer(i) if *ty == Type::BOOL => (i != 0).to_sql(ty, out),
            Column::Integer(i) if *ty == Type::FLOAT8 => (i as f64).to_sql(ty, out),
            Column::Real(r) if *ty == Type::FLOAT8 => r.to_sql(ty, out),
            Column::Real(r) if *ty == Type::FLOAT4 => (r as f32).to_sql(ty, out),
            Column::Text(s) if is_text(ty) => s.to_sql(ty, out),
            Column::Text(s) if *ty == Type::JSON => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Column::Text(s) if *ty == Type::JSONB => {
                // JSONB's binary form: a version byte, then the text.
                out.extend_from_slice(&[1]);
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Column::Blob(b) if *ty == Type::BYTEA => b.to_sql(ty, out),
            c => Err(format!("cannot bind {} to a {ty} parameter", c.class()).into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Column<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Column::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Column::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Column::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Column::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Column::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Column::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::BYTEA => Column::Blob(<&[u8]>::from_sql(ty, raw)?),
            Type::JSON => Column::Text(std::str::from_utf8(raw)?),
            Type::JSONB => Column::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?),
            ref t if is_text(t) => Column::Text(<&str>::from_sql(ty, raw)?),
            ref t => {
                return Err(format!(
                    "a {t} column: cast it to BIGINT, DOUBLE PRECISION or TEXT in the statement"
                )
                .into())
            }
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Column::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A PostgreSQL for tests: the one `GRIDWORK_PG_URL` names, or a
/// throwaway cluster (`scripts/pg-cluster.sh`: initdb in a temporary
/// directory, a free loopback port) stopped and removed when dropped,
/// whether the test passed or not.
#[doc(hidden)]
pub mod testing {
    use std::path::PathBuf;
    use std::process::Command;

    use super::PgSession;
    use crate::db::Sql;
    use crate::error::{CoreError, Result};

    #[derive(Debug)]
    pub struct Cluster {
        pub url: String,
        dir: Option<String>,
    }

    impl Drop for Cluster {
        fn drop(&mut self) {
            if let Some(dir) = &self.dir {
                let _ = Command::new(script()).args(["stop", dir]).status();
            }
        }
    }

    fn script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh")
    }

    impl Cluster {
        pub fn start() -> Result<Cluster> {
            if let Ok(url) = std::env::var("GRIDWORK_PG_URL") {
                return Ok(Cluster { url, dir: None });
            }
            let failed = |reason: String| CoreError::Database {
                reason: format!("PostgreSQL could not be started: {reason}"),
                retry: false,
            };
            let out = Command::new(script())
                .arg("start")
                .output()
                .map_err(|e| failed(e.to_string()))?;
            if !out.status.success() {
                return Err(failed(String::from_utf8_lossy(&out.stderr).into_owned()));
            }
            let line = String::from_utf8_lossy(&out.stdout).into_owned();
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .map(str::to_string)
                    .ok_or_else(|| failed(format!("no {name} in {line:?}")))
            };
            Ok(Cluster {
                url: field("GRIDWORK_PG_URL")?,
                dir: Some(field("GRIDWORK_PG_DIR")?),
            })
        }

        /// A session in a fresh schema of its own (tests sharing a
        /// database never see each other's tables).
        pub fn session(&self, schema: &str) -> Result<PgSession> {
            let s = PgSession::connect(&self.url)?;
            Sql::Postgres(&s).execute_batch(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema}"
            ))?;
            Ok(s)
        }

        /// The URL of a fresh schema of its own: sessions opened on it
        /// (a store's pool) find their tables there.
        pub fn url_for(&self, schema: &str) -> Result<String> {
            drop(self.session(schema)?);
            let join = if self.url.contains('?') { '&' } else { '?' };
            Ok(format!(
                "{}{join}options=-c%20search_path%3D{schema}",
                self.url
            ))
        }

        /// Another session on an existing schema.
        pub fn join(&self, schema: &str) -> Result<PgSession> {
            let s = PgSession::connect(&self.url)?;
            Sql::Postgres(&s).execute_batch(&format!("SET search_path TO {schema}"))?;
            Ok(s)
        }
    }
}
