//! Who may do what to a case, in one table, and the decision function that
//! turns a person's action into an event or a specific refusal. The same
//! code runs on the phone (to offer actions and save offline) and on the
//! server (to re-validate against its current state).

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::history::{apply_event, CaseEvent, EventKind, GENESIS_HASH};
use super::{Case, CaseDraft, CaseState, DeadlinePolicy, Difficulty, EscalationReason};
use crate::error::CoreError;
use crate::region::RegionPath;
use crate::user::{Actor, Role};

/// What a person asks to do. Commands, in the imperative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseAction {
    /// 立案: accept the case, classifying it normal or hard.
    File {
        difficulty: Difficulty,
        note: String,
    },
    /// 不予立案: close without handling, reason required.
    Dismiss {
        reason: String,
    },
    /// 派遣: give the case to a handler.
    Dispatch {
        handler_id: String,
    },
    /// The handler starts work.
    Accept,
    /// The handler reports it handled, with after-photos.
    Resolve {
        note: String,
        evidence_ids: Vec<String>,
    },
    /// 就地解决: the reporter fixed it on the spot (still confirmed).
    ResolveOnSpot {
        note: String,
        evidence_ids: Vec<String>,
    },
    /// 核查通过
    Confirm {
        note: String,
    },
    /// 退回: back to the handler, reason required.
    SendBack {
        reason: String,
    },
    /// 结案
    Close {
        note: String,
    },
    /// 改派
    Reassign {
        handler_id: String,
        reason: String,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension {
        days: u32,
    },
    RejectExtension {
        reason: String,
    },
    /// Manual escalation one level up.
    Escalate {
        reason: String,
    },
    /// 督办: a message to the handler.
    Urge {
        message: String,
    },
    /// The supervisor handles the case personally.
    TakeOver {
        reason: String,
    },
}

/// The name of an action, for offering buttons and for the rule table.
impl CaseAction {
    /// The free text the action carries, by field name, and the photos it
    /// names (for the limits every writer checks).
    pub fn texts(&self) -> (Vec<(&'static str, &str)>, &[String]) {
        match self {
            CaseAction::File { note, .. }
            | CaseAction::Confirm { note }
            | CaseAction::Close { note } => (vec![("note", note)], &[]),
            CaseAction::Resolve { note, evidence_ids }
            | CaseAction::ResolveOnSpot { note, evidence_ids } => {
                (vec![("note", note)], evidence_ids)
            }
            CaseAction::Dismiss { reason }
            | CaseAction::SendBack { reason }
            | CaseAction::RequestExtension { reason, .. }
            | CaseAction::RejectExtension { reason }
            | CaseAction::Escalate { reason }
            | CaseAction::TakeOver { reason } => (vec![("reason", reason)], &[]),
            CaseAction::Reassign { handler_id, reason } => {
                (vec![("handler_id", handler_id), ("reason", reason)], &[])
            }
            CaseAction::Dispatch { handler_id } => (vec![("handler_id", handler_id)], &[]),
            CaseAction::Urge { message } => (vec![("message", message)], &[]),
            CaseAction::Accept | CaseAction::ApproveExtension { .. } => (Vec::new(), &[]),
        }
    }
}

/// One field of an action's form; its JSON name is the `CaseAction` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionInput {
    /// `note`: free text, may be empty.
    Note,
    /// `reason`: free text the core requires.
    Reason,
    /// `message`: the urging words.
    Message,
    /// `handler_id`: one of the case's handler choices.
    Handler,
    /// `days`: whole days of extension.
    Days,
    /// `difficulty`: normal or hard.
    Difficulty,
    /// `evidence_ids`: after-photos (phones only).
    Photos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    File,
    Dismiss,
    Dispatch,
    Accept,
    Resolve,
    ResolveOnSpot,
    Confirm,
    SendBack,
    Close,
    Reassign,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    Escalate,
    Urge,
    TakeOver,
}

