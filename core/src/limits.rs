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
    fn a_spent_budget_refuses_with_too_large() {
        let budget = Budget::start(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        let err = budget.check().unwrap_err();
        assert!(matches!(err, CoreError::TooLarge { ref what, .. } if what == "file"));
        assert!(err.to_string().contains("0 s"), "{err}");
        assert!(Budget::start(Duration::from_secs(60)).check().is_ok());
    }
}
