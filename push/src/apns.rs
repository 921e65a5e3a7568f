//! APNs: Apple's HTTP/2 provider API with token (ES256 JWT) authentication.
//!
//! Apple refuses a provider token older than one hour
//! (ExpiredProviderToken) and also refuses one refreshed more often than
//! every 20 minutes (TooManyProviderTokenUpdates). So the token is cached,
//! replaced once it is 20 minutes old, and never sent once it is 60 minutes
//! old, whatever happens.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::clock::{Clock, SystemClock};
use crate::http::{retry_after, transport_failure};
use crate::webpush::snippet;
use crate::{Channel, ConfigError, DeliveryOutcome, Priority, PushMessage, PushTarget};

pub const PRODUCTION_URL: &str = "https://api.push.apple.com";
pub const SANDBOX_URL: &str = "https://api.sandbox.push.apple.com";

/// Replace the token once it is this old.
pub const TOKEN_REFRESH_AFTER: Duration = Duration::from_secs(20 * 60);
/// Never send a token this old (Apple's limit).
pub const TOKEN_MAX_AGE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone)]
pub struct ApnsConfig {
    /// PRODUCTION_URL, SANDBOX_URL, or a local fake in tests.
    pub base_url: String,
    /// The Apple developer team id (JWT `iss`).
    pub team_id: String,
    /// The id of the .p8 key (JWT header `kid`).
    pub key_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), for a private relay in front of
    /// APNs or a test server; Apple's own endpoints need none.
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl ApnsConfig {
    pub fn new(
        base_url: impl Into<String>,
        team_id: impl Into<String>,
        key_id: impl Into<String>,
        topic: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            team_id: team_id.into(),
            key_id: key_id.into(),
            topic: topic.into(),
            timeout: Duration::from_secs(10),
            extra_roots_pem: Vec::new(),
        }
    }
}

/// The claims of the provider token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderClaims {
    pub iss: String,
    pub iat: i64,
}

#[derive(Debug, Clone)]
struct CachedToken {
    jwt: String,
    issued_at: DateTime<Utc>,
}

/// Whether a token issued at `issued_at` must be replaced before use at
/// `now`. A clock that went backwards also forces a new one: the age is then
/// unknowable.
pub fn token_needs_refresh(issued_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    match (now - issued_at).to_std() {
        Ok(age) => age >= TOKEN_REFRESH_AFTER,
        Err(_) => true,
    }
}

pub struct ApnsChannel {
    client: reqwest::Client,
    config: ApnsConfig,
    key: EncodingKey,
    token: Mutex<Option<CachedToken>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ApnsChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsChannel")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Apple's error body: `{"reason": "BadDeviceToken"}`.
#[derive(Debug, Deserialize)]
struct ApnsError {
    reason: String,
}

impl ApnsChannel {
    /// `p8_pem` is the .p8 file Apple hands out: a PKCS#8 PEM P-256 key.
    pub fn new(config: ApnsConfig, p8_pem: &str) -> Result<Self, ConfigError> {
        Self::with_clock(config, p8_pem, Arc::new(SystemClock))
    }

    pub fn with_clock(
        config: ApnsConfig,
        p8_pem: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        // Parse (and so check) the key now rather than at the first push.
        let secret = p256::SecretKey::from_pkcs8_pem(p8_pem.trim())
            .map_err(|e| ConfigError::Key(format!(".p8: {e}")))?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| ConfigError::Key(e.to_string()))?;
        reqwest::Url::parse(&config.base_url).map_err(|e| ConfigError::Url(e.to_string()))?;
        // APNs speaks only HTTP/2. Prior knowledge makes reqwest use it
        // without waiting for ALPN (over TLS it still offers only "h2"), and
        // lets tests run against an h2c server on loopback.
        let mut builder = reqwest::Client::builder()
            .http2_prior_knowledge()
            .timeout(config.timeout);
        for pem in &config.extra_roots_pem {
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
        }
        let client = builder.build()?;
        Ok(Self {
            client,
            config,
            key: EncodingKey::from_ec_der(der.as_bytes()),
            token: Mutex::new(None),
            clock,
        })
    }