impl ActionKind {
    pub const ALL: [ActionKind; 16] = [
        ActionKind::File,
        ActionKind::Dismiss,
        ActionKind::Dispatch,
        ActionKind::Accept,
        ActionKind::Resolve,
        ActionKind::ResolveOnSpot,
        ActionKind::Confirm,
        ActionKind::SendBack,
        ActionKind::Close,
        ActionKind::Reassign,
        ActionKind::RequestExtension,
        ActionKind::ApproveExtension,
        ActionKind::RejectExtension,
        ActionKind::Escalate,
        ActionKind::Urge,
        ActionKind::TakeOver,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::File => "file",
            ActionKind::Dismiss => "dismiss",
            ActionKind::Dispatch => "dispatch",
            ActionKind::Accept => "accept",
            ActionKind::Resolve => "resolve",
            ActionKind::ResolveOnSpot => "resolve_on_spot",
            ActionKind::Confirm => "confirm",
            ActionKind::SendBack => "send_back",
            ActionKind::Close => "close",
            ActionKind::Reassign => "reassign",
            ActionKind::RequestExtension => "request_extension",
            ActionKind::ApproveExtension => "approve_extension",
            ActionKind::RejectExtension => "reject_extension",
            ActionKind::Escalate => "escalate",
            ActionKind::Urge => "urge",
            ActionKind::TakeOver => "take_over",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ActionKind::File => "立案",
            ActionKind::Dismiss => "不予立案",
            ActionKind::Dispatch => "派遣",
            ActionKind::Accept => "开始处置",
            ActionKind::Resolve => "处置完毕",
            ActionKind::ResolveOnSpot => "就地解决",
            ActionKind::Confirm => "核查通过",
            ActionKind::SendBack => "退回",
            ActionKind::Close => "结案",
            ActionKind::Reassign => "改派",
            ActionKind::RequestExtension => "申请延期",
            ActionKind::ApproveExtension => "批准延期",
            ActionKind::RejectExtension => "驳回延期",
            ActionKind::Escalate => "上报上级",
            ActionKind::Urge => "督办",
            ActionKind::TakeOver => "接管",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ActionKind::File => "File",
            ActionKind::Dismiss => "Dismiss",
            ActionKind::Dispatch => "Dispatch",
            ActionKind::Accept => "Accept",
            ActionKind::Resolve => "Resolve",
            ActionKind::ResolveOnSpot => "Resolve on the spot",
            ActionKind::Confirm => "Confirm",
            ActionKind::SendBack => "Send back",
            ActionKind::Close => "Close",
            ActionKind::Reassign => "Reassign",
            ActionKind::RequestExtension => "Ask for more time",
            ActionKind::ApproveExtension => "Approve extension",
            ActionKind::RejectExtension => "Reject extension",
            ActionKind::Escalate => "Escalate",
            ActionKind::Urge => "Urge",
            ActionKind::TakeOver => "Take over",
        }
    }

    /// What a person fills in for this action, in form order: the fields
    /// of its `CaseAction` (a screen builds its form from this, never from
    /// its own list). Whether a text may be empty is still `decide`'s call.
    pub fn inputs(self) -> &'static [ActionInput] {
        match self {
            ActionKind::File => &[ActionInput::Difficulty, ActionInput::Note],
            ActionKind::Dismiss
            | ActionKind::SendBack
            | ActionKind::RejectExtension
            | ActionKind::Escalate
            | ActionKind::TakeOver => &[ActionInput::Reason],
            ActionKind::Dispatch => &[ActionInput::Handler],
            ActionKind::Accept => &[],
            ActionKind::Resolve | ActionKind::ResolveOnSpot => {
                &[ActionInput::Note, ActionInput::Photos]
            }
            ActionKind::Confirm | ActionKind::Close => &[ActionInput::Note],
            ActionKind::Reassign => &[ActionInput::Handler, ActionInput::Reason],
            ActionKind::RequestExtension => &[ActionInput::Days, ActionInput::Reason],
            ActionKind::ApproveExtension => &[ActionInput::Days],
            ActionKind::Urge => &[ActionInput::Message],
        }
    }

    /// `退回 / Send back`: the button's words.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }
}

