//! Administration over HTTP (administrators' credentials only).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use gridwork_core::case::DeadlinePolicy;
use gridwork_core::checklist::ChecklistTemplate;
use gridwork_core::coverage::CoverageReport;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, ImportReport};
use gridwork_core::user::{Assignment, User};
use gridwork_core::visit::VisitPolicy;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{blocking, parse, Admin, AppState};
use crate::error::{ApiResult, ServerError};
use crate::storage::{ActivationCode, DeviceAuth, DeviceInfo};

/// Query parameters of the three import routes (query, not path: an
/// earlier document declared them as required path parameters).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `best_effort` (default), `all_or_nothing`, or `preview` (check every
    /// row, save nothing).
    #[serde(default)]
    #[param(pattern = "^(best_effort|all_or_nothing|preview)$")]
    pub mode: Option<String>,
    /// `csv` or `xlsx`; detected from the bytes when absent.
    #[serde(default)]
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
}

pub(crate) fn mode(q: &ImportQuery) -> ApiResult<ImportMode> {
    match q.mode.as_deref() {
        None | Some("best_effort") => Ok(ImportMode::BestEffort),
        Some("all_or_nothing") => Ok(ImportMode::AllOrNothing),
        Some("preview") => Ok(ImportMode::Preview),
        Some(other) => Err(ServerError::BadRequest(format!(
            "mode必须是best_effort、all_or_nothing或preview / mode must be best_effort, all_or_nothing or preview, not {other}"
        ))),
    }
}

pub(crate) fn format(q: &ImportQuery, bytes: &[u8]) -> ApiResult<TableFormat> {
    match q.format.as_deref() {
        None => Ok(TableFormat::detect(bytes)),
        Some("csv") => Ok(TableFormat::Csv),
        Some("xlsx") => Ok(TableFormat::Xlsx),
        Some(other) => Err(ServerError::BadRequest(format!(
            "format必须是csv或xlsx / format must be csv or xlsx, not {other}"
        ))),
    }
}

#[utoipa::path(post, path = "/v1/admin/import/regions", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"), ImportQuery),
    request_body (content = String, content_type = "application/geo+json", description = "GeoJSON FeatureCollection"),
    responses((status = 200, body = ImportReport), (status = 400, description = "mode or format is not one of the values above", body = gridwork_core::sync::protocol::ErrorBody), (status = 413, description = "the file is beyond a limit (gridwork_core::limits)", body = gridwork_core::sync::protocol::ErrorBody), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn import_regions(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let mode = mode(&q)?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        ServerError::BadRequest("GeoJSON必须是UTF-8 / GeoJSON must be UTF-8".into())
    })?;
    Ok(Json(
        blocking(move || state.storage.import_regions(&admin.user_id, &text, mode)).await?,
    ))
}

