//! APNs against a local HTTP/2 server over TLS (self-signed certificate,
//! ALPN "h2" only) that plays Apple: it checks the
//! protocol version, path and headers, verifies the provider token's ES256
//! signature with the .p8 key's public half, refuses tokens older than an
//! hour (as Apple does), and answers 200/410/400/403/429 as scripted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Version;
use common::{at, message, Answer, Captured, FakeServer};
use gridwork_push::apns::ProviderClaims;
use gridwork_push::{
    ApnsChannel, ApnsConfig, Channel, Clock, DeliveryOutcome, ManualClock, Priority, PushTarget,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::rand_core::OsRng;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::json;

const TEAM: &str = "GRIDW0RK01";
const KEY_ID: &str = "ABC123DEFG";
const TOPIC: &str = "cn.gridwork.app";

struct Apple {
    server: FakeServer,
    clock: Arc<ManualClock>,
    /// Tokens issued before this (Unix seconds) are "expired" (Apple's view
    /// may differ from ours, e.g. clock skew).
    min_iat: Arc<Mutex<i64>>,
    public: Vec<u8>,
    p8: String,
}

/// Verify the bearer token as Apple would; `Err` carries Apple's reason.
fn check_token(
    req: &Captured,
    public: &[u8],
    now: i64,
    min_iat: i64,
) -> Result<ProviderClaims, &'static str> {
    let auth = req.header("authorization").ok_or("MissingProviderToken")?;
    // The scheme is case-insensitive (RFC 9110 §11.1); Apple writes "bearer".
    let (scheme, token) = auth.split_once(' ').ok_or("InvalidProviderToken")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("InvalidProviderToken");
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| "InvalidProviderToken")?;
    if header.alg != Algorithm::ES256 || header.kid.as_deref() != Some(KEY_ID) {
        return Err("InvalidProviderToken");
    }
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<ProviderClaims>(
        token,
        &DecodingKey::from_ec_der(public),
        &validation,
    )
    .map_err(|_| "InvalidProviderToken")?
    .claims;
    if claims.iss != TEAM {
        return Err("InvalidProviderToken");
    }
    if now - claims.iat >= 3600 || claims.iat < min_iat {
        return Err("ExpiredProviderToken");
    }
    Ok(claims)
}

async fn apple() -> Apple {
    let secret = p256::SecretKey::random(&mut OsRng);
    let p8 = secret.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let clock = Arc::new(ManualClock::new(at("2026-11-25T08:00:00+08:00")));
    let min_iat = Arc::new(Mutex::new(0i64));
    let (c, m, p) = (clock.clone(), min_iat.clone(), public.clone());
    let server = FakeServer::start_tls(move |req, _| {
        // APNs speaks HTTP/2 only.
        if req.version != Version::HTTP_2 {
            return Answer::status(505);
        }
        let Some(device) = req.path.strip_prefix("/3/device/") else {
            return Answer::json(404, json!({"reason": "BadPath"}));
        };
        if req.method != "POST" {
            return Answer::json(405, json!({"reason": "MethodNotAllowed"}));
        }
        if let Err(reason) = check_token(req, &p, c.now().timestamp(), *m.lock().unwrap()) {
            return Answer::json(403, json!({"reason": reason}));
        }
        if req.header("apns-topic").as_deref() != Some(TOPIC) {
            return Answer::json(400, json!({"reason": "BadTopic"}));
        }
        match device {
            "gone" => Answer::json(
                410,
                json!({"reason": "Unregistered", "timestamp": 1_764_000_000_000i64}),
            ),
            "bad" => Answer::json(400, json!({"reason": "BadDeviceToken"})),
            "busy" => Answer::json(429, json!({"reason": "TooManyRequests"}))
                .with_header("retry-after", "30"),
            "down" => Answer::json(503, json!({"reason": "ServiceUnavailable"})),
            _ => Answer::status(200).with_header("apns-id", "0193B9F2-7C1E-7000-8000-000000000001"),
        }
    })
    .await;
    Apple {
        server,
        clock,
        min_iat,
        public,
        p8,
    }
}