/// What a person filled in on an action's form (the fields `inputs` asked
/// for; the rest are ignored). The one text box is the note, reason or
/// message, whichever the action takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionFields {
    pub text: String,
    pub handler_id: Option<String>,
    /// Whole days as typed; `None` when the box is empty or not a number
    /// (then 0 is sent, and `decide` says why it is refused).
    pub days: Option<u32>,
    pub difficulty: Option<Difficulty>,
}

impl ActionKind {
    /// The action a filled-in form asks for. Photos travel beside it (the
    /// phone records them and names their evidence when it acts).
    pub fn action(self, fields: ActionFields) -> CaseAction {
        let text = fields.text;
        let handler_id = fields.handler_id.unwrap_or_default();
        let days = fields.days.unwrap_or(0);
        match self {
            ActionKind::File => CaseAction::File {
                difficulty: fields.difficulty.unwrap_or(Difficulty::Normal),
                note: text,
            },
            ActionKind::Dismiss => CaseAction::Dismiss { reason: text },
            ActionKind::Dispatch => CaseAction::Dispatch { handler_id },
            ActionKind::Accept => CaseAction::Accept,
            ActionKind::Resolve => CaseAction::Resolve {
                note: text,
                evidence_ids: Vec::new(),
            },
            ActionKind::ResolveOnSpot => CaseAction::ResolveOnSpot {
                note: text,
                evidence_ids: Vec::new(),
            },
            ActionKind::Confirm => CaseAction::Confirm { note: text },
            ActionKind::SendBack => CaseAction::SendBack { reason: text },
            ActionKind::Close => CaseAction::Close { note: text },
            ActionKind::Reassign => CaseAction::Reassign {
                handler_id,
                reason: text,
            },
            ActionKind::RequestExtension => CaseAction::RequestExtension { days, reason: text },
            ActionKind::ApproveExtension => CaseAction::ApproveExtension { days },
            ActionKind::RejectExtension => CaseAction::RejectExtension { reason: text },
            ActionKind::Escalate => CaseAction::Escalate { reason: text },
            ActionKind::Urge => CaseAction::Urge { message: text },
            ActionKind::TakeOver => CaseAction::TakeOver { reason: text },
        }
    }
}

impl CaseAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            CaseAction::File { .. } => ActionKind::File,
            CaseAction::Dismiss { .. } => ActionKind::Dismiss,
            CaseAction::Dispatch { .. } => ActionKind::Dispatch,
            CaseAction::Accept => ActionKind::Accept,
            CaseAction::Resolve { .. } => ActionKind::Resolve,
            CaseAction::ResolveOnSpot { .. } => ActionKind::ResolveOnSpot,
            CaseAction::Confirm { .. } => ActionKind::Confirm,
            CaseAction::SendBack { .. } => ActionKind::SendBack,
            CaseAction::Close { .. } => ActionKind::Close,
            CaseAction::Reassign { .. } => ActionKind::Reassign,
            CaseAction::RequestExtension { .. } => ActionKind::RequestExtension,
            CaseAction::ApproveExtension { .. } => ActionKind::ApproveExtension,
            CaseAction::RejectExtension { .. } => ActionKind::RejectExtension,
            CaseAction::Escalate { .. } => ActionKind::Escalate,
            CaseAction::Urge { .. } => ActionKind::Urge,
            CaseAction::TakeOver { .. } => ActionKind::TakeOver,
        }
    }
}

/// Whose relation to the case the rule requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Anyone of the roles whose jurisdiction covers the case.
    Jurisdiction,
    /// Only the current handler.
    Handler,
    /// Only the person who reported it.
    Reporter,
}

/// One row of the table.
#[derive(Debug)]
struct Rule {
    kind: ActionKind,
    from: &'static [CaseState],
    roles: &'static [Role],
    who: Who,
}

use CaseState as S;
use Role as R;