#[utoipa::path(post, path = "/v1/admin/import/households", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"), ImportQuery),
    request_body (content = String, content_type = "text/csv", description = "CSV (UTF-8 or GBK), or the bytes of an XLSX workbook"),
    responses((status = 200, body = ImportReport), (status = 400, description = "mode or format is not one of the values above", body = gridwork_core::sync::protocol::ErrorBody), (status = 413, description = "the file is beyond a limit (gridwork_core::limits)", body = gridwork_core::sync::protocol::ErrorBody), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn import_households(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let (mode, format) = (mode(&q)?, format(&q, &body)?);
    Ok(Json(
        blocking(move || {
            state
                .storage
                .import_households(&admin.user_id, &body, format, mode)
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/v1/admin/import/members", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"), ImportQuery),
    request_body (content = String, content_type = "text/csv", description = "CSV (UTF-8 or GBK), or the bytes of an XLSX workbook"),
    responses((status = 200, body = ImportReport), (status = 400, description = "mode or format is not one of the values above", body = gridwork_core::sync::protocol::ErrorBody), (status = 413, description = "the file is beyond a limit (gridwork_core::limits)", body = gridwork_core::sync::protocol::ErrorBody), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn import_members(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let (mode, format) = (mode(&q)?, format(&q, &body)?);
    Ok(Json(
        blocking(move || {
            state
                .storage
                .import_members(&admin.user_id, &body, format, mode)
        })
        .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

#[utoipa::path(put, path = "/v1/admin/users", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = User,
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let user: User = parse(&body)?;
    blocking(move || state.storage.upsert_user(&admin.user_id, &user)).await?;
    Ok(Json(Done { ok: true }))
}

/// A person's console password, set by an administrator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsolePassword {
    pub user_id: String,
    /// 10 to 128 characters; stored only as an argon2id hash.
    pub password: String,
}

/// Give a person a web console account, or a new password (their console
/// sessions end). Grid workers may have one but are refused at sign-in.
#[utoipa::path(put, path = "/v1/admin/console-accounts", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = ConsolePassword,
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 404, description = "no such person", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, description = "the password is refused (field `password`)", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_console_account(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let req: ConsolePassword = parse(&body)?;
    crate::console::password::check(&req.user_id, &req.password)?;
    let target = req.user_id.clone();
    let (storage, by) = (state.storage.clone(), admin.user_id.clone());
    blocking(move || {
        let hash = crate::console::password::hash(&req.password)?;
        storage.console_set_password(&by, &req.user_id, &hash)
    })
    .await?;
    crate::console::audit::record(
        &state,
        &admin.user_id,
        &admin.user_id,
        "account.password_set",
        &target,
        format!("设置了 {target} 的指挥中心密码（管理接口）/ set {target}'s console password (admin API)"),
    )
    .await;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(put, path = "/v1/admin/assignments", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = Assignment,
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_assignment(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let a: Assignment = parse(&body)?;
    blocking(move || state.storage.set_assignment(&admin.user_id, &a)).await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stored {
    /// False when that exact version was already stored.
    pub stored: bool,
}

#[utoipa::path(put, path = "/v1/admin/templates", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = ChecklistTemplate,
    responses((status = 200, body = Stored), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_template(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Stored>> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ServerError::BadRequest("UTF-8 required".into()))?;
    let t = ChecklistTemplate::from_json(&text)?;
    let stored = blocking(move || state.storage.store_template(&admin.user_id, &t)).await?;
    Ok(Json(Stored { stored }))
}

#[utoipa::path(put, path = "/v1/admin/policy/deadline", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = DeadlinePolicy,
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_deadline_policy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let p: DeadlinePolicy = parse(&body)?;
    p.validate()?;
    blocking(move || state.storage.set_deadline_policy(&admin.user_id, &p)).await?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(put, path = "/v1/admin/policy/visit", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = VisitPolicy,
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 422, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn put_visit_policy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let p: VisitPolicy = parse(&body)?;
    p.validate()?;
    blocking(move || state.storage.set_visit_policy(&admin.user_id, &p)).await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CodeRequest {
    pub user_id: String,
}

#[utoipa::path(post, path = "/v1/admin/activation-codes", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = CodeRequest,
    responses((status = 200, body = ActivationCode), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 404, description = "no such user", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn activation_code(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> ApiResult<Json<ActivationCode>> {
    let req: CodeRequest = parse(&body)?;
    let url = state.public_url.clone();
    Ok(Json(
        blocking(move || state.storage.create_activation_code(&req.user_id, &url)).await?,
    ))
}

#[utoipa::path(get, path = "/v1/admin/devices", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = Vec<DeviceInfo>), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn devices(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> ApiResult<Json<Vec<DeviceInfo>>> {
    Ok(Json(blocking(move || state.storage.devices()).await?))
}

#[utoipa::path(post, path = "/v1/admin/devices/{device_id}/revoke", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version"), ("device_id" = String, Path, description = "the device to revoke")),
    responses((status = 200, body = Done), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody), (status = 404, description = "no such device, or it is already revoked", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(device_id): Path<String>,
) -> ApiResult<Json<Done>> {
    let storage = state.storage.clone();
    let id = device_id.clone();
    blocking(move || storage.revoke(&id)).await?;
    crate::console::audit::record(
        &state,
        &admin.user_id,
        &admin.user_id,
        "device.revoked",
        &device_id,
        format!("停用设备 {device_id}（管理接口）/ revoked device {device_id} (admin API)"),
    )
    .await;
    Ok(Json(Done { ok: true }))
}

/// What the server holds: regions, people, coverage, cases, escalations,
/// pushes, photos (each stored photo re-hashed against its record), sync
/// volume and refusals. Takes no parameters; administrators only.
#[utoipa::path(get, path = "/v1/admin/report", tag = "admin", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = crate::storage::AdminReport), (status = 403, description = "administrators only", body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> ApiResult<Json<crate::storage::AdminReport>> {
    Ok(Json(
        blocking(move || state.storage.report(&admin.user_id)).await?,
    ))
}

/// The four promises for what the caller oversees (any signed-in device).
#[utoipa::path(get, path = "/v1/coverage", tag = "reports", security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses((status = 200, body = CoverageReport), (status = 401, body = gridwork_core::sync::protocol::ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> ApiResult<Json<CoverageReport>> {
    Ok(Json(
        blocking(move || state.storage.coverage(&auth.user_id)).await?,
    ))
}
