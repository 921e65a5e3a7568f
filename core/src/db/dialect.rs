//! What differs between the engines, kept to one place. Statements are
//! written once in the subset both speak; the only rewrite is the
//! placeholders (`?1` for SQLite, `$1` for PostgreSQL). Where the engines
//! truly differ (JSON functions, upsert of a whole row), the caller asks
//! [`Dialect`] and writes both forms side by side.

use std::borrow::Cow;

/// The engine a statement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A subquery over the strings of a JSON array bound as `param` (e.g.
    /// `?2`), for `code IN (…)`: SQLite's `json_each`, PostgreSQL's
    /// `json_array_elements_text`.
    pub fn json_strings(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT value FROM json_each({param})"),
            Dialect::Postgres => {
                format!("SELECT json_array_elements_text(CAST({param} AS JSON))")
            }
        }
    }
}

/// SQLite's `?NNN` and `?` placeholders as PostgreSQL's `$NNN` (a bare
/// `?` takes the next number, as in SQLite). Question marks inside string
/// literals, quoted identifiers and comments are left alone.
pub fn placeholders_to_dollar(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A quoted run; a doubled quote inside is an escaped one.
                out.push(c);
                while let Some(q) = chars.next() {
                    out.push(q);
                    if q == c {
                        if chars.peek() == Some(&c) {
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for rest in chars.by_ref() {
                    out.push(rest);
                    if rest == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    if let Ok(n) = digits.parse::<u32>() {
                        next = n + 1;
                    }
                    out.push_str(&digits);
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A migration written for SQLite (STRICT tables) as PostgreSQL DDL: the
/// storage classes as the matching column types (INTEGER → BIGINT, REAL →
/// DOUBLE PRECISION, BLOB → BYTEA), rowid keys as BIGSERIAL, no STRICT.
/// Our migrations only; statements and comments pass through otherwise.
pub fn ddl_for_postgres(sqlite: &str) -> String {
    sqlite
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("--") {
                return line.to_string();
            }
            let line = line
                .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
                .replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
                .replace(") STRICT;", ");")
                .replace("DEFAULT x''", "DEFAULT ''::bytea");
            replace_word(
                &replace_word(
                    &replace_word(&line, "INTEGER", "BIGINT"),
                    "REAL",
                    "DOUBLE PRECISION",
                ),
                "BLOB",
                "BYTEA",
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `word` replaced where it stands alone (not inside a longer name).
fn replace_word(line: &str, word: &str, with: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name) || after.is_some_and(is_name) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_and_quoted_marks_stay() {
        assert_eq!(
            placeholders_to_dollar("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?2) OR d = ?10"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $2) OR d = $10"
        );
        assert_eq!(
            placeholders_to_dollar("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)"
        );
        assert_eq!(
            placeholders_to_dollar("SELECT '?1', 'it''s ?', \"q?\" FROM t -- why?\nWHERE a = ?1"),
            "SELECT '?1', 'it''s ?', \"q?\" FROM t -- why?\nWHERE a = $1"
        );
        assert!(matches!(
            placeholders_to_dollar("SELECT 1"),
            Cow::Borrowed("SELECT 1")
        ));
    }

    #[test]
    fn sqlite_ddl_becomes_postgresql_ddl() {
        let pg = ddl_for_postgres(
            "CREATE TABLE t (\n  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n  lat REAL NOT NULL,\n  \
             body BLOB NOT NULL DEFAULT x'',\n  integer_count INTEGER\n) STRICT;\n-- INTEGER stays in a comment",
        );
        assert_eq!(
            pg,
            "CREATE TABLE t (\n  seq BIGSERIAL PRIMARY KEY,\n  lat DOUBLE PRECISION NOT NULL,\n  \
             body BYTEA NOT NULL DEFAULT ''::bytea,\n  integer_count BIGINT\n);\n-- INTEGER stays in a comment"
        );
    }
}
