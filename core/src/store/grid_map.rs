//! The grid screen's map: the boundary and every household and place, in
//! the coordinate system of the tiles under them. Gridwork stores WGS-84;
//! Chinese tile sources (Amap, Tencent) need GCJ-02 and Baidu BD-09, so the
//! core converts here and the app draws what it is given.

use serde::{Deserialize, Serialize};

use super::households::{require_grid_reach, row_from_sql, HouseholdRow, ROW_COLUMNS};
use super::regions::load_grid;
use super::users::actor;
use super::Store;
use crate::coord::{convert, CoordSystem, LatLon};
use crate::error::{CoreError, Result};

/// One household or place on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPlace {
    pub point: LatLon,
    pub row: HouseholdRow,
}

/// What the grid's map draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridMap {
    pub grid_code: String,
    pub system: CoordSystem,
    /// The boundary's outer rings (one per polygon), closed.
    pub rings: Vec<Vec<LatLon>>,
    pub places: Vec<MapPlace>,
    /// The bounding box of the boundary and the places.
    pub south_west: LatLon,
    pub north_east: LatLon,
}

impl Store {
    /// The map of a grid the person reaches, in `system` coordinates.
    pub fn grid_map(&self, user_id: &str, grid_code: &str, system: CoordSystem) -> Result<GridMap> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            require_grid_reach(c, &a, grid_code)?;
            let grid =
                load_grid(c, grid_code)?.ok_or_else(|| CoreError::not_found("grid", grid_code))?;
            let to = |lon: f64, lat: f64| convert(LatLon { lat, lon }, CoordSystem::Wgs84, system);
            let rings: Vec<Vec<LatLon>> = grid
                .boundary
                .0
                .iter()
                .map(|poly| poly.exterior().0.iter().map(|p| to(p.x, p.y)).collect())
                .collect();
            let places = c.query_map(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM household h WHERE h.grid_code = ?1 ORDER BY h.code"
                ),
                &[&grid_code],
                |r| {
                    let row = row_from_sql(r, now)?;
                    Ok(MapPlace {
                        point: to(row.lon, row.lat),
                        row,
                    })
                },
            )?;
            let all = rings
                .iter()
                .flatten()
                .chain(places.iter().map(|p| &p.point));
            let (mut sw, mut ne) = (
                LatLon {
                    lat: f64::MAX,
                    lon: f64::MAX,
                },
                LatLon {
                    lat: f64::MIN,
                    lon: f64::MIN,
                },
            );
            for p in all {
                sw = LatLon {
                    lat: sw.lat.min(p.lat),
                    lon: sw.lon.min(p.lon),
                };
                ne = LatLon {
                    lat: ne.lat.max(p.lat),
                    lon: ne.lon.max(p.lon),
                };
            }
            if sw.lat > ne.lat {
                return Err(CoreError::invalid(
                    "boundary",
                    "网格边界为空 / the grid boundary is empty",
                ));
            }
            Ok(GridMap {
                grid_code: grid_code.to_string(),
                system,
                rings,
                places,
                south_west: sw,
                north_east: ne,
            })
        })
    }
}
