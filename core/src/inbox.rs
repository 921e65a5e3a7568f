//! The in-app inbox (消息): what a person must act on because of a case —
//! an escalation to their level, an urge (督办) from a supervisor, a case
//! given to them, an extension waiting for approval. The server creates
//! items when it records the case event; they reach the phone by sync
//! whether or not a push arrives, and reading one on any of a person's
//! devices marks it read on all of them.
//!
//! Also here: the push endpoints a device registers and a person's quiet
//! hours, because they decide how an item is announced. The texts are
//! composed here, once, for the inbox screen and every push channel.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{CaseEvent, EscalationReason, EventKind};
use crate::error::{CoreError, Result};
use crate::priority::Severity;

/// Why an item is in someone's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// The case was escalated to the recipient's level (1 township, 2 city).
    Escalated,
    /// A supervisor urged the recipient, the case's handler (督办).
    Urged,
    /// The case was dispatched or reassigned to the recipient.
    Assigned,
    /// The handler asked for more time; the recipient may approve.
    ExtensionRequested,
}

impl InboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Escalated => "escalated",
            InboxKind::Urged => "urged",
            InboxKind::Assigned => "assigned",
            InboxKind::ExtensionRequested => "extension_requested",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            InboxKind::Escalated,
            InboxKind::Urged,
            InboxKind::Assigned,
            InboxKind::ExtensionRequested,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One inbox item, as the server keeps it and the phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxItem {
    pub id: String,
    /// The recipient.
    pub user_id: String,
    pub kind: InboxKind,
    pub case_id: String,
    /// The case event that caused it.
    pub event_id: String,
    /// The escalation level for escalations, else the case's level then.
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub level: u8,
    pub reason: Option<EscalationReason>,
    /// Critical safety case: announced at once, through quiet hours.
    pub critical: bool,
    pub case_title: String,
    /// The urge's message, the reassignment's or the extension's reason.
    pub message: String,
    /// Who caused it (the engine: "系统 / system").
    pub actor_name: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl InboxItem {
    /// The item that `event` on a case titled `case_title` makes for
    /// `user_id`, or `None` when the event is not one people are told of.
    pub fn for_event(
        user_id: &str,
        event: &CaseEvent,
        case_title: &str,
        severity: Severity,
        level: u8,
    ) -> Option<InboxItem> {
        let (kind, level, reason, message) = match &event.kind {
            EventKind::Escalated {
                level,
                reason,
                note,
            } => (InboxKind::Escalated, *level, Some(*reason), note.clone()),
            EventKind::Urged { message } => (InboxKind::Urged, level, None, message.clone()),
            EventKind::Dispatched { .. } => (InboxKind::Assigned, level, None, String::new()),
            EventKind::Reassigned { reason, .. } => {
                (InboxKind::Assigned, level, None, reason.clone())
            }
            EventKind::ExtensionRequested { days, reason } => (
                InboxKind::ExtensionRequested,
                level,
                None,
                format!("{days}天 / {days} days: {reason}"),
            ),
            _ => return None,
        };
        Some(InboxItem {
            id: item_id(&event.id, user_id),
            user_id: user_id.to_string(),
            kind,
            case_id: event.case_id.clone(),
            event_id: event.id.clone(),
            level,
            reason,
            critical: severity == Severity::Critical,
            case_title: case_title.to_string(),
            message,
            actor_name: if event.actor_role.is_none() {
                "系统 / system".into()
            } else {
                event.actor_name.clone()
            },
            created_at: event.at,
            read_at: None,
        })
    }

    /// The headline, Chinese then English.
    pub fn title(&self) -> (String, String) {
        match self.kind {
            InboxKind::Escalated => {
                let (zh, en) = match self.level {
                    0 | 1 => ("乡镇(街道)", "township"),
                    _ => ("市级", "city"),
                };
                let why = self
                    .reason
                    .map_or(("", ""), |r| (r.label_zh(), reason_en(r)));
                (
                    format!("事件升级至{zh}：{}", why.0),
                    format!("Case escalated to the {en}: {}", why.1),
                )
            }
            InboxKind::Urged => ("督办提醒".into(), "Urged by a supervisor".into()),
            InboxKind::Assigned => ("新派事件".into(), "A case was given to you".into()),
            InboxKind::ExtensionRequested => (
                "延期申请待批".into(),
                "Extension waiting for approval".into(),
            ),
        }
    }

    /// The body: the case, then what was said.
    pub fn body(&self) -> (String, String) {
        let said = if self.message.trim().is_empty() {
            String::new()
        } else {
            format!(" — {}", self.message.trim())
        };
        let critical = if self.critical {
            ("【重大】", "[critical] ")
        } else {
            ("", "")
        };
        (
            format!("{}{}{said}", critical.0, self.case_title),
            format!("{}{}{said}", critical.1, self.case_title),
        )
    }
}

fn reason_en(r: EscalationReason) -> &'static str {
    match r {
        EscalationReason::AcceptanceOverdue => "not accepted in time",
        EscalationReason::ResolutionOverdue => "overdue",
        EscalationReason::Critical => "critical case",
        EscalationReason::Manual => "escalated by hand",
    }
}