const SECRETARY: &[Role] = &[R::VillageSecretary];
const SUPERVISORS: &[Role] = &[R::TownshipSupervisor, R::CitySupervisor];
const MANAGERS: &[Role] = &[
    R::VillageSecretary,
    R::TownshipSupervisor,
    R::CitySupervisor,
];
const HANDLERS: &[Role] = &[
    R::GridWorker,
    R::VillageSecretary,
    R::TownshipSupervisor,
    R::CitySupervisor,
];
const OPEN: &[CaseState] = &[S::Reported, S::Filed, S::Dispatched, S::InProgress];
const WORKING: &[CaseState] = &[S::Dispatched, S::InProgress];

/// THE table: every transition, the states it may start from, the roles that
/// may make it, and the relation to the case they need. Conditions that
/// depend on the case's data (a pending extension, the escalation level) and
/// on the payload (reasons, photos, days) are checked in `decide`.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { kind: ActionKind::File, from: &[S::Reported], roles: MANAGERS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Dismiss, from: &[S::Reported, S::Filed], roles: MANAGERS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Dispatch, from: &[S::Filed], roles: MANAGERS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Accept, from: &[S::Dispatched], roles: HANDLERS, who: Who::Handler },
    Rule { kind: ActionKind::Resolve, from: &[S::InProgress], roles: HANDLERS, who: Who::Handler },
    Rule { kind: ActionKind::ResolveOnSpot, from: &[S::Reported], roles: &[R::GridWorker], who: Who::Reporter },
    Rule { kind: ActionKind::Confirm, from: &[S::Resolved], roles: SECRETARY, who: Who::Jurisdiction },
    Rule { kind: ActionKind::SendBack, from: &[S::Resolved], roles: SECRETARY, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Close, from: &[S::Confirmed], roles: MANAGERS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Reassign, from: WORKING, roles: MANAGERS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::RequestExtension, from: WORKING, roles: HANDLERS, who: Who::Handler },
    Rule { kind: ActionKind::ApproveExtension, from: OPEN, roles: SUPERVISORS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::RejectExtension, from: OPEN, roles: SUPERVISORS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::Escalate, from: OPEN, roles: &[R::VillageSecretary, R::TownshipSupervisor], who: Who::Jurisdiction },
    Rule { kind: ActionKind::Urge, from: OPEN, roles: SUPERVISORS, who: Who::Jurisdiction },
    Rule { kind: ActionKind::TakeOver, from: OPEN, roles: SUPERVISORS, who: Who::Jurisdiction },
];

fn rule(kind: ActionKind) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.kind == kind)
}

/// Longest free text accepted for titles, notes and reasons (the table of
/// limits, gridwork_core::limits::text).
pub const MAX_TITLE: usize = crate::limits::text::TITLE;
pub const MAX_TEXT: usize = crate::limits::text::NOTE;

/// Why an action was refused. Each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    WrongState {
        action: ActionKind,
        state: CaseState,
    },
    RoleNotAllowed {
        action: ActionKind,
        role: Role,
    },
    OutOfJurisdiction,
    NotHandler,
    NotReporter,
    ReasonRequired {
        field: String,
    },
    TextTooLong {
        field: String,
        max: usize,
    },
    EvidenceRequired,
    ExtensionDays {
        days: u32,
        max_days: u32,
    },
    NoPendingExtension,
    ExtensionPending,
    AlreadyAtLevel {
        level: u8,
    },
    HandlerInvalid {
        reason: String,
    },
}

