//! The administrative hierarchy above the grid: city (市) → township or street
//! (乡镇/街道) → village or community (村/社区). Grids live in `grid.rs`.

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

/// A level of the hierarchy. Grids are the level below villages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 市
    City,
    /// 乡镇/街道
    Township,
    /// 村/社区
    Village,
    /// 网格
    Grid,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::City => "city",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
            RegionLevel::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "city" | "市" => Some(RegionLevel::City),
            "township" | "street" | "乡镇" | "街道" | "乡镇/街道" => {
                Some(RegionLevel::Township)
            }
            "village" | "community" | "村" | "社区" | "村/社区" => Some(RegionLevel::Village),
            "grid" | "网格" => Some(RegionLevel::Grid),
            _ => None,
        }
    }

    /// The level a parent must have.
    pub fn parent_level(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::City => None,
            RegionLevel::Township => Some(RegionLevel::City),
            RegionLevel::Village => Some(RegionLevel::Township),
            RegionLevel::Grid => Some(RegionLevel::Village),
        }
    }
}

/// A city, township or village with a stable code.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    /// WGS-84 boundary, when known (needed to find land outside every grid).
    pub boundary: Option<MultiPolygon<f64>>,
}

/// Where something sits in the hierarchy: used for jurisdiction checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionPath {
    pub city: String,
    pub township: String,
    pub village: String,
    pub grid: String,
}

impl RegionPath {
    /// Every code on the path, from grid upwards.
    pub fn codes(&self) -> [&str; 4] {
        [&self.grid, &self.village, &self.township, &self.city]
    }

    pub fn contains_code(&self, code: &str) -> bool {
        self.codes().contains(&code)
    }
}
