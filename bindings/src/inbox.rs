//! The inbox and push registration through the bindings (ADR 0011): the
//! inbox screen with its texts composed by the core, read marks, the push
//! endpoint the shell obtained from the platform (FCM is absent in China:
//! a UnifiedPush distributor or JPush on Android, APNs on iOS), and the
//! person's quiet hours.

use chrono::NaiveTime;
use gridwork_core::inbox::{InboxItem, InboxKind, PushEndpoint, QuietHours};
use gridwork_core::sync::protocol::PushConfig;

use crate::store::GridworkStore;
use crate::types::{EscalationReason, UtcTime};
use crate::GridworkError;

uniffi::custom_type!(NaiveTime, String, {
    remote,
    lower: |t| t.format("%H:%M").to_string(),
    try_lift: |s| Ok(NaiveTime::parse_from_str(s.trim(), "%H:%M")?),
});

#[uniffi::remote(Enum)]
pub enum InboxKind {
    Escalated,
    Urged,
    Assigned,
    ExtensionRequested,
}

#[uniffi::remote(Enum)]
pub enum PushEndpoint {
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
    Apns {
        device_token: String,
    },
    JPush {
        registration_id: String,
    },
}

/// Quiet hours from two typed times: each must be `HH:MM` (00:00–23:59),
/// and they must differ. The error names the field.
#[uniffi::export]
pub fn check_quiet_hours(start: String, end: String) -> Result<QuietHours, GridworkError> {
    let parse = |field: &str, value: &str| {
        NaiveTime::parse_from_str(value.trim(), "%H:%M").map_err(|_| GridworkError::Invalid {
            field: format!("quiet_hours.{field}"),
            reason: format!(
                "时间应为 时:分，如 23:00 / a time must be HH:MM, e.g. 23:00 (got \"{}\")",
                value.trim()
            ),
        })
    };
    let (start, end) = (parse("start", &start)?, parse("end", &end)?);
    if start == end {
        return Err(GridworkError::Invalid {
            field: "quiet_hours.end".into(),
            reason: "开始和结束时间不能相同 / start and end must differ".into(),
        });
    }
    Ok(QuietHours { start, end })
}

/// Local start and end, "HH:MM" in China time (end before start: the
/// window crosses midnight).
#[uniffi::remote(Record)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[uniffi::remote(Record)]
pub struct PushConfig {
    pub vapid_public_key: String,
    pub kinds: Vec<String>,
}

/// One inbox line as the screen shows it (texts from the core).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InboxEntry {
    pub id: String,
    pub kind: InboxKind,
    pub case_id: String,
    pub level: u8,
    pub reason: Option<EscalationReason>,
    pub critical: bool,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
    pub actor_name: String,
    pub created_at: UtcTime,
    pub read_at: Option<UtcTime>,
}

impl From<InboxItem> for InboxEntry {
    fn from(i: InboxItem) -> Self {
        let ((title_zh, title_en), (body_zh, body_en)) = (i.title(), i.body());
        InboxEntry {
            id: i.id,
            kind: i.kind,
            case_id: i.case_id,
            level: i.level,
            reason: i.reason,
            critical: i.critical,
            title_zh,
            title_en,
            body_zh,
            body_en,
            actor_name: i.actor_name,
            created_at: i.created_at,
            read_at: i.read_at,
        }
    }
}

/// The inbox screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InboxScreen {
    pub items: Vec<InboxEntry>,
    pub unread: u32,
}

#[uniffi::export(async_runtime = "tokio")]
impl GridworkStore {
    /// What the server needs for a push subscription (the VAPID key for Web
    /// Push / UnifiedPush, and which kinds it delivers to).
    pub async fn push_config(&self) -> Result<PushConfig, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        Ok(gridwork_core::sync::device::push_config(&store, secrets.as_ref()).await?)
    }
}

#[uniffi::export]
impl GridworkStore {
    /// The signed-in person's inbox, newest first.
    pub fn inbox(
        &self,
        unread_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<InboxScreen, GridworkError> {
        let (store, user) = self.session()?;
        let page = store.inbox(&user, unread_only, offset, limit)?;
        Ok(InboxScreen {
            items: page.items.into_iter().map(Into::into).collect(),
            unread: page.unread,
        })
    }

    /// Mark an item read (on every device of the person after sync).
    pub fn mark_inbox_read(&self, item_id: String) -> Result<InboxEntry, GridworkError> {
        let (store, user) = self.session()?;
        Ok(store.mark_inbox_read(&user, &item_id)?.into())
    }

    /// Register this device's push endpoint (sent with the next sync).
    /// Call it at every start with what the platform gave: the same one
    /// again changes nothing (returns false).
    pub fn register_push_endpoint(&self, endpoint: PushEndpoint) -> Result<bool, GridworkError> {
        Ok(self.store_arc()?.register_push_endpoint(&endpoint)?)
    }

    pub fn push_endpoints(&self) -> Result<Vec<PushEndpoint>, GridworkError> {
        Ok(self.store_arc()?.push_endpoints()?)
    }

    /// Stop pushes of a kind ("web_push", "apns", "jpush") to this device.
    pub fn unregister_push_endpoint(&self, kind: String) -> Result<(), GridworkError> {
        Ok(self.store_arc()?.unregister_push_endpoint(&kind)?)
    }

    /// The signed-in person's quiet hours (`None`: notify at any hour).
    /// Times typed by a person go through [`check_quiet_hours`] first: a
    /// string that is not `HH:MM` cannot cross into this call.
    pub fn set_quiet_hours(&self, quiet: Option<QuietHours>) -> Result<(), GridworkError> {
        let (store, user) = self.session()?;
        Ok(store.set_quiet_hours(&user, quiet)?)
    }

    pub fn quiet_hours(&self) -> Result<Option<QuietHours>, GridworkError> {
        let (store, user) = self.session()?;
        Ok(store.quiet_hours(&user)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_quiet_hours_are_checked_with_the_field_named() {
        let ok = check_quiet_hours(" 23:00".into(), "06:30".into()).unwrap();
        assert_eq!(
            (ok.start.to_string(), ok.end.to_string()),
            ("23:00:00".into(), "06:30:00".into())
        );
        match check_quiet_hours("25:00".into(), "06:30".into()) {
            Err(GridworkError::Invalid { field, reason }) => {
                assert_eq!(field, "quiet_hours.start");
                assert!(reason.contains("25:00"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check_quiet_hours("07:00".into(), "07:00".into()),
            Err(GridworkError::Invalid { field, .. }) if field == "quiet_hours.end"
        ));
    }
}
