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
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            let mut grids = Vec::new();
            let mut paths: HashMap<String, RegionPath> = HashMap::new();
            {
                let rows: Vec<(String, String, String)> = c.query_map(
                    "SELECT code, village_code, boundary FROM grid ORDER BY code",
                    &[],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                for (code, village_code, boundary) in rows {
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
                    .query_row("SELECT boundary FROM region WHERE code = ?1", &[v], |r| {
                        r.get::<Option<String>>(0)
                    })?
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
                let rows: Vec<(String, String, f64, f64)> = c.query_map(
                    "SELECT code, grid_code, lon, lat FROM household ORDER BY code",
                    &[],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
                for (code, grid_code, lon, lat) in rows {
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
            let open_ids: Vec<String> = c.query_map(
                &format!("SELECT id FROM case_file WHERE state IN {OPEN_STATES_SQL} ORDER BY id"),
                &[],
                |r| r.get(0),
            )?;
            let secretaries: Vec<crate::user::Actor> = {
                let ids: Vec<String> = c.query_map(
                    "SELECT id FROM app_user WHERE role = 'village_secretary'",
                    &[],
                    |r| r.get(0),
                )?;
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
