//! Web Push / UnifiedPush: RFC 8030 delivery, RFC 8291 message encryption
//! (aes128gcm), RFC 8292 VAPID.
//!
//! UnifiedPush distributors (ntfy, NextPush, …) accept exactly the same
//! request as a browser's push service, which is why one channel serves the
//! Android phones without Google services and desktop browsers alike.
//!
//! Encryption uses ece-native (RFC 8188 aes128gcm records) with the RFC 8291
//! key schedule on p256/hkdf — the crates web-push-native is built from. We
//! do not call web-push-native's own `encrypt`: it draws the salt and the
//! sender key itself (the deterministic variant is private) and writes the
//! record size as the message length + 17, so its output can never equal
//! the RFC 8291 Appendix A bytes (the header says rs = 4096). Ours takes
//! the salt and sender key as arguments, so the test proves the very code
//! that runs in production against the RFC byte for byte; web-push-native
//! then decrypts what we send, as an independent peer, in the tests.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::rand_core::{OsRng, RngCore};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{Clock, SystemClock};
use crate::http::{retry_after, transport_failure};
use crate::{Channel, ConfigError, DeliveryOutcome, Priority, PushMessage, PushTarget};

/// The record size written in the header. One record holds the whole
/// message (push services take at most 4096 bytes of body), and 4096 is what
/// browsers and the RFC's own example use.
pub const RECORD_SIZE: u32 = 4096;

/// Header: salt (16) + rs (4) + idlen (1) + the sender's public key (65).
const HEADER_LEN: usize = 16 + 4 + 1 + 65;

/// Push services must accept 4096 bytes of encrypted body (RFC 8030 §7.2);
/// minus the header, the padding delimiter and the AEAD tag, that leaves
/// this much plaintext.
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - 1 - 16;

/// VAPID tokens may live at most 24 hours (RFC 8292 §2); 12 leaves room for
/// clock skew on the push service.
pub const DEFAULT_JWT_VALIDITY: Duration = Duration::from_secs(12 * 3600);
const MAX_JWT_VALIDITY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum WebPushError {
    #[error("订阅密钥无效 / invalid subscription key: {0}")]
    SubscriptionKey(&'static str),
    #[error("推送内容过大 / payload too large: {0} bytes, at most {MAX_PLAINTEXT}")]
    TooLarge(usize),
    #[error("加密失败 / encryption failed: {0}")]
    Encrypt(String),
    #[error("VAPID 签名失败 / VAPID signing failed: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("推送地址无效 / invalid endpoint: {0}")]
    Endpoint(String),
}

/// RFC 8291 §3.4: IKM = HKDF(salt = auth secret, IKM = ECDH secret,
/// info = "WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public, L = 32).
fn webpush_ikm(
    auth: &[u8; 16],
    ecdh_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
) -> Result<[u8; 32], WebPushError> {
    let mut info = Vec::with_capacity(14 + 65 + 65);
    info.extend_from_slice(b"WebPush: info\0");
    info.extend_from_slice(ua_public);
    info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), ecdh_secret)
        .expand(&info, &mut ikm)
        .map_err(|e| WebPushError::Encrypt(e.to_string()))?;
    Ok(ikm)
}

/// RFC 8291 encryption with the salt and the sender's (application
/// server's) ephemeral key given, so that it is reproducible in tests.
pub fn encrypt_with(
    plaintext: &[u8],
    ua_public: &p256::PublicKey,
    auth: &[u8; 16],
    salt: [u8; 16],
    as_secret: &p256::SecretKey,
) -> Result<Vec<u8>, WebPushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(WebPushError::TooLarge(plaintext.len()));
    }
    let as_public = as_secret.public_key().to_encoded_point(false);
    let ua_point = ua_public.to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());
    let ikm = webpush_ikm(
        auth,
        shared.raw_secret_bytes().as_slice(),
        ua_point.as_bytes(),
        as_public.as_bytes(),
    )?;
    ece_native::encrypt(
        ikm,
        salt,
        as_public.as_bytes(),
        std::iter::once(plaintext.to_vec()),
        RECORD_SIZE,
    )
    .map_err(|e| WebPushError::Encrypt(format!("{e:?}")))
}

