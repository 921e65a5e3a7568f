//! Web Push / UnifiedPush: RFC 8291 Appendix A byte for byte, the VAPID JWT
//! verified with the public key, and delivery to a local push service that
//! decrypts what it receives with web-push-native (an independent peer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use common::{message, Answer, FakeServer};
use gridwork_push::webpush::{self, encrypt, encrypt_with, topic_for, VapidClaims};
use gridwork_push::{
    Channel, DeliveryOutcome, ManualClock, Priority, PushTarget, VapidKey, WebPushChannel,
    WebPushConfig,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::rand_core::OsRng;
use p256::elliptic_curve::sec1::ToEncodedPoint;

// RFC 8291 Appendix A ("Intermediate Values for Encryption"), every value
// as printed in the RFC (base64url). The plaintext is section 5's example.
const PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";
const PLAINTEXT_B64: &str = "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24";
const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const AS_PUBLIC: &str =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const SHARED_ECDH: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
// Appendix A gives the message as header and ciphertext separately; section
// 5 prints the whole body. Both are checked.
const HEADER: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const CIPHERTEXT: &str =
    "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ";
const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn auth16() -> [u8; 16] {
    b64(AUTH).try_into().unwrap()
}

#[test]
fn rfc8291_appendix_a_is_reproduced_byte_for_byte() {
    assert_eq!(b64(PLAINTEXT_B64), PLAINTEXT);
    let as_secret = p256::SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
    // The RFC's keys belong together: a transcription slip would show here.
    assert_eq!(
        as_secret.public_key().to_encoded_point(false).as_bytes(),
        b64(AS_PUBLIC).as_slice()
    );
    let ua_secret = p256::SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
    let ua_public = p256::PublicKey::from_sec1_bytes(&b64(UA_PUBLIC)).unwrap();
    assert_eq!(ua_secret.public_key(), ua_public);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());
    assert_eq!(
        shared.raw_secret_bytes().as_slice(),
        b64(SHARED_ECDH).as_slice()
    );

    let salt: [u8; 16] = b64(SALT).try_into().unwrap();
    let body = encrypt_with(PLAINTEXT, &ua_public, &auth16(), salt, &as_secret).unwrap();

    let mut expected = b64(HEADER);
    expected.extend_from_slice(&b64(CIPHERTEXT));
    assert_eq!(expected, b64(BODY), "the RFC's two printings agree");
    assert_eq!(body.len(), 144);
    assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
    assert_eq!(body, expected);
    // Header fields: salt, rs = 4096, idlen = 65, keyid = sender's key.
    assert_eq!(&body[..16], &salt);
    assert_eq!(&body[16..20], &4096u32.to_be_bytes());
    assert_eq!(body[20], 65);
    assert_eq!(&body[21..86], b64(AS_PUBLIC).as_slice());
}

#[test]
fn web_push_native_decrypts_the_rfc_body_and_ours() {
    let ua_secret = p256::SecretKey::from_slice(&b64(UA_PRIVATE)).unwrap();
    let auth = web_push_native::Auth::clone_from_slice(&b64(AUTH));
    let plain = web_push_native::decrypt(b64(BODY), &ua_secret, &auth).unwrap();
    assert_eq!(plain, PLAINTEXT);

    // A fresh salt and sender key each time: two encryptions differ, and
    // both decrypt.
    let ua_public = ua_secret.public_key();
    let text = "案件超期 · Case overdue".as_bytes();
    let a = encrypt(text, &ua_public, &auth16()).unwrap();
    let b = encrypt(text, &ua_public, &auth16()).unwrap();
    assert_ne!(a, b);
    assert_ne!(a[..16], b[..16], "salt is fresh");
    for body in [a, b] {
        assert_eq!(
            web_push_native::decrypt(body, &ua_secret, &auth).unwrap(),
            text
        );
    }
}

#[test]
fn oversized_payloads_are_refused_before_sending() {
    let ua = p256::SecretKey::random(&mut OsRng).public_key();
    let big = vec![b'x'; webpush::MAX_PLAINTEXT + 1];
    assert!(encrypt(&big, &ua, &auth16()).is_err());
    let fits = vec![b'x'; webpush::MAX_PLAINTEXT];
    assert_eq!(encrypt(&fits, &ua, &auth16()).unwrap().len(), 4096);
}

fn parse_vapid(header: &str) -> (String, String) {
    let rest = header.strip_prefix("vapid ").unwrap();
    let mut t = None;
    let mut k = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("t=") {
            t = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("k=") {
            k = Some(v.to_string());
        }
    }
    (t.unwrap(), k.unwrap())
}

fn verify_vapid(
    token: &str,
    public: &[u8],
    aud: &str,
) -> jsonwebtoken::errors::Result<VapidClaims> {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    jsonwebtoken::decode::<VapidClaims>(token, &DecodingKey::from_ec_der(public), &validation)
        .map(|d| d.claims)
}

