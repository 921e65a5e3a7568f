//! 审计: who did what and when, for administrators — the core's trail
//! (reveals of whole numbers with their reasons, case events) and the
//! server's own lines, which the console and admin routes write through
//! [`record`] (sign-ins and lockouts, accounts, codes, revoked devices,
//! imports).

use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use gridwork_core::store::{AuditEntry, AuditFilter};
use gridwork_core::user::Role;
use serde::Deserialize;

use super::session::ConsoleUser;
use crate::error::ApiResult;
use crate::routes::{blocking, AppState};

/// Keep a line of the server's trail. A failure to write it is logged,
/// never turned into the refusal of what was done.
pub async fn record(
    state: &AppState,
    actor_id: &str,
    actor_name: &str,
    kind: &str,
    target: &str,
    summary: String,
) {
    let entry = AuditEntry {
        at: state.storage_now(),
        actor_id: actor_id.to_string(),
        actor_name: actor_name.to_string(),
        kind: kind.to_string(),
        target: target.to_string(),
        summary,
    };
    let storage = state.storage.clone();
    if let Err(e) = blocking(move || storage.console_record(&entry)).await {
        tracing::error!(error = %e, kind, "audit line not written");
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub reveals_only: Option<bool>,
    #[serde(default)]
    pub before: Option<DateTime<Utc>>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `GET /console/api/audit?actor=&reveals_only=&before=&limit=`
pub async fn list(
    State(state): State<AppState>,
    me: ConsoleUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    me.require(&[Role::Administrator])?;
    let filter = AuditFilter {
        actor_id: q.actor.filter(|a| !a.trim().is_empty()),
        reveals_only: q.reveals_only.unwrap_or(false),
        before: q.before,
    };
    let id = me.session.user.id;
    blocking(move || {
        state
            .storage
            .console_audit(&id, &filter, q.limit.unwrap_or(200))
    })
    .await
    .map(Json)
}
