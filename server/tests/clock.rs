//! The test clock: only a server started with one moves its time, only
//! forward, and only for administrators.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use gridwork_core::clock::{Clock, ManualClock, SystemClock};
use gridwork_server::routes::AppState;
use gridwork_server::storage::sqlite::SqliteStorage;
use gridwork_server::storage::ServerStorage;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Api {
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

fn api(test_clock: Option<ManualClock>) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = match &test_clock {
        Some(c) => Arc::new(c.clone()),
        None => Arc::new(SystemClock),
    };
    let storage = Arc::new(SqliteStorage::open(dir.path(), clock).unwrap());
    let code = storage.bootstrap_admin("http://test").unwrap().unwrap();
    let (token, _) = storage.activate(&code.code, "console", "console").unwrap();
    let state = AppState {
        test_clock,
        ..AppState::new(storage, "http://test".into())
    };
    Api {
        router: gridwork_server::router(state),
        token,
        _dir: dir,
    }
}

async fn send(api: &Api, method: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri("/v1/admin/clock")
        .header("x-gridwork-protocol", "1")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let resp = api.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_test_clock_moves_forward_only() {
    let start = Utc.with_ymd_and_hms(2026, 5, 11, 0, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let api = api(Some(clock.clone()));
    let (status, body) = send(&api, "GET", &api.token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["now"], "2026-05-11T00:00:00Z");
    assert_eq!(body["test_clock"], true);

    let (status, body) = send(
        &api,
        "POST",
        &api.token,
        Some(json!({"now": "2026-05-14T09:30:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["now"], "2026-05-14T09:30:00Z");
    assert_eq!(
        clock.now(),
        Utc.with_ymd_and_hms(2026, 5, 14, 9, 30, 0).unwrap()
    );

    let (status, body) = send(
        &api,
        "POST",
        &api.token,
        Some(json!({"now": "2026-05-12T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "clock_backwards");
    assert_eq!(body["field"], "now");
    assert_eq!(
        clock.now(),
        Utc.with_ymd_and_hms(2026, 5, 14, 9, 30, 0).unwrap(),
        "a refused move leaves the clock"
    );

    let (status, body) = send(
        &api,
        "POST",
        "gwd_not-a-credential",
        Some(json!({"now": "2027-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn a_server_on_the_real_clock_refuses_to_move_it() {
    let api = api(None);
    let (status, body) = send(
        &api,
        "POST",
        &api.token,
        Some(json!({"now": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "no_test_clock");
    let (status, body) = send(&api, "GET", &api.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["test_clock"], false);
}
