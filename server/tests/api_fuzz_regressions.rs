//! Inputs that schemathesis (tests/api/schemathesis.sh) found the server
//! answering wrongly, replayed against the router in process: each must get
//! a 4xx with an `ErrorBody` or a proper answer, never a 5xx. And the
//! document must describe what the server does with them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gridwork_core::clock::SystemClock;
use gridwork_server::storage::sqlite::SqliteStorage;
use gridwork_server::storage::ServerStorage;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The router over a fresh data directory, with an enrolled administrator.
struct Api {
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::open(dir.path(), Arc::new(SystemClock)).unwrap());
        let code = storage.bootstrap_admin("http://test").unwrap().unwrap();
        let (token, _) = storage.activate(&code.code, "console", "console").unwrap();
        Api {
            router: gridwork_server::app(storage, "http://test".into()),
            token,
            _dir: dir,
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `POST /v1/sync/push` as the administrator's device.
    async fn push(&self, headers: &[(&str, &str)], body: Value) -> (StatusCode, Value) {
        let mut req = Request::post("/v1/sync/push")
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

/// An operation the administrator may send (it is answered, not applied:
/// the patrol is not theirs).
fn op(seq: i64, created_at: &str) -> Value {
    json!({
        "seq": seq,
        "op_id": format!("op-{seq}"),
        "hlc": "0001764000000123-00007-console",
        "created_at": created_at,
        "operation": {"op": "track_discarded", "patrol_id": "p-1"}
    })
}

fn assert_refusal(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn a_device_clock_at_the_ends_of_i64_is_not_trusted_and_not_a_crash() {
    // schemathesis: x-gridwork-clock: -9223372036854775807 gave a 500 (the
    // clock offset overflowed i64: "attempt to subtract with overflow").
    let api = Api::new();
    for clock in [
        "-9223372036854775808",
        "-9223372036854775807",
        "9223372036854775807",
    ] {
        let (status, body) = api
            .push(
                &[("x-gridwork-protocol", "1"), ("x-gridwork-clock", clock)],
                json!({"device_id": "console", "acked_through": 0, "ops": [op(1, "2026-01-01T00:00:00Z")]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "clock {clock}: {body}");
        assert_eq!(body["answers"].as_array().unwrap().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn acked_through_i64_max_is_not_a_crash() {
    // schemathesis: acked_through = i64::MAX with an operation gave a 500
    // (the sequence gap check overflowed: "attempt to add with overflow").
    let api = Api::new();
    let (status, body) = api
        .push(
            &[("x-gridwork-protocol", "1")],
            json!({"device_id": "console", "acked_through": i64::MAX, "ops": [op(7, "2026-01-01T00:00:00Z")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answers"][0]["status"], "rejected", "{body}");
}

#[tokio::test]
async fn a_stamp_at_the_end_of_time_with_a_clock_correction_is_not_a_crash() {
    // The same class as the clock header: an operation stamped at chrono's
    // last representable day, corrected by a device clock a day behind,
    // overflowed `DateTime + Duration` (a panic).
    let api = Api::new();
    let behind = (chrono::Utc::now() - chrono::Duration::days(1))
        .timestamp_millis()
        .to_string();
    let (status, body) = api
        .push(
            &[("x-gridwork-protocol", "1"), ("x-gridwork-clock", &behind)],
            json!({"device_id": "console", "acked_through": 0, "ops": [op(1, "+262142-12-31T23:59:59Z")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answers"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn a_clock_header_that_is_not_a_number_is_refused() {
    // schemathesis: x-gridwork-clock: HZ2 was accepted and silently ignored.
    let api = Api::new();
    let (status, body) = api
        .push(
            &[("x-gridwork-protocol", "1"), ("x-gridwork-clock", "HZ2")],
            json!({"device_id": "console", "acked_through": 0, "ops": []}),
        )
        .await;
    assert_refusal(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["reason"]
        .as_str()
        .unwrap()
        .contains("x-gridwork-clock"));
}

#[tokio::test]
async fn a_missing_or_malformed_protocol_header_is_a_bad_request_and_an_old_one_needs_an_update() {
    // schemathesis: a request without X-Gridwork-Protocol got 426 "please
    // update the app"; it is a malformed request (every app sends it).
    let api = Api::new();
    let pull = |protocol: Option<&str>| {
        let mut req = Request::post("/v1/sync/pull")
            .header("authorization", format!("Bearer {}", api.token))
            .header("content-type", "application/json");
        if let Some(p) = protocol {
            req = req.header("x-gridwork-protocol", p);
        }
        req.body(Body::from(r#"{"cursor":null,"limit":10}"#))
            .unwrap()
    };
    let (status, body) = api.send(pull(None)).await;
    assert_refusal(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        body["reason"].as_str().unwrap().contains("missing"),
        "{body}"
    );
    for bad in ["abc", "-1", "1.5", "4294967296"] {
        let (status, body) = api.send(pull(Some(bad))).await;
        assert_refusal(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    }
    let (status, body) = api.send(pull(Some("0"))).await;
    assert_refusal(
        status,
        &body,
        StatusCode::UPGRADE_REQUIRED,
        "protocol_too_old",
    );
    let (status, body) = api.send(pull(Some("1"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The schema at a JSON pointer of the served document.
fn at<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the document"))
}

#[tokio::test]
async fn the_document_describes_the_refusals_and_the_integer_ranges_the_server_has() {
    let api = Api::new();
    let (status, doc) = api
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);

    // Every /v1 operation: 400 and 426 from the protocol layer, 401 where a
    // credential is needed, each with an ErrorBody.
    let mut operations = 0;
    let mut tus_operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/uploads") {
            // tus: Tus-Resumable is the version header (exactly 1.0.0; 412
            // otherwise), never X-Gridwork-Protocol, so no 426.
            for (method, op) in item.as_object().unwrap() {
                tus_operations += 1;
                assert!(op["responses"].get("426").is_none(), "{method} {path}");
                if method == "options" {
                    continue;
                }
                assert_eq!(
                    op["security"][0]["device_credential"],
                    json!([]),
                    "{method} {path}"
                );
                let version = op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["name"] == "Tus-Resumable")
                    .unwrap_or_else(|| panic!("{method} {path}: no Tus-Resumable"));
                assert_eq!(
                    version["schema"]["enum"],
                    json!(["1.0.0"]),
                    "{method} {path}"
                );
                assert!(op["responses"].get("412").is_some(), "{method} {path}");
            }
            continue;
        }
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut want = vec!["400", "426"];
            if secured {
                want.push("401");
            }
            if op.get("requestBody").is_some() {
                want.push("413");
            }
            for status in want {
                assert_eq!(
                    op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            let protocol = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "x-gridwork-protocol")
                .unwrap_or_else(|| panic!("{method} {path}: no protocol header"));
            assert_eq!(protocol["required"], true);
            assert_eq!(protocol["schema"]["minimum"], 1, "{method} {path}");
            assert_eq!(protocol["schema"]["maximum"], u64::from(u32::MAX));
        }
    }
    assert_eq!((operations, tus_operations), (25, 5));
    let revoke = at(
        &doc,
        "/paths/~1v1~1admin~1devices~1{device_id}~1revoke/post/responses",
    );
    assert!(revoke.get("404").is_some(), "{revoke}");
    let code = at(&doc, "/paths/~1v1~1admin~1activation-codes/post/responses");
    assert!(code.get("404").is_some(), "{code}");

    // u32 (int32 is signed) and u64 (int64 is signed) with their real range;
    // u8 keeps its own.
    let limit = at(&doc, "/components/schemas/PullRequest/properties/limit");
    assert_eq!(
        (&limit["format"], &limit["minimum"], &limit["maximum"]),
        (&json!("int64"), &json!(0), &json!(u32::MAX))
    );
    let offset = at(
        &doc,
        "/components/schemas/EvidenceRecord/properties/upload_offset",
    );
    assert_eq!(
        (offset.get("format"), &offset["minimum"], &offset["maximum"]),
        (None, &json!(0), &json!(u64::MAX))
    );
    let level = at(&doc, "/components/schemas/Case/properties/escalation_level");
    assert_eq!(
        (&level["minimum"], &level["maximum"]),
        (&json!(0), &json!(255))
    );
    // A CSV import body is text, not an array of numbers.
    let csv = at(
        &doc,
        "/paths/~1v1~1admin~1import~1households/post/requestBody/content/text~1csv/schema",
    );
    assert_eq!(csv["type"], "string", "{csv}");
}

#[tokio::test]
async fn refusals_made_by_the_framework_are_error_bodies_too() {
    // Extractor and layer rejections came as plain text (or nothing), while
    // the document, and the phone's client, expect an ErrorBody.
    let api = Api::new();
    let authed = |method: &str, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("x-gridwork-protocol", "1")
            .header("authorization", format!("Bearer {}", api.token))
    };
    let cases = [
        (
            "a body that does not decompress",
            authed("POST", "/v1/sync/pull")
                .header("content-encoding", "gzip")
                .body(Body::from("not gzip"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "an encoding the server does not speak",
            authed("POST", "/v1/sync/pull")
                .header("content-encoding", "br")
                .body(Body::from("x"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "a path segment that is not UTF-8",
            authed("POST", "/v1/admin/devices/%FF/revoke")
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "a query parameter given twice",
            authed(
                "POST",
                "/v1/admin/import/households?mode=best_effort&mode=all_or_nothing",
            )
            .body(Body::from("code,grid_code\n"))
            .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "a body over the limit",
            authed("POST", "/v1/sync/pull")
                .body(Body::from(vec![b' '; gridwork_server::BODY_LIMIT + 1]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "an unknown path",
            authed("GET", "/v1/nothing-here")
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "a method the path does not have",
            authed("DELETE", "/v1/sync/pull")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (what, req, status, code) in cases {
        let resp = api.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), status, "{what}");
        let allow = resp.headers().get("allow").cloned();
        assert_eq!(resp.headers()["content-type"], "application/json", "{what}");
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_refusal(status, &body, status, code);
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(allow.unwrap(), "POST", "the Allow header is kept");
        }
    }
}

#[tokio::test]
async fn policy_intervals_beyond_a_century_are_refused() {
    // A policy of u32::MAX days (the document allowed it, schemathesis
    // generated such policies and they were stored) puts every deadline or
    // next visit computed from it outside chrono's calendar: the date
    // arithmetic panics, on the server when a case is reported and on every
    // phone the policy reaches. Refused when set, with the field named.
    let api = Api::new();
    let put = |path: &str, body: Value| {
        Request::put(path)
            .header("x-gridwork-protocol", "1")
            .header("authorization", format!("Bearer {}", api.token))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let deadline = |max_total_days: u32, hard: u32, level2: u32, accept: u32| {
        json!({
            "utc_offset_minutes": 480,
            "accept_minutes_normal": accept, "accept_minutes_urgent": 240, "accept_minutes_critical": 60,
            "resolve_normal": {"normal": 3, "hard": hard},
            "resolve_urgent": {"normal": 1, "hard": 3},
            "resolve_critical": {"normal": 1, "hard": 3},
            "max_total_days": max_total_days,
            "level2_after_hours": level2,
            "critical_escalates_on_report": true,
            "overrides": []
        })
    };
    for (body, field) in [
        (deadline(u32::MAX, u32::MAX, 24, 1440), "max_total_days"),
        (deadline(36_501, 36_501, 24, 1440), "max_total_days"),
        (deadline(15, 7, u32::MAX, 1440), "level2_after_hours"),
        (deadline(15, 7, 24, u32::MAX), "accept_minutes_normal"),
    ] {
        let (status, answer) = api.send(put("/v1/admin/policy/deadline", body)).await;
        assert_refusal(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(answer["field"], field, "{answer}");
    }
    let (status, answer) = api
        .send(put(
            "/v1/admin/policy/deadline",
            deadline(36_500, 36_500, 876_000, 52_560_000),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "a century is allowed: {answer}");

    let visit = |default_days: u32, tag_days: u32| json!({"default_days": default_days, "place_days": 30, "per_tag": [["elderly_alone", tag_days]]});
    for body in [visit(u32::MAX, 7), visit(30, 36_501)] {
        let (status, answer) = api.send(put("/v1/admin/policy/visit", body)).await;
        assert_refusal(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
    let (status, answer) = api
        .send(put("/v1/admin/policy/visit", visit(36_500, 7)))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // The document says so.
    let (_, doc) = api
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    let policy = &doc["components"]["schemas"]["DeadlinePolicy"]["properties"];
    assert_eq!(policy["max_total_days"]["maximum"], 36_500);
    assert_eq!(policy["level2_after_hours"]["maximum"], 876_000);
    assert_eq!(policy["accept_minutes_normal"]["maximum"], 52_560_000);
    assert_eq!(
        doc["components"]["schemas"]["ResolveDays"]["properties"]["hard"]["maximum"],
        36_500
    );
    let visit = &doc["components"]["schemas"]["VisitPolicy"]["properties"];
    assert_eq!(visit["default_days"]["maximum"], 36_500);
    assert_eq!(
        visit["per_tag"]["items"]["prefixItems"][1]["maximum"],
        36_500
    );
}

#[tokio::test]
async fn a_pushed_policy_beyond_the_documented_bounds_refuses_the_batch_and_applies_none_of_it() {
    // Found by schemathesis: a visit_policy_set operation with place_days
    // 36501 (the document's maximum is 36500) was answered 200 with a
    // per-operation rejection. A value the document forbids is refused like
    // a wrong type: 422 naming the operation and field, nothing applied.
    let api = Api::new();
    let policy_op = |seq: i64, place_days: u32| {
        json!({
            "seq": seq,
            "op_id": format!("policy-{seq}"),
            "hlc": "0001764000000123-00007-console",
            "created_at": "2026-11-25T08:00:00Z",
            "operation": {"op": "visit_policy_set",
                          "policy": {"default_days": 30, "place_days": place_days, "per_tag": []}}
        })
    };
    let body = |ops: Vec<Value>| json!({"device_id": "console", "acked_through": 0, "ops": ops});
    let (status, answer) = api
        .push(
            &[("x-gridwork-protocol", "1")],
            body(vec![policy_op(1, 60), policy_op(2, 36_501)]),
        )
        .await;
    assert_refusal(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(answer["field"], "ops[1].policy.place_days", "{answer}");

    // The first, valid operation was not applied either: sent again it is
    // applied now, not answered as a duplicate.
    let (status, answer) = api
        .push(
            &[("x-gridwork-protocol", "1")],
            body(vec![policy_op(1, 60)]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["answers"][0]["status"], "applied", "{answer}");
}