/// RFC 8291 encryption with a fresh salt and a fresh sender key per message
/// (the RFC requires both to be new each time).
pub fn encrypt(
    plaintext: &[u8],
    ua_public: &p256::PublicKey,
    auth: &[u8; 16],
) -> Result<Vec<u8>, WebPushError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let as_secret = p256::SecretKey::random(&mut OsRng);
    encrypt_with(plaintext, ua_public, auth, salt, &as_secret)
}

/// Decode a subscription's keys as the browser hands them over (base64url;
/// some clients pad or use the standard alphabet, so accept those too).
pub fn subscription_keys(
    p256dh: &str,
    auth: &str,
) -> Result<(p256::PublicKey, [u8; 16]), WebPushError> {
    let ua = decode_b64(p256dh).ok_or(WebPushError::SubscriptionKey("p256dh is not base64"))?;
    let ua = p256::PublicKey::from_sec1_bytes(&ua)
        .map_err(|_| WebPushError::SubscriptionKey("p256dh is not a P-256 point"))?;
    let auth = decode_b64(auth).ok_or(WebPushError::SubscriptionKey("auth is not base64"))?;
    let auth: [u8; 16] = auth
        .try_into()
        .map_err(|_| WebPushError::SubscriptionKey("auth is not 16 bytes"))?;
    Ok((ua, auth))
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned).ok()
}

/// The claims of a VAPID JWT (RFC 8292 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VapidClaims {
    /// The push service's origin.
    pub aud: String,
    /// Expiry, seconds since the epoch; at most 24 hours ahead.
    pub exp: i64,
    /// A contact for the push service's operator: mailto: or https:.
    pub sub: String,
}

/// The application server's VAPID key pair.
pub struct VapidKey {
    signing: EncodingKey,
    public_b64: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    pub fn from_secret(secret: &p256::SecretKey) -> Result<Self, ConfigError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| ConfigError::Key(e.to_string()))?;
        let public = secret.public_key().to_encoded_point(false);
        Ok(Self {
            signing: EncodingKey::from_ec_der(der.as_bytes()),
            public_b64: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        })
    }

    /// The private key as web-push tools print it: the raw 32-byte scalar in
    /// base64url.
    pub fn from_base64url(private: &str) -> Result<Self, ConfigError> {
        let raw = decode_b64(private).ok_or_else(|| ConfigError::Key("not base64url".into()))?;
        let secret =
            p256::SecretKey::from_slice(&raw).map_err(|e| ConfigError::Key(e.to_string()))?;
        Self::from_secret(&secret)
    }

    /// The public key (uncompressed point, base64url): the
    /// `applicationServerKey` clients subscribe with, and `k=` in requests.
    pub fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for this endpoint.
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        now: DateTime<Utc>,
        validity: Duration,
    ) -> Result<String, WebPushError> {
        let url =
            reqwest::Url::parse(endpoint).map_err(|e| WebPushError::Endpoint(e.to_string()))?;
        let origin = url.origin();
        if !origin.is_tuple() {
            return Err(WebPushError::Endpoint(endpoint.to_string()));
        }
        let validity = validity.min(MAX_JWT_VALIDITY);
        let claims = VapidClaims {
            aud: origin.ascii_serialization(),
            exp: now.timestamp() + i64::try_from(validity.as_secs()).unwrap_or(0),
            sub: subject.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.signing)?;
        Ok(format!("vapid t={token}, k={}", self.public_b64))
    }
}

/// RFC 8030 §5.4: a Topic is at most 32 characters of the base64url
/// alphabet. A collapse key that is not one is hashed into one, so that the
/// same key still gives the same topic.
pub fn topic_for(collapse_key: &str) -> String {
    let ok = !collapse_key.is_empty()
        && collapse_key.len() <= 32
        && collapse_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        collapse_key.to_string()
    } else {
        let digest = Sha256::digest(collapse_key.as_bytes());
        URL_SAFE_NO_PAD.encode(digest).chars().take(32).collect()
    }
}

/// What the service worker / UnifiedPush receiver gets, decrypted.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: &'a str,
    title: &'a crate::Bilingual,
    body: &'a crate::Bilingual,
    priority: Priority,
    data: &'a crate::PushData,
}

