//! 设备: activation codes (printable, with the QR text phones scan),
//! enrolled devices with their last contact, and revoking a lost phone
//! (its next contact is answered `device_revoked`, and it wipes itself).
//! Administrators only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gridwork_core::user::Role;
use serde::Deserialize;

use super::session::ConsoleUser;
use crate::error::ApiResult;
use crate::routes::{blocking, parse, AppState};
use crate::storage::{ActivationCode, DeviceInfo};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeFor {
    pub user_id: String,
}

/// `GET /console/api/devices`: newest first.
pub async fn list(
    State(state): State<AppState>,
    me: ConsoleUser,
) -> ApiResult<Json<Vec<DeviceInfo>>> {
    me.require(&[Role::Administrator])?;
    let mut devices = blocking(move || state.storage.devices()).await?;
    devices.sort_by_key(|d| std::cmp::Reverse(d.activated_at));
    Ok(Json(devices))
}

/// `POST /console/api/activation-codes`: a one-time code for a person.
pub async fn code(
    State(state): State<AppState>,
    me: ConsoleUser,
    body: Bytes,
) -> ApiResult<Json<ActivationCode>> {
    me.require(&[Role::Administrator])?;
    let req: CodeFor = parse(&body)?;
    let url = state.public_url.clone();
    let user = req.user_id.trim().to_string();
    let storage = state.storage.clone();
    let code = blocking(move || storage.create_activation_code(&user, &url)).await?;
    tracing::info!(by = %me.user().id, user = %code.user_id, "console: activation code made");
    super::audit::record(
        &state,
        &me.user().id,
        &me.user().name,
        "device.code_made",
        &code.user_id,
        format!(
            "为 {} 生成激活码 / made an activation code for {}",
            code.user_id, code.user_id
        ),
    )
    .await;
    Ok(Json(code))
}

/// `POST /console/api/devices/{device_id}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(device_id): Path<String>,
) -> ApiResult<StatusCode> {
    me.require(&[Role::Administrator])?;
    let id = device_id.clone();
    let storage = state.storage.clone();
    blocking(move || storage.revoke(&id)).await?;
    tracing::info!(by = %me.user().id, device = %device_id, "console: device revoked");
    super::audit::record(&state, &me.user().id, &me.user().name, "device.revoked", &device_id,
        format!("停用设备 {device_id}，其下次联网时清除数据 / revoked device {device_id}; it wipes at its next contact")).await;
    Ok(StatusCode::NO_CONTENT)
}
