//! Activation, push, pull and credential rotation.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use gridwork_core::outbox::Operation;
use gridwork_core::sync::protocol::{
    ActivateRequest, ActivateResponse, PullRequest, PullResponse, PushRequest, PushResponse,
    CLOCK_HEADER,
};
use gridwork_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{blocking, parse, AppState, PeerAddr};
use crate::error::{ApiResult, ServerError};
use crate::storage::DeviceAuth;

/// Exchange a one-time activation code for a device credential.
#[utoipa::path(post, path = "/v1/activate", tag = "devices",
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = ActivateRequest,
    responses((status = 200, body = ActivateResponse), (status = 409, description = "the device id is enrolled for another person", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, description = "bad or used code", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 429, description = "too many failed attempts from this address (or from everyone): wait the Retry-After seconds", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 507, description = "the server is out of storage; nothing was saved", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    PeerAddr(peer): PeerAddr,
    body: Bytes,
) -> ApiResult<Json<ActivateResponse>> {
    let throttle = state.activation_throttle.clone();
    if let Some(wait) = throttle.blocked(peer) {
        return Err(ServerError::TooManyAttempts(wait));
    }
    let req: ActivateRequest = parse(&body)?;
    let storage = state.storage.clone();
    let result =
        blocking(move || storage.activate(&req.code, &req.device_id, &req.device_name)).await;
    match result {
        Ok((token, user)) => Ok(Json(ActivateResponse { token, user })),
        Err(e) => {
            // Counted: wrong, used or expired codes (guesses). Not counted:
            // a device id clash or a server fault.
            if matches!(&e, ServerError::Core(CoreError::Invalid { field, .. }) if field == "code")
            {
                throttle.failed(peer);
                tracing::warn!(%peer, "activation failed: bad code");
            }
            Err(e)
        }
    }
}

/// Apply a batch of the device's operations; one answer per operation.
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"),
           ("x-gridwork-clock" = Option<i64>, Header, nullable = false, description = "the device's clock, ms since the epoch")),
    request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = gridwork_core::sync::protocol::ErrorBody),
              (status = 422, description = "a value beyond the bounds this document states", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 401, description = "unknown or revoked device", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 426, description = "protocol too old", body = gridwork_core::sync::protocol::ErrorBody),
              (status = 507, description = "the server is out of storage; no operation of the batch was applied", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    auth: DeviceAuth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PushResponse>> {
    let req: PushRequest = parse(&body)?;
    req.check_bounds()?;
    // Absent: no clock correction. Present but not a number: refused, so a
    // client bug does not silently turn clock correction off.
    let clock = match headers.get(CLOCK_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ServerError::BadRequest(format!(
                        "{CLOCK_HEADER}请求头不是毫秒数 / the {CLOCK_HEADER} header is not a number of milliseconds"
                    ))
                })?,
        ),
    };
    // Case operations may have escalated cases or told someone (an urge, a
    // dispatch): the engine sends their pushes now, not at the next minute.
    let cases = req.ops.iter().any(|e| {
        matches!(
            e.operation,
            Operation::CaseReported { .. } | Operation::CaseActed { .. }
        )
    });
    let engine = state.engine.clone();
    let resp = blocking(move || state.storage.push(&auth, clock, &req)).await?;
    if let (true, Some(engine)) = (cases, engine) {
        engine.kick();
    }
    Ok(Json(resp))
}

/// One page of what changed in the device's reach.
#[utoipa::path(post, path = "/v1/sync/pull", tag = "sync", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = PullRequest,
    responses((status = 200, body = PullResponse), (status = 401, body = gridwork_core::sync::protocol::ErrorBody),
              (status = 422, description = "bad cursor", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Bytes,
) -> ApiResult<Json<PullResponse>> {
    let req: PullRequest = parse(&body)?;
    let resp =
        blocking(move || state.storage.pull(&auth, req.cursor.as_deref(), req.limit)).await?;
    Ok(Json(resp))
}

/// A new credential replacing the one used for this request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotateResponse {
    pub token: String,
}

/// Replace this device's credential; the old one stops working.
#[utoipa::path(post, path = "/v1/device/rotate", tag = "devices", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = RotateResponse), (status = 401, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> ApiResult<Json<RotateResponse>> {
    let token = blocking(move || state.storage.rotate(&auth.device_id)).await?;
    Ok(Json(RotateResponse { token }))
}
