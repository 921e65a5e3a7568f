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
        self.read(|c| {
            let a = actor(c, user_id, now)?;
            let limit = limit.clamp(1, 500);
            let codes = serde_json::to_string(&match a.role {
                Role::GridWorker => a.grids.clone(),
                _ => a.jurisdiction.clone(),
            })?;
            let scope_sql = match filter.scope {
                CaseScope::Mine => "(handler_id = ?1 OR reporter_id = ?1)".to_string(),
                CaseScope::Jurisdiction if a.role == Role::Administrator => "1".to_string(),
                CaseScope::Jurisdiction => "(grid_code IN (SELECT value FROM json_each(?2))
                    OR village_code IN (SELECT value FROM json_each(?2))
                    OR township_code IN (SELECT value FROM json_each(?2))
                    OR city_code IN (SELECT value FROM json_each(?2)))"
                    .to_string(),
                CaseScope::EscalatedToMe => match a.role {
                    Role::TownshipSupervisor => {
                        "(escalation_level >= 1 AND township_code IN (SELECT value FROM json_each(?2)))".to_string()
                    }
                    Role::CitySupervisor => {
                        "(escalation_level >= 2 AND city_code IN (SELECT value FROM json_each(?2)))".to_string()
                    }
                    _ => "0".to_string(),
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
            let narrowing = "AND (?5 IS NULL OR priority = ?5)
                 AND (?6 IS NULL OR state = ?6)
                 AND (?7 IS NULL OR escalation_level = ?7)
                 AND (?8 = 0 OR deadline_at < ?9)
                 AND (?10 IS NULL OR grid_code = ?10 OR village_code = ?10
                      OR township_code = ?10 OR city_code = ?10)";
            let params = rusqlite::params![
                a.user_id,
                codes,
                limit,
                offset,
                filter.priority.map(Priority::as_str),
                filter.state.map(CaseState::as_str),
                filter.level,
                filter.overdue,
                to_ms(now),
                filter.region,
            ];
            let total: u32 = c
                .prepare(&format!(
                    // ?3 and ?4 (page) are unused here; SQLite binds by index.
                    "SELECT COUNT(*) FROM case_file WHERE {scope_sql} {open_sql} {narrowing}"
                ))?
                .query_row(params, |r| r.get(0))?;
            let mut stmt = c.prepare(&format!(
                "SELECT data FROM case_file WHERE {scope_sql} {open_sql} {narrowing}
                 ORDER BY CASE WHEN state IN {OPEN_STATES_SQL} THEN 0 ELSE 1 END, deadline_at, id
                 LIMIT ?3 OFFSET ?4"
            ))?;
            let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
            let rows = rows
                .map(|d| {
                    let case: Case = from_json("case_file.data", &d?)?;
                    Ok(case_row(&case, now))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(CaseBoard { rows, total })
        })
    }
}
