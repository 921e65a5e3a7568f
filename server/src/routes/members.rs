//! Reveals of masked personal numbers (PIPL). Devices of supervisors and
//! administrators hold ID and phone numbers masked; showing one whole is a
//! request the server authorizes (the member must be in reach), records
//! with its own clock (who, which field, why), and answers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridwork_core::sync::protocol::{RevealRequest, RevealResponse};

use super::{blocking, parse, AppState};
use crate::error::ApiResult;
use crate::storage::DeviceAuth;

/// Show one masked number whole, for a stated reason (recorded).
#[utoipa::path(post, path = "/v1/members/{member_id}/reveal", tag = "members",
    security(("device_credential" = [])),
    params(("member_id" = String, Path), ("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = RevealRequest,
    responses(
        (status = 200, description = "the whole number (not cached: Cache-Control no-store)", body = RevealResponse),
        (status = 400, description = "the body does not parse", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 404, description = "no such member in reach, or no such number recorded", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 422, description = "no reason given", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 507, description = "the server is out of storage (the reveal could not be recorded, so nothing is shown)", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn reveal(
    State(state): State<AppState>,
    Path(member_id): Path<String>,
    auth: DeviceAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let req: RevealRequest = parse(&body)?;
    let storage = state.storage.clone();
    let value = blocking(move || storage.reveal(&auth, &member_id, req.field, &req.reason)).await?;
    let mut resp = Json(RevealResponse { value }).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
