//! 总览: the four promises for a region of the signed-in person's reach,
//! its parts for the drill-down, and its grids as GeoJSON for the map.

use axum::extract::{Query, State};
use axum::Json;
use gridwork_core::coord::CoordSystem;
use gridwork_core::store::Overview;
use serde::Deserialize;

use super::session::ConsoleUser;
use crate::error::{ApiResult, ServerError};
use crate::routes::{blocking, AppState};

#[derive(Debug, Deserialize)]
pub struct RegionQuery {
    /// A city, township, village or grid code; absent: the person's reach.
    #[serde(default)]
    pub region: Option<String>,
    /// The datum the map wants the boundaries in (default WGS-84).
    #[serde(default)]
    pub system: Option<CoordSystem>,
}

/// `GET /console/api/overview?region=`
pub async fn overview(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<RegionQuery>,
) -> ApiResult<Json<Overview>> {
    let id = me.session.user.id;
    blocking(move || state.storage.console_overview(&id, q.region.as_deref()))
        .await
        .map(Json)
}

/// `GET /console/api/map?region=`: a GeoJSON FeatureCollection of the
/// region's grids (WGS-84), each with its code, name and backlog.
pub async fn map(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<RegionQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = me.session.user.id;
    let system = q.system.unwrap_or(CoordSystem::Wgs84);
    let grids =
        blocking(move || state.storage.console_map(&id, q.region.as_deref(), system)).await?;
    let mut features = Vec::with_capacity(grids.len());
    for g in grids {
        let geometry: serde_json::Value = serde_json::from_str(&g.boundary)
            .map_err(|e| ServerError::Internal(format!("grid {} boundary: {e}", g.code)))?;
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "code": g.code,
                "name": g.name,
                "open_cases": g.open_cases,
                "overdue": g.overdue,
                "escalated": g.escalated,
            },
        }));
    }
    Ok(Json(
        serde_json::json!({ "type": "FeatureCollection", "features": features }),
    ))
}

/// `GET /console/api/coverage`: land coverage (gaps and overlaps) and the
/// other problems of the person's reach; geometry, so apart from the rest.
pub async fn coverage(
    State(state): State<AppState>,
    me: ConsoleUser,
) -> ApiResult<Json<gridwork_core::coverage::CoverageReport>> {
    let id = me.session.user.id;
    blocking(move || state.storage.coverage(&id))
        .await
        .map(Json)
}

/// `GET /console/api/map-config`: the base map, if the server has one.
pub async fn map_config(
    State(state): State<AppState>,
    _me: ConsoleUser,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "tiles": state.map_tiles.as_deref() }))
}
