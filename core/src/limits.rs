//! The one table of limits: how big a file, a table, a boundary or a piece
//! of text may be. The phone's store and the server both read these
//! constants, so a record the phone accepts is one the server accepts, and a
//! hostile file is refused before anything is allocated for it.
//!
//! Each limit is generous for real work (a township's household register, a
//! surveyed grid boundary) and small enough that the worst input within it
//! is checked in bounded time and memory.

use std::time::{Duration, Instant};

use crate::error::{CoreError, Result};

/// Imports an administrator brings (GeoJSON boundaries, CSV/XLSX registers).
pub mod import {
    use std::time::Duration;

    /// Largest import file, and the server's request body limit: a city's
    /// household register as CSV is about 10 MB.
    pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
    /// Bytes an XLSX workbook may unpack to, all parts together. Counted
    /// while inflating, so a zip that lies about its sizes is caught too.
    pub const MAX_XLSX_UNZIPPED_BYTES: u64 = 256 * 1024 * 1024;
    /// Parts in an XLSX zip (a real workbook has a dozen or two).
    pub const MAX_XLSX_PARTS: usize = 1_000;
    /// Data rows of one register (the reference city has about 41,000
    /// households and places and 120,000 members).
    pub const MAX_TABLE_ROWS: u32 = 500_000;
    /// Columns of one register (a register has a dozen or two).
    pub const MAX_TABLE_COLUMNS: u32 = 256;
    /// Non-empty cells of one worksheet.
    pub const MAX_TABLE_CELLS: u64 = 10_000_000;
    /// Features of one GeoJSON file (the reference city has 1,000 regions
    /// and grids).
    pub const MAX_FEATURES: usize = 50_000;
    /// Positions in one feature's boundary. A surveyed grid boundary has a
    /// few hundred to a few thousand; checking a ring for self-crossings is
    /// at worst quadratic in this number, so it is what bounds the check.
    pub const MAX_VERTICES_PER_FEATURE: usize = 20_000;
    /// Positions in one whole GeoJSON file.
    pub const MAX_VERTICES_PER_FILE: usize = 2_000_000;
    /// Polygons plus holes in one feature's boundary (rings are checked
    /// pairwise against each other).
    pub const MAX_RINGS_PER_FEATURE: usize = 256;
    /// How long reading and checking one import file may take before it is
    /// refused as too big to check (split it or simplify the boundaries).
    pub const TIME_BUDGET: Duration = Duration::from_secs(60);
}

/// Lengths of text people type or import, in characters (a Chinese
/// character is one). Names and codes are one line; notes may have lines.
pub mod text {
    /// Codes and ids: household, grid, region, person, member, photo.
    pub const CODE: usize = 64;
    /// Names of people, households, places and regions.
    pub const NAME: usize = 100;
    pub const ADDRESS: usize = 200;
    /// 与户主关系 (relation to the head of household).
    pub const RELATION: usize = 20;
    /// A case's title.
    pub const TITLE: usize = 100;
    /// Visit notes, case descriptions, action notes and reasons, messages.
    pub const NOTE: usize = 2_000;
    /// One free-text checklist answer.
    pub const ANSWER: usize = 1_000;
}

/// How many of a thing one record may hold.
pub mod counts {
    /// Tags on one household or place.
    pub const TAGS: usize = 32;
    /// Answers in one visit.
    pub const ANSWERS: usize = 500;
    /// Photos named by one case report or action.
    pub const PHOTOS: usize = 50;
    /// Track points in one operation.
    pub const TRACK_POINTS: usize = 5_000;
}

/// What a text field may contain besides printable characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A name, code or address: no control character at all.
    Line,
    /// Notes: line breaks and tabs, no other control character.
    Block,
}