fn channel(apple: &Apple) -> ApnsChannel {
    let mut config = ApnsConfig::new(apple.server.url(), TEAM, KEY_ID, TOPIC);
    config.extra_roots_pem.extend(apple.server.root_pem.clone());
    ApnsChannel::with_clock(config, &apple.p8, apple.clock.clone()).unwrap()
}

fn device(token: &str) -> PushTarget {
    PushTarget::Apns {
        device_token: token.into(),
    }
}

fn iat_of(req: &Captured) -> i64 {
    // Only reads the claims; the fake has verified the signature already.
    let auth = req.header("authorization").unwrap();
    let (_, token) = auth.split_once(' ').unwrap();
    jsonwebtoken::dangerous::insecure_decode::<ProviderClaims>(token)
        .unwrap()
        .claims
        .iat
}

#[tokio::test]
async fn a_critical_alert_goes_over_http2_with_apples_headers_and_body() {
    let apple = apple().await;
    let ch = channel(&apple);
    let now = apple.clock.now().timestamp();
    assert_eq!(
        ch.deliver(&device("a1b2c3"), &message(Priority::Critical))
            .await,
        DeliveryOutcome::Delivered
    );
    assert_eq!(
        ch.deliver(&device("a1b2c3"), &message(Priority::Normal))
            .await,
        DeliveryOutcome::Delivered
    );

    let reqs = apple.server.requests();
    assert_eq!(reqs.len(), 2);
    let critical = &reqs[0];
    assert_eq!(critical.version, Version::HTTP_2);
    assert_eq!(critical.path, "/3/device/a1b2c3");
    assert_eq!(critical.header("apns-topic").as_deref(), Some(TOPIC));
    assert_eq!(critical.header("apns-push-type").as_deref(), Some("alert"));
    assert_eq!(critical.header("apns-priority").as_deref(), Some("10"));
    assert_eq!(reqs[1].header("apns-priority").as_deref(), Some("5"));
    assert_eq!(
        critical.header("apns-expiration"),
        Some((now + 3600).to_string())
    );
    assert_eq!(
        critical.header("apns-collapse-id").as_deref(),
        Some("case-4711")
    );
    // The signature was verified by the fake; check the claims here too.
    let claims = check_token(critical, &apple.public, now, 0).unwrap();
    assert_eq!(claims.iss, TEAM);
    assert_eq!(claims.iat, now);

    let body: serde_json::Value = serde_json::from_slice(&critical.body).unwrap();
    assert_eq!(
        body["aps"]["alert"]["title"],
        "案件超期升级 · Case overdue, escalated"
    );
    assert!(body["aps"]["alert"]["body"]
        .as_str()
        .unwrap()
        .starts_with("东风村 3 号网格"));
    assert_eq!(body["aps"]["sound"], "default");
    assert_eq!(body["aps"]["interruption-level"], "time-sensitive");
    assert_eq!(body["case_id"], "case-4711");
    assert_eq!(body["level"], 1);
    let normal: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert!(normal["aps"].get("interruption-level").is_none());
}

#[tokio::test]
async fn apples_answers_are_classified() {
    let apple = apple().await;
    let ch = channel(&apple);
    let msg = message(Priority::Critical);
    assert_eq!(
        ch.deliver(&device("gone"), &msg).await,
        DeliveryOutcome::DeadEndpoint
    );
    assert_eq!(
        ch.deliver(&device("bad"), &msg).await,
        DeliveryOutcome::DeadEndpoint
    );
    assert_eq!(
        ch.deliver(&device("busy"), &msg).await,
        DeliveryOutcome::RetryLater {
            after: Some(Duration::from_secs(30))
        }
    );
    assert_eq!(
        ch.deliver(&device("down"), &msg).await,
        DeliveryOutcome::RetryLater { after: None }
    );
}

