//! The outbox: every local mutation writes one operation here in the same
//! transaction, stamped with a UUIDv7 and a hybrid logical clock, ready for
//! sync. The server applies operations idempotently by `op_id`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{CaseAction, CaseDraft, CaseEvent, DeadlinePolicy};
use crate::evidence::EvidenceRecord;
use crate::hlc::Hlc;
use crate::household::{Household, Member};
use crate::inbox::{PushEndpoint, QuietHours};
use crate::patrol::{Patrol, TrackPoint};
use crate::pii::PiiField;
use crate::region::RegionLevel;
use crate::user::{Assignment, User};
use crate::visit::{Visit, VisitPolicy};

/// A region as it travels (boundary as GeoJSON geometry text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionRecord {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    pub boundary_geojson: Option<String>,
}

/// A grid as it travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridRecord {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub boundary_geojson: String,
}

/// One operation. Visits, track points, evidence and case events are
/// append-only facts; upserts of registers are last-writer-wins by HLC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    RegionUpserted {
        region: RegionRecord,
    },
    GridUpserted {
        grid: GridRecord,
    },
    HouseholdUpserted {
        household: Household,
    },
    MemberUpserted {
        member: Member,
    },
    UserUpserted {
        user: User,
    },
    AssignmentSet {
        assignment: Assignment,
    },
    TemplateStored {
        template_json: String,
    },
    PatrolStarted {
        patrol: Patrol,
    },
    TrackRecorded {
        patrol_id: String,
        points: Vec<TrackPoint>,
    },
    PatrolEnded {
        patrol_id: String,
        ended_at: DateTime<Utc>,
        distance_m: f64,
    },
    TrackDiscarded {
        patrol_id: String,
    },
    VisitRecorded {
        visit: Visit,
    },
    EvidenceRecorded {
        evidence: EvidenceRecord,
    },
    /// A case reported. The server decides it again on its own state; the
    /// event is what the device showed meanwhile, and its id becomes the
    /// server's event id (so a retry is recognised).
    CaseReported {
        case_id: String,
        draft: CaseDraft,
        at: DateTime<Utc>,
        event: CaseEvent,
    },
    /// An action on a case, decided again by the server on its current state.
    CaseActed {
        case_id: String,
        action: CaseAction,
        at: DateTime<Utc>,
        event: CaseEvent,
    },
    DeadlinePolicySet {
        policy: DeadlinePolicy,
    },
    VisitPolicySet {
        policy: VisitPolicy,
    },
    PiiRevealed {
        member_id: String,
        field: PiiField,
        reason: String,
        user_id: String,
        at: DateTime<Utc>,
    },
    /// The person read an inbox item on this device.
    InboxRead {
        item_id: String,
        at: DateTime<Utc>,
    },
    /// This device's push endpoint of one kind (a new token replaces the
    /// old one). The server takes the device from the credential.
    PushEndpointRegistered {
        endpoint: PushEndpoint,
    },
    /// This device no longer takes pushes of this kind.
    PushEndpointRemoved {
        kind: String,
    },
    /// The person's quiet hours (`None`: notify at any hour).
    QuietHoursSet {
        user_id: String,
        quiet: Option<QuietHours>,
    },
}

