//! 总览: the four promises as numbers for one region of a person's reach
//! and for each of its parts (city → townships → villages → grids), the
//! cases by priority, state and level, and reports per day — what an
//! office console's overview shows. Land coverage (gaps and overlaps) is
//! `coverage_report`'s: geometry, computed apart.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::households::OPEN_STATES_SQL;
use super::report::Count;
use super::users::{actor, local_day};
use super::Store;
use crate::clock::to_ms;
use crate::coord::{convert, CoordSystem, LatLon};
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::region::{RegionLevel, RegionPath};
use geo::MapCoords;

/// Days of daily report counts the overview gives.
pub const REPORT_DAYS: i64 = 30;

/// The four promises' figures for one region or grid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionFigures {
    /// Empty for "everything this person oversees" when it spans cities.
    pub code: String,
    pub name: String,
    pub level: Option<RegionLevel>,
    /// 地上有格 / 格里有人: grids, and those with a worker assigned today.
    pub grids: u32,
    pub grids_with_worker: u32,
    /// 肩上有责: households and places, those in a grid with a worker, those
    /// due a visit now, and those visited within their interval.
    pub households: u32,
    pub places: u32,
    pub with_worker: u32,
    pub visits_due: u32,
    pub up_to_date: u32,
    /// 事有人办: open cases, those with a handler, overdue, escalated.
    pub open_cases: u32,
    pub open_with_owner: u32,
    pub overdue: u32,
    pub escalated: u32,
}

impl RegionFigures {
    fn add(&mut self, g: &RegionFigures) {
        self.grids += g.grids;
        self.grids_with_worker += g.grids_with_worker;
        self.households += g.households;
        self.places += g.places;
        self.with_worker += g.with_worker;
        self.visits_due += g.visits_due;
        self.up_to_date += g.up_to_date;
        self.open_cases += g.open_cases;
        self.open_with_owner += g.open_with_owner;
        self.overdue += g.overdue;
        self.escalated += g.escalated;
    }
}

/// One step of the drill-down path, for the breadcrumb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionCrumb {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
}

/// Reports on one day (China Standard Time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    pub day: NaiveDate,
    /// Reported that day, and of those escalated (to any level) since.
    pub reported: u32,
    pub escalated: u32,
}

/// The overview of one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub at: DateTime<Utc>,
    pub region: RegionFigures,
    /// From the top of the person's reach down to `region` (exclusive).
    pub path: Vec<RegionCrumb>,
    /// Its parts, by code: townships, villages or grids (none for a grid).
    pub children: Vec<RegionFigures>,
    /// Cases in the region (open and closed) by priority, state and
    /// escalation level ("0", "1", "2").
    pub cases_by_priority: Vec<Count>,
    pub cases_by_state: Vec<Count>,
    pub cases_by_level: Vec<Count>,
    /// The last [`REPORT_DAYS`] days, oldest first, every day present.
    pub reported_by_day: Vec<DayCount>,
}

/// A grid in reach, its path, and its figures.
struct GridRow {
    path: RegionPath,
    figures: RegionFigures,
}

fn level_of(path: &RegionPath, code: &str) -> Option<RegionLevel> {
    if path.grid == code {
        Some(RegionLevel::Grid)
    } else if path.village == code {
        Some(RegionLevel::Village)
    } else if path.township == code {
        Some(RegionLevel::Township)
    } else if path.city == code {
        Some(RegionLevel::City)
    } else {
        None
    }
}

/// The code of `path` at `level`.
fn code_at(path: &RegionPath, level: RegionLevel) -> &str {
    match level {
        RegionLevel::City => &path.city,
        RegionLevel::Township => &path.township,
        RegionLevel::Village => &path.village,
        RegionLevel::Grid => &path.grid,
    }
}

fn below(level: Option<RegionLevel>) -> Option<RegionLevel> {
    match level {
        None => Some(RegionLevel::City),
        Some(RegionLevel::City) => Some(RegionLevel::Township),
        Some(RegionLevel::Township) => Some(RegionLevel::Village),
        Some(RegionLevel::Village) => Some(RegionLevel::Grid),
        Some(RegionLevel::Grid) => None,
    }
}

