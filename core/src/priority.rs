//! The five priorities (五个重点): each is a checklist section and a case
//! category.

use serde::{Deserialize, Serialize};

/// One of the five priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// 疫情防控
    EpidemicPrevention,
    /// 安全生产
    WorkSafety,
    /// 信访维稳
    PetitionStability,
    /// 生态环保
    Ecology,
    /// 风险排查
    RiskScreening,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::EpidemicPrevention,
        Priority::WorkSafety,
        Priority::PetitionStability,
        Priority::Ecology,
        Priority::RiskScreening,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::EpidemicPrevention => "epidemic_prevention",
            Priority::WorkSafety => "work_safety",
            Priority::PetitionStability => "petition_stability",
            Priority::Ecology => "ecology",
            Priority::RiskScreening => "risk_screening",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s || p.label_zh() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Priority::EpidemicPrevention => "疫情防控",
            Priority::WorkSafety => "安全生产",
            Priority::PetitionStability => "信访维稳",
            Priority::Ecology => "生态环保",
            Priority::RiskScreening => "风险排查",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Priority::EpidemicPrevention => "Epidemic prevention",
            Priority::WorkSafety => "Work safety",
            Priority::PetitionStability => "Petitions and stability",
            Priority::Ecology => "Ecology and environment",
            Priority::RiskScreening => "Risk screening",
        }
    }
}

/// A case category: one priority plus a free subcategory code
/// (e.g. `work_safety/gas_cylinder`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub priority: Priority,
    pub subcategory: String,
}

/// How serious a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般
    Normal,
    /// 紧急
    Urgent,
    /// 重大/特急
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Urgent => "urgent",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" | "一般" => Some(Severity::Normal),
            "urgent" | "紧急" => Some(Severity::Urgent),
            "critical" | "重大" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Normal => "一般",
            Severity::Urgent => "紧急",
            Severity::Critical => "重大",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Urgent => "urgent",
            Severity::Critical => "critical",
        }
    }

    /// `紧急 / urgent`.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }
}
