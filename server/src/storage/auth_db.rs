//! Where the server's own records live (device credentials, activation
//! codes, console accounts and sessions, the server's audit lines): the
//! data directory's `auth.db` beside an embedded store, or the same
//! PostgreSQL database as the store, so every instance sharing it knows
//! every device and every console session (issue 21, ADR 0018).
//!
//! Statements are written once, in the SQL both engines speak, through the
//! core's [`Sql`] layer.

use std::path::Path;
use std::sync::Mutex;

use gridwork_core::db::pool::PgPool;
use gridwork_core::db::{ddl_for_postgres, Sql};
use gridwork_core::CoreError;
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use super::code_key::CodeKey;
use super::database::Database;
use crate::error::{ApiResult, ServerError};
use crate::throttle::FailureLog;

/// Sessions each instance keeps for these records: one short statement
/// per request (a credential looked up), rarely a transaction.
const POOL_SIZE: u32 = 4;

/// The name their schema version is kept under on PostgreSQL.
const PART: &str = "auth";

const V1: &str = "
CREATE TABLE device (
    device_id    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    activated_at INTEGER NOT NULL,
    last_seen_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX device_user ON device(user_id);
CREATE TABLE activation_code (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;
";

/// Console accounts (people) and their sessions, beside the devices.
const V2: &str = "
CREATE TABLE console_account (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    set_at        INTEGER NOT NULL,
    set_by        TEXT NOT NULL
) STRICT;
CREATE TABLE console_session (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_session_user ON console_session(user_id);
";

/// The server's own audit lines (sign-ins, accounts, devices, imports).
const V3: &str = "
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL,
    summary    TEXT NOT NULL
) STRICT;
CREATE INDEX audit_at ON audit(at);
";

/// The fingerprint of the activation-code key (`auth.key`) the stored
/// codes were made with: an instance holding another key would answer
/// every code "not valid", so it refuses to start instead.
const V4: &str = "
CREATE TABLE code_key_check (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL
) STRICT;
";

/// Failed attempts at a secret (an activation code, a console password),
/// counted here when instances share the database (`crate::throttle`).
const V5: &str = "
CREATE TABLE failed_attempt (
    id    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
) STRICT;
CREATE INDEX failed_attempt_key ON failed_attempt(scope, key, at);
CREATE INDEX failed_attempt_at ON failed_attempt(scope, at);
";

/// Every version, oldest first: one list for both engines.
const STEPS: [&str; 5] = [V1, V2, V3, V4, V5];

/// The server's own records, on the engine the store is on.
#[derive(Debug)]
pub(crate) enum AuthDb {
    Sqlite(Mutex<Connection>),
    Postgres(PgPool),
}

impl AuthDb {
    /// Open (creating and migrating) the records beside `database`.
    pub(crate) fn open(database: &Database, data_dir: &Path) -> ApiResult<Self> {
        match database {
            Database::DataDir => {
                let path = data_dir.join("auth.db");
                gridwork_core::private_file::make_private(&path)?;
                let mut conn = Connection::open(path)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                Migrations::new(STEPS.iter().map(|v| M::up(v)).collect())
                    .to_latest(&mut conn)
                    .map_err(CoreError::from)?;
                Ok(AuthDb::Sqlite(Mutex::new(conn)))
            }
            Database::Postgres(url) => {
                let pool = PgPool::connect(url, POOL_SIZE, None)?;
                let steps: Vec<String> = STEPS.iter().map(|v| ddl_for_postgres(v)).collect();
                pool.session()?.migrate_part(PART, &steps)?;
                Ok(AuthDb::Postgres(pool))
            }
        }
    }

    /// Refuse a key other than the one the stored codes were made with
    /// (the first instance to start records its key's fingerprint).
    pub(crate) fn check_code_key(&self, key: &CodeKey) -> ApiResult<()> {
        let fingerprint = key.digest("gridwork code key check")?;
        let stored = self.transaction(|sql| {
            sql.execute(
                "INSERT INTO code_key_check (id, fingerprint) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
                &[&fingerprint],
            )?;
            let stored = sql.query_row("SELECT fingerprint FROM code_key_check WHERE id = 1", &[], |r| {
                r.get::<String>(0)
            })?;
            Ok(stored)
        })?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            Ok(())
        } else {
            Err(ServerError::Internal(
                "数据目录中的 auth.key 与数据库中激活码所用的密钥不符：请从另一实例的数据目录（或备份）复制 auth.key / \
                 auth.key in the data directory is not the key this database's activation codes were made with: \
                 copy auth.key from another instance's data directory (or from the backup)"
                    .into(),
            ))
        }
    }

    /// Statements that need no transaction (one lookup, one update):
    /// each stands on its own.
    pub(crate) fn run<T>(
        &self,
        work: impl FnOnce(Sql<'_>) -> gridwork_core::Result<T>,
    ) -> ApiResult<T> {
        match self {
            AuthDb::Sqlite(conn) => {
                let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                Ok(work(Sql::from(&*conn))?)
            }
            AuthDb::Postgres(pool) => {
                let session = pool.session()?;
                Ok(work(Sql::Postgres(&session))?)
            }
        }
    }

    /// Statements that stand or fall together: an `Err` (a database
    /// failure, or a refusal such as a used code) keeps nothing they
    /// wrote. On PostgreSQL a lost race runs `work` again.
    pub(crate) fn transaction<T>(
        &self,
        mut work: impl FnMut(Sql<'_>) -> gridwork_core::Result<T>,
    ) -> ApiResult<T> {
        match self {
            AuthDb::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = work(Sql::from(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            AuthDb::Postgres(pool) => Ok(pool.session()?.transaction(work)?),
        }
    }
}

impl FailureLog for AuthDb {
    fn record(&self, scope: &str, key: &str, at_ms: i64, forget_before_ms: i64) -> ApiResult<()> {
        self.run(|sql| {
            sql.execute(
                "DELETE FROM failed_attempt WHERE scope = ?1 AND at < ?2",
                &[&scope, &forget_before_ms],
            )?;
            sql.execute(
                "INSERT INTO failed_attempt (scope, key, at) VALUES (?1, ?2, ?3)",
                &[&scope, &key, &at_ms],
            )
        })?;
        Ok(())
    }

    fn since(
        &self,
        scope: &str,
        key: Option<&str>,
        from_ms: i64,
    ) -> ApiResult<(usize, Option<i64>)> {
        let row = self.run(|sql| match key {
            Some(key) => sql.query_row(
                "SELECT COUNT(*), MIN(at) FROM failed_attempt WHERE scope = ?1 AND key = ?2 AND at > ?3",
                &[&scope, &key, &from_ms],
                |r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?)),
            ),
            None => sql.query_row(
                "SELECT COUNT(*), MIN(at) FROM failed_attempt WHERE scope = ?1 AND at > ?2",
                &[&scope, &from_ms],
                |r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?)),
            ),
        })?;
        let (n, oldest) = row.unwrap_or_default();
        Ok((usize::try_from(n).unwrap_or(0), oldest))
    }

    fn forget(&self, scope: &str, key: &str) -> ApiResult<()> {
        self.run(|sql| {
            sql.execute(
                "DELETE FROM failed_attempt WHERE scope = ?1 AND key = ?2",
                &[&scope, &key],
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;
    use std::sync::Arc;

    use gridwork_core::clock::SystemClock;
    use gridwork_core::db::postgres::testing::Cluster;

    use super::super::database::Database;
    use super::super::sqlite::SqliteStorage;
    use super::super::uploads::UploadConfig;
    use super::super::ServerStorage;
    use crate::error::ServerError;

    fn open(database: &Database, dir: &Path) -> Result<SqliteStorage, ServerError> {
        SqliteStorage::open_on(
            database,
            dir,
            Arc::new(SystemClock),
            UploadConfig::default(),
        )
    }

    #[test]
    fn instances_on_one_postgresql_share_devices_codes_and_revocations() {
        let cluster = Cluster::start().unwrap();
        let db = Database::Postgres(cluster.url_for("shared_auth").unwrap());
        let (a_dir, b_dir, c_dir) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let a = open(&db, a_dir.path()).unwrap();
        let first = a.bootstrap_admin("http://a").unwrap().unwrap();
        // The second instance has its own data directory and the key
        // copied from the first, as docs/deployment.md says.
        std::fs::copy(a_dir.path().join("auth.key"), b_dir.path().join("auth.key")).unwrap();
        let b = open(&db, b_dir.path()).unwrap();
        assert!(
            b.bootstrap_admin("http://b").unwrap().is_none(),
            "one administrator"
        );

        // A code made on one instance is taken on the other, once.
        let (token, user) = b.activate(&first.code, "phone-1", "phone").unwrap();
        assert_eq!(user.id, "admin");
        let again = a.activate(&first.code, "phone-2", "phone").unwrap_err();
        assert!(again.to_string().contains("already used"), "{again}");
        // Its credential works on both; revoked on one, refused on both.
        assert_eq!(a.authenticate(&token).unwrap().device_id, "phone-1");
        assert_eq!(b.authenticate(&token).unwrap().device_id, "phone-1");
        assert_eq!(a.devices().unwrap().len(), 1);
        a.revoke("phone-1").unwrap();
        assert!(matches!(b.authenticate(&token), Err(ServerError::Revoked)));

        // An instance with a key of its own would refuse every code: it
        // does not start, and says which file to copy.
        let err = open(&db, c_dir.path()).unwrap_err().to_string();
        assert!(err.contains("auth.key"), "{err}");
        std::fs::copy(a_dir.path().join("auth.key"), c_dir.path().join("auth.key")).unwrap();
        let c = open(&db, c_dir.path()).unwrap();
        let code = c.create_activation_code("admin", "http://c").unwrap();
        assert!(a.activate(&code.code, "phone-3", "phone").is_ok());
    }

    #[test]
    fn failed_attempts_on_two_instances_count_together() {
        use crate::throttle::Throttle;
        let cluster = Cluster::start().unwrap();
        let db = Database::Postgres(cluster.url_for("shared_failures").unwrap());
        let dir = tempfile::tempdir().unwrap();
        let throttle_on = |db: &Database| {
            let log = Arc::new(super::AuthDb::open(db, dir.path()).unwrap());
            let t: Throttle = Throttle::new(10, 100, std::time::Duration::from_secs(60));
            t.share(log, "activation");
            t
        };
        let (a, b) = (throttle_on(&db), throttle_on(&db));
        let guesser: std::net::IpAddr = [10, 0, 0, 1].into();
        let other: std::net::IpAddr = [10, 0, 0, 2].into();
        // Five wrong codes through each instance: ten in all.
        for _ in 0..5 {
            assert_eq!(a.blocked(guesser), None);
            a.failed(guesser);
            assert_eq!(b.blocked(guesser), None);
            b.failed(guesser);
        }
        for t in [&a, &b] {
            let wait = t.blocked(guesser).expect("blocked on both instances");
            assert!(wait <= std::time::Duration::from_secs(60), "{wait:?}");
            assert_eq!(t.remaining(&guesser), 0);
            assert_eq!(t.blocked(other), None, "another address is not");
        }
        // A success on one forgets the failures on both.
        a.succeeded(&guesser);
        assert_eq!(b.remaining(&guesser), 5, "b's own five are still counted");
    }

    #[test]
    fn a_replaced_key_file_is_refused_and_the_right_one_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = open(&Database::DataDir, dir.path()).unwrap();
        let code = first.bootstrap_admin("http://a").unwrap().unwrap();
        drop(first);
        let key = dir.path().join("auth.key");
        let kept = std::fs::read(&key).unwrap();
        std::fs::write(&key, hex::encode([7u8; 32])).unwrap();
        let err = open(&Database::DataDir, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.key"), "{err}");
        std::fs::write(&key, kept).unwrap();
        let again = open(&Database::DataDir, dir.path()).unwrap();
        assert!(again.activate(&code.code, "phone-1", "phone").is_ok());
    }
}
