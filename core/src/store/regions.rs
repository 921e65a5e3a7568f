//! Regions and grids in the store.

use super::{Store, Writer};
use crate::clock::to_ms;
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::grid::{boundary_from_geojson, boundary_to_geojson, Grid};
use crate::limits::{check_text, text, TextKind};
use crate::outbox::{GridRecord, Operation, RegionRecord};
use crate::region::{Region, RegionLevel, RegionPath};
use geo::{BoundingRect, MultiPolygon};

impl Writer<'_> {
    pub(crate) fn upsert_region(&mut self, region: &Region) -> Result<()> {
        self.forget_cached();
        check_text("code", &region.code, text::CODE, TextKind::Line)?;
        check_text("name", &region.name, text::NAME, TextKind::Line)?;
        if region.level == RegionLevel::Grid {
            return Err(CoreError::invalid(
                "level",
                "网格请按网格导入 / grids are stored as grids",
            ));
        }
        let record = RegionRecord {
            code: region.code.clone(),
            name: region.name.clone(),
            level: region.level,
            parent_code: region.parent_code.clone(),
            boundary_geojson: region.boundary.as_ref().map(boundary_to_geojson),
        };
        self.sql().execute(
            "INSERT INTO region (code, name, level, parent_code, boundary, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, level = excluded.level,
               parent_code = excluded.parent_code, boundary = excluded.boundary,
               updated_at = excluded.updated_at",
            &[
                &record.code,
                &record.name,
                &record.level.as_str(),
                &record.parent_code,
                &record.boundary_geojson,
                &to_ms(self.now),
            ],
        )?;
        self.emit(&Operation::RegionUpserted { region: record })
    }

    pub(crate) fn upsert_grid(&mut self, grid: &Grid) -> Result<()> {
        self.forget_cached();
        check_text("code", &grid.code, text::CODE, TextKind::Line)?;
        check_text("name", &grid.name, text::NAME, TextKind::Line)?;
        let Some(bbox) = grid.boundary.bounding_rect() else {
            return Err(CoreError::invalid(
                "boundary",
                "网格边界为空 / the grid boundary is empty",
            ));
        };
        let record = GridRecord {
            code: grid.code.clone(),
            name: grid.name.clone(),
            village_code: grid.village_code.clone(),
            boundary_geojson: boundary_to_geojson(&grid.boundary),
        };
        self.sql().execute(
            "INSERT INTO grid (code, name, village_code, boundary, min_lon, min_lat, max_lon, max_lat, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, village_code = excluded.village_code,
               boundary = excluded.boundary, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
               max_lon = excluded.max_lon, max_lat = excluded.max_lat, updated_at = excluded.updated_at",
            &[
                &record.code,
                &record.name,
                &record.village_code,
                &record.boundary_geojson,
                &bbox.min().x,
                &bbox.min().y,
                &bbox.max().x,
                &bbox.max().y,
                &to_ms(self.now),
            ],
        )?;
        self.emit(&Operation::GridUpserted { grid: record })
    }
}

pub(crate) fn load_region<'a>(sql: impl Into<Sql<'a>>, code: &str) -> Result<Option<Region>> {
    let row = sql.into().query_row(
        "SELECT code, name, level, parent_code, boundary FROM region WHERE code = ?1",
        &[&code],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<Option<String>>(3)?,
                r.get::<Option<String>>(4)?,
            ))
        },
    )?;
    row.map(|(code, name, level, parent_code, boundary)| {
        let level =
            RegionLevel::parse(&level).ok_or_else(|| CoreError::corrupt("region.level", &level))?;
        let boundary = boundary
            .map(|b| {
                boundary_from_geojson(&b).map_err(|e| CoreError::corrupt("region.boundary", e))
            })
            .transpose()?;
        Ok(Region {
            code,
            name,
            level,
            parent_code,
            boundary,
        })
    })
    .transpose()
}

pub(crate) fn load_grid<'a>(sql: impl Into<Sql<'a>>, code: &str) -> Result<Option<Grid>> {
    let row = sql.into().query_row(
        "SELECT code, name, village_code, boundary FROM grid WHERE code = ?1",
        &[&code],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
            ))
        },
    )?;
    row.map(|(code, name, village_code, boundary)| {
        Ok(Grid {
            code,
            name,
            village_code,
            boundary: parse_boundary(&boundary)?,
        })
    })
    .transpose()
}

pub(crate) fn parse_boundary(text: &str) -> Result<MultiPolygon<f64>> {
    boundary_from_geojson(text).map_err(|e| CoreError::corrupt("grid.boundary", e))
}

/// The path city → township → village → grid for a grid. Missing parents
/// give empty codes (a grid imported before its village still works for
/// workers; supervisors reach it once the hierarchy is complete).
pub(crate) fn region_path<'a>(sql: impl Into<Sql<'a>>, grid_code: &str) -> Result<RegionPath> {
    let sql = sql.into();
    let village: Option<String> = sql.query_row(
        "SELECT village_code FROM grid WHERE code = ?1",
        &[&grid_code],
        |r| r.get(0),
    )?;
    let Some(village) = village else {
        return Err(CoreError::not_found("grid", grid_code));
    };
    let parent = |code: &str| -> Result<String> {
        Ok(sql
            .query_row(
                "SELECT parent_code FROM region WHERE code = ?1",
                &[&code],
                |r| r.get::<Option<String>>(0),
            )?
            .flatten()
            .unwrap_or_default())
    };
    let township = parent(&village)?;
    let city = if township.is_empty() {
        String::new()
    } else {
        parent(&township)?
    };
    Ok(RegionPath {
        city,
        township,
        village,
        grid: grid_code.to_string(),
    })
}

impl Store {
    /// Store (insert or replace) a city, township or village.
    pub fn upsert_region(&self, region: &Region) -> Result<()> {
        self.write(|w| w.upsert_region(region))
    }

    /// Store (insert or replace) a grid.
    pub fn upsert_grid(&self, grid: &Grid) -> Result<()> {
        self.write(|w| w.upsert_grid(grid))
    }

    pub fn grid(&self, code: &str) -> Result<Grid> {
        self.read_sql(|sql| load_grid(sql, code))?
            .ok_or_else(|| CoreError::not_found("grid", code))
    }

    pub fn region(&self, code: &str) -> Result<Region> {
        self.read_sql(|sql| load_region(sql, code))?
            .ok_or_else(|| CoreError::not_found("region", code))
    }

    pub fn region_path(&self, grid_code: &str) -> Result<RegionPath> {
        self.read_sql(|sql| region_path(sql, grid_code))
    }
}