impl Refusal {
    /// A stable code for sync answers and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::WrongState { .. } => "wrong_state",
            Refusal::RoleNotAllowed { .. } => "role_not_allowed",
            Refusal::OutOfJurisdiction => "out_of_jurisdiction",
            Refusal::NotHandler => "not_handler",
            Refusal::NotReporter => "not_reporter",
            Refusal::ReasonRequired { .. } => "reason_required",
            Refusal::TextTooLong { .. } => "text_too_long",
            Refusal::EvidenceRequired => "evidence_required",
            Refusal::ExtensionDays { .. } => "extension_days",
            Refusal::NoPendingExtension => "no_pending_extension",
            Refusal::ExtensionPending => "extension_pending",
            Refusal::AlreadyAtLevel { .. } => "already_at_level",
            Refusal::HandlerInvalid { .. } => "handler_invalid",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::WrongState { action, state } => write!(
                f,
                "事件当前为“{}”，不能{} / cannot {} a case that is {}",
                state.label_zh(),
                action.label_zh(),
                action.as_str(),
                state.as_str()
            ),
            Refusal::RoleNotAllowed { action, role } => write!(
                f,
                "{}无权{} / a {} may not {}",
                role.label_zh(),
                action.label_zh(),
                role.as_str(),
                action.as_str()
            ),
            Refusal::OutOfJurisdiction => f.write_str("该事件不在您的辖区内 / the case is outside your jurisdiction"),
            Refusal::NotHandler => f.write_str("只有当前处置人可以这样做 / only the current handler may do this"),
            Refusal::NotReporter => f.write_str("只有上报人可以就地解决 / only the reporter may resolve on the spot"),
            Refusal::ReasonRequired { field } => write!(f, "请填写理由({field}) / a reason is required in {field}"),
            Refusal::TextTooLong { field, max } => write!(f, "{field}不能超过{max}字 / {field} is longer than {max} characters"),
            Refusal::EvidenceRequired => f.write_str("请附处置后照片 / attach at least one after-photo"),
            Refusal::ExtensionDays { days, max_days } => write!(
                f,
                "延期{days}天超出上限，最多还可延期{max_days}天 / {days} days is too long; at most {max_days} more"
            ),
            Refusal::NoPendingExtension => f.write_str("没有待审批的延期申请 / there is no extension request to decide"),
            Refusal::ExtensionPending => f.write_str("已有待审批的延期申请 / an extension request is already pending"),
            Refusal::AlreadyAtLevel { level } => write!(
                f,
                "事件已在第{level}级，您无法再上报 / the case is already at level {level}, beyond what you can escalate"
            ),
            Refusal::HandlerInvalid { reason } => write!(f, "处置人无效：{reason} / invalid handler: {reason}"),
        }
    }
}

impl From<Refusal> for CoreError {
    fn from(r: Refusal) -> Self {
        match &r {
            Refusal::ReasonRequired { field } | Refusal::TextTooLong { field, .. } => {
                CoreError::invalid(field.clone(), r.to_string())
            }
            Refusal::EvidenceRequired => CoreError::invalid("evidence_ids", r.to_string()),
            Refusal::ExtensionDays { .. } => CoreError::invalid("days", r.to_string()),
            Refusal::HandlerInvalid { .. } => CoreError::invalid("handler_id", r.to_string()),
            Refusal::WrongState { .. }
            | Refusal::ExtensionPending
            | Refusal::NoPendingExtension => CoreError::conflict(r.to_string()),
            _ => CoreError::not_permitted(r.to_string()),
        }
    }
}

/// What `decide` needs besides the case and the actor.
#[derive(Debug, Clone, Copy)]
pub struct DecideContext<'a> {
    pub now: DateTime<Utc>,
    pub policy: &'a DeadlinePolicy,
    /// For dispatch and reassign: the proposed handler, as the store or
    /// server knows them (`None` when no such user exists).
    pub new_handler: Option<&'a Actor>,
}

/// The highest level each role may escalate to.
fn escalation_ceiling(role: Role) -> u8 {
    match role {
        Role::VillageSecretary => 1,
        Role::TownshipSupervisor => 2,
        _ => 0,
    }
}