#[derive(Debug, Clone)]
pub struct WebPushConfig {
    /// mailto: or https: contact for the push services' operators.
    pub subject: String,
    pub jwt_validity: Duration,
    pub timeout: Duration,
    /// Endpoints come from clients, so only https ones on public addresses
    /// are used unless this is set (tests, a UnifiedPush distributor on a
    /// private network).
    pub allow_http: bool,
}

impl WebPushConfig {
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            jwt_validity: DEFAULT_JWT_VALIDITY,
            timeout: Duration::from_secs(15),
            allow_http: false,
        }
    }
}

pub struct WebPushChannel {
    client: reqwest::Client,
    vapid: VapidKey,
    config: WebPushConfig,
    clock: Arc<dyn Clock>,
    /// The Authorization header per push service origin and when it was
    /// signed: an ES256 signature per request would be most of a push's CPU.
    tokens: std::sync::Mutex<std::collections::HashMap<String, (String, DateTime<Utc>)>>,
}

impl std::fmt::Debug for WebPushChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushChannel")
            .field("vapid", &self.vapid)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl WebPushChannel {
    pub fn new(vapid: VapidKey, config: WebPushConfig) -> Result<Self, ConfigError> {
        Self::with_clock(vapid, config, Arc::new(SystemClock))
    }

    pub fn with_clock(
        vapid: VapidKey,
        config: WebPushConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let subject_ok =
            config.subject.starts_with("mailto:") || config.subject.starts_with("https:");
        if !subject_ok {
            return Err(ConfigError::Url(format!(
                "VAPID subject must be mailto: or https:, got {}",
                config.subject
            )));
        }
        // A push service never has a reason to redirect a push; following
        // one would send the VAPID token to another origin than its `aud`.
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            vapid,
            config,
            clock,
            tokens: Default::default(),
        })
    }

    /// The VAPID header for this endpoint's origin, signed again once half
    /// its validity has gone (so it is never near expiry when sent).
    fn authorization(&self, endpoint: &str, origin: &str) -> Result<String, WebPushError> {
        let now = self.clock.now();
        let half = chrono::Duration::from_std(self.config.jwt_validity.min(MAX_JWT_VALIDITY) / 2)
            .unwrap_or_default();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((header, signed)) = tokens.get(origin) {
            if now >= *signed && now - *signed < half {
                return Ok(header.clone());
            }
        }
        let header = self.vapid.authorization(
            endpoint,
            &self.config.subject,
            now,
            self.config.jwt_validity,
        )?;
        tokens.insert(origin.to_string(), (header.clone(), now));
        Ok(header)
    }

    async fn send(
        &self,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        message: &PushMessage,
    ) -> DeliveryOutcome {
        let origin = endpoint_origin(endpoint);
        let allowed = endpoint.starts_with("https://")
            || (self.config.allow_http && endpoint.starts_with("http://"));
        if !allowed {
            return DeliveryOutcome::Rejected {
                reason: format!("推送地址必须是 https / the endpoint must be https: {origin}"),
            };
        }
        // Endpoints come from phones: never let one aim the server at its own
        // network (SSRF), unless it was told to (loopback tests, a private
        // UnifiedPush distributor).
        if !self.config.allow_http && internal_host(endpoint) {
            return DeliveryOutcome::Rejected {
                reason: format!(
                    "推送地址指向内部网络 / the endpoint points into a private network: {origin}"
                ),
            };
        }
        let (ua_public, auth) = match subscription_keys(p256dh, auth) {
            Ok(keys) => keys,
            Err(e) => {
                // The subscription can never be written to: prune it.
                tracing::warn!(channel = "webpush", endpoint = %origin, error = %e, "subscription unusable");
                return DeliveryOutcome::DeadEndpoint;
            }
        };
        let payload = Payload {
            id: &message.id,
            title: &message.title,
            body: &message.body,
            priority: message.priority,
            data: &message.data,
        };
        let body = match serde_json::to_vec(&payload)
            .map_err(|e| WebPushError::Encrypt(e.to_string()))
            .and_then(|plain| encrypt(&plain, &ua_public, &auth))
        {
            Ok(body) => body,
            Err(e) => {
                return DeliveryOutcome::Rejected {
                    reason: e.to_string(),
                }
            }
        };
        let authorization = match self.authorization(endpoint, &origin) {
            Ok(a) => a,
            Err(e) => {
                return DeliveryOutcome::Rejected {
                    reason: e.to_string(),
                }
            }
        };
        let urgency = match message.priority {
            Priority::Critical => "high",
            Priority::Normal => "normal",
        };
        let response = self
            .client
            .post(endpoint)
            .header("TTL", message.ttl.as_secs().to_string())
            .header("Urgency", urgency)
            .header("Topic", topic_for(&message.collapse_key))
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::AUTHORIZATION, authorization)
            .body(body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return transport_failure("webpush", &e),
        };
        let status = response.status();
        let after = retry_after(response.headers(), self.clock.now());
        let outcome = classify(status, after);
        if !matches!(outcome, DeliveryOutcome::Delivered) {
            let text = response.text().await.unwrap_or_default();
            tracing::info!(channel = "webpush", endpoint = %origin, %status, answer = %snippet(&text), "push not delivered");
            if let DeliveryOutcome::Rejected { .. } = outcome {
                return DeliveryOutcome::Rejected {
                    reason: format!("{status}: {}", snippet(&text)),
                };
            }
        }
        outcome
    }
}