impl Operation {
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::RegionUpserted { .. } => "region_upserted",
            Operation::GridUpserted { .. } => "grid_upserted",
            Operation::HouseholdUpserted { .. } => "household_upserted",
            Operation::MemberUpserted { .. } => "member_upserted",
            Operation::UserUpserted { .. } => "user_upserted",
            Operation::AssignmentSet { .. } => "assignment_set",
            Operation::TemplateStored { .. } => "template_stored",
            Operation::PatrolStarted { .. } => "patrol_started",
            Operation::TrackRecorded { .. } => "track_recorded",
            Operation::PatrolEnded { .. } => "patrol_ended",
            Operation::TrackDiscarded { .. } => "track_discarded",
            Operation::VisitRecorded { .. } => "visit_recorded",
            Operation::EvidenceRecorded { .. } => "evidence_recorded",
            Operation::CaseReported { .. } => "case_reported",
            Operation::CaseActed { .. } => "case_acted",
            Operation::DeadlinePolicySet { .. } => "deadline_policy_set",
            Operation::VisitPolicySet { .. } => "visit_policy_set",
            Operation::PiiRevealed { .. } => "pii_revealed",
            Operation::InboxRead { .. } => "inbox_read",
            Operation::PushEndpointRegistered { .. } => "push_endpoint_registered",
            Operation::PushEndpointRemoved { .. } => "push_endpoint_removed",
            Operation::QuietHoursSet { .. } => "quiet_hours_set",
        }
    }

    /// The id of the entity the operation is about.
    pub fn entity_id(&self) -> String {
        match self {
            Operation::RegionUpserted { region } => region.code.clone(),
            Operation::GridUpserted { grid } => grid.code.clone(),
            Operation::HouseholdUpserted { household } => household.code.clone(),
            Operation::MemberUpserted { member } => member.id.clone(),
            Operation::UserUpserted { user } => user.id.clone(),
            Operation::AssignmentSet { assignment } => {
                format!("{}:{}", assignment.user_id, assignment.grid_code)
            }
            Operation::TemplateStored { .. } => "template".into(),
            Operation::PatrolStarted { patrol } => patrol.id.clone(),
            Operation::TrackRecorded { patrol_id, .. }
            | Operation::PatrolEnded { patrol_id, .. }
            | Operation::TrackDiscarded { patrol_id } => patrol_id.clone(),
            Operation::VisitRecorded { visit } => visit.id.clone(),
            Operation::EvidenceRecorded { evidence } => evidence.id.clone(),
            Operation::CaseReported { case_id, .. } | Operation::CaseActed { case_id, .. } => {
                case_id.clone()
            }
            Operation::DeadlinePolicySet { .. } => "deadline_policy".into(),
            Operation::VisitPolicySet { .. } => "visit_policy".into(),
            Operation::PiiRevealed { member_id, .. } => member_id.clone(),
            Operation::InboxRead { item_id, .. } => item_id.clone(),
            Operation::PushEndpointRegistered { endpoint } => {
                format!("push_endpoint:{}", endpoint.kind())
            }
            Operation::PushEndpointRemoved { kind } => format!("push_endpoint:{kind}"),
            Operation::QuietHoursSet { user_id, .. } => format!("quiet_hours:{user_id}"),
        }
    }
}

/// A stored outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxEntry {
    /// This device's own order of operations (never reused).
    pub seq: i64,
    pub op_id: String,
    pub hlc: Hlc,
    pub created_at: DateTime<Utc>,
    pub operation: Operation,
}

/// What an operation kind (`Operation::kind`, as in conflict records) is
/// called on screen, Chinese first; an unknown kind reads as itself.
pub fn operation_label(kind: &str) -> String {
    let (zh, en) = match kind {
        "region_upserted" | "grid_upserted" => ("区域/网格变更", "region or grid change"),
        "household_upserted" => ("户（场所）信息变更", "household or place change"),
        "member_upserted" => ("成员信息变更", "member change"),
        "user_upserted" => ("人员变更", "person change"),
        "assignment_set" => ("网格分配", "grid assignment"),
        "template_stored" => ("检查表", "checklist"),
        "patrol_started" | "patrol_ended" | "track_recorded" | "track_discarded" => {
            ("巡查", "patrol")
        }
        "visit_recorded" => ("走访记录", "visit"),
        "evidence_recorded" => ("照片", "photo"),
        "case_reported" => ("上报事件", "case report"),
        "case_acted" => ("事件处置", "case action"),
        "deadline_policy_set" | "visit_policy_set" => ("规则设置", "policy setting"),
        "pii_revealed" => ("查看完整号码", "number reveal"),
        "inbox_read" => ("消息已读", "message read"),
        "push_endpoint_registered" | "push_endpoint_removed" => ("推送设置", "push setting"),
        "quiet_hours_set" => ("免打扰时段", "quiet hours"),
        other => return other.to_string(),
    };
    format!("{zh} / {en}")
}

#[cfg(test)]
mod label_tests {
    #[test]
    fn operation_kinds_read_in_both_languages() {
        assert_eq!(
            super::operation_label("case_acted"),
            "事件处置 / case action"
        );
        assert_eq!(super::operation_label("something_new"), "something_new");
    }
}
