//! Patrols (巡查): a worker's walk over a grid, with a track of fixes. The
//! track is evidence of work that the worker controls: they may discard it,
//! and nothing measures online time.

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine};
use serde::{Deserialize, Serialize};

use crate::geofence::GeofenceVerdict;
use crate::location::LocationFix;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Patrol {
    pub id: String,
    pub grid_code: String,
    pub worker_id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub distance_m: f64,
    pub fix_count: u32,
    pub track_discarded: bool,
}

/// One recorded point of a track, with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackPoint {
    pub seq: u32,
    pub fix: LocationFix,
    pub verdict: GeofenceVerdict,
}

/// Walking distance added by new fixes after `last`. Fixes that are mock or
/// too inaccurate do not add distance (they would inflate it with jitter).
pub fn track_distance(
    last: Option<&LocationFix>,
    fixes: &[LocationFix],
    max_accuracy_m: f64,
) -> f64 {
    let mut prev = last.filter(|f| usable(f, max_accuracy_m)).cloned();
    let mut total = 0.0;
    for f in fixes.iter().filter(|f| usable(f, max_accuracy_m)) {
        if let Some(p) = &prev {
            total += Haversine.distance(p.point(), f.point());
        }
        prev = Some(f.clone());
    }
    total
}

fn usable(f: &LocationFix, max_accuracy_m: f64) -> bool {
    !f.mock && f.accuracy_m <= max_accuracy_m
}
