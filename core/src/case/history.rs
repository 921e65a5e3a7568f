//! The append-only case history. Events are facts (every derived value, such
//! as a new deadline, is inside the event), so replaying them needs no
//! policy; each carries the SHA-256 of the one before it, so tampering with
//! any event breaks the chain at a point we can name.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Case, CaseSource, CaseState, Difficulty, EscalationReason, ExtensionRequest};
use crate::error::{CoreError, Result};
use crate::priority::{Category, Severity};
use crate::region::RegionPath;
use crate::user::Role;

/// The `prev_hash` of a case's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Facts, in the past tense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Reported {
        category: Category,
        severity: Severity,
        title: String,
        description: String,
        household_code: Option<String>,
        path: RegionPath,
        source: Option<CaseSource>,
        evidence_ids: Vec<String>,
        accept_deadline: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    Filed {
        difficulty: Difficulty,
        deadline: DateTime<Utc>,
        note: String,
    },
    Dismissed {
        reason: String,
    },
    Dispatched {
        handler_id: String,
    },
    Accepted,
    Resolved {
        note: String,
        evidence_ids: Vec<String>,
        on_spot: bool,
        /// On-the-spot resolutions move the deadline to the end of the day.
        deadline: Option<DateTime<Utc>>,
    },
    Confirmed {
        note: String,
    },
    SentBack {
        reason: String,
    },
    Closed {
        note: String,
    },
    Reassigned {
        from: Option<String>,
        to: String,
        reason: String,
    },
    ExtensionRequested {
        days: u32,
        reason: String,
    },
    ExtensionApproved {
        days: u32,
        deadline: DateTime<Utc>,
    },
    ExtensionRejected {
        reason: String,
    },
    Escalated {
        #[cfg_attr(feature = "openapi", schema(maximum = 255))]
        level: u8,
        reason: EscalationReason,
        note: String,
    },
    Urged {
        message: String,
    },
    TakenOver {
        reason: String,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Reported { .. } => "reported",
            EventKind::Filed { .. } => "filed",
            EventKind::Dismissed { .. } => "dismissed",
            EventKind::Dispatched { .. } => "dispatched",
            EventKind::Accepted => "accepted",
            EventKind::Resolved { .. } => "resolved",
            EventKind::Confirmed { .. } => "confirmed",
            EventKind::SentBack { .. } => "sent_back",
            EventKind::Closed { .. } => "closed",
            EventKind::Reassigned { .. } => "reassigned",
            EventKind::ExtensionRequested { .. } => "extension_requested",
            EventKind::ExtensionApproved { .. } => "extension_approved",
            EventKind::ExtensionRejected { .. } => "extension_rejected",
            EventKind::Escalated { .. } => "escalated",
            EventKind::Urged { .. } => "urged",
            EventKind::TakenOver { .. } => "taken_over",
        }
    }

    /// A line for the timeline, Chinese first.
    pub fn summary_zh(&self) -> String {
        match self {
            EventKind::Reported { title, .. } => format!("上报：{title}"),
            EventKind::Filed { difficulty, .. } => match difficulty {
                Difficulty::Hard => "立案(疑难)".into(),
                _ => "立案".into(),
            },
            EventKind::Dismissed { reason } => format!("不予立案：{reason}"),
            EventKind::Dispatched { .. } => "派遣处置人".into(),
            EventKind::Accepted => "开始处置".into(),
            EventKind::Resolved {
                on_spot: true,
                note,
                ..
            } => format!("就地解决：{note}"),
            EventKind::Resolved { note, .. } => format!("处置完毕：{note}"),
            EventKind::Confirmed { note } => format!("核查通过：{note}"),
            EventKind::SentBack { reason } => format!("退回：{reason}"),
            EventKind::Closed { note } => format!("结案：{note}"),
            EventKind::Reassigned { reason, .. } => format!("改派：{reason}"),
            EventKind::ExtensionRequested { days, reason } => format!("申请延期{days}天：{reason}"),
            EventKind::ExtensionApproved { days, .. } => format!("批准延期{days}天"),
            EventKind::ExtensionRejected { reason } => format!("驳回延期：{reason}"),
            EventKind::Escalated { level, reason, .. } => {
                let to = if *level >= 2 {
                    "市级"
                } else {
                    "乡镇(街道)"
                };
                format!("升级至{to}：{}", reason.label_zh())
            }
            EventKind::Urged { message } => format!("督办：{message}"),
            EventKind::TakenOver { reason } => format!("督导接管：{reason}"),
        }
    }
}

