//! JPush (极光推送) push API v3: the aggregator that reaches Android phones
//! in China through their vendors' own push channels (Huawei, Honor,
//! Xiaomi, OPPO, vivo, Meizu), since Google's FCM is not available there.
//!
//! Vendor channels throttle and fold "operational" messages; work
//! notifications must be sent in the vendors' system/work class to arrive
//! at once. JPush passes this through `options.third_party_channel`:
//! per vendor a `distribution` ("first_ospush": vendor channel first, else
//! JPush's own connection; "secondary_push": JPush's connection first,
//! the vendor channel when the app is offline) and, for vivo,
//! `classification` 1 = system message (0 = operational, the default).
//! Huawei's `importance` NORMAL (services & communication, not marketing)
//! and `category` WORK (a self-classified work reminder).
//! Source: https://docs.jiguang.cn/jpush/server/push/rest_api_v3_push (the
//! "options" and "third_party_channel" tables); vivo classification, see
//! also https://github.com/jpush/jpush-api-php-client/issues/94.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::clock::{Clock, SystemClock};
use crate::http::{retry_after, transport_failure};
use crate::webpush::snippet;
use crate::{Channel, ConfigError, DeliveryOutcome, Priority, PushMessage, PushTarget};

pub const DEFAULT_URL: &str = "https://api.jpush.cn";

/// JPush keeps an offline message at most 10 days.
const MAX_TTL: u64 = 10 * 24 * 3600;

/// The vendors JPush relays to whose class we set.
pub const VENDORS: [&str; 6] = ["huawei", "honor", "xiaomi", "oppo", "vivo", "meizu"];

#[derive(Clone)]
pub struct JPushConfig {
    /// DEFAULT_URL, the Beijing room (https://bjapi.push.jiguang.cn) or a
    /// local fake in tests.
    pub base_url: String,
    pub app_key: String,
    pub master_secret: String,
    /// For iOS devices registered through JPush.
    pub apns_production: bool,
    /// Vendor notification channel ids (e.g. Xiaomi, OPPO), assigned in the
    /// vendors' consoles for the work-message class; optional.
    pub vendor_channel_ids: BTreeMap<String, String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for JPushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JPushConfig")
            .field("base_url", &self.base_url)
            .field("app_key", &self.app_key)
            .field("apns_production", &self.apns_production)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct JPushChannel {
    client: reqwest::Client,
    config: JPushConfig,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: i64,
    #[serde(default)]
    message: String,
}

impl JPushChannel {
    pub fn new(config: JPushConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    pub fn with_clock(config: JPushConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        reqwest::Url::parse(&config.base_url).map_err(|e| ConfigError::Url(e.to_string()))?;
        let client = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(Self {
            client,
            config,
            clock,
        })
    }

    /// `Authorization: Basic base64(appKey:masterSecret)`.
    pub fn authorization(&self) -> String {
        let raw = format!("{}:{}", self.config.app_key, self.config.master_secret);
        format!("Basic {}", STANDARD.encode(raw))
    }

    async fn send(&self, registration_id: &str, message: &PushMessage) -> DeliveryOutcome {
        let body = jpush_body(&self.config, registration_id, message);
        let url = format!("{}/v3/push", self.config.base_url.trim_end_matches('/'));
        let response = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, self.authorization())
            .json(&body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return transport_failure("jpush", &e),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let after = retry_after(&headers, self.clock.now()).or_else(|| rate_limit_reset(&headers));
        let text = response.text().await.unwrap_or_default();
        let code = serde_json::from_str::<ErrorBody>(&text)
            .ok()
            .map(|b| b.error);
        let outcome = classify(status, code.as_ref().map(|c| c.code), after);
        if outcome != DeliveryOutcome::Delivered {
            tracing::info!(
                channel = "jpush",
                registration_id,
                %status,
                code = code.as_ref().map(|c| c.code),
                message = %code.as_ref().map(|c| snippet(&c.message)).unwrap_or_default(),
                "push not delivered"
            );
        }
        outcome
    }
}

/// JPush sends `X-Rate-Limit-Reset` (seconds until the window resets) with
/// its rate-limit headers.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get("X-Rate-Limit-Reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The push object for one registration id.
pub fn jpush_body(config: &JPushConfig, registration_id: &str, message: &PushMessage) -> Value {
    let critical = message.priority == Priority::Critical;
    let extras = json!({
        "message_id": message.id,
        "case_id": message.data.case_id,
        "level": message.data.level,
    });
    let mut vendors = Map::new();
    for vendor in VENDORS {
        let mut v = Map::new();
        // Critical: the vendor channel first, which reaches a phone whose
        // app was killed by the battery manager. Normal: JPush's own
        // connection first, the vendor channel when the app is offline.
        v.insert(
            "distribution".into(),
            json!(if critical {
                "first_ospush"
            } else {
                "secondary_push"
            }),
        );
        match vendor {
            "vivo" => {
                v.insert("classification".into(), json!(1));
            }
            "huawei" | "honor" => {
                v.insert("importance".into(), json!("NORMAL"));
                v.insert("category".into(), json!("WORK"));
            }
            _ => {}
        }
        if let Some(id) = config.vendor_channel_ids.get(vendor) {
            v.insert("channel_id".into(), json!(id));
        }
        vendors.insert(vendor.into(), Value::Object(v));
    }
    json!({
        "platform": ["android", "ios"],
        "audience": { "registration_id": [registration_id] },
        "notification": {
            "android": {
                "title": message.title.one_line(),
                "alert": message.body.two_lines(),
                // Android notification priority: 2 = PRIORITY_MAX, 0 = default.
                "priority": if critical { 2 } else { 0 },
                "category": if critical { "alarm" } else { "reminder" },
                "extras": extras,
            },
            "ios": {
                "alert": { "title": message.title.one_line(), "body": message.body.two_lines() },
                "sound": "default",
                "extras": extras,
            },
        },
        "options": {
            "time_to_live": message.ttl.as_secs().min(MAX_TTL),
            "apns_production": config.apns_production,
            "apns_collapse_id": message.collapse_key,
            "third_party_channel": Value::Object(vendors),
        },
    })
}

/// JPush answers 200 with `{"sendno", "msg_id"}`, otherwise an HTTP error
/// status with `{"error": {"code", "message"}}` (codes from the push API's
/// error table).
pub fn classify(status: StatusCode, code: Option<i64>, after: Option<Duration>) -> DeliveryOutcome {
    if status.is_success() {
        return DeliveryOutcome::Delivered;
    }
    match code {
        // 1011: no device matches the audience (the registration id is
        // unknown or expired).
        Some(1011) => DeliveryOutcome::DeadEndpoint,
        // 2002: calls over the app's rate limit; 2003: the app's push API
        // is throttled for now.
        Some(2002) | Some(2003) => DeliveryOutcome::RetryLater { after },
        // 1000: JPush's internal error.
        Some(1000) => DeliveryOutcome::RetryLater { after },
        // 1004/1008/1009 and the like: auth, app key, payload: ours to fix.
        Some(code) => DeliveryOutcome::Rejected {
            reason: format!("JPush {status} code {code}"),
        },
        None if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
            DeliveryOutcome::RetryLater { after }
        }
        None => DeliveryOutcome::Rejected {
            reason: format!("JPush {status}"),
        },
    }
}

impl Channel for JPushChannel {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        Box::pin(async move {
            match target {
                PushTarget::JPush { registration_id } => self.send(registration_id, message).await,
                other => DeliveryOutcome::wrong_target("极光", other),
            }
        })
    }
}
