//! Values crossing the SQL boundary as SQLite's five storage classes,
//! borrowed where they can be (binding a `String` copies nothing).

use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::error::{CoreError, Result};

/// One value, as SQLite classes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Column<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> Column<'a> {
    pub(super) fn from_sqlite(v: ValueRef<'a>, index: usize) -> Result<Self> {
        Ok(match v {
            ValueRef::Null => Column::Null,
            ValueRef::Integer(i) => Column::Integer(i),
            ValueRef::Real(r) => Column::Real(r),
            ValueRef::Text(t) => {
                Column::Text(std::str::from_utf8(t).map_err(|e| CoreError::Database {
                    reason: format!("column {index}: text is not UTF-8: {e}"),
                    retry: false,
                })?)
            }
            ValueRef::Blob(b) => Column::Blob(b),
        })
    }

    pub(super) fn class(&self) -> &'static str {
        match self {
            Column::Null => "NULL",
            Column::Integer(_) => "an integer",
            Column::Real(_) => "a real",
            Column::Text(_) => "text",
            Column::Blob(_) => "a blob",
        }
    }
}

impl rusqlite::ToSql for Column<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Column::Null => ValueRef::Null,
            Column::Integer(i) => ValueRef::Integer(i),
            Column::Real(r) => ValueRef::Real(r),
            Column::Text(t) => ValueRef::Text(t.as_bytes()),
            Column::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A statement parameter.
pub trait Param {
    fn column(&self) -> Column<'_>;
}

impl Param for i64 {
    fn column(&self) -> Column<'_> {
        Column::Integer(*self)
    }
}

impl Param for i32 {
    fn column(&self) -> Column<'_> {
        Column::Integer(i64::from(*self))
    }
}

impl Param for u8 {
    fn column(&self) -> Column<'_> {
        Column::Integer(i64::from(*self))
    }
}

impl Param for u32 {
    fn column(&self) -> Column<'_> {
        Column::Integer(i64::from(*self))
    }
}

/// Stored as 0 or 1, as SQLite stores booleans (BIGINT on PostgreSQL).
impl Param for bool {
    fn column(&self) -> Column<'_> {
        Column::Integer(i64::from(*self))
    }
}

impl Param for f64 {
    fn column(&self) -> Column<'_> {
        Column::Real(*self)
    }
}

impl Param for str {
    fn column(&self) -> Column<'_> {
        Column::Text(self)
    }
}

impl Param for String {
    fn column(&self) -> Column<'_> {
        Column::Text(self)
    }
}

impl Param for [u8] {
    fn column(&self) -> Column<'_> {
        Column::Blob(self)
    }
}

impl Param for Vec<u8> {
    fn column(&self) -> Column<'_> {
        Column::Blob(self)
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn column(&self) -> Column<'_> {
        (**self).column()
    }
}

impl<T: Param> Param for Option<T> {
    fn column(&self) -> Column<'_> {
        match self {
            Some(v) => v.column(),
            None => Column::Null,
        }
    }
}

/// A Rust value read from a column.
pub trait FromColumn: Sized {
    /// `Err` says what was found instead.
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String>;
}

fn expected(what: &str, c: Column<'_>) -> String {
    format!("expected {what}, found {}", c.class())
}

impl FromColumn for i64 {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        match c {
            Column::Integer(i) => Ok(i),
            c => Err(expected("an integer", c)),
        }
    }
}

impl FromColumn for u32 {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        let i = i64::from_column(c)?;
        u32::try_from(i).map_err(|_| format!("{i} is out of range for u32"))
    }
}

impl FromColumn for u64 {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        let i = i64::from_column(c)?;
        u64::try_from(i).map_err(|_| format!("{i} is negative"))
    }
}

impl FromColumn for bool {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        i64::from_column(c).map(|i| i != 0)
    }
}

/// A real, or an integer read as one (SQLite returns `1.0` as 1 when a
/// column has no declared type, e.g. an expression).
impl FromColumn for f64 {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        match c {
            Column::Real(r) => Ok(r),
            Column::Integer(i) => Ok(i as f64),
            c => Err(expected("a real", c)),
        }
    }
}

impl FromColumn for String {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        match c {
            Column::Text(t) => Ok(t.to_string()),
            c => Err(expected("text", c)),
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        match c {
            Column::Blob(b) => Ok(b.to_vec()),
            c => Err(expected("a blob", c)),
        }
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_column(c: Column<'_>) -> std::result::Result<Self, String> {
        match c {
            Column::Null => Ok(None),
            c => T::from_column(c).map(Some),
        }
    }
}
