//! Import parsers: the files an administrator brings (grid boundaries as
//! GeoJSON, household and member registers as CSV or XLSX) turned into domain
//! records plus a list of row-level errors.
//!
//! Every parser here is a pure function: bytes in, records and errors out. No
//! storage is touched; the store decides afterwards whether to write the good
//! rows (best effort) or nothing at all (all or nothing), and checks codes
//! against what is already stored (does the parent region exist? the grid?).
//!
//! Two kinds of failure:
//! - a **whole-file** problem (not JSON, not a FeatureCollection, an encoding
//!   that is neither UTF-8 nor GBK, an unreadable XLSX) is a
//!   [`CoreError::Invalid`](crate::CoreError::Invalid) with field `file`;
//! - a problem with **one row or feature** is a [`RowError`]; the other rows
//!   still parse. A row with any error is left out of the records, and every
//!   problem found in that row is reported (so one pass fixes them all).
//!
//! Personal numbers (ID and phone numbers) never appear in an error reason or
//! a log line, not even masked: the line number and column say where to look.

mod boundary;
mod coords;
mod households;
mod members;
mod regions;
mod table;
#[cfg(feature = "xlsx")]
mod xlsx;

use std::fmt;

pub use households::{parse_households, ParsedHouseholds};
pub use members::{member_id, parse_members, ParsedMembers};
pub use regions::{parse_regions_geojson, ParsedRegions};

/// One problem with one row of a table or one feature of a GeoJSON file.
///
/// - CSV: `line` is the 1-based line of the file on which the record starts
///   (the header is normally line 1, so the first data row is line 2).
/// - XLSX: `line` is the 1-based spreadsheet row number, as Excel shows it.
/// - GeoJSON: `line` is the 0-based index `i` of the feature in the
///   `features` array, and `field` is a path such as
///   `features[3].properties.code` or `features[3].geometry.coordinates[0][2]`.
///
/// For tables `field` is the column header as written in the file (e.g.
/// `经度`), or the canonical column name when the column is missing. `reason`
/// is Chinese first, then English: `缺少网格编码 / grid code is missing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl RowError {
    pub fn new(line: u64, field: impl Into<String>, reason: impl Into<String>) -> Self {
        RowError {
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.starts_with("features[") {
            // The path already names the feature.
            write!(f, "{}: {}", self.field, self.reason)
        } else {
            write!(
                f,
                "第{}行 {} / line {}, {}: {}",
                self.line, self.field, self.line, self.field, self.reason
            )
        }
    }
}

/// The container format of a table file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma- (or tab-) separated text, UTF-8 (with or without BOM), UTF-16
    /// with BOM, or GBK/GB18030.
    Csv,
    /// Office Open XML workbook (`.xlsx`); the first worksheet is read.
    Xlsx,
}

impl TableFormat {
    /// Guess the format from the content: an XLSX file is a zip archive and
    /// starts with `PK\x03\x04`; anything else is treated as CSV.
    pub fn detect(bytes: &[u8]) -> TableFormat {
        if table::looks_like_zip(bytes) {
            TableFormat::Xlsx
        } else {
            TableFormat::Csv
        }
    }

    /// The format for a file name's extension (`.csv`, `.txt`, `.tsv`,
    /// `.xlsx`), case-insensitive.
    pub fn from_file_name(name: &str) -> Option<TableFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Some(TableFormat::Csv),
            "xlsx" => Some(TableFormat::Xlsx),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
