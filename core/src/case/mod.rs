//! Cases (事件): lifecycle, who may move them, deadlines, and the append-only
//! hash-chained history. The materialised `Case` is always the fold of its
//! events (`history::replay`), so server and phone agree by construction.

pub mod action;
pub mod deadline;
pub mod history;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::priority::{Category, Severity};
use crate::region::RegionPath;

pub use action::{
    allowed_actions, decide, ActionFields, ActionInput, ActionKind, CaseAction, Refusal,
};
pub use deadline::DeadlinePolicy;
pub use history::{CaseEvent, ChainBreak, EventKind};

/// Where a case is in 受理→立案→派遣→处置→核查→结案.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 已上报
    Reported,
    /// 已立案
    Filed,
    /// 已派遣
    Dispatched,
    /// 处置中
    InProgress,
    /// 已处置(待核查)
    Resolved,
    /// 已核查
    Confirmed,
    /// 已结案
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 7] = [
        CaseState::Reported,
        CaseState::Filed,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Resolved,
        CaseState::Confirmed,
        CaseState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Reported => "reported",
            CaseState::Filed => "filed",
            CaseState::Dispatched => "dispatched",
            CaseState::InProgress => "in_progress",
            CaseState::Resolved => "resolved",
            CaseState::Confirmed => "confirmed",
            CaseState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::Reported => "已上报",
            CaseState::Filed => "已立案",
            CaseState::Dispatched => "已派遣",
            CaseState::InProgress => "处置中",
            CaseState::Resolved => "待核查",
            CaseState::Confirmed => "已核查",
            CaseState::Closed => "已结案",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            CaseState::Reported => "reported",
            CaseState::Filed => "filed",
            CaseState::Dispatched => "dispatched",
            CaseState::InProgress => "in progress",
            CaseState::Resolved => "awaiting check",
            CaseState::Confirmed => "confirmed",
            CaseState::Closed => "closed",
        }
    }

    /// `待核查 / awaiting check`.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }

    /// Still being worked on: the deadline clock runs.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Reported | CaseState::Filed | CaseState::Dispatched | CaseState::InProgress
        )
    }
}

/// How hard the case is to handle; sets the resolution deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// 就地解决: same day.
    OnSpot,
    /// 一般
    Normal,
    /// 疑难
    Hard,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::OnSpot => "on_spot",
            Difficulty::Normal => "normal",
            Difficulty::Hard => "hard",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "on_spot" => Some(Difficulty::OnSpot),
            "normal" => Some(Difficulty::Normal),
            "hard" => Some(Difficulty::Hard),
            _ => None,
        }
    }
}

/// Why a case went up a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// Not filed (accepted) within the acceptance limit.
    AcceptanceOverdue,
    /// Not resolved by the deadline.
    ResolutionOverdue,
    /// Critical safety case: escalates on report.
    Critical,
    /// Someone escalated it by hand.
    Manual,
}

impl EscalationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationReason::AcceptanceOverdue => "acceptance_overdue",
            EscalationReason::ResolutionOverdue => "resolution_overdue",
            EscalationReason::Critical => "critical",
            EscalationReason::Manual => "manual",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EscalationReason::AcceptanceOverdue => "超时未受理",
            EscalationReason::ResolutionOverdue => "超期未办结",
            EscalationReason::Critical => "重大事件",
            EscalationReason::Manual => "人工上报",
        }
    }
}

/// Which visit answer a case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSource {
    pub visit_id: String,
    pub item_code: String,
}

/// What the reporter provides. Built from a hazard answer (pre-filled) or
/// typed by the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDraft {
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub household_code: Option<String>,
    pub grid_code: String,
    pub source: Option<CaseSource>,
    /// Photos already stored (e.g. the visit's photo of the hazard) that
    /// the case should show.
    #[serde(default)]
    pub evidence_ids: Vec<String>,
}

/// A pending deadline-extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtensionRequest {
    pub days: u32,
    pub reason: String,
    pub requested_by: String,
}

/// The current state of a case: the fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub difficulty: Difficulty,
    pub state: CaseState,
    pub title: String,
    pub description: String,
    pub household_code: Option<String>,
    pub path: RegionPath,
    pub reporter_id: String,
    pub handler_id: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub filed_at: Option<DateTime<Utc>>,
    /// Must be filed (accepted) by then.
    pub accept_deadline: DateTime<Utc>,
    /// Must be resolved by then.
    pub deadline: DateTime<Utc>,
    pub extension_days: u32,
    pub pending_extension: Option<ExtensionRequest>,
    /// 0 village, 1 township, 2 city.
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub escalation_level: u8,
    pub resolved_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Closed without being handled (不予立案), with the reason.
    pub dismissed: Option<String>,
    pub on_spot: bool,
    pub send_backs: u32,
    /// The secretary's last send-back reason, shown to the handler.
    pub last_send_back_reason: Option<String>,
    pub source: Option<CaseSource>,
    /// Evidence ids attached at report and at resolution.
    pub evidence_ids: Vec<String>,
}

/// How a countdown reads on screen, Chinese first:
/// `剩余2天3小时 / 2d 3h left`, `超期5小时 / 5h overdue`, `已停止计时 / clock stopped`.
pub fn countdown_label(secs: Option<i64>) -> String {
    let Some(secs) = secs else {
        return "已停止计时 / clock stopped".into();
    };
    let left = secs >= 0;
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    let (zh, en) = if d > 0 {
        (format!("{d}天{h}小时"), format!("{d}d {h}h"))
    } else if h > 0 {
        (format!("{h}小时{m}分"), format!("{h}h {m}m"))
    } else {
        (format!("{m}分钟"), format!("{m}m"))
    };
    if left {
        format!("剩余{zh} / {en} left")
    } else {
        format!("超期{zh} / {en} overdue")
    }
}

impl Case {
    /// Seconds until the deadline that applies now (acceptance before
    /// filing, resolution after); negative when overdue; `None` once the
    /// clock has stopped.
    pub fn countdown_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        if !self.state.is_open() {
            return None;
        }
        let due = if self.state == CaseState::Reported {
            self.accept_deadline.min(self.deadline)
        } else {
            self.deadline
        };
        Some((due - now).num_seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::countdown_label;

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(
            countdown_label(Some(2 * 86_400 + 3 * 3_600 + 59)),
            "剩余2天3小时 / 2d 3h left"
        );
        assert_eq!(
            countdown_label(Some(-(5 * 3_600 + 120))),
            "超期5小时2分 / 5h 2m overdue"
        );
        assert_eq!(countdown_label(Some(59)), "剩余0分钟 / 0m left");
        assert_eq!(countdown_label(None), "已停止计时 / clock stopped");
    }
}
