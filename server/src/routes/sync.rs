//! Activation, push, pull and credential rotation.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use gridwork_core::sync::protocol::{
    ActivateRequest, ActivateResponse, PullRequest, PullResponse, PushRequest, PushResponse,
    CLOCK_HEADER,
};
use serde::{Deserialize, Serialize};

use super::{blocking, parse, AppState};
use crate::error::ApiResult;
use crate::storage::DeviceAuth;

/// Exchange a one-time activation code for a device credential.
pub async fn activate(
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<Json<ActivateResponse>> {
    let req: ActivateRequest = parse(&body)?;
    let (token, user) = blocking(move || {
        state
            .storage
            .activate(&req.code, &req.device_id, &req.device_name)
    })
    .await?;
    Ok(Json(ActivateResponse { token, user }))
}

/// Apply a batch of the device's operations; one answer per operation.
pub async fn push(
    State(state): State<AppState>,
    auth: DeviceAuth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PushResponse>> {
    let req: PushRequest = parse(&body)?;
    let clock = headers
        .get(CLOCK_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let resp = blocking(move || state.storage.push(&auth, clock, &req)).await?;
    Ok(Json(resp))
}

/// One page of what changed in the device's reach.
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
#[derive(Debug, Serialize, Deserialize)]
pub struct RotateResponse {
    pub token: String,
}

pub async fn rotate(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> ApiResult<Json<RotateResponse>> {
    let token = blocking(move || state.storage.rotate(&auth.device_id)).await?;
    Ok(Json(RotateResponse { token }))
}