/// One event in a case's chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseEvent {
    pub id: String,
    pub case_id: String,
    /// 1 for the report, then +1 per event.
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_name: String,
    /// `None` for the escalation engine.
    pub actor_role: Option<Role>,
    pub kind: EventKind,
    pub state_after: CaseState,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed part of an event, in a fixed field order. Times are RFC 3339
/// UTC with milliseconds so that every implementation writes the same bytes.
#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    id: &'a str,
    case_id: &'a str,
    seq: u32,
    at: String,
    actor_id: &'a str,
    actor_name: &'a str,
    actor_role: Option<Role>,
    kind: &'a EventKind,
    state_after: CaseState,
    prev_hash: &'a str,
}

impl CaseEvent {
    /// The canonical bytes that are hashed.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>> {
        let c = Canonical {
            v: 1,
            id: &self.id,
            case_id: &self.case_id,
            seq: self.seq,
            at: self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            actor_id: &self.actor_id,
            actor_name: &self.actor_name,
            actor_role: self.actor_role,
            kind: &self.kind,
            state_after: self.state_after,
            prev_hash: &self.prev_hash,
        };
        Ok(serde_json::to_vec(&c)?)
    }

    pub fn compute_hash(&self) -> Result<String> {
        Ok(hex::encode(Sha256::digest(self.canonical_bytes()?)))
    }

    /// Fill `hash` from the other fields.
    pub fn seal(mut self) -> Result<Self> {
        self.hash = self.compute_hash()?;
        Ok(self)
    }
}

/// Where and why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainBreak {
    pub seq: u32,
    pub reason: String,
}

/// Verify a case's chain: sequence numbers contiguous from 1, each
/// `prev_hash` the previous `hash`, each `hash` recomputed, and every
/// `state_after` what replay says. Returns the first break.
pub fn verify_chain(events: &[CaseEvent]) -> Option<ChainBreak> {
    let mut prev = GENESIS_HASH.to_string();
    let mut case: Option<Case> = None;
    for (i, e) in events.iter().enumerate() {
        let expected_seq = i as u32 + 1;
        let fail = |reason: String| Some(ChainBreak { seq: e.seq, reason });
        if e.seq != expected_seq {
            return fail(format!(
                "序号应为{expected_seq} / expected seq {expected_seq}, found {}",
                e.seq
            ));
        }
        if e.prev_hash != prev {
            return fail("前序哈希不符 / prev_hash does not match the previous event".into());
        }
        match e.compute_hash() {
            Ok(h) if h == e.hash => {}
            Ok(_) => {
                return fail("哈希不符，内容被改动 / hash mismatch: the event was altered".into())
            }
            Err(err) => return fail(format!("无法编码 / cannot encode: {err}")),
        }
        match apply_event(case.take(), e) {
            Ok(c) if c.state == e.state_after => case = Some(c),
            Ok(c) => {
                return fail(format!(
                    "状态应为{} / replay gives {}, event says {}",
                    c.state.as_str(),
                    c.state.as_str(),
                    e.state_after.as_str()
                ))
            }
            Err(err) => return fail(err.to_string()),
        }
        prev = e.hash.clone();
    }
    None
}

/// Rebuild a case from its events.
pub fn replay(events: &[CaseEvent]) -> Result<Case> {
    let mut case = None;
    for e in events {
        case = Some(apply_event(case, e)?);
    }
    case.ok_or_else(|| CoreError::corrupt("case history", "no events"))
}

