//! Geofence verdicts: where a fix sits relative to the grid and the visited
//! household. A verdict is evidence for the secretary; it never blocks the
//! worker (no forced check-ins).

use geo::{Closest, Contains, Distance, Haversine, HaversineClosestPoint, MultiPolygon, Point};
use serde::{Deserialize, Serialize};

use crate::location::LocationFix;

/// Thresholds for verdicts. Defaults suit cheap phones in villages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeofencePolicy {
    /// Fixes less accurate than this cannot tell anything (metres).
    pub max_accuracy_m: f64,
    /// A visit fix within this distance of the household (plus the fix's
    /// own accuracy) is consistent with being there (metres).
    pub target_radius_m: f64,
}

impl Default for GeofencePolicy {
    fn default() -> Self {
        GeofencePolicy {
            max_accuracy_m: 100.0,
            target_radius_m: 150.0,
        }
    }
}

/// Where the fix is relative to the grid boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GridPosition {
    Inside,
    Outside,
    /// The accuracy circle straddles the boundary.
    Uncertain,
}

/// The overall reading, most telling first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GeofenceStatus {
    /// Inside the grid and (for visits) near the household.
    Consistent,
    /// The platform flagged the fix as mock.
    Mock,
    /// Accuracy too poor to tell.
    TooInaccurate,
    /// Clearly outside the grid.
    OutsideGrid,
    /// In the grid but far from the household visited.
    FarFromTarget,
}

impl GeofenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GeofenceStatus::Consistent => "consistent",
            GeofenceStatus::Mock => "mock",
            GeofenceStatus::TooInaccurate => "too_inaccurate",
            GeofenceStatus::OutsideGrid => "outside_grid",
            GeofenceStatus::FarFromTarget => "far_from_target",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            GeofenceStatus::Consistent => "位置相符",
            GeofenceStatus::Mock => "疑似虚拟定位",
            GeofenceStatus::TooInaccurate => "定位精度不足",
            GeofenceStatus::OutsideGrid => "不在网格内",
            GeofenceStatus::FarFromTarget => "距走访对象较远",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            GeofenceStatus::Consistent => "location consistent",
            GeofenceStatus::Mock => "simulated location suspected",
            GeofenceStatus::TooInaccurate => "location too inaccurate",
            GeofenceStatus::OutsideGrid => "outside the grid",
            GeofenceStatus::FarFromTarget => "far from the household",
        }
    }

    /// `不在网格内 / outside the grid`.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }
}

/// The recorded verdict for one fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeofenceVerdict {
    pub status: GeofenceStatus,
    pub grid_position: GridPosition,
    /// 0 when inside; otherwise metres to the nearest grid edge.
    pub distance_to_grid_m: f64,
    /// Metres to the household or place, for visit fixes.
    pub distance_to_target_m: Option<f64>,
    pub accuracy_m: f64,
    pub mock: bool,
}

/// Judge a fix against a grid boundary and, for visits, the target point.
pub fn judge(
    fix: &LocationFix,
    grid: &MultiPolygon<f64>,
    target: Option<Point<f64>>,
    policy: &GeofencePolicy,
) -> GeofenceVerdict {
    let p = fix.point();
    let inside = grid.contains(&p);
    let to_edge = distance_to_boundary(grid, p);
    let grid_position = if to_edge <= fix.accuracy_m {
        GridPosition::Uncertain
    } else if inside {
        GridPosition::Inside
    } else {
        GridPosition::Outside
    };
    let distance_to_target_m = target.map(|t| Haversine.distance(p, t));
    let status = if fix.mock {
        GeofenceStatus::Mock
    } else if fix.accuracy_m > policy.max_accuracy_m {
        GeofenceStatus::TooInaccurate
    } else if grid_position == GridPosition::Outside {
        GeofenceStatus::OutsideGrid
    } else if distance_to_target_m.is_some_and(|d| d > policy.target_radius_m + fix.accuracy_m) {
        GeofenceStatus::FarFromTarget
    } else {
        GeofenceStatus::Consistent
    };
    GeofenceVerdict {
        status,
        grid_position,
        distance_to_grid_m: if inside { 0.0 } else { to_edge },
        distance_to_target_m,
        accuracy_m: fix.accuracy_m,
        mock: fix.mock,
    }
}