/// RFC 8030 §5 and §8: 201 Created is success; 404/410 mean the
/// subscription is gone; 429 and 5xx are worth retrying; 413 and other 4xx
/// (bad VAPID, bad encoding) will not get better by themselves.
pub fn classify(status: StatusCode, after: Option<Duration>) -> DeliveryOutcome {
    match status.as_u16() {
        200..=299 => DeliveryOutcome::Delivered,
        404 | 410 => DeliveryOutcome::DeadEndpoint,
        429 | 500..=599 => DeliveryOutcome::RetryLater { after },
        _ => DeliveryOutcome::Rejected {
            reason: status.to_string(),
        },
    }
}

/// Only the origin of an endpoint goes into logs: the path is the
/// subscription's capability, as good as a password for spamming it.
pub fn endpoint_origin(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => "<invalid endpoint>".to_string(),
    }
}

pub(crate) fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}

impl Channel for WebPushChannel {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        Box::pin(async move {
            match target {
                PushTarget::WebPush {
                    endpoint,
                    p256dh,
                    auth,
                } => self.send(endpoint, p256dh, auth, message).await,
                other => DeliveryOutcome::wrong_target("Web Push ", other),
            }
        })
    }
}

/// Whether an endpoint's host is this machine or a private network: an IP
/// literal in a loopback, private, link-local or unspecified range, or a
/// name for one (`localhost`, `*.local`, `*.internal`). Names that resolve to
/// such addresses are not caught here; push services have public names.
pub fn internal_host(endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return true;
    };
    let Some(host) = url.host_str() else {
        return true;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => internal_ip(ip),
        Err(_) => {
            let d = host.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".local")
                || d.ends_with(".internal")
        }
    }
}

fn internal_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        }
        std::net::IpAddr::V6(ip) => {
            let seg = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (seg & 0xfe00) == 0xfc00 // unique local
                || (seg & 0xffc0) == 0xfe80 // link local
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| internal_ip(std::net::IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod ssrf_tests {
    use super::internal_host;

    #[test]
    fn endpoints_into_private_networks_are_recognised() {
        for e in [
            "https://127.0.0.1/p",
            "https://10.1.2.3/p",
            "https://192.168.1.1:8443/p",
            "https://172.16.0.9/p",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/p",
            "https://[::1]/p",
            "https://[fd00::1]/p",
            "https://[::ffff:10.0.0.1]/p",
            "https://localhost/p",
            "https://push.internal/p",
            "not a url",
        ] {
            assert!(internal_host(e), "{e}");
        }
        for e in [
            "https://fcm.googleapis.com/fcm/send/x",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://8.8.8.8/p",
            "https://[2001:db8::1]/p",
        ] {
            assert!(!internal_host(e), "{e}");
        }
    }
}
