//! The coverage report: the four promises made checkable.
//! "地上有格" — land in a village not covered by any grid, and grids that
//! overlap; "格里有人" — grids with no active worker; households outside every
//! grid; "事有人办" — open cases nobody currently owns.

#[cfg(feature = "land-coverage")]
use geo::{BooleanOps, BoundingRect, GeodesicArea};
use geo::{Contains, MultiPolygon, Point, Rect};
use serde::{Deserialize, Serialize};

/// Slivers smaller than this (m²) are floating-point noise, not gaps.
pub const MIN_AREA_M2: f64 = 1.0;

/// Land in a village that no grid covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VillageGap {
    pub village_code: String,
    pub area_m2: f64,
    /// The uncovered land, as GeoJSON geometry text, for the map.
    pub geojson: String,
}

/// Two grids claiming the same land.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridOverlap {
    pub grid_a: String,
    pub grid_b: String,
    pub area_m2: f64,
}

/// The whole report for one person's reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    /// Whether gaps and overlaps were computed (the server does; the
    /// phones' small library leaves the geometry out).
    pub land_checked: bool,
    pub grids_checked: u32,
    pub villages_checked: u32,
    /// Villages whose boundary is unknown: gaps cannot be computed there.
    pub villages_without_boundary: Vec<String>,
    pub gaps: Vec<VillageGap>,
    pub overlaps: Vec<GridOverlap>,
    pub grids_without_worker: Vec<String>,
    /// Households whose point lies in no grid at all.
    pub households_outside_every_grid: Vec<String>,
    /// Households registered to a grid whose boundary does not contain them.
    pub households_outside_own_grid: Vec<String>,
    pub open_cases_without_owner: Vec<String>,
}

/// A grid as the report needs it.
#[derive(Debug, Clone)]
pub struct GridShape {
    pub code: String,
    pub village_code: String,
    pub boundary: MultiPolygon<f64>,
}

/// Uncovered land of each village: its boundary minus the union of its grids.
#[cfg(feature = "land-coverage")]
pub fn village_gaps(
    villages: &[(String, MultiPolygon<f64>)],
    grids: &[GridShape],
) -> Vec<VillageGap> {
    let mut gaps = Vec::new();
    for (code, boundary) in villages {
        let covered = grids
            .iter()
            .filter(|g| g.village_code == *code)
            .fold(MultiPolygon::new(vec![]), |acc, g| acc.union(&g.boundary));
        let rest = boundary.difference(&covered);
        let area = rest.geodesic_area_unsigned();
        if area >= MIN_AREA_M2 {
            gaps.push(VillageGap {
                village_code: code.clone(),
                area_m2: area,
                geojson: crate::grid::boundary_to_geojson(&rest),
            });
        }
    }
    gaps
}

/// Pairs of grids whose areas intersect (bounding boxes first, so the cost
/// stays near linear for tiled villages).
#[cfg(feature = "land-coverage")]
pub fn grid_overlaps(grids: &[GridShape]) -> Vec<GridOverlap> {
    let boxes: Vec<Option<Rect<f64>>> = grids.iter().map(|g| g.boundary.bounding_rect()).collect();
    let mut out = Vec::new();
    for i in 0..grids.len() {
        for j in (i + 1)..grids.len() {
            let (Some(a), Some(b)) = (boxes[i], boxes[j]) else {
                continue;
            };
            let disjoint = a.max().x < b.min().x
                || b.max().x < a.min().x
                || a.max().y < b.min().y
                || b.max().y < a.min().y;
            if disjoint {
                continue;
            }
            let area = grids[i]
                .boundary
                .intersection(&grids[j].boundary)
                .geodesic_area_unsigned();
            if area >= MIN_AREA_M2 {
                out.push(GridOverlap {
                    grid_a: grids[i].code.clone(),
                    grid_b: grids[j].code.clone(),
                    area_m2: area,
                });
            }
        }
    }
    out
}

/// Where a household point lies: (inside its own grid, inside some grid).
pub fn locate(
    point: Point<f64>,
    own_grid: Option<&GridShape>,
    all: &[(GridShape, Option<Rect<f64>>)],
) -> (bool, bool) {
    let in_own = own_grid.is_some_and(|g| g.boundary.contains(&point));
    if in_own {
        return (true, true);
    }
    let in_any = all
        .iter()
        .any(|(g, bbox)| bbox.is_some_and(|b| b.contains(&point)) && g.boundary.contains(&point));
    (false, in_any)
}

#[cfg(all(test, feature = "land-coverage"))]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    fn grid(code: &str, m: MultiPolygon<f64>) -> GridShape {
        GridShape {
            code: code.into(),
            village_code: "V".into(),
            boundary: m,
        }
    }

    #[test]
    fn tiled_grids_leave_no_gap_and_no_overlap() {
        let village = vec![("V".to_string(), square(113.90, 22.50, 113.92, 22.51))];
        let grids = vec![
            grid("A", square(113.90, 22.50, 113.91, 22.51)),
            grid("B", square(113.91, 22.50, 113.92, 22.51)),
        ];
        assert!(village_gaps(&village, &grids).is_empty());
        assert!(grid_overlaps(&grids).is_empty());
    }

    #[test]
    fn a_missing_strip_is_a_gap_and_a_shared_strip_an_overlap() {
        let village = vec![("V".to_string(), square(113.90, 22.50, 113.92, 22.51))];
        // A stops short: 0.001° of longitude (~103 m) × 0.01° of latitude (~1.1 km) uncovered.
        let grids = vec![
            grid("A", square(113.90, 22.50, 113.909, 22.51)),
            grid("B", square(113.91, 22.50, 113.92, 22.51)),
        ];
        let gaps = village_gaps(&village, &grids);
        assert_eq!(gaps.len(), 1);
        assert!(
            (gaps[0].area_m2 - 114_000.0).abs() < 3_000.0,
            "{}",
            gaps[0].area_m2
        );
        let grids = vec![
            grid("A", square(113.90, 22.50, 113.911, 22.51)),
            grid("B", square(113.91, 22.50, 113.92, 22.51)),
        ];
        let overlaps = grid_overlaps(&grids);
        assert_eq!(overlaps.len(), 1);
        assert_eq!(
            (overlaps[0].grid_a.as_str(), overlaps[0].grid_b.as_str()),
            ("A", "B")
        );
        assert!(overlaps[0].area_m2 > 100_000.0);
    }
}
