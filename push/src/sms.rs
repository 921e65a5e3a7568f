//! The SMS hook for critical escalations: a signed JSON POST to a configured
//! HTTP endpoint (most Chinese SMS gateways, or a small adapter in front of
//! one, take a signed HTTP request). SMS reaches a supervisor whose phone
//! has no data or whose app was killed; it costs money, so only critical
//! items use it.
//!
//! Signature: `X-Gridwork-Signature: sha256=<hex HMAC-SHA256(secret,
//! timestamp + "." + body)>` with the Unix timestamp in
//! `X-Gridwork-Timestamp`, so the receiver can refuse replays of an old
//! request and any change to the body.
//!
//! The phone number is personal data: it is in the body (the gateway
//! needs it) but every log line shows it masked (138****1234).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::clock::{Clock, SystemClock};
use crate::http::{retry_after, transport_failure};
use crate::{Bilingual, Channel, ConfigError, DeliveryOutcome, Priority, PushMessage, PushTarget};

pub const TIMESTAMP_HEADER: &str = "X-Gridwork-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Gridwork-Signature";

/// Show the first three and last four characters, mask the rest:
/// 13812341234 → 138****1234. Short strings are masked whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `sha256=<hex>` over `timestamp.body`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Check a signature in constant time (what a receiver does; used in tests
/// and by anyone writing the gateway adapter in Rust).
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return false;
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[derive(Clone)]
pub struct SmsHookConfig {
    pub url: String,
    pub secret: Vec<u8>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsHookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsHookConfig")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The JSON the hook receives.
#[derive(Debug, Serialize)]
pub struct SmsRequest<'a> {
    pub message_id: &'a str,
    pub phone: &'a str,
    /// The SMS text: Chinese first, English after.
    pub text: String,
    pub title: &'a Bilingual,
    pub body: &'a Bilingual,
    pub case_id: &'a str,
    pub level: u8,
}

#[derive(Debug)]
pub struct SmsHookChannel {
    client: reqwest::Client,
    config: SmsHookConfig,
    clock: Arc<dyn Clock>,
}

impl SmsHookChannel {
    pub fn new(config: SmsHookConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    pub fn with_clock(config: SmsHookConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        reqwest::Url::parse(&config.url).map_err(|e| ConfigError::Url(e.to_string()))?;
        if config.secret.is_empty() {
            return Err(ConfigError::Key("SMS hook secret is empty".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            config,
            clock,
        })
    }

    async fn send(&self, phone: &str, message: &PushMessage) -> DeliveryOutcome {
        let masked = mask_phone(phone);
        if message.priority != Priority::Critical {
            tracing::debug!(channel = "sms", phone = %masked, id = %message.id, "not critical; SMS is for critical escalations only");
            return DeliveryOutcome::Rejected {
                reason: "短信仅用于紧急升级 / SMS is for critical escalations only".into(),
            };
        }
        let request = SmsRequest {
            message_id: &message.id,
            phone,
            text: format!(
                "【网格通】{}：{}\n[Gridwork] {}: {}",
                message.title.zh, message.body.zh, message.title.en, message.body.en
            ),
            title: &message.title,
            body: &message.body,
            case_id: &message.data.case_id,
            level: message.data.level,
        };
        let body = match serde_json::to_vec(&request) {
            Ok(b) => b,
            Err(e) => {
                return DeliveryOutcome::Rejected {
                    reason: e.to_string(),
                }
            }
        };
        let now = self.clock.now();
        let timestamp = now.timestamp();
        let signature = sign(&self.config.secret, timestamp, &body);
        tracing::info!(channel = "sms", phone = %masked, id = %message.id, "sending SMS hook request");
        let response = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return transport_failure("sms", &e),
        };
        let status = response.status();
        let outcome = match status.as_u16() {
            200..=299 => DeliveryOutcome::Delivered,
            // The gateway says the number does not exist / cannot receive.
            404 | 410 => DeliveryOutcome::DeadEndpoint,
            429 | 500..=599 => DeliveryOutcome::RetryLater {
                after: retry_after(response.headers(), now),
            },
            _ => DeliveryOutcome::Rejected {
                reason: format!("SMS hook {status}"),
            },
        };
        tracing::info!(channel = "sms", phone = %masked, id = %message.id, %status, "SMS hook answered");
        outcome
    }
}

impl Channel for SmsHookChannel {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        Box::pin(async move {
            match target {
                PushTarget::Sms { phone } => self.send(phone, message).await,
                other => DeliveryOutcome::wrong_target("短信", other),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("+8613812341234"), "+86****1234");
        assert_eq!(mask_phone("12345"), "*****");
    }

    #[test]
    fn signatures_verify_and_catch_changes() {
        let sig = sign(b"secret", 1_764_000_000, b"{\"a\":1}");
        assert!(verify(b"secret", 1_764_000_000, b"{\"a\":1}", &sig));
        assert!(!verify(b"secret", 1_764_000_001, b"{\"a\":1}", &sig));
        assert!(!verify(b"secret", 1_764_000_000, b"{\"a\":2}", &sig));
        assert!(!verify(b"other", 1_764_000_000, b"{\"a\":1}", &sig));
    }

    #[test]
    fn signature_matches_an_independent_hmac() {
        // RFC 4231 test case 2 pins the HMAC-SHA256 itself; then the
        // signed string must be exactly "<timestamp>.<body>".
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"k").unwrap();
        mac.update(b"1764000000.{}");
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sign(b"k", 1_764_000_000, b"{}"), expected);
    }
}
