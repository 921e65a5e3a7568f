//! 导入导出: an administrator's GeoJSON boundaries and CSV/XLSX registers,
//! previewed first (every row checked, its errors by line and field, nothing
//! saved: `ImportMode::Preview`), then imported. The same core imports the
//! `/v1/admin/import/...` routes and the CLI use.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use gridwork_core::store::ImportReport;
use gridwork_core::user::Role;

use super::session::ConsoleUser;
use crate::error::{ApiResult, ServerError};
use crate::routes::admin::{format, mode, ImportQuery};
use crate::routes::{blocking, AppState};

/// `POST /console/api/import/{kind}?mode=preview|best_effort|all_or_nothing`
/// with the file as the body; `kind` is `regions`, `households` or `members`.
pub async fn import(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    me.require(&[Role::Administrator])?;
    let mode = mode(&q)?;
    let admin = me.user().id.clone();
    let storage = state.storage.clone();
    let report = match kind.as_str() {
        "regions" => {
            let text = String::from_utf8(body.to_vec()).map_err(|_| {
                ServerError::BadRequest("GeoJSON必须是UTF-8 / GeoJSON must be UTF-8".into())
            })?;
            blocking(move || storage.import_regions(&admin, &text, mode)).await?
        }
        "households" => {
            let format = format(&q, &body)?;
            blocking(move || storage.import_households(&admin, &body, format, mode)).await?
        }
        "members" => {
            let format = format(&q, &body)?;
            blocking(move || storage.import_members(&admin, &body, format, mode)).await?
        }
        other => {
            return Err(ServerError::BadRequest(format!(
                "导入类型应为 regions、households 或 members / import kind must be regions, households or members, not '{other}'"
            )))
        }
    };
    tracing::info!(by = %me.user().id, kind = %kind, ?mode, imported = report.imported, errors = report.errors.len(), "console import");
    if mode != gridwork_core::store::ImportMode::Preview {
        super::audit::record(
            &state,
            &me.user().id,
            &me.user().name,
            &format!("import.{kind}"),
            &kind,
            format!(
                "导入{kind}：{} 行保存，{} 处错误 / imported {kind}: {} rows saved, {} problems",
                report.imported,
                report.errors.len(),
                report.imported,
                report.errors.len()
            ),
        )
        .await;
    }
    Ok(Json(report))
}