/// Every grid the person reaches, with its path and figures, by code.
fn reachable_grids(c: Sql<'_>, a: &crate::user::Actor, now: DateTime<Utc>) -> Result<Vec<GridRow>> {
    let day = local_day(now);
    let mut grids: Vec<GridRow> = Vec::new();
    {
        let rows = c.query_map(&format!(
            "SELECT g.code, g.name, g.village_code, COALESCE(v.parent_code, ''), COALESCE(t.parent_code, ''),
               EXISTS (SELECT 1 FROM assignment asg WHERE asg.grid_code = g.code
                       AND asg.from_day <= ?2 AND (asg.to_day IS NULL OR asg.to_day >= ?2)),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.kind = 'household'),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.kind <> 'household'),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.due_at <= ?1),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.due_at > ?1
                  AND h.last_visit_at IS NOT NULL),
               (SELECT COUNT(*) FROM case_file cf WHERE cf.grid_code = g.code AND cf.state IN {OPEN_STATES_SQL}),
               (SELECT COUNT(*) FROM case_file cf WHERE cf.grid_code = g.code AND cf.state IN {OPEN_STATES_SQL}
                  AND cf.handler_id IS NOT NULL),
               (SELECT COUNT(*) FROM case_file cf WHERE cf.grid_code = g.code AND cf.state IN {OPEN_STATES_SQL}
                  AND cf.deadline_at < ?1),
               (SELECT COUNT(*) FROM case_file cf WHERE cf.grid_code = g.code AND cf.state IN {OPEN_STATES_SQL}
                  AND cf.escalation_level >= 1)
             FROM grid g
             LEFT JOIN region v ON v.code = g.village_code
             LEFT JOIN region t ON t.code = v.parent_code
             ORDER BY g.code"
        ), &[&to_ms(now), &day.to_string()], |r| {
            let staffed: bool = r.get(5)?;
            let households: u32 = r.get(6)?;
            let places: u32 = r.get(7)?;
            Ok(GridRow {
                path: RegionPath {
                    grid: r.get(0)?,
                    village: r.get(2)?,
                    township: r.get(3)?,
                    city: r.get(4)?,
                },
                figures: RegionFigures {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    level: Some(RegionLevel::Grid),
                    grids: 1,
                    grids_with_worker: u32::from(staffed),
                    households,
                    places,
                    with_worker: if staffed { households + places } else { 0 },
                    visits_due: r.get(8)?,
                    up_to_date: r.get(9)?,
                    open_cases: r.get(10)?,
                    open_with_owner: r.get(11)?,
                    overdue: r.get(12)?,
                    escalated: r.get(13)?,
                },
            })
        })?;
        for row in rows {
            if a.reaches(&row.path) {
                grids.push(row);
            }
        }
    }
    Ok(grids)
}

const LEVELS: [RegionLevel; 4] = [
    RegionLevel::City,
    RegionLevel::Township,
    RegionLevel::Village,
    RegionLevel::Grid,
];

/// One grid on the overview's map: its boundary (GeoJSON geometry, WGS-84)
/// and backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridOnMap {
    pub code: String,
    pub name: String,
    pub boundary: String,
    pub open_cases: u32,
    pub overdue: u32,
    pub escalated: u32,
}

