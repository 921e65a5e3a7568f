//! Writing imports: the parsers (`crate::import`) find row errors in the
//! file; this checks each row against what is stored (does the parent
//! region, the grid, the household exist?), then writes the good rows in one
//! transaction — or nothing, if the caller asked for all-or-nothing and any
//! row is bad. Nothing already saved is lost either way.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use tracing::info;

use super::users::actor;
use super::{Store, Writer};
use crate::error::{CoreError, Result};
use crate::import::{
    parse_households, parse_members, parse_regions_geojson, RowError, TableFormat,
};
use crate::region::RegionLevel;
use crate::user::Role;

/// Whether bad rows stop the whole import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Save the good rows, report the bad ones.
    #[default]
    BestEffort,
    /// Save nothing unless every row is good.
    AllOrNothing,
    /// Save nothing: check every row as a best-effort import would (stored-
    /// side rules included, inside a transaction that is rolled back) and
    /// report each bad row; `imported` counts the rows that would be saved.
    Preview,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Detected text encoding (or "XLSX"/"GeoJSON").
    pub encoding: String,
    /// Rows (or features) read, good and bad.
    pub rows_read: u32,
    /// Rows written.
    pub imported: u32,
    /// Every problem, by line/feature and field.
    pub errors: Vec<ImportError>,
}

/// One problem, as it crosses to shells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl From<RowError> for ImportError {
    fn from(e: RowError) -> Self {
        ImportError {
            line: e.line,
            field: e.field,
            reason: e.reason,
        }
    }
}

fn require_admin(w: &Writer<'_>, user_id: &str) -> Result<()> {
    let a = actor(w.sql(), user_id, w.now)?;
    if a.role == Role::Administrator {
        Ok(())
    } else {
        Err(CoreError::not_permitted(
            "只有管理员可以导入 / only administrators import",
        ))
    }
}

fn exists(w: &Writer<'_>, sql: &str, code: &str) -> Result<bool> {
    Ok(w.sql().query_row(sql, &[&code], |_| Ok(()))?.is_some())
}

