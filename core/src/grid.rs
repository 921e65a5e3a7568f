//! Grids (网格): the smallest unit of land with a named owner. Boundaries are
//! WGS-84 multipolygons (lon, lat order, as in GeoJSON).

use geo::{BoundingRect, MultiPolygon, Rect};

/// A grid with its boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub boundary: MultiPolygon<f64>,
}

impl Grid {
    /// Bounding box used as a cheap SQL pre-filter before exact geometry.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        self.boundary.bounding_rect()
    }
}

/// Serialise a boundary for storage (GeoJSON geometry text).
pub fn boundary_to_geojson(boundary: &MultiPolygon<f64>) -> String {
    let geometry = geojson::Geometry::from(geojson::GeometryValue::from(boundary));
    geometry.to_string()
}

/// Parse a stored boundary (GeoJSON Polygon or MultiPolygon geometry text).
pub fn boundary_from_geojson(text: &str) -> Result<MultiPolygon<f64>, String> {
    let geometry: geojson::Geometry = text.parse().map_err(|e| format!("{e}"))?;
    geometry_to_multipolygon(geometry)
}

/// Accept a Polygon or MultiPolygon geometry; anything else is refused.
pub fn geometry_to_multipolygon(geometry: geojson::Geometry) -> Result<MultiPolygon<f64>, String> {
    match geometry.value {
        geojson::GeometryValue::Polygon { .. } => {
            let polygon: geo::Polygon<f64> = geometry.try_into().map_err(|e| format!("{e}"))?;
            Ok(MultiPolygon::new(vec![polygon]))
        }
        geojson::GeometryValue::MultiPolygon { .. } => geometry.try_into().map_err(|e| format!("{e}")),
        other => Err(format!(
            "几何类型必须是 Polygon 或 MultiPolygon / geometry must be Polygon or MultiPolygon, got {}",
            other.type_name()
        )),
    }
}