    /// The provider token to send now: the cached one while it is younger
    /// than 20 minutes, else a new one. `force` replaces it regardless
    /// (after Apple said ExpiredProviderToken).
    pub fn provider_token(&self, force: bool) -> Result<String, jsonwebtoken::errors::Error> {
        let now = self.clock.now();
        let mut cached = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(token) = cached.as_ref() {
            if !force && !token_needs_refresh(token.issued_at, now) {
                return Ok(token.jwt.clone());
            }
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.config.key_id.clone());
        let claims = ProviderClaims {
            iss: self.config.team_id.clone(),
            iat: now.timestamp(),
        };
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key)?;
        tracing::debug!(channel = "apns", "new provider token");
        *cached = Some(CachedToken {
            jwt: jwt.clone(),
            issued_at: now,
        });
        Ok(jwt)
    }

    async fn send(&self, device_token: &str, message: &PushMessage) -> DeliveryOutcome {
        let body = apns_body(message);
        let mut force = false;
        // At most two tries: the second only after ExpiredProviderToken,
        // with a fresh token.
        for _ in 0..2 {
            let token = match self.provider_token(force) {
                Ok(t) => t,
                Err(e) => {
                    return DeliveryOutcome::Rejected {
                        reason: format!("APNs 令牌签名失败 / cannot sign the provider token: {e}"),
                    }
                }
            };
            let now = self.clock.now();
            let expiration = if message.ttl.is_zero() {
                // 0 tells APNs to try once and not store the item.
                0
            } else {
                now.timestamp() + i64::try_from(message.ttl.as_secs()).unwrap_or(i64::MAX / 2)
            };
            let url = match device_url(&self.config.base_url, device_token) {
                Some(url) => url,
                None => {
                    return DeliveryOutcome::Rejected {
                        reason: format!(
                            "APNs 地址无效 / invalid base URL {}",
                            self.config.base_url
                        ),
                    }
                }
            };
            let mut request = self
                .client
                .post(url)
                .bearer_auth(&token)
                .header("apns-topic", &self.config.topic)
                .header("apns-push-type", "alert")
                .header("apns-priority", apns_priority(message.priority))
                .header("apns-expiration", expiration.to_string())
                .json(&body);
            if let Some(collapse) = collapse_id(&message.collapse_key) {
                request = request.header("apns-collapse-id", collapse);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => return transport_failure("apns", &e),
            };
            let status = response.status();
            let after = retry_after(response.headers(), now);
            let text = response.text().await.unwrap_or_default();
            let reason = serde_json::from_str::<ApnsError>(&text)
                .map(|e| e.reason)
                .unwrap_or_default();
            if status == StatusCode::FORBIDDEN && reason == "ExpiredProviderToken" && !force {
                tracing::info!(
                    channel = "apns",
                    "provider token expired; retrying once with a new one"
                );
                force = true;
                continue;
            }
            let outcome = classify(status, &reason, after);
            if outcome != DeliveryOutcome::Delivered {
                tracing::info!(channel = "apns", %status, reason = %snippet(&reason), "push not delivered");
            }
            return outcome;
        }
        DeliveryOutcome::Rejected {
            reason: "APNs 拒绝了新令牌 / APNs refused a fresh provider token (ExpiredProviderToken twice)"
                .to_string(),
        }
    }
}

/// `{base}/3/device/{token}`, the token percent-encoded as one path segment
/// (it comes from a client; it must not be able to change the path).
fn device_url(base: &str, device_token: &str) -> Option<reqwest::Url> {
    let mut url = reqwest::Url::parse(base).ok()?;
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .extend(["3", "device", device_token]);
    Some(url)
}

/// 10 = send now (alerts that matter); 5 = may be batched for power.
pub fn apns_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "10",
        Priority::Normal => "5",
    }
}

/// apns-collapse-id may be at most 64 bytes.
fn collapse_id(key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    if key.len() <= 64 {
        return Some(key.to_string());
    }
    Some(crate::webpush::topic_for(key))
}

