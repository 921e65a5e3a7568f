//! The sync protocol's messages, shared by the server and the client so
//! both sides read and write the same bytes. JSON bodies (gzip or zstd on the
//! wire), `X-Gridwork-Protocol` on every request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseEvent, DeadlinePolicy};
use crate::error::CoreError;
use crate::evidence::EvidenceRecord;
use crate::household::{Household, Member};
use crate::inbox::{InboxItem, QuietHours};
use crate::outbox::{GridRecord, Operation, OutboxEntry, RegionRecord};
use crate::user::{Assignment, User};
use crate::visit::{Visit, VisitPolicy};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest client protocol the server still accepts.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Header carrying the protocol version on every request.
pub const PROTOCOL_HEADER: &str = "x-gridwork-protocol";
/// Header carrying the device's clock (ms since the epoch) on a push, so the
/// server can correct for phone clocks that are hours or days off.
pub const CLOCK_HEADER: &str = "x-gridwork-clock";

/// A batch of outbox operations, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub device_id: String,
    /// The highest of this device's sequence numbers already answered: an
    /// operation after a gap is not applied before the gap is filled.
    pub acked_through: i64,
    pub ops: Vec<OutboxEntry>,
}

impl PushRequest {
    /// The bounds the OpenAPI document states for values inside operations
    /// (policy intervals), checked before any operation is applied: a value
    /// the document forbids refuses the whole request, as a wrong type does,
    /// with the operation's place in the field (`ops[3].policy.place_days`).
    /// Everything else about an operation is answered one by one.
    pub fn check_bounds(&self) -> crate::error::Result<()> {
        for (i, entry) in self.ops.iter().enumerate() {
            let checked = match &entry.operation {
                Operation::DeadlinePolicySet { policy } => policy.check_bounds(),
                Operation::VisitPolicySet { policy } => policy.check_bounds(),
                _ => Ok(()),
            };
            if let Err(CoreError::Invalid { field, reason }) = checked {
                return Err(CoreError::invalid(
                    format!("ops[{i}].policy.{field}"),
                    reason,
                ));
            }
            checked?;
        }
        Ok(())
    }
}

/// How the server answered one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpAnswer {
    /// Applied now.
    Applied { op_id: String },
    /// Applied before (same answer as the first time).
    Duplicate { op_id: String },
    /// Not applied yet: an earlier operation of this device has not
    /// arrived. Keep it and send it again after the earlier ones.
    Retry { op_id: String, reason: String },
    /// Refused: why, and the entity as the server has it.
    Rejected {
        op_id: String,
        code: String,
        reason: String,
        current: Option<Entity>,
    },
}

impl OpAnswer {
    pub fn op_id(&self) -> &str {
        match self {
            OpAnswer::Applied { op_id }
            | OpAnswer::Duplicate { op_id }
            | OpAnswer::Retry { op_id, .. }
            | OpAnswer::Rejected { op_id, .. } => op_id,
        }
    }
}

/// The answers, in the order of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub answers: Vec<OpAnswer>,
}

/// Ask for what changed since `cursor` (`None`: everything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullRequest {
    pub cursor: Option<String>,
    pub limit: u32,
}

/// One page of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Current state of each changed entity in reach, oldest change first.
    pub changes: Vec<Change>,
    /// Region codes that left the device's reach: remove their data (once
    /// nothing of it waits to upload).
    pub evict: Vec<String>,
    /// Pass this back for the next page.
    pub cursor: String,
    /// More pages wait.
    pub more: bool,
    /// Changes still to come after this page (for progress).
    pub remaining: u64,
}

/// One entity's new state, or its removal from the device's reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Upsert { entity: Entity },
    Remove { kind: String, id: String },
}

/// An entity as it travels from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entity {
    Region {
        region: RegionRecord,
    },
    Grid {
        grid: GridRecord,
    },
    Household {
        household: Household,
        last_visit_at: Option<DateTime<Utc>>,
    },
    Member {
        member: Member,
    },
    User {
        user: User,
    },
    Assignment {
        assignment: Assignment,
    },
    Template {
        template_json: String,
    },
    Visit {
        visit: Visit,
    },
    Case {
        case: Case,
        events: Vec<CaseEvent>,
    },
    Evidence {
        evidence: EvidenceRecord,
    },
    DeadlinePolicy {
        policy: DeadlinePolicy,
    },
    VisitPolicy {
        policy: VisitPolicy,
    },
    /// One of the puller's own inbox items.
    InboxItem {
        item: InboxItem,
    },
    /// The puller's quiet hours (`None`: none).
    QuietHours {
        user_id: String,
        quiet: Option<QuietHours>,
    },
}

impl Entity {
    pub fn kind(&self) -> &'static str {
        match self {
            Entity::Region { .. } => "region",
            Entity::Grid { .. } => "grid",
            Entity::Household { .. } => "household",
            Entity::Member { .. } => "member",
            Entity::User { .. } => "user",
            Entity::Assignment { .. } => "assignment",
            Entity::Template { .. } => "template",
            Entity::Visit { .. } => "visit",
            Entity::Case { .. } => "case",
            Entity::Evidence { .. } => "evidence",
            Entity::DeadlinePolicy { .. } => "deadline_policy",
            Entity::VisitPolicy { .. } => "visit_policy",
            Entity::InboxItem { .. } => "inbox_item",
            Entity::QuietHours { .. } => "quiet_hours",
        }
    }
}

/// Exchange a one-time activation code for a device credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivateRequest {
    pub code: String,
    /// The installation's id (the store's device id).
    pub device_id: String,
    pub device_name: String,
}

/// The credential (shown once) and who the device belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivateResponse {
    pub token: String,
    pub user: User,
}

/// Ask the server to show one masked number whole (`POST
/// /v1/members/{member_id}/reveal`). The server checks the member is in the
/// asker's reach, records the reveal with its own clock, and answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealRequest {
    pub field: crate::pii::PiiField,
    /// Why (at least two characters), kept in the audit log.
    pub reason: String,
}

/// The whole number, for this screen only (never stored on the device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealResponse {
    pub value: String,
}

/// A refusal body: a stable code and words for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: String,
    pub reason: String,
    /// For invalid input: the field it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a revoked device: wipe local data.
    #[serde(default)]
    pub wipe: bool,
}

/// What a phone needs to subscribe to push (`GET /v1/push/config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushConfig {
    /// The VAPID public key (uncompressed P-256 point, base64url): Web
    /// Push's and UnifiedPush's `applicationServerKey`.
    pub vapid_public_key: String,
    /// Endpoint kinds this server delivers to: web_push, apns, jpush, sms.
    pub kinds: Vec<String>,
}
