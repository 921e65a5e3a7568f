//! The server's log, at debug level, and its answers carry no credential,
//! activation code, ID number or phone number: a real `gridwork serve`
//! writing its log to a file while a village is imported, phones enrol and
//! sync, and bad codes, bad credentials and bad register rows are sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use gridwork_core::sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use reqwest::Method;
use support::{Admin, Phone, ServerProcess, TESTDATA};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_answers_hold_no_secret_or_personal_number() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start_logging_to(&dir.path().join("data"), &log);
    let admin_code = server.admin_code.clone().unwrap();
    let (admin, _console) = Admin::enrol(&server, dir.path()).await;
    let read = |f: &str| std::fs::read(Path::new(TESTDATA).join(f)).unwrap();
    let mut answers = Vec::new();
    answers.push(
        admin
            .ok(
                Method::POST,
                "/admin/import/regions",
                read("township.geojson"),
            )
            .await,
    );
    answers.push(
        admin
            .ok(
                Method::POST,
                "/admin/import/households",
                read("households.csv"),
            )
            .await,
    );
    answers.push(
        admin
            .ok(Method::POST, "/admin/import/members", read("members.csv"))
            .await,
    );
    // Rows with a wrong check digit and a malformed phone: row errors.
    let bad_id = "110105194912310021";
    let bad_phone = "1391234567";
    let bad_rows =
        format!("户编码,姓名,与户主关系,联系电话,身份证号\nH001,错号,子女,{bad_phone},{bad_id}\n");
    answers.push(
        admin
            .ok(Method::POST, "/admin/import/members", bad_rows.into_bytes())
            .await,
    );
    admin
        .put_json("/admin/users", serde_json::json!({"id": "w1", "name": "张网格", "role": "grid_worker", "phone": "13800138000", "jurisdiction": []}))
        .await;
    admin
        .put_json("/admin/assignments", serde_json::json!({"user_id": "w1", "grid_code": "G1", "kind": "primary", "from": "2026-01-01", "to": null}))
        .await;
    let w1_code = admin.code_for("w1").await;
    let phone = Phone::enrol(dir.path(), "w1", &server.url, &w1_code).await;
    phone.sync().await;
    let w1_token = phone.token();

    // A wrong code and a forged credential.
    let http = reqwest::Client::new();
    let wrong_code = "ZZZZZ-99999";
    let r = http
        .post(format!("{}/v1/activate", server.url))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .json(&serde_json::json!({"code": wrong_code, "device_id": "x", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    answers.push(r.json().await.unwrap());
    let forged = "gwd_forgedforgedforgedforgedforgedforgedforg";
    let r = http
        .post(format!("{}/v1/sync/pull", server.url))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .bearer_auth(forged)
        .json(&serde_json::json!({"cursor": null, "limit": 10}))
        .send()
        .await
        .unwrap();
    answers.push(r.json().await.unwrap());
    answers.push(admin.ok(Method::GET, "/admin/devices", vec![]).await);
    answers.push(admin.ok(Method::GET, "/admin/report", vec![]).await);
    server.kill9();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("device activated") && text.lines().count() > 20,
        "the log was written at debug level: {} lines",
        text.lines().count()
    );
    let answers = serde_json::to_string(&answers).unwrap();
    let secrets = [
        ("the administrator's code", admin_code.as_str()),
        ("a worker's code", w1_code.as_str()),
        ("a wrong code tried", wrong_code),
        ("the administrator's credential", admin.token.as_str()),
        ("a worker's credential", w1_token.as_str()),
        ("a forged credential", forged),
        ("an ID number", "11010519491231002X"),
        ("a wrong ID number", bad_id),
        ("a member's phone", "13912345678"),
        ("a wrong phone", bad_phone),
        ("a worker's phone", "13800138000"),
    ];
    for (what, secret) in secrets {
        let line = text
            .lines()
            .find(|l| l.contains(secret))
            .unwrap_or_default();
        assert!(!text.contains(secret), "the log holds {what}: {line}");
        assert!(!answers.contains(secret), "an answer holds {what}");
    }
}
