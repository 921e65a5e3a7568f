//! The OpenAPI components of every type that crosses the sync HTTP API
//! (feature `openapi`). The server merges these into the document it
//! publishes; core/tests/openapi_schemas.rs checks real protocol bytes
//! against them.

use utoipa::OpenApi;

use crate::case::{CaseAction, DeadlinePolicy};
use crate::checklist::ChecklistTemplate;
use crate::inbox::{InboxItem, InboxKind, PushEndpoint, QuietHours};
use crate::outbox::{GridRecord, Operation, OutboxEntry, RegionRecord};
use crate::store::{
    CaseDetail, CaseRow, CoverageReport, EscalationPass, ImportError, ImportMode, ImportReport,
    PushDelivery, RecordedEscalation,
};
use crate::sync::protocol::{
    ActivateRequest, ActivateResponse, Change, Entity, ErrorBody, OpAnswer, PullRequest,
    PullResponse, PushConfig, PushRequest, PushResponse, RevealRequest, RevealResponse,
};
use crate::user::{Assignment, AssignmentKind, Role, User};
use crate::visit::VisitPolicy;

/// Schemas only (no paths): `SyncSchemas::openapi().components`, or
/// `merge` it into the server's document. Every type these reach is
/// included by reference.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Gridwork sync API schemas",
        description = "Bodies of the sync HTTP API, generated from gridwork-core"
    ),
    components(schemas(
        PushRequest,
        PushResponse,
        OpAnswer,
        PullRequest,
        PullResponse,
        Change,
        Entity,
        ActivateRequest,
        ActivateResponse,
        RevealRequest,
        RevealResponse,
        ErrorBody,
        OutboxEntry,
        Operation,
        RegionRecord,
        GridRecord,
        CaseAction,
        User,
        Assignment,
        Role,
        AssignmentKind,
        ChecklistTemplate,
        DeadlinePolicy,
        VisitPolicy,
        ImportReport,
        ImportError,
        ImportMode,
        CoverageReport,
        CaseRow,
        CaseDetail,
        InboxItem,
        InboxKind,
        PushEndpoint,
        QuietHours,
        EscalationPass,
        RecordedEscalation,
        PushDelivery,
        PushConfig,
    ))
)]
pub struct SyncSchemas;
