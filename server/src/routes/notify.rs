//! Push: what phones need to subscribe, and the delivery log for
//! administrators ("why did the supervisor not get it?").

use axum::extract::{Query, State};
use axum::Json;
use gridwork_core::store::PushDelivery;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{blocking, Admin, AppState};
use crate::error::{ApiResult, ServerError};
use crate::storage::DeviceAuth;
use gridwork_core::sync::protocol::PushConfig;

fn no_engine() -> ServerError {
    ServerError::Refused {
        status: axum::http::StatusCode::NOT_FOUND,
        code: "no_push",
        reason: "此服务器未启用推送 / this server does not push".into(),
        field: None,
    }
}

/// The VAPID public key and the endpoint kinds this server delivers to.
#[utoipa::path(get, path = "/v1/push/config", tag = "push", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = PushConfig),
              (status = 404, description = "this server does not push", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn push_config(
    State(state): State<AppState>,
    _auth: DeviceAuth,
) -> ApiResult<Json<PushConfig>> {
    let engine = state.engine.as_ref().ok_or_else(no_engine)?;
    Ok(Json(engine.push_info().clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only this case's deliveries.
    #[serde(default)]
    pub case_id: Option<String>,
}

/// The push delivery log, oldest first: every attempt, hold and drop.
#[utoipa::path(get, path = "/v1/admin/push/deliveries", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"), DeliveriesQuery),
    responses((status = 200, body = Vec<PushDelivery>),
              (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Vec<PushDelivery>>> {
    if q.case_id
        .as_deref()
        .is_some_and(|id| id.chars().any(char::is_control))
    {
        return Err(ServerError::BadRequest(
            "case_id 含有控制字符 / case_id contains a control character".into(),
        ));
    }
    Ok(Json(
        blocking(move || state.storage.push_deliveries(q.case_id.as_deref())).await?,
    ))
}
