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
}