impl Store {
    /// The grids of `region` (or of the whole reach) for the map, their
    /// boundaries in `system` (stored WGS-84; GCJ-02 to lie right on
    /// Amap/Tencent tiles, BD-09 on Baidu's).
    pub fn overview_map(
        &self,
        user_id: &str,
        region: Option<&str>,
        system: CoordSystem,
    ) -> Result<Vec<GridOnMap>> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            let grids = reachable_grids(c, &a, now)?;
            let inside: Vec<&GridRow> = match region {
                Some(code) => {
                    let level = grids
                        .iter()
                        .find_map(|g| level_of(&g.path, code))
                        .ok_or_else(|| CoreError::not_found("region", code))?;
                    grids
                        .iter()
                        .filter(|g| code_at(&g.path, level) == code)
                        .collect()
                }
                None => grids.iter().collect(),
            };
            inside
                .into_iter()
                .map(|g| {
                    let stored: String = c
                        .query_row(
                            "SELECT boundary FROM grid WHERE code = ?1",
                            &[&g.figures.code],
                            |r| r.get(0),
                        )?
                        .ok_or_else(|| CoreError::not_found("grid", &g.figures.code))?;
                    let boundary = if system == CoordSystem::Wgs84 {
                        stored
                    } else {
                        let shape = super::regions::parse_boundary(&stored)?;
                        let moved = shape.map_coords(|c| {
                            let p =
                                convert(LatLon { lat: c.y, lon: c.x }, CoordSystem::Wgs84, system);
                            geo::Coord { x: p.lon, y: p.lat }
                        });
                        crate::grid::boundary_to_geojson(&moved)
                    };
                    Ok(GridOnMap {
                        boundary,
                        code: g.figures.code.clone(),
                        name: g.figures.name.clone(),
                        open_cases: g.figures.open_cases,
                        overdue: g.figures.overdue,
                        escalated: g.figures.escalated,
                    })
                })
                .collect()
        })
    }

    /// The overview of `region` (a city, township, village or grid code in
    /// the person's reach), or of the whole reach when `None`. A region
    /// out of reach is answered as one that does not exist.
    pub fn overview(&self, user_id: &str, region: Option<&str>) -> Result<Overview> {
        let now = self.now();
        let day = local_day(now);
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            let names: HashMap<String, String> = c
                .query_map("SELECT code, name FROM region", &[], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .into_iter()
                .collect();
            let grids = reachable_grids(c, &a, now)?;
            // The top of the reach: the city (or everything) for an
            // administrator; the one region of a person's jurisdiction;
            // otherwise (a worker's grids) the deepest level they share.
            let shared = |level: RegionLevel| -> Option<String> {
                let first = code_at(&grids.first()?.path, level).to_string();
                grids
                    .iter()
                    .all(|g| code_at(&g.path, level) == first)
                    .then_some(first)
            };
            let top: Option<(RegionLevel, String)> = if a.role == crate::user::Role::Administrator {
                shared(RegionLevel::City).map(|c| (RegionLevel::City, c))
            } else {
                let single = match a.jurisdiction.as_slice() {
                    [one] => grids
                        .iter()
                        .find_map(|g| level_of(&g.path, one))
                        .map(|l| (l, one.clone())),
                    _ => None,
                };
                single.or_else(|| LEVELS.iter().rev().find_map(|&l| shared(l).map(|c| (l, c))))
            };
            let (level, code) = match region {
                Some(code) => {
                    let level = grids
                        .iter()
                        .find_map(|g| level_of(&g.path, code))
                        .ok_or_else(|| CoreError::not_found("region", code))?;
                    (Some(level), code.to_string())
                }
                None => match &top {
                    Some((l, c)) => (Some(*l), c.clone()),
                    None => (None, String::new()),
                },
            };
            let inside: Vec<&GridRow> = match level {
                Some(l) => grids
                    .iter()
                    .filter(|g| code_at(&g.path, l) == code)
                    .collect(),
                None => grids.iter().collect(),
            };
            let name_of = |code: &str, level: RegionLevel| -> String {
                match level {
                    RegionLevel::Grid => inside
                        .iter()
                        .find(|g| g.path.grid == code)
                        .map(|g| g.figures.name.clone())
                        .unwrap_or_else(|| code.to_string()),
                    _ => names.get(code).cloned().unwrap_or_else(|| code.to_string()),
                }
            };
            let mut figures = RegionFigures {
                name: match level {
                    Some(l) => name_of(&code, l),
                    None => "全部 / everything".into(),
                },
                code: code.clone(),
                level,
                ..RegionFigures::default()
            };
            for g in &inside {
                figures.add(&g.figures);
            }
            let mut children: BTreeMap<String, RegionFigures> = BTreeMap::new();
            if let Some(child) = below(level) {
                for g in &inside {
                    let key = code_at(&g.path, child).to_string();
                    let entry = children
                        .entry(key.clone())
                        .or_insert_with(|| RegionFigures {
                            name: name_of(&key, child),
                            code: key,
                            level: Some(child),
                            ..RegionFigures::default()
                        });
                    entry.add(&g.figures);
                }
            }
            // The breadcrumb: from the reach's top down to the region.
            let mut path = Vec::new();
            if let (Some(l), Some(g)) = (level, inside.first()) {
                let start = top.as_ref().map(|(t, _)| *t);
                for step in LEVELS {
                    if step >= l {
                        break;
                    }
                    if start.is_some_and(|s| step < s) {
                        continue;
                    }
                    let code = code_at(&g.path, step).to_string();
                    path.push(RegionCrumb {
                        name: name_of(&code, step),
                        code,
                        level: step,
                    });
                }
            }
            // Cases in the region, by priority, state and level; reports by day.
            let codes: Vec<&str> = inside.iter().map(|g| g.path.grid.as_str()).collect();
            let codes = serde_json::to_string(&codes)?;
            let in_codes = c.dialect().json_strings("?1");
            let count_by = |column: &str| -> Result<Vec<Count>> {
                c.query_map(
                    &format!(
                        "SELECT CAST({column} AS TEXT), COUNT(*) FROM case_file
                         WHERE grid_code IN ({in_codes}) GROUP BY 1 ORDER BY 1"
                    ),
                    &[&codes],
                    |r| {
                        Ok(Count {
                            key: r.get(0)?,
                            count: r.get::<i64>(1)?.unsigned_abs(),
                        })
                    },
                )
            };
            let first_day = day - Duration::days(REPORT_DAYS - 1);
            let mut by_day: BTreeMap<NaiveDate, (u32, u32)> = (0..REPORT_DAYS)
                .map(|i| (first_day + Duration::days(i), (0, 0)))
                .collect();
            {
                let since = first_day
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |t| to_ms(t.and_utc() - Duration::hours(8)));
                let rows: Vec<(i64, i64)> = c.query_map(
                    &format!(
                        "SELECT reported_at, escalation_level FROM case_file
                         WHERE grid_code IN ({in_codes}) AND reported_at >= ?2"
                    ),
                    &[&codes, &since],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                for (at, level) in rows {
                    let d = local_day(crate::clock::from_ms(at));
                    if let Some(e) = by_day.get_mut(&d) {
                        e.0 += 1;
                        e.1 += u32::from(level >= 1);
                    }
                }
            }
            Ok(Overview {
                at: now,
                region: figures,
                path,
                children: children.into_values().collect(),
                cases_by_priority: count_by("priority")?,
                cases_by_state: count_by("state")?,
                cases_by_level: count_by("escalation_level")?,
                reported_by_day: by_day
                    .into_iter()
                    .map(|(day, (reported, escalated))| DayCount {
                        day,
                        reported,
                        escalated,
                    })
                    .collect(),
            })
        })
    }
}