/// Metres from a point to the nearest edge of any ring (outer or hole).
fn distance_to_boundary(grid: &MultiPolygon<f64>, p: Point<f64>) -> f64 {
    grid.0
        .iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .filter_map(|ring| match ring.haversine_closest_point(&p) {
            Closest::Intersection(q) | Closest::SinglePoint(q) => Some(Haversine.distance(p, q)),
            Closest::Indeterminate => None,
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use geo::{polygon, LineString, Polygon};

    fn fix(lat: f64, lon: f64, accuracy_m: f64, mock: bool) -> LocationFix {
        LocationFix {
            lat,
            lon,
            accuracy_m,
            provider: "gps".into(),
            mock,
            at: chrono::Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap(),
        }
    }

    /// An L-shaped (concave) grid around 113.9E 22.5N, about 1.1 km a side.
    fn concave() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: 113.900, y: 22.500),
            (x: 113.910, y: 22.500),
            (x: 113.910, y: 22.505),
            (x: 113.905, y: 22.505),
            (x: 113.905, y: 22.510),
            (x: 113.900, y: 22.510),
            (x: 113.900, y: 22.500),
        ]])
    }

    #[test]
    fn the_notch_of_a_concave_grid_is_outside() {
        let policy = GeofencePolicy::default();
        // The notch: east half, north half — outside the L.
        let v = judge(
            &fix(22.508, 113.908, 10.0, false),
            &concave(),
            None,
            &policy,
        );
        assert_eq!(v.status, GeofenceStatus::OutsideGrid);
        assert_eq!(v.grid_position, GridPosition::Outside);
        assert!(
            v.distance_to_grid_m > 200.0 && v.distance_to_grid_m < 400.0,
            "{v:?}"
        );
        // Inside the foot of the L.
        let v = judge(
            &fix(22.502, 113.908, 10.0, false),
            &concave(),
            None,
            &policy,
        );
        assert_eq!(v.status, GeofenceStatus::Consistent);
        assert_eq!(v.distance_to_grid_m, 0.0);
    }

    #[test]
    fn a_hole_is_not_part_of_the_grid() {
        let outer = LineString::from(vec![
            (113.90, 22.50),
            (113.92, 22.50),
            (113.92, 22.52),
            (113.90, 22.52),
            (113.90, 22.50),
        ]);
        let hole = LineString::from(vec![
            (113.905, 22.505),
            (113.915, 22.505),
            (113.915, 22.515),
            (113.905, 22.515),
            (113.905, 22.505),
        ]);
        let grid = MultiPolygon::new(vec![Polygon::new(outer, vec![hole])]);
        let v = judge(
            &fix(22.51, 113.91, 5.0, false),
            &grid,
            None,
            &GeofencePolicy::default(),
        );
        assert_eq!(v.grid_position, GridPosition::Outside);
        assert!(v.distance_to_grid_m > 400.0, "{v:?}");
    }

    #[test]
    fn multipolygon_parts_both_count() {
        let a = polygon![(x: 113.90, y: 22.50), (x: 113.91, y: 22.50), (x: 113.91, y: 22.51), (x: 113.90, y: 22.51)];
        let b = polygon![(x: 113.95, y: 22.50), (x: 113.96, y: 22.50), (x: 113.96, y: 22.51), (x: 113.95, y: 22.51)];
        let grid = MultiPolygon::new(vec![a, b]);
        let policy = GeofencePolicy::default();
        assert_eq!(
            judge(&fix(22.505, 113.955, 5.0, false), &grid, None, &policy).grid_position,
            GridPosition::Inside
        );
        assert_eq!(
            judge(&fix(22.505, 113.93, 5.0, false), &grid, None, &policy).grid_position,
            GridPosition::Outside
        );
    }

    #[test]
    fn poor_accuracy_and_mock_are_recorded_not_hidden() {
        let policy = GeofencePolicy::default();
        let v = judge(
            &fix(22.502, 113.908, 500.0, false),
            &concave(),
            None,
            &policy,
        );
        assert_eq!(v.status, GeofenceStatus::TooInaccurate);
        assert_eq!(v.grid_position, GridPosition::Uncertain);
        let v = judge(&fix(22.502, 113.908, 5.0, true), &concave(), None, &policy);
        assert_eq!(v.status, GeofenceStatus::Mock);
        assert!(v.mock);
    }

    #[test]
    fn distance_to_the_household_is_measured() {
        let policy = GeofencePolicy::default();
        let house = Point::new(113.9015, 22.5015);
        let near = judge(
            &fix(22.5016, 113.9016, 10.0, false),
            &concave(),
            Some(house),
            &policy,
        );
        assert_eq!(near.status, GeofenceStatus::Consistent);
        assert!(near.distance_to_target_m.unwrap() < 20.0);
        let far = judge(
            &fix(22.509, 113.902, 10.0, false),
            &concave(),
            Some(house),
            &policy,
        );
        assert_eq!(far.status, GeofenceStatus::FarFromTarget);
        let d = far.distance_to_target_m.unwrap();
        assert!(d > 700.0 && d < 900.0, "{d}");
    }
}
