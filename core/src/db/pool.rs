//! A pool of PostgreSQL sessions (r2d2): each request of the server takes
//! one for its read or its transaction and gives it back, keeping its
//! prepared statements for the next.

use std::time::Duration;

use super::postgres::PgSession;
use super::Sql;
use crate::error::{CoreError, Result};

/// How long a request waits for a free session before it is told the
/// database is busy (and may retry), rather than queueing without bound.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens sessions to one database, each set up with `setup` (a
/// `search_path`, for instance) before its first use.
#[derive(Debug)]
pub struct Sessions {
    url: String,
    setup: Option<String>,
}

impl r2d2::ManageConnection for Sessions {
    type Connection = PgSession;
    type Error = CoreError;

    fn connect(&self) -> Result<PgSession> {
        let session = PgSession::connect(&self.url)?;
        if let Some(setup) = &self.setup {
            Sql::Postgres(&session).execute_batch(setup)?;
        }
        Ok(session)
    }

    fn is_valid(&self, session: &mut PgSession) -> Result<()> {
        Sql::Postgres(session).execute_batch("SELECT 1")
    }

    fn has_broken(&self, session: &mut PgSession) -> bool {
        session.is_closed()
    }
}

/// Sessions to one PostgreSQL database, at most `size` at a time.
#[derive(Debug, Clone)]
pub struct PgPool {
    pool: r2d2::Pool<Sessions>,
}

/// A session taken from the pool; back in the pool when dropped.
pub type PooledSession = r2d2::PooledConnection<Sessions>;

impl PgPool {
    /// A pool on `url`; fails now (not at the first request) if the
    /// database cannot be reached.
    pub fn connect(url: &str, size: u32, setup: Option<String>) -> Result<Self> {
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(Sessions {
                url: url.to_string(),
                setup,
            })
            .map_err(|e| CoreError::Database {
                reason: format!("PostgreSQL unreachable: {e}"),
                retry: true,
            })?;
        Ok(PgPool { pool })
    }

    /// A session for one read or one transaction.
    pub fn session(&self) -> Result<PooledSession> {
        self.pool.get().map_err(|e| CoreError::Database {
            reason: format!("no PostgreSQL session free: {e}"),
            retry: true,
        })
    }
}