/// Refuse text longer than `max` characters or with a NUL or another
/// control character (which would corrupt exports, logs and other phones'
/// screens). The error names the field and says why; it never repeats the
/// text, which may be personal.
pub fn check_text(field: &str, value: &str, max: usize, kind: TextKind) -> Result<()> {
    for (i, c) in value.chars().enumerate() {
        let count = i + 1;
        let allowed = match kind {
            TextKind::Line => !c.is_control(),
            TextKind::Block => !c.is_control() || matches!(c, '\n' | '\r' | '\t'),
        };
        if !allowed {
            return Err(CoreError::invalid(
                field,
                format!(
                    "第{count}个字符是不可见的控制字符（如 NUL），请删除 / character {count} is a control character (such as NUL): remove it"
                ),
            ));
        }
        if count > max {
            let total = value.chars().count();
            return Err(CoreError::invalid(
                field,
                format!("不能超过{max}个字（现有{total}个）/ at most {max} characters (this has {total})"),
            ));
        }
    }
    Ok(())
}

/// Refuse more than `max` items.
pub fn check_count(field: &str, count: usize, max: usize) -> Result<()> {
    if count > max {
        return Err(CoreError::invalid(
            field,
            format!("最多{max}项（现有{count}项）/ at most {max} items (this has {count})"),
        ));
    }
    Ok(())
}

/// Clocks: how far a phone's stamps may run ahead of the server's clock.
pub mod clock {
    /// A hybrid logical clock stamp further ahead of the server's clock than
    /// this is clamped to it when stored (a phone set years ahead would
    /// otherwise win every later edit of that record), and a stored stamp
    /// further ahead than this no longer wins.
    pub const MAX_FUTURE_SKEW_MS: i64 = 10 * 60 * 1000;
}

/// A refusal for input beyond one of the limits above: `what` names the file
/// part or field, `reason` says the limit and what to do, Chinese first.
pub fn too_large(what: impl Into<String>, reason: impl Into<String>) -> CoreError {
    CoreError::TooLarge {
        what: what.into(),
        reason: reason.into(),
    }
}

/// A deadline for one import, checked between features and rows so that no
/// file holds a server thread (or its shutdown) for longer than the budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline: Instant,
    budget: Duration,
}

impl Budget {
    pub fn start(budget: Duration) -> Self {
        Budget {
            deadline: Instant::now() + budget,
            budget,
        }
    }

    /// The import budget, from now.
    pub fn for_import() -> Self {
        Budget::start(import::TIME_BUDGET)
    }

    /// `Err(TooLarge)` once the budget is spent.
    pub fn check(&self) -> Result<()> {
        if Instant::now() <= self.deadline {
            return Ok(());
        }
        let secs = self.budget.as_secs();
        Err(too_large(
            "file",
            format!(
                "文件太大或太复杂，{secs} 秒内未能检查完，请拆分文件或简化边界后再导入 / the file is too big or too complex to check within {secs} s: split it, or simplify the boundaries"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_refused_for_length_and_control_characters_with_the_field() {
        assert!(check_text("name", "刘奶奶", 3, TextKind::Line).is_ok());
        let err = check_text("name", "刘奶奶奶", 3, TextKind::Line).unwrap_err();
        assert!(
            matches!(&err, CoreError::Invalid { field, reason } if field == "name" && reason.contains("at most 3 characters (this has 4)")),
            "{err}"
        );
        let err = check_text("name", "刘\0奶", 10, TextKind::Line).unwrap_err();
        assert!(
            err.to_string()
                .contains("character 2 is a control character"),
            "{err}"
        );
        assert!(check_text("notes", "第一行\n第二行\t完", 100, TextKind::Block).is_ok());
        assert!(check_text("name", "第一行\n第二行", 100, TextKind::Line).is_err());
        assert!(check_text("notes", "响\u{7}铃", 100, TextKind::Block).is_err());
        assert!(check_count("tags", 33, 32)
            .unwrap_err()
            .to_string()
            .contains("at most 32 items"));
    }

    #[test]
    fn a_spent_budget_refuses_with_too_large() {
        let budget = Budget::start(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        let err = budget.check().unwrap_err();
        assert!(matches!(err, CoreError::TooLarge { ref what, .. } if what == "file"));
        assert!(err.to_string().contains("0 s"), "{err}");
        assert!(Budget::start(Duration::from_secs(60)).check().is_ok());
    }
}
