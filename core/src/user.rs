//! People, their roles and their reach (jurisdiction), and grid assignments.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::region::RegionPath;

/// What a person does in the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员
    GridWorker,
    /// 村(社区)书记
    VillageSecretary,
    /// 乡镇/街道督导
    TownshipSupervisor,
    /// 市督导
    CitySupervisor,
    /// 管理员
    Administrator,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::GridWorker,
        Role::VillageSecretary,
        Role::TownshipSupervisor,
        Role::CitySupervisor,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::VillageSecretary => "village_secretary",
            Role::TownshipSupervisor => "township_supervisor",
            Role::CitySupervisor => "city_supervisor",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.label_zh() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::GridWorker => "网格员",
            Role::VillageSecretary => "村(社区)书记",
            Role::TownshipSupervisor => "乡镇督导",
            Role::CitySupervisor => "市督导",
            Role::Administrator => "管理员",
        }
    }

    pub fn is_supervisor(self) -> bool {
        matches!(self, Role::TownshipSupervisor | Role::CitySupervisor)
    }
}

/// A person who uses Gridwork.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    /// Region codes (city, township or village) the person may see and act
    /// in. Grid workers reach their grids through assignments instead.
    pub jurisdiction: Vec<String>,
}

/// Primary or backup worker for a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    Primary,
    Backup,
}

impl AssignmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::Primary => "primary",
            AssignmentKind::Backup => "backup",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "primary" => Some(AssignmentKind::Primary),
            "backup" => Some(AssignmentKind::Backup),
            _ => None,
        }
    }
}

/// A worker assigned to a grid for a span of dates (to is inclusive; open
/// ended when `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub user_id: String,
    pub grid_code: String,
    pub kind: AssignmentKind,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Assignment {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }
}

/// Who is acting, with everything the rules need to decide: role, regions,
/// and (for workers) the grids assigned today. Built by the store from the
/// user and assignments; the server builds the same thing from its own data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub jurisdiction: Vec<String>,
    pub grids: Vec<String>,
}

impl Actor {
    /// May this person see and act on something at `path`?
    pub fn reaches(&self, path: &RegionPath) -> bool {
        match self.role {
            Role::GridWorker => self.grids.contains(&path.grid),
            Role::Administrator => true,
            _ => self.jurisdiction.iter().any(|c| path.contains_code(c)),
        }
    }

    /// Does this person's work need whole ID and phone numbers at `path`?
    /// Only the grid's own workers and its village's secretary (PIPL's
    /// minimum necessary); supervisors and administrators see them masked
    /// and ask the server for a recorded reveal.
    pub fn needs_whole_numbers(&self, path: &RegionPath) -> bool {
        match self.role {
            Role::GridWorker => self.grids.contains(&path.grid),
            Role::VillageSecretary => self.jurisdiction.contains(&path.village),
            _ => false,
        }
    }
}
