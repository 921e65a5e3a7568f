//! Location fixes as the phone reports them. Bad or faked GPS is recorded as
//! such (accuracy, provider, mock flag), never hidden and never blocking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// One fix, WGS-84, exactly as the platform gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationFix {
    pub lat: f64,
    pub lon: f64,
    /// Horizontal accuracy radius in metres (68% confidence, as platforms report).
    pub accuracy_m: f64,
    /// `gps`, `network`, `fused`, `passive` … as the platform names it.
    pub provider: String,
    /// The platform flagged the fix as coming from a mock-location app.
    pub mock: bool,
    pub at: DateTime<Utc>,
}

impl LocationFix {
    /// Reject fixes that cannot be coordinates at all. Poor accuracy or a
    /// mock flag is *not* an error: those are recorded in the verdict.
    pub fn validate(&self, field: &str) -> Result<()> {
        if !self.lat.is_finite() || !(-90.0..=90.0).contains(&self.lat) {
            return Err(CoreError::invalid(
                format!("{field}.lat"),
                format!("纬度超出范围 / latitude {} is outside -90..90", self.lat),
            ));
        }
        if !self.lon.is_finite() || !(-180.0..=180.0).contains(&self.lon) {
            return Err(CoreError::invalid(
                format!("{field}.lon"),
                format!("经度超出范围 / longitude {} is outside -180..180", self.lon),
            ));
        }
        if !self.accuracy_m.is_finite() || self.accuracy_m < 0.0 {
            return Err(CoreError::invalid(
                format!("{field}.accuracy_m"),
                "精度必须为非负数 / accuracy must be a non-negative number",
            ));
        }
        Ok(())
    }

    pub fn point(&self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}
