//! One SQL interface over the two engines the store runs on: SQLite (the
//! phones, and the embedded server) and PostgreSQL (the server at a
//! province's scale, issue 21, ADR 0018). The core's rules stay written
//! once: a statement is written in the subset both engines speak, with
//! SQLite's `?N` placeholders, and runs unchanged on either.
//!
//! Why not an existing layer: sqlx is async and checks queries against a
//! live database at compile time; diesel and sea-query would mean
//! rewriting every statement in a builder. The store is synchronous (the
//! phones call it from a worker thread, the server from tokio's blocking
//! pool) and its SQL is plain, so a thin layer over rusqlite and the
//! `postgres` crate (both well kept) is the smaller change.
//!
//! Values cross as SQLite's five storage classes ([`Column`]): integers,
//! reals, text, blobs and NULL. The PostgreSQL schema uses the matching
//! types (BIGINT, DOUBLE PRECISION, TEXT, BYTEA), so a row reads the same
//! on both.

mod column;
mod dialect;
#[cfg(feature = "postgres")]
pub mod pool;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use column::{Column, FromColumn, Param};
pub use dialect::{ddl_for_postgres, placeholders_to_dollar, Dialect};

use crate::error::{CoreError, Result};

/// A row of a result, read by position with [`Row::get`].
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    #[cfg(feature = "postgres")]
    Postgres(&'a ::postgres::Row),
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Row::Sqlite(_) => "Row(SQLite)",
            #[cfg(feature = "postgres")]
            Row::Postgres(_) => "Row(PostgreSQL)",
        })
    }
}

impl Row<'_> {
    /// Column `index` (from 0) as `T`; a NULL, or a value of another
    /// class, is a clear error naming the column.
    pub fn get<T: FromColumn>(&self, index: usize) -> Result<T> {
        let column = match self {
            Row::Sqlite(row) => Column::from_sqlite(row.get_ref(index)?, index)?,
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => postgres::column(row, index)?,
        };
        T::from_column(column).map_err(|why| CoreError::Database {
            reason: format!("column {index}: {why}"),
            retry: false,
        })
    }
}

/// Where statements run: a SQLite connection (or a transaction on one:
/// `rusqlite::Transaction` dereferences to its connection), or a
/// PostgreSQL session inside its transaction.
#[derive(Clone, Copy)]
pub enum Sql<'a> {
    Sqlite(&'a rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(&'a postgres::PgSession),
}

impl<'a> From<&'a rusqlite::Connection> for Sql<'a> {
    fn from(conn: &'a rusqlite::Connection) -> Self {
        Sql::Sqlite(conn)
    }
}

/// The store's writers hold a `rusqlite::Transaction`; its statements run
/// on the connection it dereferences to.
impl<'a> From<&'a rusqlite::Transaction<'_>> for Sql<'a> {
    fn from(tx: &'a rusqlite::Transaction<'_>) -> Self {
        Sql::Sqlite(tx)
    }
}

impl std::fmt::Debug for Sql<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sql({:?})", self.dialect())
    }
}

impl Sql<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Sql::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Sql::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Run a statement; how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match self {
            Sql::Sqlite(conn) => {
                Ok(conn
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(
                        params.iter().map(|p| p.column()),
                    ))?)
            }
            #[cfg(feature = "postgres")]
            Sql::Postgres(session) => session.execute(sql, params),
        }
    }

    /// The first row's value, if there is a row.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Sql::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(
                    params.iter().map(|p| p.column()),
                ))?;
                match rows.next()? {
                    Some(row) => f(&Row::Sqlite(row)).map(Some),
                    None => Ok(None),
                }
            }
            #[cfg(feature = "postgres")]
            Sql::Postgres(session) => {
                let rows = session.query(sql, params)?;
                rows.first().map(|row| f(&Row::Postgres(row))).transpose()
            }
        }
    }

    /// Every row, each turned into a `T`. On PostgreSQL the rows are
    /// fetched first, so `f` may run statements of its own.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Sql::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(
                    params.iter().map(|p| p.column()),
                ))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            #[cfg(feature = "postgres")]
            Sql::Postgres(session) => session
                .query(sql, params)?
                .iter()
                .map(|row| f(&Row::Postgres(row)))
                .collect(),
        }
    }

    /// Several statements without parameters (schema, settings).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Sql::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Sql::Postgres(session) => session.execute_batch(sql),
        }
    }
}