/// Check the rule table and the case-data conditions, without the payload.
fn permitted(case: &Case, kind: ActionKind, actor: &Actor) -> Result<(), Refusal> {
    let Some(rule) = rule(kind) else {
        return Err(Refusal::RoleNotAllowed {
            action: kind,
            role: actor.role,
        });
    };
    if !rule.roles.contains(&actor.role) {
        return Err(Refusal::RoleNotAllowed {
            action: kind,
            role: actor.role,
        });
    }
    if !rule.from.contains(&case.state) {
        return Err(Refusal::WrongState {
            action: kind,
            state: case.state,
        });
    }
    match rule.who {
        Who::Jurisdiction => {
            if !actor.reaches(&case.path) {
                return Err(Refusal::OutOfJurisdiction);
            }
        }
        Who::Handler => {
            if case.handler_id.as_deref() != Some(actor.user_id.as_str()) {
                return Err(Refusal::NotHandler);
            }
        }
        Who::Reporter => {
            if case.reporter_id != actor.user_id {
                return Err(Refusal::NotReporter);
            }
            if !actor.reaches(&case.path) {
                return Err(Refusal::OutOfJurisdiction);
            }
        }
    }
    match kind {
        ActionKind::RequestExtension if case.pending_extension.is_some() => {
            Err(Refusal::ExtensionPending)
        }
        ActionKind::ApproveExtension | ActionKind::RejectExtension
            if case.pending_extension.is_none() =>
        {
            Err(Refusal::NoPendingExtension)
        }
        ActionKind::Escalate if case.escalation_level >= escalation_ceiling(actor.role) => {
            Err(Refusal::AlreadyAtLevel {
                level: case.escalation_level,
            })
        }
        ActionKind::TakeOver if case.handler_id.as_deref() == Some(actor.user_id.as_str()) => {
            Err(Refusal::WrongState {
                action: kind,
                state: case.state,
            })
        }
        _ => Ok(()),
    }
}

/// The actions this person may take on this case now: what the case screen
/// offers. Payload checks (reasons, photos) happen when they press it.
pub fn allowed_actions(case: &Case, actor: &Actor) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|k| permitted(case, *k, actor).is_ok())
        .collect()
}

fn required_text(field: &str, text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::ReasonRequired {
            field: field.into(),
        });
    }
    optional_text(field, text)
}

fn optional_text(field: &str, text: &str) -> Result<(), Refusal> {
    if text.chars().count() > MAX_TEXT {
        return Err(Refusal::TextTooLong {
            field: field.into(),
            max: MAX_TEXT,
        });
    }
    Ok(())
}

fn check_handler(case: &Case, ctx: &DecideContext<'_>, handler_id: &str) -> Result<(), Refusal> {
    let Some(h) = ctx.new_handler.filter(|h| h.user_id == handler_id) else {
        return Err(Refusal::HandlerInvalid {
            reason: format!("用户{handler_id}不存在 / no user {handler_id}"),
        });
    };
    if h.role == Role::Administrator {
        return Err(Refusal::HandlerInvalid {
            reason: "管理员不处置事件 / administrators do not handle cases".into(),
        });
    }
    if !h.reaches(&case.path) {
        return Err(Refusal::HandlerInvalid {
            reason: format!(
                "{}不负责该网格 / {} does not cover this grid",
                h.name, h.name
            ),
        });
    }
    if case.handler_id.as_deref() == Some(handler_id) {
        return Err(Refusal::HandlerInvalid {
            reason: "已是当前处置人 / already the handler".into(),
        });
    }
    Ok(())
}

/// Days an extension may still add without passing the ceiling.
fn extension_room(case: &Case, policy: &DeadlinePolicy) -> u32 {
    let room = policy.max_deadline(case.reported_at) - case.deadline;
    room.num_days().max(0) as u32
}