#[test]
fn the_vapid_jwt_verifies_with_the_public_key_and_not_with_another() {
    let secret = p256::SecretKey::random(&mut OsRng);
    let key = VapidKey::from_secret(&secret).unwrap();
    let now = Utc::now();
    let header = key
        .authorization(
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABc",
            "mailto:ops@gridwork.example",
            now,
            Duration::from_secs(12 * 3600),
        )
        .unwrap();
    let (token, k) = parse_vapid(&header);
    assert_eq!(k, key.public_key());
    let public = b64(&k);
    assert_eq!(public.len(), 65);
    assert_eq!(
        public,
        secret.public_key().to_encoded_point(false).as_bytes()
    );

    let jwt_header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(jwt_header.alg, Algorithm::ES256);
    assert_eq!(jwt_header.typ.as_deref(), Some("JWT"));

    let claims =
        verify_vapid(&token, &public, "https://updates.push.services.mozilla.com").unwrap();
    assert_eq!(claims.aud, "https://updates.push.services.mozilla.com");
    assert_eq!(claims.sub, "mailto:ops@gridwork.example");
    assert_eq!(claims.exp, now.timestamp() + 12 * 3600);

    // Another key does not verify it; nor does another audience.
    let other = p256::SecretKey::random(&mut OsRng).public_key();
    let other = other.to_encoded_point(false);
    assert!(verify_vapid(
        &token,
        other.as_bytes(),
        "https://updates.push.services.mozilla.com"
    )
    .is_err());
    assert!(verify_vapid(&token, &public, "https://fcm.googleapis.com").is_err());

    // A tampered payload fails too.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(
        serde_json::json!({"aud": claims.aud, "exp": claims.exp + 3600, "sub": claims.sub})
            .to_string(),
    );
    parts[1] = &forged;
    assert!(verify_vapid(
        &parts.join("."),
        &public,
        "https://updates.push.services.mozilla.com"
    )
    .is_err());
}

#[test]
fn vapid_expiry_is_at_most_24_hours_and_the_audience_keeps_a_port() {
    let secret = p256::SecretKey::random(&mut OsRng);
    let key = VapidKey::from_secret(&secret).unwrap();
    let now = Utc::now();
    let header = key
        .authorization(
            "http://127.0.0.1:8080/up/abc?x=1",
            "https://gridwork.example/contact",
            now,
            Duration::from_secs(48 * 3600),
        )
        .unwrap();
    let (token, k) = parse_vapid(&header);
    let claims = verify_vapid(&token, &b64(&k), "http://127.0.0.1:8080").unwrap();
    assert_eq!(claims.aud, "http://127.0.0.1:8080");
    assert_eq!(claims.exp, now.timestamp() + 24 * 3600);
    // The raw private key form web-push tools print gives the same key.
    let again = VapidKey::from_base64url(&URL_SAFE_NO_PAD.encode(secret.to_bytes())).unwrap();
    assert_eq!(again.public_key(), key.public_key());
}

#[test]
fn topics_follow_rfc8030() {
    assert_eq!(topic_for("case-4711"), "case-4711");
    let hashed = topic_for("案件/4711 with spaces and far more than thirty-two characters");
    assert_eq!(hashed.len(), 32);
    assert!(hashed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        hashed,
        topic_for("案件/4711 with spaces and far more than thirty-two characters")
    );
}

struct Subscriber {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    fn new() -> Self {
        Self {
            secret: p256::SecretKey::random(&mut OsRng),
            auth: *b"0123456789abcdef",
        }
    }

    fn target(&self, endpoint: String) -> PushTarget {
        PushTarget::WebPush {
            endpoint,
            p256dh: URL_SAFE_NO_PAD
                .encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(self.auth),
        }
    }
}

fn channel(key: VapidKey) -> WebPushChannel {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mut config = WebPushConfig::new("mailto:ops@gridwork.example");
    // The fake push service is plain HTTP on loopback.
    config.allow_http = true;
    WebPushChannel::with_clock(key, config, clock).unwrap()
}