#[tokio::test]
async fn the_token_is_reused_for_20_minutes_then_replaced_and_never_older_than_an_hour() {
    let apple = apple().await;
    let ch = channel(&apple);
    let msg = message(Priority::Normal);
    let t0 = apple.clock.now().timestamp();
    // Every 7 minutes for three hours.
    for _ in 0..26 {
        assert_eq!(
            ch.deliver(&device("a1"), &msg).await,
            DeliveryOutcome::Delivered
        );
        apple.clock.advance(chrono::Duration::minutes(7));
    }
    let reqs = apple.server.requests();
    assert_eq!(reqs.len(), 26, "no request needed a retry");
    let iats: Vec<i64> = reqs.iter().map(iat_of).collect();
    for (i, iat) in iats.iter().enumerate() {
        let sent_at = t0 + 7 * 60 * i as i64;
        assert!(
            sent_at - iat < 20 * 60,
            "request {i} used a token {}s old",
            sent_at - iat
        );
    }
    // Reused: at 0, 7 and 14 minutes the same token; new at 21.
    assert_eq!(iats[0], iats[1]);
    assert_eq!(iats[1], iats[2]);
    assert_eq!(iats[3], t0 + 21 * 60);
    let mut distinct = iats.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 9, "a new token every third request");
}

#[tokio::test]
async fn expired_provider_token_is_replaced_and_the_push_retried_once() {
    let apple = apple().await;
    let ch = channel(&apple);
    let msg = message(Priority::Critical);
    let t0 = apple.clock.now();
    assert_eq!(
        ch.deliver(&device("a1"), &msg).await,
        DeliveryOutcome::Delivered
    );
    // Ten minutes later Apple considers our (still cached) token expired.
    apple.clock.advance(chrono::Duration::minutes(10));
    *apple.min_iat.lock().unwrap() = t0.timestamp() + 60;
    assert_eq!(
        ch.deliver(&device("a1"), &msg).await,
        DeliveryOutcome::Delivered
    );
    let reqs = apple.server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        iat_of(&reqs[1]),
        t0.timestamp(),
        "the cached token was tried first"
    );
    assert_eq!(iat_of(&reqs[2]), t0.timestamp() + 600, "then a fresh one");

    // If Apple refuses even a fresh token, give up after one retry.
    *apple.min_iat.lock().unwrap() = i64::MAX;
    let out = ch.deliver(&device("a1"), &msg).await;
    assert!(matches!(out, DeliveryOutcome::Rejected { .. }), "{out:?}");
    assert_eq!(apple.server.requests().len(), 5);
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused_by_the_fake() {
    // Proves the fake really verifies signatures: a channel configured with
    // a different .p8 gets InvalidProviderToken, which is not retried.
    let apple = apple().await;
    let other = p256::SecretKey::random(&mut OsRng)
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string();
    let mut config = ApnsConfig::new(apple.server.url(), TEAM, KEY_ID, TOPIC);
    config.extra_roots_pem.extend(apple.server.root_pem.clone());
    let ch = ApnsChannel::with_clock(config, &other, apple.clock.clone()).unwrap();
    let out = ch
        .deliver(&device("a1"), &message(Priority::Critical))
        .await;
    assert_eq!(
        out,
        DeliveryOutcome::Rejected {
            reason: "APNs 403 InvalidProviderToken".into()
        }
    );
    assert_eq!(apple.server.requests().len(), 1);
}

#[test]
fn a_bad_p8_is_refused_at_configuration() {
    let config = ApnsConfig::new("https://api.push.apple.com", TEAM, KEY_ID, TOPIC);
    assert!(ApnsChannel::new(
        config,
        "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"
    )
    .is_err());
}

#[tokio::test]
async fn the_fake_really_is_tls_an_untrusted_certificate_gets_nowhere() {
    let apple = apple().await;
    assert!(apple.server.url().starts_with("https://"));
    let config = ApnsConfig::new(apple.server.url(), TEAM, KEY_ID, TOPIC);
    let ch = ApnsChannel::with_clock(config, &apple.p8, apple.clock.clone()).unwrap();
    let out = ch
        .deliver(&device("a1"), &message(Priority::Critical))
        .await;
    assert_eq!(out, DeliveryOutcome::RetryLater { after: None });
    assert!(apple.server.requests().is_empty());
}
