//! Where the server's domain store lives: the embedded SQLite file in the
//! data directory (the default, one machine), or a PostgreSQL database
//! that several instances share (issue 21, ADR 0018).

use std::path::Path;
use std::sync::Arc;

use gridwork_core::clock::Clock;
use gridwork_core::{CoreError, Store};

/// Sessions each instance keeps to PostgreSQL at most: the blocking pool
/// runs store calls, and more sessions than cores only queue in the
/// database instead of here.
const POOL_SIZE: u32 = 16;

/// The domain store's database.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Database {
    /// `gridwork.db` in the data directory.
    #[default]
    DataDir,
    /// A PostgreSQL URL, `postgres://user:password@host:port/db`.
    Postgres(String),
}

/// Never the password: the URL's scheme, host and database only.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::DataDir => f.write_str("DataDir"),
            Database::Postgres(url) => {
                let host = url
                    .split_once("://")
                    .map(|(_, rest)| rest.rsplit_once('@').map_or(rest, |(_, h)| h))
                    .unwrap_or_default();
                let host = host.split('?').next().unwrap_or_default();
                write!(f, "Postgres({host})")
            }
        }
    }
}

impl std::str::FromStr for Database {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s == "data" {
            Ok(Database::DataDir)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Database::Postgres(s.to_string()))
        } else {
            Err(
                "数据库须为 data 或 postgres://… / the database must be `data` or a postgres:// URL"
                    .to_string(),
            )
        }
    }
}

impl Database {
    /// Open the server's store this names, bringing its schema up to date.
    pub fn open_store(&self, data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store, CoreError> {
        match self {
            Database::DataDir => Store::open_server(data_dir.join("gridwork.db"), clock),
            Database::Postgres(url) => Store::open_postgres(url, POOL_SIZE, clock),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Database;

    #[test]
    fn a_database_is_named_by_data_or_a_postgres_url() {
        assert_eq!("data".parse::<Database>().unwrap(), Database::DataDir);
        let pg: Database = "postgres://gw:s3cret@db.example:5432/gridwork"
            .parse()
            .unwrap();
        assert_eq!(format!("{pg:?}"), "Postgres(db.example:5432/gridwork)");
        let err = "mysql://x".parse::<Database>().unwrap_err();
        assert!(err.contains("postgres://"), "{err}");
    }
}
