//! A push service on loopback (feature `receiver`): what stands in for a
//! browser's or UnifiedPush distributor's push service in end-to-end tests
//! and the demo. It hands out subscriptions (endpoint URL, P-256 key, auth
//! secret) as a push service and user agent would, takes RFC 8030 POSTs,
//! checks the RFC 8292 VAPID token against the key it carries, decrypts the
//! RFC 8291 body with web-push-native (an independent implementation) and
//! keeps what arrived. Loopback only: it binds 127.0.0.1.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::webpush::VapidClaims;

/// One subscription, as a user agent hands it to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The user agent's public key (uncompressed P-256, base64url).
    pub p256dh: String,
    /// The auth secret (16 bytes, base64url).
    pub auth: String,
}

/// One push that arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// The name the subscription was made with.
    pub subscriber: String,
    /// Wall-clock time of arrival.
    pub at: DateTime<Utc>,
    pub ttl: Option<String>,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    /// The VAPID token verified with the key in `k=`, for this origin.
    pub vapid_ok: bool,
    /// The decrypted payload (`None` if it did not decrypt, or was not
    /// read because the subscription is gone).
    pub payload: Option<serde_json::Value>,
    /// What the service answered: 201, 400 (bad token or body), 410 (gone).
    pub status: u16,
}

struct Sub {
    secret: p256::SecretKey,
    auth: [u8; 16],
    gone: bool,
}

#[derive(Default)]
struct Inner {
    subs: HashMap<String, Sub>,
    received: Vec<Received>,
}

/// The push service.
#[derive(Clone)]
pub struct LocalPushService {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for LocalPushService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPushService")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // Plain records; a panicking test thread leaves them whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn random_secret() -> Option<p256::SecretKey> {
    // Almost every 32-byte string is a valid scalar; the loop is a guard.
    (0..16).find_map(|_| p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).ok())
}

impl LocalPushService {
    /// Listen on 127.0.0.1 (a free port) on the current tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/push/{name}", axum::routing::post(receive))
            .with_state((inner.clone(), format!("http://{addr}")));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "local push service stopped");
            }
        });
        Ok(Self { addr, inner })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new subscription named `name` (a device).
    pub fn subscribe(&self, name: &str) -> std::io::Result<Subscription> {
        let secret = random_secret().ok_or_else(|| std::io::Error::other("no P-256 key"))?;
        let auth: [u8; 16] = rand::random();
        let sub = Subscription {
            endpoint: format!("{}/push/{name}", self.url()),
            p256dh: URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
        };
        lock(&self.inner).subs.insert(
            name.to_string(),
            Sub {
                secret,
                auth,
                gone: false,
            },
        );
        Ok(sub)
    }

    /// From now on answer 410 Gone for `name` (the user unsubscribed).
    pub fn unsubscribe(&self, name: &str) {
        if let Some(s) = lock(&self.inner).subs.get_mut(name) {
            s.gone = true;
        }
    }

    /// Everything that arrived, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.inner).received.clone()
    }
}

fn parse_vapid(header: &str) -> Option<(String, Vec<u8>)> {
    let rest = header.strip_prefix("vapid ")?;
    let (mut t, mut k) = (None, None);
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("t=") {
            t = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("k=") {
            k = URL_SAFE_NO_PAD.decode(v).ok();
        }
    }
    Some((t?, k?))
}

fn vapid_ok(headers: &HeaderMap, origin: &str) -> bool {
    let Some((token, key)) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_vapid)
    else {
        return false;
    };
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[origin]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    jsonwebtoken::decode::<VapidClaims>(&token, &DecodingKey::from_ec_der(&key), &validation)
        .is_ok()
}

async fn receive(
    State((inner, origin)): State<(Arc<Mutex<Inner>>, String)>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut g = lock(&inner);
    let Some(sub) = g.subs.get(&name) else {
        return StatusCode::NOT_FOUND;
    };
    let vapid_ok = vapid_ok(&headers, &origin);
    let (payload, status) = if sub.gone {
        (None, StatusCode::GONE)
    } else {
        let auth = web_push_native::Auth::clone_from_slice(&sub.auth);
        let payload = web_push_native::decrypt(body.to_vec(), &sub.secret, &auth)
            .ok()
            .and_then(|plain| serde_json::from_slice(&plain).ok());
        let status = if vapid_ok && payload.is_some() {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        (payload, status)
    };
    g.received.push(Received {
        subscriber: name,
        at: Utc::now(),
        ttl: header("ttl"),
        urgency: header("urgency"),
        topic: header("topic"),
        vapid_ok,
        payload,
        status: status.as_u16(),
    });
    status
}
