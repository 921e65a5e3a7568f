//! Push dispatch channels for Gridwork's escalations.
//!
//! The server queues a [`PushMessage`] for each of a recipient's
//! [`PushTarget`]s in its database; the [`Dispatcher`] claims what is due
//! from that [`JobQueue`], holds normal items through the recipient's quiet
//! hours, picks the [`Channel`] for each target kind and schedules retries. Each channel classifies what its provider answered into a
//! [`DeliveryOutcome`]; the dispatcher never needs to know provider details.
//!
//! Push is never the only path: every escalation also lands in the in-app
//! inbox, which reaches the phone by sync. A push that fails is a delay, not
//! a lost escalation.

pub mod apns;
pub mod backoff;
pub mod clock;
pub mod dispatcher;
mod http;
pub mod jpush;
pub mod queue;
pub mod quiet;
#[cfg(feature = "receiver")]
pub mod receiver;
pub mod sms;
pub mod webpush;

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use apns::{ApnsChannel, ApnsConfig};
pub use backoff::RetryPolicy;
pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatcher::{Dispatcher, PassReport};
pub use jpush::{JPushChannel, JPushConfig};
pub use queue::{
    ClaimedJob, DeliveryRecord, JobQueue, JobState, JobUpdate, MemoryQueue, QueueError,
    RecordedOutcome,
};
pub use quiet::QuietHours;
pub use sms::{mask_phone, SmsHookChannel, SmsHookConfig};
pub use webpush::{VapidKey, WebPushChannel, WebPushConfig};

/// How urgent an item is. Critical items (safety cases) go out at once,
/// through quiet hours, with the providers' highest priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Normal,
    Critical,
}

/// A text shown to people: Simplified Chinese first, English alongside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// One line for providers that take a single title: "中文 · English".
    pub fn one_line(&self) -> String {
        if self.en.is_empty() {
            self.zh.clone()
        } else {
            format!("{} · {}", self.zh, self.en)
        }
    }

    /// Two lines for bodies: Chinese, then English.
    pub fn two_lines(&self) -> String {
        if self.en.is_empty() {
            self.zh.clone()
        } else {
            format!("{}\n{}", self.zh, self.en)
        }
    }
}

/// The small data payload the app needs to open the right screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushData {
    pub case_id: String,
    /// Escalation level (1 township, 2 city); 0 for an urge (督办).
    pub level: u8,
}

/// One notification, the same for every channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    /// Unique id (the escalation's), so that retries and logs can be matched.
    pub id: String,
    pub title: Bilingual,
    pub body: Bilingual,
    pub priority: Priority,
    /// Items with the same key replace each other on the device (the case's
    /// latest state matters, not every step).
    pub collapse_key: String,
    /// How long the provider may keep the item for an offline device.
    pub ttl: Duration,
    pub data: PushData,
}

/// The kinds of endpoint a device or person can register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    WebPush,
    Apns,
    JPush,
    Sms,
}

/// Where one item goes.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushTarget {
    /// A Web Push / UnifiedPush subscription (endpoint URL, the user agent's
    /// P-256 key and auth secret, both base64url as the browser gives them).
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
    /// An APNs device token (hex).
    Apns { device_token: String },
    /// A JPush registration id.
    JPush { registration_id: String },
    /// A mobile number for the SMS hook (critical items only).
    Sms { phone: String },
}

impl PushTarget {
    pub fn kind(&self) -> TargetKind {
        match self {
            PushTarget::WebPush { .. } => TargetKind::WebPush,
            PushTarget::Apns { .. } => TargetKind::Apns,
            PushTarget::JPush { .. } => TargetKind::JPush,
            PushTarget::Sms { .. } => TargetKind::Sms,
        }
    }
}

// Written by hand so that `?target` in a log line never prints a phone number
// (or a subscription's secrets) in full.
impl fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushTarget::WebPush { endpoint, .. } => f
                .debug_struct("WebPush")
                .field("endpoint", &webpush::endpoint_origin(endpoint))
                .finish_non_exhaustive(),
            PushTarget::Apns { device_token } => f
                .debug_struct("Apns")
                .field("device_token", &short(device_token))
                .finish(),
            PushTarget::JPush { registration_id } => f
                .debug_struct("JPush")
                .field("registration_id", registration_id)
                .finish(),
            PushTarget::Sms { phone } => f
                .debug_struct("Sms")
                .field("phone", &mask_phone(phone))
                .finish(),
        }
    }
}

fn short(token: &str) -> String {
    let head: String = token.chars().take(8).collect();
    format!("{head}…")
}

/// What a provider's answer means for this endpoint and this item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The provider accepted the item.
    Delivered,
    /// Try again later: rate limits, provider errors, timeouts. `after` is
    /// the provider's Retry-After when it gave one; otherwise the retry
    /// schedule decides.
    RetryLater { after: Option<Duration> },
    /// The endpoint no longer exists (404/410, unknown token): prune it.
    DeadEndpoint,
    /// The provider refused the item and will refuse it again (bad payload,
    /// credentials): no retry, someone has to look.
    Rejected { reason: String },
}

impl DeliveryOutcome {
    /// A channel handed a target of another kind (a dispatcher bug, not
    /// the provider's answer): refused with the channel's name.
    pub(crate) fn wrong_target(channel_zh: &str, target: &PushTarget) -> DeliveryOutcome {
        DeliveryOutcome::Rejected {
            reason: format!(
                "{channel_zh}通道不能发送到 / cannot deliver to {:?}",
                target.kind()
            ),
        }
    }
}

/// A push channel: one provider's API behind one call.
///
/// Returns a boxed future so that the dispatcher can hold channels of
/// different types behind `dyn Channel`.
pub trait Channel: Send + Sync {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome>;
}

/// Errors building a channel from its configuration (bad keys, URLs).
/// Delivery itself never errors: it classifies into [`DeliveryOutcome`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("密钥无效 / invalid key: {0}")]
    Key(String),
    #[error("地址无效 / invalid URL: {0}")]
    Url(String),
    #[error("HTTP 客户端无法创建 / cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}