#[tokio::test]
async fn delivery_sends_rfc8030_headers_and_a_body_the_subscriber_can_read() {
    let server = FakeServer::start(|_, _| Answer::status(201)).await;
    let vapid_secret = p256::SecretKey::random(&mut OsRng);
    let ch = channel(VapidKey::from_secret(&vapid_secret).unwrap());
    let sub = Subscriber::new();
    let target = sub.target(format!("{}/push/sub-1", server.url()));

    assert_eq!(
        ch.deliver(&target, &message(Priority::Critical)).await,
        DeliveryOutcome::Delivered
    );
    assert_eq!(
        ch.deliver(&target, &message(Priority::Normal)).await,
        DeliveryOutcome::Delivered
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let critical = &reqs[0];
    assert_eq!(critical.method, "POST");
    assert_eq!(critical.path, "/push/sub-1");
    assert_eq!(critical.header("ttl").as_deref(), Some("3600"));
    assert_eq!(critical.header("urgency").as_deref(), Some("high"));
    assert_eq!(reqs[1].header("urgency").as_deref(), Some("normal"));
    assert_eq!(critical.header("topic").as_deref(), Some("case-4711"));
    assert_eq!(
        critical.header("content-encoding").as_deref(),
        Some("aes128gcm")
    );
    assert_eq!(
        critical.header("content-type").as_deref(),
        Some("application/octet-stream")
    );

    let (token, k) = parse_vapid(&critical.header("authorization").unwrap());
    let vapid_public = vapid_secret.public_key().to_encoded_point(false);
    assert_eq!(b64(&k), vapid_public.as_bytes());
    let claims = verify_vapid(&token, vapid_public.as_bytes(), &server.url()).unwrap();
    assert_eq!(claims.sub, "mailto:ops@gridwork.example");

    let auth = web_push_native::Auth::clone_from_slice(&sub.auth);
    let plain = web_push_native::decrypt(critical.body.clone(), &sub.secret, &auth).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(payload["title"]["zh"], "案件超期升级");
    assert_eq!(payload["title"]["en"], "Case overdue, escalated");
    assert_eq!(payload["priority"], "critical");
    assert_eq!(payload["data"]["case_id"], "case-4711");
    assert_eq!(payload["data"]["level"], 1);
}

#[tokio::test]
async fn push_service_answers_are_classified() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/gone" => Answer::status(410),
        "/missing" => Answer::status(404),
        "/busy" => Answer::status(429).with_header("retry-after", "120"),
        "/down" => Answer::status(503),
        "/big" => Answer::status(413),
        "/vapid" => Answer::status(403),
        _ => Answer::status(201),
    })
    .await;
    let ch = channel(VapidKey::from_secret(&p256::SecretKey::random(&mut OsRng)).unwrap());
    let sub = Subscriber::new();
    let msg = message(Priority::Normal);
    let go = |path: &str| sub.target(format!("{}{path}", server.url()));

    assert_eq!(
        ch.deliver(&go("/gone"), &msg).await,
        DeliveryOutcome::DeadEndpoint
    );
    assert_eq!(
        ch.deliver(&go("/missing"), &msg).await,
        DeliveryOutcome::DeadEndpoint
    );
    assert_eq!(
        ch.deliver(&go("/busy"), &msg).await,
        DeliveryOutcome::RetryLater {
            after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(
        ch.deliver(&go("/down"), &msg).await,
        DeliveryOutcome::RetryLater { after: None }
    );
    assert!(matches!(
        ch.deliver(&go("/big"), &msg).await,
        DeliveryOutcome::Rejected { .. }
    ));
    assert!(matches!(
        ch.deliver(&go("/vapid"), &msg).await,
        DeliveryOutcome::Rejected { .. }
    ));

    // A subscription whose keys are not a P-256 point can never be used.
    let broken = PushTarget::WebPush {
        endpoint: format!("{}/x", server.url()),
        p256dh: "bm90IGEga2V5".into(),
        auth: URL_SAFE_NO_PAD.encode([0u8; 16]),
    };
    assert_eq!(
        ch.deliver(&broken, &msg).await,
        DeliveryOutcome::DeadEndpoint
    );

    // Plain HTTP endpoints are refused unless allowed (they come from clients).
    let strict = WebPushChannel::new(
        VapidKey::from_secret(&p256::SecretKey::random(&mut OsRng)).unwrap(),
        WebPushConfig::new("mailto:ops@gridwork.example"),
    )
    .unwrap();
    assert!(matches!(
        strict.deliver(&go("/ok"), &msg).await,
        DeliveryOutcome::Rejected { .. }
    ));
    assert!(server.requests().iter().all(|r| r.path != "/ok"));

    // Nothing listening: a transport failure is retried later.
    let closed = sub.target("http://127.0.0.1:9/push".into());
    assert_eq!(
        ch.deliver(&closed, &msg).await,
        DeliveryOutcome::RetryLater { after: None }
    );
}

#[tokio::test]
async fn the_vapid_token_is_reused_per_origin_until_half_its_validity() {
    let server = FakeServer::start(|_, _| Answer::status(201)).await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mut config = WebPushConfig::new("mailto:ops@gridwork.example");
    config.allow_http = true;
    config.jwt_validity = Duration::from_secs(12 * 3600);
    let key = VapidKey::from_secret(&p256::SecretKey::random(&mut OsRng)).unwrap();
    let ch = WebPushChannel::with_clock(key, config, clock.clone()).unwrap();
    let sub = Subscriber::new();
    for path in ["a", "b"] {
        let target = sub.target(format!("{}/push/{path}", server.url()));
        assert_eq!(
            ch.deliver(&target, &message(Priority::Normal)).await,
            DeliveryOutcome::Delivered
        );
    }
    clock.advance(chrono::Duration::hours(6) + chrono::Duration::seconds(1));
    let target = sub.target(format!("{}/push/c", server.url()));
    assert_eq!(
        ch.deliver(&target, &message(Priority::Normal)).await,
        DeliveryOutcome::Delivered
    );
    let auth: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap())
        .collect();
    assert_eq!(
        auth[0], auth[1],
        "one signature for one push service origin"
    );
    assert_ne!(auth[1], auth[2], "signed again after half of its 12 hours");
}