/// Decide an action: the event it produces, or why not.
pub fn decide(
    case: &Case,
    action: &CaseAction,
    actor: &Actor,
    ctx: &DecideContext<'_>,
) -> Result<EventKind, Refusal> {
    permitted(case, action.kind(), actor)?;
    Ok(match action {
        CaseAction::File { difficulty, note } => {
            optional_text("note", note)?;
            let difficulty = match difficulty {
                Difficulty::OnSpot => Difficulty::Normal,
                d => *d,
            };
            let deadline = ctx.policy.resolve_deadline(
                &case.category,
                case.severity,
                difficulty,
                case.reported_at,
            );
            EventKind::Filed {
                difficulty,
                deadline,
                note: note.clone(),
            }
        }
        CaseAction::Dismiss { reason } => {
            required_text("reason", reason)?;
            EventKind::Dismissed {
                reason: reason.clone(),
            }
        }
        CaseAction::Dispatch { handler_id } => {
            check_handler(case, ctx, handler_id)?;
            EventKind::Dispatched {
                handler_id: handler_id.clone(),
            }
        }
        CaseAction::Accept => EventKind::Accepted,
        CaseAction::Resolve { note, evidence_ids }
        | CaseAction::ResolveOnSpot { note, evidence_ids } => {
            optional_text("note", note)?;
            if evidence_ids.is_empty() {
                return Err(Refusal::EvidenceRequired);
            }
            let on_spot = matches!(action, CaseAction::ResolveOnSpot { .. });
            EventKind::Resolved {
                note: note.clone(),
                evidence_ids: evidence_ids.clone(),
                on_spot,
                deadline: on_spot.then(|| ctx.policy.end_of_local_day(case.reported_at)),
            }
        }
        CaseAction::Confirm { note } => {
            optional_text("note", note)?;
            EventKind::Confirmed { note: note.clone() }
        }
        CaseAction::SendBack { reason } => {
            required_text("reason", reason)?;
            EventKind::SentBack {
                reason: reason.clone(),
            }
        }
        CaseAction::Close { note } => {
            optional_text("note", note)?;
            EventKind::Closed { note: note.clone() }
        }
        CaseAction::Reassign { handler_id, reason } => {
            required_text("reason", reason)?;
            check_handler(case, ctx, handler_id)?;
            EventKind::Reassigned {
                from: case.handler_id.clone(),
                to: handler_id.clone(),
                reason: reason.clone(),
            }
        }
        CaseAction::RequestExtension { days, reason } => {
            required_text("reason", reason)?;
            let max_days = extension_room(case, ctx.policy);
            if *days == 0 || *days > max_days {
                return Err(Refusal::ExtensionDays {
                    days: *days,
                    max_days,
                });
            }
            EventKind::ExtensionRequested {
                days: *days,
                reason: reason.clone(),
            }
        }
        CaseAction::ApproveExtension { days } => {
            let requested = case.pending_extension.as_ref().map_or(0, |p| p.days);
            let max_days = extension_room(case, ctx.policy).min(requested);
            if *days == 0 || *days > max_days {
                return Err(Refusal::ExtensionDays {
                    days: *days,
                    max_days,
                });
            }
            EventKind::ExtensionApproved {
                days: *days,
                deadline: case.deadline + Duration::days(i64::from(*days)),
            }
        }
        CaseAction::RejectExtension { reason } => {
            required_text("reason", reason)?;
            EventKind::ExtensionRejected {
                reason: reason.clone(),
            }
        }
        CaseAction::Escalate { reason } => {
            required_text("reason", reason)?;
            EventKind::Escalated {
                level: case.escalation_level + 1,
                reason: EscalationReason::Manual,
                note: reason.clone(),
            }
        }
        CaseAction::Urge { message } => {
            required_text("message", message)?;
            EventKind::Urged {
                message: message.clone(),
            }
        }
        CaseAction::TakeOver { reason } => {
            required_text("reason", reason)?;
            EventKind::TakenOver {
                reason: reason.clone(),
            }
        }
    })
}

