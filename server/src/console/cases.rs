//! 事件: the case board, a case's screen and its actions, as the signed-in
//! person may see and do them (the core's jurisdiction and action rules).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use gridwork_core::case::CaseState;
use gridwork_core::case::{ActionInput, ActionKind, Case, CaseAction, CaseEvent};
use gridwork_core::coord::{convert, CoordSystem, LatLon};
use gridwork_core::priority::Priority;
use gridwork_core::store::{CaseBoard, CaseDetail, CaseFilter, CaseScope};
use gridwork_core::user::User;
use serde::{Deserialize, Serialize};

use super::session::ConsoleUser;
use crate::error::ApiResult;
use crate::routes::{blocking, parse, AppState};

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    /// `jurisdiction` (default), `mine` or `escalated`.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub open_only: Option<bool>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub state: Option<CaseState>,
    /// 0 village, 1 township, 2 city.
    #[serde(default)]
    pub level: Option<u8>,
    #[serde(default)]
    pub overdue: Option<bool>,
    /// A city, township, village or grid code.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub offset: Option<u32>,
    #[serde(default)]
    pub limit: Option<u32>,
}

fn scope(s: Option<&str>) -> ApiResult<CaseScope> {
    match s.unwrap_or("jurisdiction") {
        "jurisdiction" => Ok(CaseScope::Jurisdiction),
        "mine" => Ok(CaseScope::Mine),
        "escalated" => Ok(CaseScope::EscalatedToMe),
        other => Err(gridwork_core::CoreError::invalid(
            "scope",
            format!("范围应为 jurisdiction、mine 或 escalated / scope must be jurisdiction, mine or escalated, not '{other}'"),
        )
        .into()),
    }
}

/// The core's filter from the board's query (the board and its export).
pub(crate) fn board_filter(q: &BoardQuery) -> ApiResult<CaseFilter> {
    Ok(CaseFilter {
        scope: scope(q.scope.as_deref())?,
        open_only: q.open_only.unwrap_or(false),
        priority: q.priority,
        state: q.state,
        level: q.level,
        overdue: q.overdue.unwrap_or(false),
        region: q.region.clone().filter(|r| !r.is_empty()),
    })
}

/// `GET /console/api/cases`: the board, filtered by the core.
pub async fn list(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<BoardQuery>,
) -> ApiResult<Json<CaseBoard>> {
    let filter = board_filter(&q)?;
    let storage = state.storage.clone();
    let id = me.session.user.id;
    blocking(move || {
        storage.console_cases(&id, &filter, q.offset.unwrap_or(0), q.limit.unwrap_or(100))
    })
    .await
    .map(Json)
}

/// A button the page shows: the action, its words, its form's fields.
#[derive(Debug, Serialize)]
pub struct ActionOffer {
    pub kind: ActionKind,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub inputs: &'static [ActionInput],
}

/// A photo's location fix as the map draws it (in the base map's datum).
#[derive(Debug, Serialize)]
pub struct FixOnMap {
    pub evidence_id: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub mock: bool,
}

#[derive(Debug, Deserialize)]
pub struct SystemQuery {
    /// The datum the map draws in (default WGS-84, as stored).
    #[serde(default)]
    pub system: Option<CoordSystem>,
}

/// A case's screen in the console.
#[derive(Debug, Serialize)]
pub struct CaseScreen {
    pub detail: CaseDetail,
    /// Exactly the actions the core allows this person now. Phones-only
    /// actions (those needing after-photos) are left out.
    pub actions: Vec<ActionOffer>,
    /// Whom the case may go to, when dispatch or reassign is offered.
    pub handlers: Vec<User>,
    /// The photos' location fixes converted for the map (the evidence keeps
    /// them as recorded, WGS-84).
    pub fixes: Vec<FixOnMap>,
}

/// `GET /console/api/cases/{case_id}`
pub async fn detail(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(case_id): Path<String>,
    Query(q): Query<SystemQuery>,
) -> ApiResult<Json<CaseScreen>> {
    let system = q.system.unwrap_or(CoordSystem::Wgs84);
    let storage = state.storage.clone();
    let id = me.session.user.id;
    blocking(move || {
        let detail = storage.console_case(&id, &case_id)?;
        let actions: Vec<ActionOffer> = detail
            .allowed_actions
            .iter()
            .filter(|k| !k.inputs().contains(&ActionInput::Photos))
            .map(|&kind| ActionOffer {
                kind,
                label_zh: kind.label_zh(),
                label_en: kind.label_en(),
                inputs: kind.inputs(),
            })
            .collect();
        let handlers = if actions
            .iter()
            .any(|a| a.inputs.contains(&ActionInput::Handler))
        {
            storage.console_handler_choices(&id, &case_id)?
        } else {
            Vec::new()
        };
        let fixes = detail
            .evidence
            .iter()
            .filter_map(|e| {
                let f = e.fix.as_ref()?;
                let p = convert(
                    LatLon {
                        lat: f.lat,
                        lon: f.lon,
                    },
                    CoordSystem::Wgs84,
                    system,
                );
                Some(FixOnMap {
                    evidence_id: e.id.clone(),
                    lat: p.lat,
                    lon: p.lon,
                    accuracy_m: f.accuracy_m,
                    mock: f.mock,
                })
            })
            .collect();
        Ok(CaseScreen {
            detail,
            actions,
            handlers,
            fixes,
        })
    })
    .await
    .map(Json)
}

#[derive(Debug, Serialize)]
pub struct Acted {
    pub case: Case,
    pub event: CaseEvent,
}

/// `POST /console/api/cases/{case_id}/actions`: a `CaseAction` as JSON.
pub async fn act(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(case_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Acted>> {
    let action: CaseAction = parse(&body)?;
    let storage = state.storage.clone();
    let id = me.session.user.id;
    let who = id.clone();
    let (case, event) = blocking(move || storage.console_act(&id, &case_id, &action)).await?;
    // Whoever the event notifies hears it now, not at the engine's next tick.
    if let Some(engine) = &state.engine {
        engine.kick();
    }
    tracing::info!(user = %who, case = %case.id, event = event.kind.name(), "console case action");
    Ok(Json(Acted { case, event }))
}

/// `GET /console/api/evidence/{evidence_id}/content`: a photo of a case or
/// visit the signed-in person may see (the same reach check as phones);
/// anyone else gets 404.
pub async fn photo(
    State(state): State<AppState>,
    me: ConsoleUser,
    Path(evidence_id): Path<String>,
) -> ApiResult<axum::response::Response> {
    let user = me.session.user;
    let auth = crate::storage::DeviceAuth {
        device_id: format!("console:{}", user.id),
        admin: user.role == gridwork_core::user::Role::Administrator,
        user_id: user.id,
    };
    crate::routes::tus::photo_response(&state, auth, evidence_id).await
}