/// Fold one event into the case. Total: a foreign or tampered event makes an
/// error, never a panic.
pub fn apply_event(case: Option<Case>, e: &CaseEvent) -> Result<Case> {
    let Some(mut c) = case else {
        return match &e.kind {
            EventKind::Reported {
                category,
                severity,
                title,
                description,
                household_code,
                path,
                source,
                evidence_ids,
                accept_deadline,
                deadline,
            } => Ok(Case {
                id: e.case_id.clone(),
                category: category.clone(),
                severity: *severity,
                difficulty: Difficulty::Normal,
                state: CaseState::Reported,
                title: title.clone(),
                description: description.clone(),
                household_code: household_code.clone(),
                path: path.clone(),
                reporter_id: e.actor_id.clone(),
                handler_id: None,
                reported_at: e.at,
                filed_at: None,
                accept_deadline: *accept_deadline,
                deadline: *deadline,
                extension_days: 0,
                pending_extension: None,
                escalation_level: 0,
                resolved_at: None,
                confirmed_at: None,
                closed_at: None,
                dismissed: None,
                on_spot: false,
                send_backs: 0,
                last_send_back_reason: None,
                source: source.clone(),
                evidence_ids: evidence_ids.clone(),
            }),
            other => Err(CoreError::corrupt(
                "case history",
                format!("first event is {}, not reported", other.name()),
            )),
        };
    };
    if e.case_id != c.id {
        return Err(CoreError::corrupt(
            "case history",
            "event belongs to another case",
        ));
    }
    match &e.kind {
        EventKind::Reported { .. } => {
            return Err(CoreError::corrupt("case history", "a second report event"));
        }
        EventKind::Filed {
            difficulty,
            deadline,
            ..
        } => {
            c.state = CaseState::Filed;
            c.filed_at = Some(e.at);
            c.difficulty = *difficulty;
            c.deadline = *deadline;
        }
        EventKind::Dismissed { reason } => {
            c.state = CaseState::Closed;
            c.closed_at = Some(e.at);
            c.dismissed = Some(reason.clone());
            c.pending_extension = None;
        }
        EventKind::Dispatched { handler_id } => {
            c.state = CaseState::Dispatched;
            c.handler_id = Some(handler_id.clone());
        }
        EventKind::Accepted => c.state = CaseState::InProgress,
        EventKind::Resolved {
            evidence_ids,
            on_spot,
            deadline,
            ..
        } => {
            c.state = CaseState::Resolved;
            c.resolved_at = Some(e.at);
            c.evidence_ids.extend(evidence_ids.iter().cloned());
            c.pending_extension = None;
            if *on_spot {
                c.on_spot = true;
                c.difficulty = Difficulty::OnSpot;
                c.handler_id = Some(e.actor_id.clone());
                c.filed_at.get_or_insert(e.at);
            }
            if let Some(d) = deadline {
                c.deadline = *d;
            }
        }
        EventKind::Confirmed { .. } => {
            c.state = CaseState::Confirmed;
            c.confirmed_at = Some(e.at);
        }
        EventKind::SentBack { reason } => {
            c.state = CaseState::InProgress;
            c.resolved_at = None;
            c.send_backs += 1;
            c.last_send_back_reason = Some(reason.clone());
        }
        EventKind::Closed { .. } => {
            c.state = CaseState::Closed;
            c.closed_at = Some(e.at);
        }
        EventKind::Reassigned { to, .. } => {
            c.state = CaseState::Dispatched;
            c.handler_id = Some(to.clone());
        }
        EventKind::ExtensionRequested { days, reason } => {
            c.pending_extension = Some(ExtensionRequest {
                days: *days,
                reason: reason.clone(),
                requested_by: e.actor_id.clone(),
            });
        }
        EventKind::ExtensionApproved { days, deadline } => {
            c.pending_extension = None;
            c.extension_days += days;
            c.deadline = *deadline;
        }
        EventKind::ExtensionRejected { .. } => c.pending_extension = None,
        EventKind::Escalated { level, .. } => c.escalation_level = c.escalation_level.max(*level),
        EventKind::Urged { .. } => {}
        EventKind::TakenOver { .. } => {
            // Taking over an unfiled case accepts it.
            c.state = CaseState::InProgress;
            c.handler_id = Some(e.actor_id.clone());
            c.filed_at.get_or_insert(e.at);
        }
    }
    Ok(c)
}