/// Decide, write, report. `checked` are the rows that passed every check.
fn finish<T>(
    w: &mut Writer<'_>,
    mode: ImportMode,
    encoding: String,
    rows_read: usize,
    checked: Vec<(u64, T)>,
    mut errors: Vec<ImportError>,
    mut write: impl FnMut(&mut Writer<'_>, &T) -> Result<()>,
) -> Result<ImportReport> {
    let mut imported = 0;
    if mode == ImportMode::Preview {
        // Nothing this transaction wrote is kept, whatever happens below.
        w.discard = true;
    }
    if mode != ImportMode::AllOrNothing || errors.is_empty() {
        for (line, row) in &checked {
            match write(w, row) {
                Ok(()) => imported += 1,
                // A rule the parser does not know (e.g. a stored-side check):
                // report it on its row and keep going.
                Err(CoreError::Invalid { field, reason }) => errors.push(ImportError {
                    line: *line,
                    field,
                    reason,
                }),
                Err(e) => return Err(e),
            }
        }
        if mode == ImportMode::AllOrNothing && !errors.is_empty() {
            return Err(CoreError::invalid(
                "file",
                format!(
                    "第{}行有误，未导入任何数据 / row {} failed; nothing was imported",
                    errors[0].line, errors[0].line
                ),
            ));
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok(ImportReport {
        encoding,
        rows_read: rows_read as u32,
        imported,
        errors,
    })
}

impl Store {
    /// Import cities, townships, villages and grids from a GeoJSON
    /// FeatureCollection (administrators).
    pub fn import_regions_geojson(
        &self,
        user_id: &str,
        text: &str,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let parsed = parse_regions_geojson(text)?;
        self.write(|w| {
            require_admin(w, user_id)?;
            let rows_read =
                parsed.regions.len() + parsed.grids.len() + count_bad_lines(&parsed.errors);
            let mut errors: Vec<ImportError> =
                parsed.errors.iter().cloned().map(Into::into).collect();
            let in_file: HashSet<&str> = parsed
                .regions
                .iter()
                .map(|(_, r)| r.code.as_str())
                .collect();
            let mut regions = parsed.regions.clone();
            regions.sort_by_key(|(_, r)| r.level);
            let mut ok_regions = Vec::new();
            for (i, r) in regions {
                let parent_ok = match (&r.parent_code, r.level) {
                    (None, _) => true,
                    (Some(p), _) if in_file.contains(p.as_str()) => true,
                    (Some(p), level) => {
                        let want = level.parent_level().map_or("", RegionLevel::as_str);
                        exists(
                            w,
                            &format!("SELECT 1 FROM region WHERE code = ?1 AND level = '{want}'"),
                            p,
                        )?
                    }
                };
                if parent_ok {
                    ok_regions.push((i, RegionOrGrid::Region(r)));
                } else {
                    errors.push(ImportError {
                        line: i,
                        field: format!("features[{i}].properties.parent"),
                        reason: "上级区域不存在 / the parent region does not exist".into(),
                    });
                }
            }
            let villages_in_file: HashSet<&str> = parsed
                .regions
                .iter()
                .filter(|(_, r)| r.level == RegionLevel::Village)
                .map(|(_, r)| r.code.as_str())
                .collect();
            for (i, g) in &parsed.grids {
                if villages_in_file.contains(g.village_code.as_str())
                    || exists(
                        w,
                        "SELECT 1 FROM region WHERE code = ?1 AND level = 'village'",
                        &g.village_code,
                    )?
                {
                    ok_regions.push((*i, RegionOrGrid::Grid(g.clone())));
                } else {
                    errors.push(ImportError {
                        line: *i,
                        field: format!("features[{i}].properties.parent"),
                        reason: format!(
                            "网格所属村(社区){}不存在 / village {} does not exist",
                            g.village_code, g.village_code
                        ),
                    });
                }
            }
            let report = finish(
                w,
                mode,
                "GeoJSON".into(),
                rows_read,
                ok_regions,
                errors,
                |w, row| match row {
                    RegionOrGrid::Region(r) => w.upsert_region(r),
                    RegionOrGrid::Grid(g) => w.upsert_grid(g),
                },
            )?;
            info!(
                imported = report.imported,
                errors = report.errors.len(),
                "regions imported"
            );
            Ok(report)
        })
    }

    /// Import households and places from CSV or XLSX (administrators).
    pub fn import_households(
        &self,
        user_id: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let parsed = parse_households(bytes, format)?;
        self.write(|w| {
            require_admin(w, user_id)?;
            let rows_read = parsed.rows.len() + count_bad_lines(&parsed.errors);
            let mut errors: Vec<ImportError> =
                parsed.errors.iter().cloned().map(Into::into).collect();
            let mut ok = Vec::new();
            for (line, h) in &parsed.rows {
                if exists(w, "SELECT 1 FROM grid WHERE code = ?1", &h.grid_code)? {
                    ok.push((*line, h.clone()));
                } else {
                    errors.push(ImportError {
                        line: *line,
                        field: "grid_code".into(),
                        reason: format!(
                            "网格{}不存在 / grid {} does not exist",
                            h.grid_code, h.grid_code
                        ),
                    });
                }
            }
            let report = finish(
                w,
                mode,
                parsed.encoding.clone(),
                rows_read,
                ok,
                errors,
                |w, h| w.upsert_household(h),
            )?;
            info!(
                imported = report.imported,
                errors = report.errors.len(),
                "households imported"
            );
            Ok(report)
        })
    }

    /// Import household members from CSV or XLSX (administrators).
    pub fn import_members(
        &self,
        user_id: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let parsed = parse_members(bytes, format)?;
        self.write(|w| {
            require_admin(w, user_id)?;
            let rows_read = parsed.rows.len() + count_bad_lines(&parsed.errors);
            let mut errors: Vec<ImportError> =
                parsed.errors.iter().cloned().map(Into::into).collect();
            let mut ok = Vec::new();
            for (line, m) in &parsed.rows {
                if exists(
                    w,
                    "SELECT 1 FROM household WHERE code = ?1",
                    &m.household_code,
                )? {
                    ok.push((*line, m.clone()));
                } else {
                    errors.push(ImportError {
                        line: *line,
                        field: "household_code".into(),
                        reason: format!(
                            "户{}不存在 / household {} does not exist",
                            m.household_code, m.household_code
                        ),
                    });
                }
            }
            let report = finish(
                w,
                mode,
                parsed.encoding.clone(),
                rows_read,
                ok,
                errors,
                |w, m| w.upsert_member(m),
            )?;
            info!(
                imported = report.imported,
                errors = report.errors.len(),
                "members imported"
            );
            Ok(report)
        })
    }
}

enum RegionOrGrid {
    Region(crate::region::Region),
    Grid(crate::grid::Grid),
}

/// Distinct bad rows or features (a row with three problems is one row).
fn count_bad_lines(errors: &[RowError]) -> usize {
    errors.iter().map(|e| e.line).collect::<HashSet<_>>().len()
}