/// `{"aps": {"alert": {"title", "body"}, "sound", "interruption-level"}, …data}`.
pub fn apns_body(message: &PushMessage) -> Value {
    let mut aps = Map::new();
    aps.insert(
        "alert".into(),
        json!({ "title": message.title.one_line(), "body": message.body.two_lines() }),
    );
    aps.insert("sound".into(), json!("default"));
    if message.priority == Priority::Critical {
        // Breaks through Focus modes without the Critical Alerts
        // entitlement (which is for health and public safety apps only).
        aps.insert("interruption-level".into(), json!("time-sensitive"));
    }
    aps.insert("thread-id".into(), json!(message.data.case_id));
    let mut root = Map::new();
    root.insert("aps".into(), Value::Object(aps));
    root.insert("message_id".into(), json!(message.id));
    root.insert("case_id".into(), json!(message.data.case_id));
    root.insert("level".into(), json!(message.data.level));
    Value::Object(root)
}

/// Apple's documented answers (Handling notification responses from APNs).
pub fn classify(status: StatusCode, reason: &str, after: Option<Duration>) -> DeliveryOutcome {
    match (status.as_u16(), reason) {
        (200, _) => DeliveryOutcome::Delivered,
        // The token is no longer active for the topic.
        (410, _) => DeliveryOutcome::DeadEndpoint,
        // A token that was never valid (or is for the other environment)
        // will not become valid.
        (400, "BadDeviceToken") | (400, "DeviceTokenNotForTopic") => DeliveryOutcome::DeadEndpoint,
        (429, _) | (500..=599, _) => DeliveryOutcome::RetryLater { after },
        (code, reason) => DeliveryOutcome::Rejected {
            reason: format!("APNs {code} {reason}"),
        },
    }
}

impl Channel for ApnsChannel {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        Box::pin(async move {
            match target {
                PushTarget::Apns { device_token } => self.send(device_token, message).await,
                other => DeliveryOutcome::wrong_target("APNs ", other),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_at_20_minutes_and_when_the_clock_goes_back() {
        let t0 = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        assert!(!token_needs_refresh(t0, t0));
        assert!(!token_needs_refresh(
            t0,
            t0 + chrono::Duration::seconds(19 * 60 + 59)
        ));
        assert!(token_needs_refresh(t0, t0 + chrono::Duration::minutes(20)));
        assert!(token_needs_refresh(t0, t0 + chrono::Duration::minutes(61)));
        assert!(token_needs_refresh(t0, t0 - chrono::Duration::seconds(1)));
        const { assert!(TOKEN_REFRESH_AFTER.as_secs() < TOKEN_MAX_AGE.as_secs()) };
    }

    #[test]
    fn device_tokens_cannot_change_the_path() {
        let url = device_url("https://api.push.apple.com", "../../x?y").unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.push.apple.com/3/device/..%2F..%2Fx%3Fy"
        );
        let url = device_url("http://127.0.0.1:8080/", "a1b2").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/3/device/a1b2");
    }

    #[test]
    fn apple_answers_are_classified() {
        assert_eq!(
            classify(StatusCode::OK, "", None),
            DeliveryOutcome::Delivered
        );
        assert_eq!(
            classify(StatusCode::GONE, "Unregistered", None),
            DeliveryOutcome::DeadEndpoint
        );
        assert_eq!(
            classify(StatusCode::BAD_REQUEST, "BadDeviceToken", None),
            DeliveryOutcome::DeadEndpoint
        );
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, "PayloadTooLarge", None),
            DeliveryOutcome::Rejected { .. }
        ));
        assert_eq!(
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                Some(Duration::from_secs(5))
            ),
            DeliveryOutcome::RetryLater {
                after: Some(Duration::from_secs(5))
            }
        );
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", None),
            DeliveryOutcome::RetryLater { after: None }
        );
        assert!(matches!(
            classify(StatusCode::FORBIDDEN, "InvalidProviderToken", None),
            DeliveryOutcome::Rejected { .. }
        ));
    }
}
