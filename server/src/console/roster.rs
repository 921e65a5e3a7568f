//! 网格与人员: grids with their workers, households and places; people with
//! their roles, jurisdictions and grids; and (administrators) assigning a
//! worker to a grid as primary or backup.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use gridwork_core::store::Roster;
use gridwork_core::user::{Assignment, Role};

use super::overview::RegionQuery;
use super::session::ConsoleUser;
use crate::error::ApiResult;
use crate::routes::{blocking, parse, AppState};

/// `GET /console/api/roster?region=`
pub async fn roster(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<RegionQuery>,
) -> ApiResult<Json<Roster>> {
    let id = me.session.user.id;
    blocking(move || state.storage.console_roster(&id, q.region.as_deref()))
        .await
        .map(Json)
}

/// `POST /console/api/assignments`: an `Assignment` (user, grid, primary or
/// backup, from, to); the core checks the person is a grid worker and the
/// grid exists.
pub async fn assign(
    State(state): State<AppState>,
    me: ConsoleUser,
    body: Bytes,
) -> ApiResult<StatusCode> {
    me.require(&[Role::Administrator])?;
    let a: Assignment = parse(&body)?;
    let (storage, admin) = (state.storage.clone(), me.user().id.clone());
    let saved = a.clone();
    blocking(move || storage.set_assignment(&admin, &saved)).await?;
    super::audit::record(
        &state,
        &me.user().id,
        &me.user().name,
        "assignment.set",
        &a.grid_code,
        format!(
            "{} 负责网格 {}（{:?}，自 {}）/ {} covers grid {} ({:?}, from {})",
            a.user_id, a.grid_code, a.kind, a.from, a.user_id, a.grid_code, a.kind, a.from
        ),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
