//! Gathering what the coverage report needs for one person's reach.

use std::collections::HashMap;

use geo::{BoundingRect, Point};

use super::cases::load_case;
use super::households::OPEN_STATES_SQL;
use super::regions::{parse_boundary, region_path};
use super::users::{actor, grid_assignments, local_day};
use super::Store;
#[cfg(feature = "land-coverage")]
use crate::coverage::{grid_overlaps, village_gaps};
use crate::coverage::{locate, GridShape};
use crate::error::Result;
use crate::region::RegionPath;
use crate::user::Role;

pub use crate::coverage::{CoverageReport, GridOverlap, VillageGap};

impl Store {
    /// The four promises, checked for what this person oversees.
    pub fn coverage_report(&self, user_id: &str) -> Result<CoverageReport> {
        let now = self.now();
        let day = local_day(now);
        self.read(|c| {
            let a = actor(c, user_id, now)?;
            let mut grids = Vec::new();
            let mut paths: HashMap<String, RegionPath> = HashMap::new();
            {
                let mut stmt =
                    c.prepare("SELECT code, village_code, boundary FROM grid ORDER BY code")?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?;
                for row in rows {
                    let (code, village_code, boundary) = row?;
                    let path = region_path(c, &code)?;
                    if !a.reaches(&path) {
                        continue;
                    }
                    paths.insert(code.clone(), path);
                    grids.push(GridShape {
                        code,
                        village_code,
                        boundary: parse_boundary(&boundary)?,
                    });
                }
            }
            let mut report = CoverageReport {
                grids_checked: grids.len() as u32,
                ..CoverageReport::default()
            };
            let mut villages: Vec<String> = grids.iter().map(|g| g.village_code.clone()).collect();
            villages.sort();
            villages.dedup();
            report.villages_checked = villages.len() as u32;
            let mut shapes = Vec::new();
            for v in &villages {
                let boundary: Option<String> = c
                    .prepare_cached("SELECT boundary FROM region WHERE code = ?1")?
                    .query_row([v], |r| r.get(0))
                    .ok()
                    .flatten();
                match boundary {
                    Some(b) => shapes.push((v.clone(), parse_boundary(&b)?)),
                    None => report.villages_without_boundary.push(v.clone()),
                }
            }
            #[cfg(feature = "land-coverage")]
            {
                report.gaps = village_gaps(&shapes, &grids);
                report.overlaps = grid_overlaps(&grids);
                report.land_checked = true;
            }
            #[cfg(not(feature = "land-coverage"))]
            drop(shapes);
            for g in &grids {
                let active = grid_assignments(c, &g.code, day)?;
                if active.is_empty() {
                    report.grids_without_worker.push(g.code.clone());
                }
            }
            let indexed: Vec<(GridShape, Option<geo::Rect<f64>>)> = grids
                .iter()
                .map(|g| (g.clone(), g.boundary.bounding_rect()))
                .collect();
            let by_code: HashMap<&str, &GridShape> =
                grids.iter().map(|g| (g.code.as_str(), g)).collect();
            {
                let mut stmt =
                    c.prepare("SELECT code, grid_code, lon, lat FROM household ORDER BY code")?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, f64>(3)?,
                    ))
                })?;
                for row in rows {
                    let (code, grid_code, lon, lat) = row?;
                    let Some(own) = by_code.get(grid_code.as_str()) else {
                        continue;
                    };
                    let (in_own, in_any) = locate(Point::new(lon, lat), Some(own), &indexed);
                    if !in_any {
                        report.households_outside_every_grid.push(code);
                    } else if !in_own {
                        report.households_outside_own_grid.push(code);
                    }
                }
            }
            let open_ids: Vec<String> = {
                let mut stmt = c.prepare(&format!(
                    "SELECT id FROM case_file WHERE state IN {OPEN_STATES_SQL} ORDER BY id"
                ))?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let secretaries: Vec<crate::user::Actor> = {
                let mut stmt =
                    c.prepare("SELECT id FROM app_user WHERE role = 'village_secretary'")?;
                let ids = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                ids.iter()
                    .map(|id| actor(c, id, now))
                    .collect::<Result<_>>()?
            };
            for id in open_ids {
                let Some(case) = load_case(c, &id)? else {
                    continue;
                };
                if !paths.contains_key(&case.path.grid) {
                    continue;
                }
                let owned = match &case.handler_id {
                    // Before dispatch the village secretary owns it.
                    None => secretaries.iter().any(|s| s.reaches(&case.path)),
                    Some(h) => match actor(c, h, now) {
                        Ok(handler) => {
                            handler.role != Role::Administrator && handler.reaches(&case.path)
                        }
                        Err(_) => false,
                    },
                };
                if !owned {
                    report.open_cases_without_owner.push(id);
                }
            }
            Ok(report)
        })
    }
}