/// Check a new report and produce its first event's kind.
pub fn decide_report(
    draft: &CaseDraft,
    path: &RegionPath,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &DeadlinePolicy,
) -> Result<EventKind, CoreError> {
    if actor.role == Role::Administrator {
        return Err(CoreError::not_permitted(
            "管理员不上报事件 / administrators do not report cases",
        ));
    }
    if !actor.reaches(path) {
        return Err(Refusal::OutOfJurisdiction.into());
    }
    let title = draft.title.trim();
    if title.is_empty() {
        return Err(CoreError::invalid(
            "title",
            "请填写事件标题 / the title is empty",
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(CoreError::invalid(
            "title",
            format!("标题不能超过{MAX_TITLE}字 / title longer than {MAX_TITLE} characters"),
        ));
    }
    if draft.description.chars().count() > MAX_TEXT {
        return Err(CoreError::invalid(
            "description",
            format!("描述不能超过{MAX_TEXT}字 / description longer than {MAX_TEXT} characters"),
        ));
    }
    if draft.category.subcategory.trim().is_empty() {
        return Err(CoreError::invalid(
            "category.subcategory",
            "请选择事件子类 / the subcategory is empty",
        ));
    }
    Ok(EventKind::Reported {
        category: draft.category.clone(),
        severity: draft.severity,
        title: title.to_string(),
        description: draft.description.clone(),
        household_code: draft.household_code.clone(),
        path: path.clone(),
        source: draft.source.clone(),
        evidence_ids: draft.evidence_ids.clone(),
        accept_deadline: now + policy.accept_within(draft.severity),
        deadline: policy.resolve_deadline(&draft.category, draft.severity, Difficulty::Normal, now),
    })
}

/// Build, apply and seal the next event of a case. `prev` is the case's last
/// event (`None` for a report). Returns the new state and the sealed event.
pub fn append(
    case: Option<&Case>,
    prev: Option<&CaseEvent>,
    case_id: &str,
    event_id: String,
    kind: EventKind,
    actor: Option<&Actor>,
    at: DateTime<Utc>,
) -> Result<(Case, CaseEvent), CoreError> {
    let mut event = CaseEvent {
        id: event_id,
        case_id: case_id.to_string(),
        seq: prev.map_or(1, |p| p.seq + 1),
        at,
        actor_id: actor.map_or_else(|| "system".to_string(), |a| a.user_id.clone()),
        actor_name: actor.map_or_else(|| "系统".to_string(), |a| a.name.clone()),
        actor_role: actor.map(|a| a.role),
        kind,
        state_after: CaseState::Reported,
        prev_hash: prev.map_or_else(|| GENESIS_HASH.to_string(), |p| p.hash.clone()),
        hash: String::new(),
    };
    let next = apply_event(case.cloned(), &event)?;
    event.state_after = next.state;
    let event = event.seal()?;
    Ok((next, event))
}

#[cfg(test)]
mod form_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every action built from a form is that action, and carries what the
    /// form's fields said (the fields `inputs` asks for).
    #[test]
    fn a_filled_in_form_becomes_its_action() {
        let fields = ActionFields {
            text: "井盖已更换".into(),
            handler_id: Some("w2".into()),
            days: Some(5),
            difficulty: Some(Difficulty::Hard),
        };
        for kind in ActionKind::ALL {
            let action = kind.action(fields.clone());
            assert_eq!(action.kind(), kind);
            let json = serde_json::to_value(&action).unwrap();
            for input in kind.inputs() {
                let (name, want) = match input {
                    ActionInput::Note => ("note", serde_json::json!("井盖已更换")),
                    ActionInput::Reason => ("reason", serde_json::json!("井盖已更换")),
                    ActionInput::Message => ("message", serde_json::json!("井盖已更换")),
                    ActionInput::Handler => ("handler_id", serde_json::json!("w2")),
                    ActionInput::Days => ("days", serde_json::json!(5)),
                    ActionInput::Difficulty => ("difficulty", serde_json::json!("hard")),
                    ActionInput::Photos => ("evidence_ids", serde_json::json!([])),
                };
                assert_eq!(json[name], want, "{kind:?}.{name}");
            }
        }
        // Days not typed (or not a number) go as 0, which `decide` refuses by name.
        let approve = ActionKind::ApproveExtension.action(ActionFields::default());
        assert_eq!(approve, CaseAction::ApproveExtension { days: 0 });
    }
}