/// One item per event and recipient, the same id on every server process
/// and after every restart (so a second engine's insert is a no-op).
fn item_id(event_id: &str, user_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("inbox|{event_id}|{user_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A push endpoint a device registers (the shell obtains it from the
/// platform; the core sends it to the server with the next sync).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushEndpoint {
    /// A Web Push / UnifiedPush subscription: the endpoint URL and the
    /// user agent's P-256 key and auth secret (base64url, as browsers and
    /// UnifiedPush distributors give them).
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
    /// An APNs device token (hex).
    Apns { device_token: String },
    /// A JPush (极光) registration id; JPush reaches the vendor channels.
    JPush { registration_id: String },
}

impl PushEndpoint {
    pub fn kind(&self) -> &'static str {
        match self {
            PushEndpoint::WebPush { .. } => "web_push",
            PushEndpoint::Apns { .. } => "apns",
            PushEndpoint::JPush { .. } => "jpush",
        }
    }

    /// Shape checks, so that a bad token is refused when it is registered
    /// rather than failing silently at every escalation.
    pub fn validate(&self) -> Result<()> {
        use base64::Engine as _;
        let b64 = |field: &str, value: &str, len: usize| -> Result<()> {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(value.trim_end_matches('='))
                .map_err(|_| {
                    CoreError::invalid(field, "不是base64url / not base64url".to_string())
                })?;
            if bytes.len() != len {
                return Err(CoreError::invalid(
                    field,
                    format!(
                        "应为{len}字节，实为{} / must be {len} bytes, not {}",
                        bytes.len(),
                        bytes.len()
                    ),
                ));
            }
            Ok(())
        };
        match self {
            PushEndpoint::WebPush {
                endpoint,
                p256dh,
                auth,
            } => {
                let ok = (endpoint.starts_with("https://") || endpoint.starts_with("http://"))
                    && endpoint.len() <= 2048
                    && !endpoint.chars().any(char::is_whitespace);
                if !ok {
                    return Err(CoreError::invalid(
                        "endpoint",
                        "推送地址必须是http(s)网址 / the endpoint must be an http(s) URL",
                    ));
                }
                b64("p256dh", p256dh, 65)?;
                b64("auth", auth, 16)
            }
            PushEndpoint::Apns { device_token } => {
                let ok = (64..=200).contains(&device_token.len())
                    && device_token.chars().all(|c| c.is_ascii_hexdigit());
                if ok {
                    Ok(())
                } else {
                    Err(CoreError::invalid(
                        "device_token",
                        "APNs令牌应为64位以上十六进制 / an APNs token is 64 or more hex digits",
                    ))
                }
            }
            PushEndpoint::JPush { registration_id } => {
                let ok = !registration_id.is_empty()
                    && registration_id.len() <= 64
                    && registration_id.chars().all(|c| c.is_ascii_alphanumeric());
                if ok {
                    Ok(())
                } else {
                    Err(CoreError::invalid(
                        "registration_id",
                        "极光注册ID应为1-64位字母数字 / a JPush registration id is 1–64 letters and digits",
                    ))
                }
            }
        }
    }
}

// By hand: endpoints are capabilities (whoever holds one can push to the
// phone), so logs show only their kind and origin.
impl std::fmt::Debug for PushEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushEndpoint::WebPush { endpoint, .. } => {
                let origin: String = endpoint
                    .splitn(4, '/')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("/");
                f.debug_struct("WebPush")
                    .field("origin", &origin)
                    .finish_non_exhaustive()
            }
            PushEndpoint::Apns { .. } => f.debug_struct("Apns").finish_non_exhaustive(),
            PushEndpoint::JPush { .. } => f.debug_struct("JPush").finish_non_exhaustive(),
        }
    }
}

/// A person's quiet hours (勿扰时段) in China time: normal items wait until
/// the window ends; critical ones never wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuietHours {
    /// Local start, inclusive (e.g. 22:00).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "22:00:00"))]
    pub start: NaiveTime,
    /// Local end, exclusive (e.g. 07:00; earlier than start crosses midnight).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "07:00:00"))]
    pub end: NaiveTime,
}

impl QuietHours {
    /// What a person has until they choose otherwise: 22:00–07:00.
    pub fn default_night() -> QuietHours {
        QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_when_registered() {
        let key = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        let auth = "BTBZMqHH6r4Tts7J_aSIgg";
        let ok = PushEndpoint::WebPush {
            endpoint: "https://push.example.net/p/abc".into(),
            p256dh: key.into(),
            auth: auth.into(),
        };
        ok.validate().unwrap();
        let bad_auth = PushEndpoint::WebPush {
            endpoint: "https://push.example.net/p/abc".into(),
            p256dh: key.into(),
            auth: "AAAA".into(),
        };
        assert!(
            matches!(bad_auth.validate(), Err(CoreError::Invalid { field, .. }) if field == "auth")
        );
        let ftp = PushEndpoint::WebPush {
            endpoint: "ftp://push.example.net/p".into(),
            p256dh: key.into(),
            auth: auth.into(),
        };
        assert!(
            matches!(ftp.validate(), Err(CoreError::Invalid { field, .. }) if field == "endpoint")
        );
        assert!(PushEndpoint::Apns {
            device_token: "ab".repeat(32)
        }
        .validate()
        .is_ok());
        assert!(PushEndpoint::Apns {
            device_token: "xyz".into()
        }
        .validate()
        .is_err());
        assert!(PushEndpoint::JPush {
            registration_id: "1a0018970a8f0c1b".into()
        }
        .validate()
        .is_ok());
        assert!(PushEndpoint::JPush {
            registration_id: "".into()
        }
        .validate()
        .is_err());
        // Logs never carry the capability.
        let shown = format!("{ok:?}");
        assert!(
            shown.contains("push.example.net")
                && !shown.contains("/p/abc")
                && !shown.contains(auth),
            "{shown}"
        );
    }

    #[test]
    fn item_ids_are_the_same_for_the_same_event_and_person() {
        assert_eq!(item_id("e1", "u1"), item_id("e1", "u1"));
        assert_ne!(item_id("e1", "u1"), item_id("e1", "u2"));
        assert_ne!(item_id("e1", "u1"), item_id("e2", "u1"));
    }
}
