//! The test clock (`gridwork serve --test-clock`): an administrator moves
//! the server's time forward, so that deadlines pass and escalations fire
//! in seconds in end-to-end tests and the demo's fast day. Without the
//! flag the routes answer 404 and the server runs on the system clock.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use gridwork_core::clock::Clock as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse, Admin, AppState};
use crate::error::{ApiResult, ServerError};

/// Where to move the test clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockRequest {
    /// The new time; never earlier than the clock's current time.
    pub now: DateTime<Utc>,
}

/// The server's time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockResponse {
    pub now: DateTime<Utc>,
    /// True when the server runs on a test clock.
    pub test_clock: bool,
    /// After a move: what the escalation engine and push dispatch did at
    /// the new time (they run before the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<crate::escalation::EngineTick>,
}

fn no_test_clock() -> ServerError {
    ServerError::Refused {
        status: axum::http::StatusCode::NOT_FOUND,
        code: "no_test_clock",
        reason: "此服务器使用真实时钟(启动时加 --test-clock 才能调整) / this server runs on the real clock (start it with --test-clock to move time)".into(),
        field: None,
    }
}

/// The server's clock as the engine and the sync rules see it.
#[utoipa::path(get, path = "/v1/admin/clock", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = ClockResponse), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn get_clock(State(state): State<AppState>, Admin(_): Admin) -> Json<ClockResponse> {
    let now = match &state.test_clock {
        Some(c) => c.now(),
        None => gridwork_core::clock::SystemClock.now(),
    };
    Json(ClockResponse {
        now,
        test_clock: state.test_clock.is_some(),
        engine: None,
    })
}

/// Move the test clock forward (servers started with `--test-clock` only).
#[utoipa::path(post, path = "/v1/admin/clock", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = ClockRequest,
    responses((status = 200, body = ClockResponse),
              (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 404, description = "the server runs on the real clock", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 409, description = "the new time is before the clock's current time", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn set_clock(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> ApiResult<Json<ClockResponse>> {
    let clock = state.test_clock.clone().ok_or_else(no_test_clock)?;
    let req: ClockRequest = parse(&body)?;
    let now = gridwork_core::clock::trunc_ms(req.now);
    if let Err(current) = clock.advance_to(now) {
        return Err(ServerError::Refused {
            status: axum::http::StatusCode::CONFLICT,
            code: "clock_backwards",
            reason: format!("测试时钟不能倒退(现在是{current}) / the test clock never goes back (it is {current})"),
            field: Some("now".into()),
        });
    }
    let engine = match &state.engine {
        Some(e) => Some(e.tick().await?),
        None => None,
    };
    Ok(Json(ClockResponse {
        now,
        test_clock: true,
        engine,
    }))
}
