//! JPush push API v3 against a local fake that checks Basic auth and the
//! body, and answers with JPush's error codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{message, Answer, FakeServer};
use gridwork_push::{Channel, DeliveryOutcome, JPushChannel, JPushConfig, Priority, PushTarget};
use serde_json::json;

const APP_KEY: &str = "7d431e42dfa6a6d693ac2d04";
const MASTER_SECRET: &str = "5e987ac6d2e04d95a9d8f0d1";

async fn jpush() -> FakeServer {
    FakeServer::start(|req, _| {
        // base64("7d431e42dfa6a6d693ac2d04:5e987ac6d2e04d95a9d8f0d1"), the
        // example in JPush's own documentation.
        if req.header("authorization").as_deref()
            != Some("Basic N2Q0MzFlNDJkZmE2YTZkNjkzYWMyZDA0OjVlOTg3YWM2ZDJlMDRkOTVhOWQ4ZjBkMQ==")
        {
            return Answer::json(
                401,
                json!({"error": {"code": 1004, "message": "Authen failed"}}),
            );
        }
        if req.method != "POST" || req.path != "/v3/push" {
            return Answer::status(404);
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        match body["audience"]["registration_id"][0]
            .as_str()
            .unwrap_or("")
        {
            "unknown" => Answer::json(
                400,
                json!({"error": {"code": 1011, "message": "cannot find user by this audience"}}),
            ),
            "limited" => Answer::json(
                429,
                json!({"error": {"code": 2002, "message": "Rate limit exceeded"}}),
            )
            .with_header("X-Rate-Limit-Reset", "42"),
            "throttled" => Answer::json(
                400,
                json!({"error": {"code": 2003, "message": "The appKey is limited"}}),
            ),
            "badpayload" => Answer::json(
                400,
                json!({"error": {"code": 1003, "message": "Parameter value is invalid"}}),
            ),
            _ => Answer::json(200, json!({"sendno": "0", "msg_id": "54043198270658512"})),
        }
    })
    .await
}

fn config(url: String, master_secret: &str) -> JPushConfig {
    JPushConfig {
        base_url: url,
        app_key: APP_KEY.into(),
        master_secret: master_secret.into(),
        apns_production: true,
        vendor_channel_ids: BTreeMap::from([("xiaomi".to_string(), "gridwork_work".to_string())]),
        timeout: Duration::from_secs(10),
    }
}

fn reg(id: &str) -> PushTarget {
    PushTarget::JPush {
        registration_id: id.into(),
    }
}

#[tokio::test]
async fn a_critical_push_uses_the_vendor_work_class_and_basic_auth() {
    let server = jpush().await;
    let ch = JPushChannel::new(config(server.url(), MASTER_SECRET)).unwrap();
    assert_eq!(
        ch.deliver(&reg("1a0018970a1b2c3d"), &message(Priority::Critical))
            .await,
        DeliveryOutcome::Delivered
    );
    assert_eq!(
        ch.deliver(&reg("1a0018970a1b2c3d"), &message(Priority::Normal))
            .await,
        DeliveryOutcome::Delivered
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body["platform"], json!(["android", "ios"]));
    assert_eq!(
        body["audience"],
        json!({"registration_id": ["1a0018970a1b2c3d"]})
    );
    let android = &body["notification"]["android"];
    assert_eq!(android["title"], "案件超期升级 · Case overdue, escalated");
    assert!(android["alert"]
        .as_str()
        .unwrap()
        .starts_with("东风村 3 号网格"));
    assert_eq!(android["priority"], 2);
    assert_eq!(android["category"], "alarm");
    assert_eq!(android["extras"]["case_id"], "case-4711");
    assert_eq!(android["extras"]["level"], 1);
    let options = &body["options"];
    assert_eq!(options["time_to_live"], 3600);
    assert_eq!(options["apns_production"], true);
    let vendors = &options["third_party_channel"];
    for vendor in ["huawei", "honor", "xiaomi", "oppo", "vivo", "meizu"] {
        assert_eq!(vendors[vendor]["distribution"], "first_ospush", "{vendor}");
    }
    assert_eq!(vendors["vivo"]["classification"], 1);
    assert_eq!(vendors["huawei"]["importance"], "NORMAL");
    assert_eq!(vendors["huawei"]["category"], "WORK");
    assert_eq!(vendors["xiaomi"]["channel_id"], "gridwork_work");

    let normal: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(normal["notification"]["android"]["priority"], 0);
    assert_eq!(
        normal["options"]["third_party_channel"]["oppo"]["distribution"],
        "secondary_push"
    );
    // Still a work (system) message for vivo when it is not critical.
    assert_eq!(
        normal["options"]["third_party_channel"]["vivo"]["classification"],
        1
    );
}

#[tokio::test]
async fn jpush_error_codes_are_classified() {
    let server = jpush().await;
    let ch = JPushChannel::new(config(server.url(), MASTER_SECRET)).unwrap();
    let msg = message(Priority::Normal);
    assert_eq!(
        ch.deliver(&reg("unknown"), &msg).await,
        DeliveryOutcome::DeadEndpoint
    );
    assert_eq!(
        ch.deliver(&reg("limited"), &msg).await,
        DeliveryOutcome::RetryLater {
            after: Some(Duration::from_secs(42))
        }
    );
    assert_eq!(
        ch.deliver(&reg("throttled"), &msg).await,
        DeliveryOutcome::RetryLater { after: None }
    );
    assert_eq!(
        ch.deliver(&reg("badpayload"), &msg).await,
        DeliveryOutcome::Rejected {
            reason: "JPush 400 Bad Request code 1003".into()
        }
    );
    let wrong = JPushChannel::new(config(server.url(), "not-the-secret")).unwrap();
    assert_eq!(
        wrong.deliver(&reg("1a0018970a1b2c3d"), &msg).await,
        DeliveryOutcome::Rejected {
            reason: "JPush 401 Unauthorized code 1004".into()
        }
    );
}
