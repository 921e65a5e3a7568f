//! The case board: a person's cases (their scope and reach, as every case
//! list) narrowed by priority, state, escalation level, overdue and region,
//! most urgent first, with the total for paging.

use serde::{Deserialize, Serialize};

use super::cases::{case_row, CaseRow, CaseScope};
use super::households::OPEN_STATES_SQL;
use super::users::actor;
use super::{from_json, Store};
use crate::case::{Case, CaseState};
use crate::clock::to_ms;
use crate::db::{Param, Sql};
use crate::error::Result;
use crate::priority::Priority;
use crate::user::Role;

/// What the board shows; every field narrows, the default shows all of the
/// person's jurisdiction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseFilter {
    pub scope: CaseScope,
    /// Unfinished only: for a grid worker the cases whose clock runs
    /// (reported … in progress); for the office also the resolved ones
    /// waiting for the village's check.
    pub open_only: bool,
    pub priority: Option<Priority>,
    pub state: Option<CaseState>,
    /// 0 village, 1 township, 2 city.
    pub level: Option<u8>,
    /// Open and past the deadline.
    pub overdue: bool,
    /// A city, township, village or grid code (within reach).
    pub region: Option<String>,
}

/// One page of the board and how many cases match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseBoard {
    pub rows: Vec<CaseRow>,
    pub total: u32,
}

impl Store {
    /// The board's page: open cases first, soonest deadline first.
    pub fn case_board(
        &self,
        user_id: &str,
        filter: &CaseFilter,
        offset: u32,
        limit: u32,
    ) -> Result<CaseBoard> {
        let now = self.now();
        self.read_sql(|sql| case_board(sql, user_id, filter, offset, limit, now))
    }
}

/// The board's page as `user_id` sees it at `now` (on either engine).
pub(crate) fn case_board(
    sql: Sql<'_>,
    user_id: &str,
    filter: &CaseFilter,
    offset: u32,
    limit: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CaseBoard> {
    let a = actor(sql, user_id, now)?;
    let codes_in = sql.dialect().json_strings("?2");
    let limit = limit.clamp(1, 500);
    let codes = serde_json::to_string(&match a.role {
        Role::GridWorker => a.grids.clone(),
        _ => a.jurisdiction.clone(),
    })?;
    let scope_sql = match filter.scope {
        CaseScope::Mine => "(handler_id = ?1 OR reporter_id = ?1)".to_string(),
        CaseScope::Jurisdiction if a.role == Role::Administrator => "1 = 1".to_string(),
        CaseScope::Jurisdiction => format!(
            "(grid_code IN ({codes_in}) OR village_code IN ({codes_in})
              OR township_code IN ({codes_in}) OR city_code IN ({codes_in}))"
        ),
        CaseScope::EscalatedToMe => match a.role {
            Role::TownshipSupervisor => {
                format!("(escalation_level >= 1 AND township_code IN ({codes_in}))")
            }
            Role::CitySupervisor => {
                format!("(escalation_level >= 2 AND city_code IN ({codes_in}))")
            }
            _ => "1 = 0".to_string(),
        },
    };
    let open_sql = if filter.overdue || (filter.open_only && a.role == Role::GridWorker) {
        format!("AND state IN {OPEN_STATES_SQL}")
    } else if filter.open_only {
        // For the office a resolved case is not done: it waits for
        // the village's check (confirm or send back).
        format!("AND (state IN {OPEN_STATES_SQL} OR state = 'resolved')")
    } else {
        String::new()
    };
    // Parameters that may be NULL are cast where first met (PostgreSQL
    // types them there).
    let narrowing = "AND (CAST(?5 AS TEXT) IS NULL OR priority = ?5)
         AND (CAST(?6 AS TEXT) IS NULL OR state = ?6)
         AND (CAST(?7 AS BIGINT) IS NULL OR escalation_level = ?7)
         AND (?8 = 0 OR deadline_at < ?9)
         AND (CAST(?10 AS TEXT) IS NULL OR grid_code = ?10 OR village_code = ?10
              OR township_code = ?10 OR city_code = ?10)";
    let priority = filter.priority.map(Priority::as_str);
    let state = filter.state.map(CaseState::as_str);
    let now_ms = to_ms(now);
    let params: [&dyn Param; 10] = [
        &a.user_id,
        &codes,
        &limit,
        &offset,
        &priority,
        &state,
        &filter.level,
        &filter.overdue,
        &now_ms,
        &filter.region,
    ];
    // ?3 and ?4 (the page) are unused in the count.
    let total: u32 = sql
        .query_row(
            &format!("SELECT COUNT(*) FROM case_file WHERE {scope_sql} {open_sql} {narrowing}"),
            &params,
            |r| r.get(0),
        )?
        .unwrap_or_default();
    let rows = sql
        .query_map(
            &format!(
                "SELECT data FROM case_file WHERE {scope_sql} {open_sql} {narrowing}
                 ORDER BY CASE WHEN state IN {OPEN_STATES_SQL} THEN 0 ELSE 1 END, deadline_at, id
                 LIMIT ?3 OFFSET ?4"
            ),
            &params,
            |r| r.get::<String>(0),
        )?
        .iter()
        .map(|d| {
            let case: Case = from_json("case_file.data", d)?;
            Ok(case_row(&case, now))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CaseBoard { rows, total })
}
